"""No page without login; a viewer reads but changes nothing; CSRF everywhere;
logins are rate-limited; every change is audited."""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from shared.models import AuditEntry, Surplus
from shared.runtime import Runtime
from tests.conftest import FARMER, Twilio
from tests.services.web.panel.conftest import csrf

PAGES = [
    "/panel/",
    "/panel/board/live",
    "/panel/surplus/1",
    "/panel/messages",
    "/panel/audit",
    "/panel/simulator",
]
ACTIONS = [
    "/panel/surplus/1/offer",
    "/panel/surplus/1/next-wave",
    "/panel/surplus/1/extend",
    "/panel/surplus/1/close",
    "/panel/claim/1",
    "/panel/claim/1/outcome",
    "/panel/message/1/resend",
    "/panel/simulator?phone=%2B14505550100",
]


@pytest.fixture
def surplus(twilio: Twilio, work: Any) -> None:
    twilio.reply(FARMER, "DISPO P1 courges 300 kg demain")
    work()


@pytest.mark.parametrize("path", [*PAGES, "/panel/board/stream"])
def test_no_page_without_login(client: FlaskClient, path: str, surplus: None) -> None:
    response = client.get(path)
    assert response.status_code == 302
    assert "/panel/login" in response.headers["Location"]


@pytest.mark.parametrize("path", PAGES)
def test_viewer_reads_everything(viewer: FlaskClient, path: str, surplus: None) -> None:
    assert viewer.get(path).status_code == 200


@pytest.mark.parametrize("path", ACTIONS)
def test_viewer_changes_nothing(
    viewer: FlaskClient, path: str, surplus: None, runtime: Runtime
) -> None:
    token = csrf(viewer.get("/panel/login").get_data(as_text=True))  # a valid token
    response = viewer.post(path, data={"csrf_token": token, "until": "2099-01-01"})
    assert response.status_code == 403
    with runtime.sessions() as session:
        assert session.scalars(select(AuditEntry)).all() == []
        assert session.get(Surplus, 1).status == "offered"  # type: ignore[union-attr]


def test_viewer_sees_no_action_forms(viewer: FlaskClient, surplus: None) -> None:
    page = viewer.get("/panel/surplus/1").get_data(as_text=True)
    assert "/panel/surplus/1/close" not in page


def test_forms_without_csrf_token_are_refused(
    coordinator: FlaskClient, surplus: None
) -> None:
    response = coordinator.post("/panel/surplus/1/close")
    assert response.status_code == 400


def test_login_is_rate_limited(app: Flask) -> None:
    client = app.test_client()
    token = csrf(client.get("/panel/login").get_data(as_text=True))
    codes = [
        client.post(
            "/panel/login",
            data={
                "csrf_token": token,
                "email": "coord@example.org",
                "password": "guess",
            },
        ).status_code
        for _ in range(12)
    ]
    assert codes[:10] == [401] * 10
    assert codes[10:] == [429, 429]


def test_coordinator_change_is_audited_with_before_and_after(
    coordinator: FlaskClient, surplus: None, runtime: Runtime
) -> None:
    page = coordinator.get("/panel/surplus/1").get_data(as_text=True)
    response = coordinator.post(
        "/panel/surplus/1/extend",
        data={"csrf_token": csrf(page), "until": "2099-01-31"},
    )
    assert response.status_code == 302
    with runtime.sessions() as session:
        entry = session.scalars(select(AuditEntry)).one()
        assert (entry.action, entry.entity, entry.entity_id) == ("extend", "surplus", 1)
        assert entry.after["available_until"] == "2099-01-31"  # type: ignore[index]
        assert entry.before["available_until"] != "2099-01-31"  # type: ignore[index]
        assert entry.user.email == "coord@example.org"  # type: ignore[union-attr]
    log = coordinator.get("/panel/audit").get_data(as_text=True)
    assert "2099-01-31" in log and "coord@example.org" in log
