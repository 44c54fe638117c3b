"""Signed-in clients for the panel: a coordinator and a read-only viewer."""

from __future__ import annotations

import re

import pytest
from flask import Flask
from flask.testing import FlaskClient

from shared.db import transaction
from shared.runtime import Runtime
from shared.seed import ensure_admin

COORDINATOR = ("coord@example.org", "correct horse battery")
VIEWER = ("viewer@example.org", "viewer password 123")


def csrf(page: str) -> str:
    """The CSRF token of the first form on a page."""
    found = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert found, "the page has no form with a CSRF token"
    return found.group(1)


def sign_in(client: FlaskClient, email: str, password: str) -> FlaskClient:
    page = client.get("/panel/login").get_data(as_text=True)
    response = client.post(
        "/panel/login",
        data={"csrf_token": csrf(page), "email": email, "password": password},
    )
    assert response.status_code == 302, response.get_data(as_text=True)
    return client


@pytest.fixture
def coordinator(app: Flask) -> FlaskClient:
    return sign_in(app.test_client(), *COORDINATOR)


@pytest.fixture
def viewer(app: Flask, runtime: Runtime) -> FlaskClient:
    with transaction(runtime.sessions) as session:
        user = ensure_admin(session, *VIEWER)
        user.role = "viewer"
    return sign_in(app.test_client(), *VIEWER)
