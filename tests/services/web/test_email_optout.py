"""Every email to a contact says who writes and carries its own way out: a
link in the footer and the List-Unsubscribe headers, honoured at once."""

from __future__ import annotations

import re

import pytest
from flask.testing import FlaskClient
from sqlalchemy import select

from services.notifier import jobs
from shared import compose, outgoing
from shared.db import transaction
from shared.models import Contact, Organization
from shared.runtime import Runtime
from tests.smtp import Inbox

EMAIL_ONLY = "Action Famille Lavaltrie"


def org_contact(runtime: Runtime) -> int:
    with runtime.sessions() as session:
        contact = session.scalar(
            select(Contact).join(Organization).where(Organization.name == EMAIL_ONLY)
        )
        assert contact is not None and contact.email
        return contact.id


def queue_email(runtime: Runtime, contact_id: int) -> int | None:
    with transaction(runtime.sessions) as session:
        contact = session.get(Contact, contact_id)
        assert contact is not None
        text = compose.Text("", "A1 : 120 kg de carottes", "Bonjour,\n\nUne offre.")
        message = outgoing.queue(session, contact, "email", text, runtime.settings)
        session.flush()
        return message.id if message else None


def test_an_email_to_a_contact_says_who_writes_and_how_to_stop(
    runtime: Runtime, inbox: Inbox
) -> None:
    message_id = queue_email(runtime, org_contact(runtime))
    assert message_id is not None
    assert jobs.deliver(runtime, message_id) == "sent"
    [email] = inbox.wait_for(1)
    body = email.get_content()
    assert "Glanage, par Nourrir Lanaudière (glanage.test)" in body
    link = re.search(r"https://glanage\.test/desabonnement/\S+", body)
    assert link is not None
    assert str(email["List-Unsubscribe"]).strip() == f"<{link.group(0)}>"
    assert email["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"


def _link(runtime: Runtime, contact_id: int) -> str:
    url = outgoing.optout_url(runtime.settings, contact_id, "fr")
    return url.removeprefix(runtime.settings.public_base_url)


def test_the_link_asks_then_stops_every_message_at_once(
    client: FlaskClient, runtime: Runtime
) -> None:
    contact_id = org_contact(runtime)
    page = client.get(_link(runtime, contact_id))
    assert page.status_code == 200
    assert 'data-optout="ask"' in page.get_data(as_text=True)
    with runtime.sessions() as session:
        assert not session.get(Contact, contact_id).opted_out  # a GET changes nothing

    done = client.post(_link(runtime, contact_id))
    assert done.status_code == 200
    assert "plus aucun message" in done.get_data(as_text=True)
    with runtime.sessions() as session:
        contact = session.get(Contact, contact_id)
        assert contact.opted_out and contact.opted_out_via == "email"
    assert queue_email(runtime, contact_id) is None  # nothing more is even queued


def test_a_mail_programs_one_click_post_needs_no_form(
    client: FlaskClient, runtime: Runtime
) -> None:
    contact_id = org_contact(runtime)
    response = client.post(
        _link(runtime, contact_id),
        data="List-Unsubscribe=One-Click",
        content_type="application/x-www-form-urlencoded",
    )
    assert response.status_code == 200
    with runtime.sessions() as session:
        assert session.get(Contact, contact_id).opted_out


@pytest.mark.parametrize("token", ["nope", "1.forged", "a" * 200])
def test_a_forged_link_gets_a_kind_page(client: FlaskClient, token: str) -> None:
    for method in (client.get, client.post):
        response = method(f"/desabonnement/{token}")
        assert response.status_code == 404
        assert "ARRET" in response.get_data(
            as_text=True
        ) or "STOP" in response.get_data(as_text=True)
