"""The newsletter over HTTP: subscribing with double opt-in, an issue written
in the panel and sent through a real SMTP server on loopback, one-click
unsubscribe, opens and clicks counted, click links that cannot be bent."""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import urlsplit

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from shared import newsletter
from shared.db import transaction
from shared.models import Message, NewsletterDelivery, NewsletterIssue, Subscriber
from shared.runtime import Runtime
from tests.services.web.panel.conftest import COORDINATOR, VIEWER, csrf, sign_in
from tests.smtp import Inbox

BASE = "https://glanage.test"


# ---- Helpers ------------------------------------------------------------------


@pytest.fixture
def editor(app: Flask) -> FlaskClient:
    return sign_in(app.test_client(), *COORDINATOR)


@pytest.fixture
def viewer(app: Flask, runtime: Runtime) -> FlaskClient:
    from shared.seed import ensure_admin

    with transaction(runtime.sessions) as session:
        ensure_admin(session, *VIEWER).role = "viewer"
    return sign_in(app.test_client(), *VIEWER)


def subscribe(client: FlaskClient, address: str, prefix: str = "", **more: Any) -> Any:
    page = client.get(f"{prefix}/infolettre").get_data(as_text=True)
    data = {
        "csrf_token": csrf(page),
        "email": address,
        "topics": ["news", "events"],
        "consent": "yes",
        **more,
    }
    return client.post(f"{prefix}/infolettre", data=data)


def subscriber(runtime: Runtime, address: str) -> Subscriber:
    with runtime.sessions() as session:
        found = session.scalar(select(Subscriber).where(Subscriber.email == address))
        assert found is not None
        return found


def emails_to(runtime: Runtime, address: str) -> list[Message]:
    with runtime.sessions() as session:
        return list(
            session.scalars(
                select(Message).where(Message.to_addr == address).order_by(Message.id)
            )
        )


def path_of(url: str) -> str:
    parts = urlsplit(url)
    return parts.path + (f"?{parts.query}" if parts.query else "")


def active_reader(
    client: FlaskClient, runtime: Runtime, work: Any, address: str, prefix: str = ""
) -> Subscriber:
    assert subscribe(client, address, prefix).status_code == 302
    work()
    link = re.search(
        r"https://\S+/infolettre/confirmer/\S+", emails_to(runtime, address)[-1].body
    )
    assert link is not None
    assert client.get(path_of(link.group(0))).status_code == 200
    return subscriber(runtime, address)


def send_issue(editor: FlaskClient, body_fr: str, body_en: str = "") -> int:
    page = editor.get("/panel/newsletter/new").get_data(as_text=True)
    saved = editor.post(
        "/panel/newsletter/new",
        data={
            "csrf_token": csrf(page),
            "subject_fr": "Infolettre de septembre",
            "subject_en": "September newsletter",
            "body_fr": body_fr,
            "body_en": body_en,
            "action": "save",
        },
    )
    assert saved.status_code == 302, saved.get_data(as_text=True)
    issue_path = urlsplit(saved.headers["Location"]).path
    page = editor.get(issue_path).get_data(as_text=True)
    sent = editor.post(f"{issue_path}/send", data={"csrf_token": csrf(page)})
    assert sent.status_code == 302
    return int(issue_path.rsplit("/", 1)[1])


# ---- Subscribing ----------------------------------------------------------------


@pytest.mark.parametrize("prefix", ["", "/en"])
def test_the_form_shows_topics_language_and_the_consent_it_records(
    client: FlaskClient, prefix: str
) -> None:
    response = client.get(f"{prefix}/infolettre")
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    lang = "en" if prefix else "fr"
    assert f'<html lang="{lang}">' in page
    assert newsletter.consent_text(lang).replace("'", "&#39;") in page
    assert page.count('name="topics"') == len(newsletter.TOPICS)
    assert 'name="language" type="radio" value="en"' in page
    assert (
        'name="consent"' in page
        and "checked" not in page.split('name="consent"')[1][:60]
    )


def test_double_opt_in_from_the_form_to_an_active_subscriber(
    client: FlaskClient, runtime: Runtime, work: Any
) -> None:
    response = subscribe(
        client, "Reader@Example.org", language="en", topics=["gleaning"]
    )
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/infolettre/merci")
    assert "inbox" in client.get("/en/infolettre/merci").get_data(as_text=True)
    pending = subscriber(runtime, "reader@example.org")
    assert (pending.status, pending.language, pending.topics) == (
        "pending",
        "en",
        ["gleaning"],
    )
    assert pending.consent_method == "web form"
    assert pending.consent_text == newsletter.consent_text("fr")  # the page's words
    assert pending.consent_at is not None

    # The confirmation goes out through the outbox and the notifier.
    work()
    [confirmation] = emails_to(runtime, "reader@example.org")
    assert confirmation.status == "sent" and confirmation.channel == "email"
    link = re.search(
        r"https://glanage\.test(/en/infolettre/confirmer/\S+)", confirmation.body
    )
    assert link is not None

    page = client.get(link.group(1))
    assert page.status_code == 200 and "subscribed" in page.get_data(as_text=True)
    assert client.get(link.group(1)).status_code == 200  # a second click: same
    now_active = subscriber(runtime, "reader@example.org")
    assert now_active.status == "active" and now_active.confirmed_at is not None


def test_the_form_never_tells_whether_an_address_is_subscribed(
    client: FlaskClient, runtime: Runtime, work: Any
) -> None:
    active_reader(client, runtime, work, "known@example.org", "/en")
    with transaction(runtime.sessions) as session:
        # Past the anti-flood delay, as if the person came back later.
        for message in session.scalars(select(Message)):
            message.created_at = message.created_at.replace(year=2000)
    known = subscribe(client, "known@example.org", "/en")
    unknown = subscribe(client, "unknown@example.org", "/en")
    assert known.status_code == unknown.status_code == 302
    assert known.headers["Location"] == unknown.headers["Location"]
    work()
    # Only the inbox learns it: the subscriber is told nothing changed.
    last = emails_to(runtime, "known@example.org")[-1]
    assert "/confirmer/" not in last.body and "already" in last.subject
    assert subscriber(runtime, "known@example.org").status == "active"


def test_bad_input_is_sent_back_with_what_was_typed(
    client: FlaskClient, runtime: Runtime
) -> None:
    response = subscribe(client, "not-an-email", topics=[], consent="")
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert 'value="not-an-email"' in page
    assert page.count('class="field__error"') >= 2
    assert emails_to(runtime, "not-an-email") == []


def test_a_robot_filling_the_hidden_field_subscribes_nobody(
    client: FlaskClient, runtime: Runtime
) -> None:
    response = subscribe(client, "bot@example.org", website="http://spam.example")
    assert response.status_code == 302
    with runtime.sessions() as session:
        assert session.scalars(select(Subscriber)).all() == []


def test_unknown_links_get_a_kind_page(client: FlaskClient) -> None:
    for path in ("/infolettre/confirmer/nope", "/infolettre/desabonner/nope"):
        response = client.get(path)
        assert response.status_code == 404
        assert "infolettre" in response.get_data(as_text=True)


def test_unsubscribe_page_asks_then_a_post_does_it_and_resubscribing_starts_over(
    client: FlaskClient, runtime: Runtime, work: Any
) -> None:
    reader = active_reader(client, runtime, work, "reader@example.org")
    path = f"/infolettre/desabonner/{reader.token}"
    page = client.get(path).get_data(as_text=True)
    assert subscriber(runtime, "reader@example.org").status == "active"  # GET asks
    assert '<form method="post"' in page
    assert client.post(path).status_code == 200
    assert subscriber(runtime, "reader@example.org").status == "unsubscribed"

    assert subscribe(client, "reader@example.org").status_code == 302
    again = subscriber(runtime, "reader@example.org")
    assert again.status == "pending" and again.token != reader.token


# ---- Sending an issue through SMTP ------------------------------------------------


def test_an_issue_goes_through_smtp_with_unsubscribe_headers_pixel_and_tracked_links(
    client: FlaskClient,
    editor: FlaskClient,
    runtime: Runtime,
    work: Any,
    inbox: Inbox,
) -> None:
    active_reader(client, runtime, work, "fr@example.org")
    active_reader(client, runtime, work, "en@example.org", "/en")
    subscribe(client, "pending@example.org")
    work()
    inbox.received.clear()  # the confirmations

    body = (
        "## Corvée\n\nInscrivez-vous : [la corvée](https://example.org/corvee?x=1&y=2)"
    )
    issue_id = send_issue(
        editor, body, "## Gleaning day\n\n[Sign up](https://example.org/en)"
    )
    with runtime.sessions() as session:
        issue = session.get(NewsletterIssue, issue_id)
        assert issue is not None and issue.status == "sending"
    work()

    received = {m["To"]: m for m in inbox.wait_for(2)}
    assert set(received) == {"fr@example.org", "en@example.org"}
    french, english = received["fr@example.org"], received["en@example.org"]
    assert french["Subject"] == "Infolettre de septembre"
    assert english["Subject"] == "September newsletter"

    unsubscribe = french["List-Unsubscribe"]
    found = re.fullmatch(
        r"<https://glanage\.test/infolettre/desabonner/([\w-]+)>, "
        r"<mailto:glanage@example\.org\?subject=unsubscribe%20\1>",
        unsubscribe,
    )
    assert found, unsubscribe
    assert french["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert "/en/infolettre/desabonner/" in english["List-Unsubscribe"]

    assert french.get_content_type() == "multipart/alternative"
    text = french.get_body(("plain",)).get_content()  # type: ignore[union-attr]
    html = french.get_body(("html",)).get_content()  # type: ignore[union-attr]
    assert "https://example.org/corvee?x=1&y=2" in text
    token = found.group(1)
    assert f'src="https://glanage.test/infolettre/o/{token}.gif"' in html
    assert 'width="1" height="1"' in html
    link = re.search(
        rf'href="(https://glanage\.test/infolettre/c/{token}\?[^"]+)"', html
    )
    assert link is not None and "s=" in link.group(1)
    assert "Sign up" in english.get_body(("html",)).get_content()  # type: ignore[union-attr]

    with runtime.sessions() as session:
        issue = session.get(NewsletterIssue, issue_id)
        assert issue is not None and issue.status == "sent" and issue.sent_at
    progress = editor.get(f"/panel/newsletter/{issue_id}/progress").get_data(
        as_text=True
    )
    assert 'data-progress="sent" data-handed="2" data-total="2"' in progress

    # The reader opens it and clicks the link.
    pixel = client.get(f"/infolettre/o/{token}.gif")
    assert pixel.status_code == 200 and pixel.mimetype == "image/gif"
    assert pixel.headers["Cache-Control"].startswith("no-store")
    click = client.get(path_of(link.group(1).replace("&amp;", "&")))
    assert click.status_code == 302
    assert click.headers["Location"] == "https://example.org/corvee?x=1&y=2"
    listing = editor.get("/panel/newsletter?lang=en").get_data(as_text=True)
    row = re.search(rf'<tr data-issue="{issue_id}">(.*?)</tr>', listing, re.S)
    assert row is not None
    cells = [
        re.sub(r"<[^>]+>|\s+", " ", c).strip()
        for c in re.findall(r"<td[^>]*>(.*?)</td>", row.group(1), re.S)
    ]
    assert cells[3:] == ["2", "1", "50%", "1"]  # recipients, opens, rate, clicks


def test_one_click_unsubscribe_needs_no_csrf_and_stops_the_next_issue(
    app: Flask,
    client: FlaskClient,
    editor: FlaskClient,
    runtime: Runtime,
    work: Any,
    inbox: Inbox,
) -> None:
    active_reader(client, runtime, work, "stay@example.org")
    active_reader(client, runtime, work, "leave@example.org")
    work()
    inbox.received.clear()
    send_issue(editor, "Premier numéro")
    work()
    leaving = next(m for m in inbox.wait_for(2) if m["To"] == "leave@example.org")
    url = re.search(r"<(https://[^>]+)>", leaving["List-Unsubscribe"]).group(1)  # type: ignore[union-attr]

    # What a mail client sends (RFC 8058): no cookie, no CSRF token.
    assert app.config["WTF_CSRF_ENABLED"] is not False
    response = app.test_client().post(
        path_of(url),
        data="List-Unsubscribe=One-Click",
        content_type="application/x-www-form-urlencoded",
    )
    assert response.status_code == 200
    assert subscriber(runtime, "leave@example.org").status == "unsubscribed"
    # Other forms of the site still refuse a POST without a token.
    assert (
        app.test_client()
        .post("/infolettre", data={"email": "x@example.org"})
        .status_code
        == 400
    )

    inbox.received.clear()
    send_issue(editor, "Deuxième numéro")
    work()
    assert [m["To"] for m in inbox.wait_for(1)] == ["stay@example.org"]


# ---- Tracking ----------------------------------------------------------------------


@pytest.fixture
def delivery(
    client: FlaskClient, editor: FlaskClient, runtime: Runtime, work: Any
) -> NewsletterDelivery:
    active_reader(client, runtime, work, "reader@example.org")
    send_issue(editor, "[La corvée](https://example.org/corvee)")
    work()
    with runtime.sessions() as session:
        return session.scalars(select(NewsletterDelivery)).one()


def test_opens_are_counted_and_the_first_one_is_kept(
    client: FlaskClient, runtime: Runtime, delivery: NewsletterDelivery
) -> None:
    for _ in range(3):
        response = client.get(f"/infolettre/o/{delivery.token}.gif")
        assert response.data == newsletter.PIXEL
    # An unknown token still gets an image: mail clients show no broken icon.
    assert client.get("/infolettre/o/unknown.gif").mimetype == "image/gif"
    with runtime.sessions() as session:
        counted = session.get(NewsletterDelivery, delivery.id)
        assert counted is not None and counted.opens == 3 and counted.opened_at


def test_click_links_redirect_only_where_the_issue_pointed(
    client: FlaskClient, runtime: Runtime, delivery: NewsletterDelivery
) -> None:
    secret = runtime.settings.secret_key
    good = "https://example.org/corvee"
    signature = newsletter.sign_link(secret, delivery.issue_id, good)
    evil = "https://evil.example/"
    path = f"/infolettre/c/{delivery.token}"

    ok = client.get(path, query_string={"u": good, "s": signature})
    assert ok.status_code == 302 and ok.headers["Location"] == good
    refused = [
        client.get(path, query_string={"u": evil}),  # unsigned
        client.get(path, query_string={"u": evil, "s": signature}),  # altered
        client.get(path, query_string={"u": good, "s": signature[:-2] + "xx"}),
        client.get(path, query_string={"u": "javascript:alert(1)", "s": signature}),
        client.get(path),
    ]
    for response in refused:
        assert response.status_code == 400
        assert "Location" not in response.headers
        assert "newsletter" in response.get_data(
            as_text=True
        ).lower() or "infolettre" in response.get_data(as_text=True)
    unknown = client.get(
        "/infolettre/c/unknown", query_string={"u": good, "s": signature}
    )
    assert unknown.status_code == 404 and "Location" not in unknown.headers
    with runtime.sessions() as session:
        counted = session.get(NewsletterDelivery, delivery.id)
        assert counted is not None and counted.clicks == 1
        assert counted.opened_at is not None  # a click proves an open


# ---- The panel --------------------------------------------------------------------


def test_the_composer_is_prefilled_and_previews_without_saving(
    editor: FlaskClient, runtime: Runtime
) -> None:
    page = editor.get("/panel/newsletter/new?lang=en").get_data(as_text=True)
    assert 'name="subject_fr"' in page and "Glanage" in page
    preview = editor.post(
        "/panel/newsletter/new",
        data={
            "csrf_token": csrf(page),
            "subject_fr": "Essai",
            "body_fr": "**gras** <script>alert(1)</script>",
            "action": "preview",
        },
    )
    shown = preview.get_data(as_text=True)
    assert preview.status_code == 200 and "<strong>gras</strong>" in shown
    assert "<script>alert(1)</script>" not in shown
    with runtime.sessions() as session:
        assert session.scalars(select(NewsletterIssue)).all() == []
    missing = editor.post(
        "/panel/newsletter/new",
        data={
            "csrf_token": csrf(page),
            "subject_fr": "",
            "body_fr": "",
            "action": "save",
        },
    )
    assert missing.status_code == 422


def test_a_viewer_reads_but_cannot_write_or_send(
    viewer: FlaskClient, editor: FlaskClient, runtime: Runtime
) -> None:
    with transaction(runtime.sessions) as session:
        issue = NewsletterIssue(subject_fr="Brouillon", body_fr="Texte")
        session.add(issue)
        session.flush()
        issue_id = issue.id
    page = viewer.get("/panel/newsletter")
    assert page.status_code == 200
    assert "/panel/newsletter/new" not in page.get_data(as_text=True)
    assert viewer.get(f"/panel/newsletter/{issue_id}").status_code == 200
    token = csrf(viewer.get("/panel/login").get_data(as_text=True))
    for path in (
        "/panel/newsletter/new",
        f"/panel/newsletter/{issue_id}",
        f"/panel/newsletter/{issue_id}/send",
        "/panel/newsletter/frequency",
        "/panel/newsletter/partner-survey",
    ):
        assert (
            viewer.post(
                path, data={"csrf_token": token, "every_weeks": "2"}
            ).status_code
            == 403
        ), path
    with runtime.sessions() as session:
        assert session.get(NewsletterIssue, issue_id).status == "draft"  # type: ignore[union-attr]


def test_the_panel_reminds_the_editor_when_an_issue_is_due(
    editor: FlaskClient, runtime: Runtime
) -> None:
    page = editor.get("/panel/newsletter?lang=en").get_data(as_text=True)
    assert 'data-reminder="due"' in page  # nothing was ever sent
    zero = editor.post(
        "/panel/newsletter/frequency",
        data={"csrf_token": csrf(page), "every_weeks": "0"},
    )
    assert zero.status_code == 302
    assert 'data-reminder="due"' not in editor.get("/panel/newsletter").get_data(
        as_text=True
    )
    bad = editor.post(
        "/panel/newsletter/frequency",
        data={"csrf_token": csrf(page), "every_weeks": "99"},
    )
    assert bad.status_code == 302
    with runtime.sessions() as session:
        assert newsletter.every_weeks(session) == 0
