"""Web security as a visitor meets it: the headers on every answer, cookies a
script cannot read, no inline style or script for the policy to block, and
kind pages when a request is too large, comes too often, or finds the
database away; a Redis outage never breaks a form."""

from __future__ import annotations

import re
import time
from dataclasses import replace
from typing import Any

import pytest
from flask import Flask, g
from flask.testing import FlaskClient
from flask_login import login_user
from redis import Redis
from sqlalchemy import select
from sqlalchemy.exc import OperationalError

from services.web import create_app
from services.web.context import db
from shared.db import make_engine, make_session_factory
from shared.models import ContentItem, Farm, Subscriber, User
from shared.runtime import Runtime
from shared.site_seed import seed_site
from tests.conftest import API_TOKEN
from tests.services.web.panel.conftest import COORDINATOR, csrf, sign_in

CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; "
    "img-src 'self' data:; object-src 'none'; base-uri 'self'; "
    "form-action 'self'; frame-ancestors 'none'"
)
HEADERS = {
    "Content-Security-Policy": CSP,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "strict-origin-when-cross-origin",
    "X-Frame-Options": "DENY",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=()",
    "Strict-Transport-Security": "max-age=31536000",
}
# A PostgreSQL that is not there: nothing listens on port 1.
UNREACHABLE_DB = "postgresql://nobody@127.0.0.1:1/glanage"
UNREACHABLE_REDIS = "redis://127.0.0.1:1/0"
TWO_MB = 2 * 1024 * 1024


def text(response: Any) -> str:
    return str(response.get_data(as_text=True))


def with_settings(runtime: Runtime, **changes: Any) -> Flask:
    """The app as it runs with other settings (same database and queues)."""
    changed = replace(runtime, settings=replace(runtime.settings, **changes))
    return create_app(changed, {"TESTING": True})


@pytest.fixture
def coordinator(app: Flask) -> FlaskClient:
    return sign_in(app.test_client(), *COORDINATOR)


def subscribe(client: FlaskClient, address: str, prefix: str = "") -> Any:
    page = text(client.get(f"{prefix}/infolettre"))
    data = {
        "csrf_token": csrf(page),
        "email": address,
        "topics": ["news"],
        "consent": "yes",
    }
    return client.post(f"{prefix}/infolettre", data=data)


def subscribed(runtime: Runtime, address: str) -> bool:
    with runtime.sessions() as session:
        found = session.scalar(select(Subscriber).where(Subscriber.email == address))
        return found is not None


# ---- Headers ---------------------------------------------------------------------


@pytest.mark.parametrize("path", ["/", "/panel/", "/api/v1/farms"])
def test_public_pages_the_panel_and_the_api_carry_the_security_headers(
    coordinator: FlaskClient, path: str
) -> None:
    response = coordinator.get(path, headers={"Authorization": f"Bearer {API_TOKEN}"})
    assert response.status_code == 200
    for name, value in HEADERS.items():
        assert response.headers.get(name) == value, name


def test_the_map_tile_host_is_allowed_for_images_and_nothing_else(
    runtime: Runtime,
) -> None:
    app = with_settings(
        runtime, map_tiles_url="https://{s}.tile.openstreetmap.org/{z}/{x}/{y}.png"
    )
    client = sign_in(app.test_client(), *COORDINATOR)
    response = client.get("/panel/map")
    assert response.status_code == 200
    policy = response.headers["Content-Security-Policy"]
    assert "img-src 'self' data: https://*.tile.openstreetmap.org;" in policy
    assert policy.count("openstreetmap") == 1
    assert "script-src 'self';" in policy


def test_no_strict_transport_security_on_a_plain_http_site(runtime: Runtime) -> None:
    app = with_settings(runtime, public_base_url="http://127.0.0.1:5000")
    response = app.test_client().get("/")
    assert response.headers["Content-Security-Policy"] == CSP
    assert "Strict-Transport-Security" not in response.headers


# ---- Nothing inline for the policy to block ---------------------------------------

INLINE_STYLE = re.compile(r"<style\b|\sstyle\s*=", re.IGNORECASE)
# A <script> without src runs inline, except a JSON data block (never run).
INLINE_SCRIPT = re.compile(
    r"<script\b(?![^>]*\bsrc=)(?![^>]*type=\"application/json\")[^>]*>", re.IGNORECASE
)
STYLESHEET = re.compile(r'<link rel="stylesheet" href="([^"]+)"')


@pytest.mark.parametrize(
    "path",
    [
        "/",
        "/partenaires",
        "/panel/",
        "/panel/figures",
        "/panel/map",
        "/panel/site/new/news",
        "/panel/site/{item}",
        "/panel/directory/farms/{farm}",
    ],
)
def test_main_pages_have_no_inline_style_or_script_and_their_css_loads(
    coordinator: FlaskClient, runtime: Runtime, path: str
) -> None:
    with runtime.sessions() as session:
        # The site's own content: news, events, partners on the map, Markdown.
        assert seed_site(session, now=runtime.now())
        session.commit()
        item = session.scalar(select(ContentItem.id).order_by(ContentItem.id))
        farm = session.scalar(select(Farm.id).order_by(Farm.id))
    response = coordinator.get(path.format(item=item, farm=farm))
    assert response.status_code == 200
    page = text(response)
    assert INLINE_STYLE.findall(page) == []
    assert INLINE_SCRIPT.findall(page) == []
    # The styles moved out of the page are still there for the browser.
    sheets = STYLESHEET.findall(page)
    assert sheets
    for href in sheets:
        sheet = coordinator.get(href)
        assert sheet.status_code == 200, href
        assert sheet.mimetype == "text/css"
        sheet.close()


# ---- Cookies -----------------------------------------------------------------------


def cookie(response: Any, name: str) -> str:
    found = [c for c in response.headers.getlist("Set-Cookie") if c.startswith(name)]
    assert len(found) == 1, response.headers.getlist("Set-Cookie")
    return str(found[0])


def remember_me(app: Flask) -> None:
    """A route that signs in with "remember me", as Flask-Login offers."""

    @app.get("/test/remember")
    def _remember() -> str:
        user = db().scalar(select(User).where(User.email == COORDINATOR[0]))
        assert user is not None
        login_user(user, remember=True)
        return "signed in"


@pytest.mark.parametrize(
    ("base", "secure"),
    [("https://glanage.test", True), ("http://127.0.0.1:5000", False)],
)
def test_session_and_remember_cookies_are_secure_on_https_and_never_for_scripts(
    runtime: Runtime, base: str, secure: bool
) -> None:
    app = with_settings(runtime, public_base_url=base)
    remember_me(app)
    client = app.test_client()
    for response, name in (
        (client.get("/panel/login"), "session="),
        (client.get("/test/remember"), "remember_token="),
    ):
        flags = {part.strip().lower() for part in cookie(response, name).split(";")}
        assert {"httponly", "samesite=lax"} <= flags, name
        assert ("secure" in flags) is secure, name


# ---- 413 ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("prefix", "words"),
    [
        ("", "Ce que vous avez envoyé dépasse 1 Mo"),
        ("/en", "What you sent is larger than 1 MB"),
    ],
)
def test_a_request_too_large_gets_a_clear_page_in_the_visitors_language(
    client: FlaskClient, prefix: str, words: str
) -> None:
    response = client.post(f"{prefix}/contact", data={"message": "x" * TWO_MB})
    assert response.status_code == 413
    assert response.mimetype == "text/html"
    page = text(response)
    assert words in page
    assert f'<html lang="{prefix.strip("/") or "fr"}">' in page
    assert f'href="{prefix}/contact"' in page  # the way back to the form


def test_a_request_too_large_for_the_api_is_answered_in_json(
    client: FlaskClient,
) -> None:
    response = client.post(
        "/api/v1/surpluses",
        data=b"{" + b" " * TWO_MB + b"}",
        content_type="application/json",
        headers={"Authorization": f"Bearer {API_TOKEN}", "Accept-Language": "en"},
    )
    assert response.status_code == 413
    body = response.get_json()
    assert body["error"] == "request_entity_too_large"
    assert "larger than 1 MB" in body["message"]


# ---- 429 ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("prefix", "heading", "words"),
    [
        ("", "Un petit moment, s'il vous plaît", "n'est pas passé"),
        ("/en", "Please wait a moment", "did not go through"),
    ],
)
def test_too_many_newsletter_posts_get_a_kind_page_in_the_visitors_language(
    client: FlaskClient, runtime: Runtime, prefix: str, heading: str, words: str
) -> None:
    for n in range(10):  # far more than a person sends in a minute
        assert subscribe(client, f"person{n}@example.org", prefix).status_code == 302
    response = subscribe(client, "one.too.many@example.org", prefix)
    assert response.status_code == 429
    page = text(response)
    assert heading.replace("'", "&#39;") in page
    assert words.replace("'", "&#39;") in page
    assert 0 < int(response.headers["Retry-After"]) <= 60
    assert not subscribed(runtime, "one.too.many@example.org")
    assert subscribed(runtime, "person9@example.org")
    # Reading the form is never limited.
    assert client.get(f"{prefix}/infolettre").status_code == 200


def test_a_redis_outage_does_not_break_a_rate_limited_form(runtime: Runtime) -> None:
    client = with_settings(runtime, redis_url=UNREACHABLE_REDIS).test_client()
    response = subscribe(client, "lucie@example.org")
    assert response.status_code == 302
    assert subscribed(runtime, "lucie@example.org")
    # Counted in memory meanwhile: the limit still holds.
    for n in range(9):
        assert subscribe(client, f"person{n}@example.org").status_code == 302
    assert subscribe(client, "one.too.many@example.org").status_code == 429


# ---- 503 ---------------------------------------------------------------------------


@pytest.fixture
def database_away(runtime: Runtime) -> Any:
    """The app's sessions point at a PostgreSQL that does not answer."""
    engine = make_engine(UNREACHABLE_DB)
    working = runtime.sessions
    runtime.sessions = make_session_factory(engine)
    yield lambda: setattr(runtime, "sessions", working)
    runtime.sessions = working
    engine.dispose()


def test_the_database_away_gets_a_quick_503_and_the_session_is_rolled_back(
    app: Flask, database_away: Any
) -> None:
    after_handler: list[tuple[bool, bool]] = []

    @app.after_request
    def _session_state(response: Any) -> Any:
        session = g.get("db")
        open_transaction = session is not None and session.in_transaction()
        after_handler.append((session is not None, open_transaction))
        return response

    client = app.test_client()
    started = time.monotonic()
    response = client.get("/")
    assert time.monotonic() - started < 3
    assert response.status_code == 503
    assert response.headers["Retry-After"] == "30"
    page = text(response)
    assert "Nous revenons dans un instant" in page
    assert "joindre sa base de données" in page
    # The request's session exists and holds no transaction once answered.
    assert after_handler == [(True, False)]

    database_away()  # PostgreSQL is back: the next visit works
    assert client.get("/").status_code == 200


def test_the_database_away_on_the_panel_and_the_api(
    coordinator: FlaskClient, database_away: Any
) -> None:
    page = coordinator.get("/panel/")
    assert page.status_code == 503
    assert page.headers["Retry-After"] == "30"
    assert "Nous revenons dans un instant" in text(page)

    api = coordinator.get(
        "/api/v1/farms",
        headers={"Authorization": f"Bearer {API_TOKEN}", "Accept-Language": "en"},
    )
    assert api.status_code == 503
    assert api.headers["Retry-After"] == "30"
    assert api.get_json()["error"] == "service_unavailable"
    assert "cannot reach its database" in api.get_json()["message"]


def test_a_wrong_query_is_still_an_error_not_an_outage(app: Flask) -> None:
    @app.get("/test/wrong-query")
    def _wrong() -> str:
        raise OperationalError("SELECT x FROM nowhere", {}, Exception("no such table"))

    with pytest.raises(OperationalError):
        app.test_client().get("/test/wrong-query")


def test_redis_away_gets_a_503_not_a_500(
    coordinator: FlaskClient, runtime: Runtime
) -> None:
    runtime.redis = Redis.from_url(UNREACHABLE_REDIS, socket_connect_timeout=1)
    response = coordinator.get("/panel/board/stream")  # the live board's feed
    assert response.status_code == 503
    assert response.headers["Retry-After"] == "30"
    assert "Une partie de Glanage ne répond pas" in text(response)


@pytest.mark.parametrize(("trusted", "separate"), [(1, True), (0, False)])
def test_behind_a_trusted_proxy_each_visitor_has_their_own_limit(
    runtime: Runtime, trusted: int, separate: bool
) -> None:
    """With GLANAGE_TRUSTED_PROXIES=1 the visitor's address comes from the
    proxy's X-Forwarded-For; without it that header is ignored, so nobody can
    dodge the limit by making one up."""
    client = with_settings(runtime, trusted_proxies=trusted).test_client()
    first = {"X-Forwarded-For": "203.0.113.7"}
    for n in range(10):
        page = text(client.get("/infolettre", headers=first))
        data = {"csrf_token": csrf(page), "email": f"p{n}@example.org",
                "topics": ["news"], "consent": "yes"}  # fmt: skip
        assert client.post("/infolettre", data=data, headers=first).status_code == 302
    other = {"X-Forwarded-For": "198.51.100.23"}
    page = text(client.get("/infolettre", headers=other))
    data = {"csrf_token": csrf(page), "email": "other@example.org",
            "topics": ["news"], "consent": "yes"}  # fmt: skip
    status = client.post("/infolettre", data=data, headers=other).status_code
    assert status == (302 if separate else 429)
