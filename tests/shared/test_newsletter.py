"""The newsletter's rules: double opt-in with its consent record, the issue
drafted from recent news and events, each reader's email (tracked links, the
open pixel, List-Unsubscribe), signed click links, the frequency reminder."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from functools import partial
from urllib.parse import parse_qs, urlsplit

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from shared import newsletter
from shared.db import transaction
from shared.models import (
    ContentItem,
    Event,
    Message,
    NewsletterDelivery,
    NewsletterIssue,
    Subscriber,
)
from shared.runtime import Runtime

BASE = "https://glanage.test"
SECRET = "test-secret-key-0123456789"
NOW = datetime(2026, 9, 14, 14, 0, tzinfo=UTC)


@pytest.fixture
def session(runtime: Runtime) -> Iterator[Session]:
    with transaction(runtime.sessions) as s:
        yield s


def ask(
    session: Session,
    email: str = "reader@example.org",
    lang: str = "fr",
    topics: tuple[str, ...] = ("news", "events"),
    at: datetime = NOW,
) -> newsletter.Subscription:
    return newsletter.request_subscription(
        session,
        email,
        lang,
        topics,
        newsletter.consent_text(lang),
        base_url=BASE,
        mail_from="Glanage <glanage@example.org>",
        now=at,
    )


def active(session: Session, email: str, lang: str = "fr") -> Subscriber:
    made = ask(session, email, lang).subscriber
    assert newsletter.confirm(session, made.token, NOW) is made
    return made


# ---- Subscribing ----------------------------------------------------------


def test_a_subscription_waits_for_its_confirmation_with_the_consent_on_record(
    session: Session,
) -> None:
    asked = ask(session, topics=("news", "gleaning", "made-up"))
    subscriber = asked.subscriber
    assert subscriber.status == "pending"
    assert subscriber.topics == ["news", "gleaning"]
    assert subscriber.consent_at == NOW
    assert subscriber.consent_method == "web form"
    assert subscriber.consent_text == newsletter.consent_text("fr")
    assert "unsubscribe" in newsletter.consent_text("en")
    # The confirmation email is queued and handed to the notifier by an event.
    assert asked.message is not None and asked.message.status == "queued"
    assert f"/infolettre/confirmer/{subscriber.token}" in asked.message.body
    event = session.scalars(select(Event)).all()[-1]
    assert (event.kind, event.payload) == (
        "message.resend",
        {"message_id": asked.message.id},
    )


def test_confirming_twice_changes_nothing_more(session: Session) -> None:
    subscriber = ask(session).subscriber
    later = NOW + timedelta(hours=1)
    assert newsletter.confirm(session, subscriber.token, NOW) is subscriber
    assert newsletter.confirm(session, subscriber.token, later) is subscriber
    assert (subscriber.status, subscriber.confirmed_at) == ("active", NOW)
    assert newsletter.confirm(session, "no-such-token", NOW) is None


def test_an_active_subscriber_is_told_by_email_and_nothing_changes(
    session: Session,
) -> None:
    subscriber = active(session, "reader@example.org", "en")
    again = ask(session, lang="en", topics=("resources",), at=NOW + timedelta(hours=1))
    assert again.subscriber is subscriber
    assert subscriber.topics == ["news", "events"]  # nobody else can change them
    assert again.message is not None
    assert "/infolettre/confirmer/" not in again.message.body
    assert "already" in again.message.subject


def test_a_form_posted_again_and_again_sends_one_email(session: Session) -> None:
    assert ask(session).message is not None
    assert ask(session, at=NOW + timedelta(minutes=2)).message is None
    assert ask(session, at=NOW + timedelta(minutes=11)).message is not None


def test_leaving_is_at_once_and_coming_back_needs_a_new_confirmation(
    session: Session,
) -> None:
    subscriber = active(session, "reader@example.org")
    old_token = subscriber.token
    left = newsletter.unsubscribe(session, old_token, NOW)
    assert left is subscriber and subscriber.status == "unsubscribed"
    assert subscriber.unsubscribed_at == NOW

    back = ask(session, at=NOW + timedelta(days=2)).subscriber
    assert back is subscriber and subscriber.status == "pending"
    assert subscriber.token != old_token
    assert subscriber.consent_at == NOW + timedelta(days=2)
    # The old confirmation link does not bring anyone back.
    assert newsletter.confirm(session, old_token, NOW) is None
    newsletter.confirm(session, subscriber.token, NOW + timedelta(days=3))
    assert subscriber.status == "active" and subscriber.unsubscribed_at is None


@pytest.mark.parametrize(
    ("raw", "clean"),
    [
        (" Reader@Example.ORG ", "reader@example.org"),
        ("a.b+news@sub.example.org", "a.b+news@sub.example.org"),
        ("not an email", None),
        ("reader@example", None),
        ("<script>@x.org", None),
        ("", None),
        ("x" * 250 + "@example.org", None),
    ],
)
def test_email_addresses_are_checked(raw: str, clean: str | None) -> None:
    assert newsletter.normalize_email(raw) == clean


# ---- Drafting -------------------------------------------------------------


def item(
    session: Session, kind: str, slug: str, published: datetime, **fields: str
) -> None:
    session.add(
        ContentItem(
            kind=kind,
            slug=slug,
            status="published",
            title_fr=f"Titre {slug}",
            title_en=f"Title {slug}",
            summary_fr=f"Résumé {slug}",
            summary_en=f"Summary {slug}",
            published_at=published,
            fields=fields,
        )
    )
    session.flush()


def test_an_issue_is_drafted_from_news_and_events_since_the_last_issue(
    session: Session,
) -> None:
    session.add(
        NewsletterIssue(
            subject_fr="Avant", status="sent", sent_at=NOW - timedelta(days=10)
        )
    )
    item(session, "news", "vieille", NOW - timedelta(days=20))
    item(session, "news", "recolte", NOW - timedelta(days=3))
    item(
        session,
        "event",
        "corvee",
        NOW - timedelta(days=2),
        starts_at="2026-09-30T09:00",
    )
    item(
        session,
        "event",
        "passee",
        NOW - timedelta(days=2),
        starts_at="2026-09-01T09:00",
    )
    draft = newsletter.draft(session, BASE, NOW)

    assert draft.items == 2
    assert "[Titre recolte](https://glanage.test/nouvelles/recolte)" in draft.body_fr
    assert "[Title recolte](https://glanage.test/en/nouvelles/recolte)" in draft.body_en
    assert "/evenements/corvee" in draft.body_fr and "Résumé corvee" in draft.body_fr
    assert "vieille" not in draft.body_fr  # already in the last issue
    assert "passee" not in draft.body_fr  # over before readers get it
    assert "2026" in draft.subject_fr


# ---- The email ------------------------------------------------------------


def issue_with(session: Session, body: str) -> NewsletterIssue:
    issue = NewsletterIssue(
        subject_fr="Infolettre", subject_en="Newsletter", body_fr=body, body_en=""
    )
    session.add(issue)
    session.flush()
    return issue


def test_each_email_has_tracked_links_a_pixel_and_one_click_unsubscribe(
    session: Session,
) -> None:
    issue = issue_with(
        session,
        "## Nouvelles\n\n[La corvée](https://example.org/corvee?a=1&b=2), "
        "[notre site](/nouvelles/x), [écrivez-nous](mailto:info@example.org)\n\n"
        "<script>alert(1)</script>",
    )
    email = newsletter.compose_email(
        issue, "tok123", "en", base=BASE, secret=SECRET, mail_from="G <g@example.org>"
    )
    assert email.subject == "Newsletter"
    assert email.headers["List-Unsubscribe"] == (
        "<https://glanage.test/en/infolettre/desabonner/tok123>, "
        "<mailto:g@example.org?subject=unsubscribe%20tok123>"
    )
    assert email.headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert 'src="https://glanage.test/en/infolettre/o/tok123.gif"' in email.html
    assert "<script>" not in email.html

    tracked = [
        parse_qs(urlsplit(href.replace("&amp;", "&")).query)
        for href in re.findall(
            r'href="(https://glanage\.test/en/infolettre/c/tok123\?[^"]+)"', email.html
        )
    ]
    assert [q["u"][0] for q in tracked] == [
        "https://example.org/corvee?a=1&b=2",
        "https://glanage.test/nouvelles/x",
    ]
    for query in tracked:
        assert newsletter.check_link(SECRET, issue.id, query["u"][0], query["s"][0])
    assert 'href="mailto:info@example.org"' in email.html  # not tracked
    # English readers get the French body when there is no English one.
    assert "La corvée" in email.text
    assert "https://glanage.test/en/infolettre/desabonner/tok123" in email.text


def test_a_click_link_is_good_for_its_issue_and_address_only() -> None:
    url = "https://example.org/a"
    signature = newsletter.sign_link(SECRET, 7, url)
    assert newsletter.check_link(SECRET, 7, url, signature)
    assert not newsletter.check_link(SECRET, 8, url, signature)
    assert not newsletter.check_link(SECRET, 7, "https://evil.example/a", signature)
    assert not newsletter.check_link("another-secret", 7, url, signature)
    assert not newsletter.check_link(SECRET, 7, url, "")
    assert not newsletter.check_link(SECRET, 7, url, "not base64 !")


@pytest.mark.parametrize(
    ("url", "ok"),
    [
        ("https://example.org/x", True),
        ("http://example.org", True),
        ("javascript:alert(1)", False),
        ("//evil.example/x", False),
        ("https:///nohost", False),
        ("https://example.org/\nSet-Cookie: x", False),
        ("ftp://example.org/x", False),
    ],
)
def test_only_web_addresses_are_followed(url: str, ok: bool) -> None:
    assert newsletter.is_web_url(url) is ok


def test_sending_prepares_one_delivery_per_active_subscriber_once(
    session: Session,
) -> None:
    first = active(session, "a@example.org", "fr")
    second = active(session, "b@example.org", "en")
    ask(session, "pending@example.org")
    gone = active(session, "gone@example.org")
    newsletter.unsubscribe(session, gone.token, NOW)
    issue = issue_with(session, "Bonjour [ici](https://example.org)")
    newsletter.start_sending(session, issue)

    waiting = newsletter.prepare_sending(
        session, issue, base=BASE, mail_from="g@example.org"
    )
    again = newsletter.prepare_sending(
        session, issue, base=BASE, mail_from="g@example.org"
    )
    assert waiting == again and len(waiting) == 2
    deliveries = session.scalars(select(NewsletterDelivery)).all()
    assert {d.subscriber_id for d in deliveries} == {first.id, second.id}
    english = next(d for d in deliveries if d.subscriber_id == second.id)
    message = session.get(Message, english.message_id)
    assert message is not None and message.to_addr == "b@example.org"
    assert f"/en/infolettre/desabonner/{english.token}" in message.body
    assert newsletter.progress(session, issue.id) == newsletter.Progress(2, 0, 0)
    assert not newsletter.finish_if_done(session, issue.id, NOW)

    for message in session.scalars(select(Message).where(Message.id.in_(waiting))):
        message.status, message.attempts = "sent", 1
    assert newsletter.finish_if_done(session, issue.id, NOW)
    assert (issue.status, issue.sent_at) == ("sent", NOW)
    with pytest.raises(ValueError):
        newsletter.start_sending(session, issue)


def test_opens_and_clicks_are_counted(session: Session) -> None:
    active(session, "a@example.org")
    issue = issue_with(session, "[ici](https://example.org/ici)")
    newsletter.start_sending(session, issue)
    newsletter.prepare_sending(session, issue, base=BASE, mail_from="g@example.org")
    delivery = session.scalars(select(NewsletterDelivery)).one()

    assert newsletter.record_open(session, delivery.token, NOW)
    assert newsletter.record_open(session, delivery.token, NOW + timedelta(hours=1))
    assert not newsletter.record_open(session, "unknown", NOW)
    session.refresh(delivery)
    assert (delivery.opens, delivery.opened_at) == (2, NOW)

    url = "https://example.org/ici"
    signature = newsletter.sign_link(SECRET, issue.id, url)
    click = partial(newsletter.record_click, session, secret=SECRET, base=BASE, now=NOW)
    assert click(delivery.token, url, signature) == url
    # Signed for this issue but not in it (a leaked key): still refused.
    other = "https://example.org/other"
    forged = newsletter.sign_link(SECRET, issue.id, other)
    assert click(delivery.token, other, forged) is None
    with pytest.raises(newsletter.UnknownDelivery):
        click("unknown", url, signature)
    session.refresh(delivery)
    assert delivery.clicks == 1
    stats = newsletter.issue_stats(session, [issue.id])[issue.id]
    assert (stats.recipients, stats.opened, stats.clicks, stats.open_rate) == (
        1,
        1,
        1,
        1.0,
    )


# ---- Frequency --------------------------------------------------------------


def test_the_frequency_is_remembered_and_says_when_an_issue_is_due(
    session: Session,
) -> None:
    assert newsletter.every_weeks(session) == newsletter.DEFAULT_EVERY_WEEKS
    newsletter.set_every_weeks(session, None, 2)
    assert newsletter.every_weeks(session) == 2
    with pytest.raises(ValueError):
        newsletter.set_every_weeks(session, None, 53)

    assert newsletter.next_issue(None, 2, NOW).due
    sent = NOW - timedelta(days=13)
    assert newsletter.next_issue(sent, 2, NOW) == newsletter.Due(
        False, (sent + timedelta(weeks=2)).date()
    )
    assert newsletter.next_issue(NOW - timedelta(days=15), 2, NOW).due
    assert not newsletter.next_issue(None, 0, NOW).due


def test_subscriber_and_topic_counts(session: Session) -> None:
    active(session, "a@example.org")
    ask(session, "b@example.org", topics=("resources",))
    counts = newsletter.subscriber_counts(session)
    assert counts == {"active": 1, "pending": 1, "unsubscribed": 0}
    assert newsletter.topic_counts(session)["news"] == 1
    assert newsletter.topic_counts(session)["resources"] == 0  # pending: not counted
    assert session.scalar(select(func.count(Subscriber.id))) == 2
