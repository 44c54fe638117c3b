"""The newsletter: subscriptions with double opt-in and a consent record,
issues drafted from the site's news and events, and the email each
subscriber gets.

Each email has an HTML part (the issue's Markdown, sanitized, its links sent
through the click counter and a 1×1 open pixel) and a plain-text part, with
the List-Unsubscribe headers of RFC 2369 and the one-click POST of RFC 8058.
Click links carry a signature over the issue and the URL, so the counter
redirects only to addresses the issue really contains: it is no open
redirect.

Web views and the notifier both call this module; the notifier stores one
NewsletterDelivery and one queued Message per subscriber and sends them in
batches (DESIGN §7: one job sending many).
"""

from __future__ import annotations

import html
import re
import secrets
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from urllib.parse import quote, urlencode, urlsplit

from babel.dates import format_date, format_datetime
from itsdangerous import Signer
from markupsafe import Markup, escape
from sqlalchemy import case, func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from shared import audit, compose, content
from shared.events import emit
from shared.i18n import pick_language, t
from shared.models import (
    AuditEntry,
    ContentItem,
    Message,
    NewsletterDelivery,
    NewsletterIssue,
    Subscriber,
)
from shared.outgoing import sender_address

# Stable codes; the form and the panel put them in words.
TOPICS = ("news", "events", "gleaning", "resources")
DEFAULT_TOPICS = ("news", "events")
CONSENT_METHOD = "web form"
# A form posted again and again must not flood someone's inbox: at most one
# email to an address in this time.
RESEND_AFTER = timedelta(minutes=10)
# Messages per RQ job when an issue goes out.
BATCH = 100
# Links drafted into an issue point at the public site's pages.
SITE_PATHS = {"news": "/nouvelles/", "event": "/evenements/"}
# Items drafted from each kind when no issue was ever sent.
FIRST_DRAFT_ITEMS = 5
MAX_DRAFT_ITEMS = 20
_CLICK_SALT = "glanage.newsletter.click"
_EMAIL = re.compile(r"^[^@\s<>\"',;]+@[^@\s<>\"',;]+\.[^@\s<>\"',;.]{2,}$")
# nh3 writes every attribute in double quotes, with & escaped.
_HREF = re.compile(r'(<a\b[^>]*?\bhref=")([^"]*)(")')

# A transparent 1×1 GIF, the smallest image every mail client shows.
PIXEL = (
    b"GIF89a\x01\x00\x01\x00\x80\x00\x00\x00\x00\x00\xff\xff\xff!\xf9\x04\x01"
    b"\x00\x00\x00\x00,\x00\x00\x00\x00\x01\x00\x01\x00\x00\x02\x02D\x01\x00;"
)


def new_token() -> str:
    return secrets.token_urlsafe(24)


def public_url(base: str, lang: str, path: str) -> str:
    """An address on the public site, under /en/ for English readers."""
    prefix = "/en" if pick_language(lang) == "en" else ""
    return f"{base.rstrip('/')}{prefix}{path}"


def consent_text(lang: str) -> str:
    """The consent sentence, shown on the form and stored with every
    subscription in the language of the page."""
    return t(
        lang,
        "Yes, I want to receive the newsletter of Nourrir Lanaudière (Glanage) by "
        "email, on the topics I ticked. I can unsubscribe at any time with the "
        "link at the bottom of every issue.",
    )


def normalize_email(raw: str | None) -> str | None:
    """A plausible address in lower case, or None."""
    text = (raw or "").strip().lower()
    if len(text) > 254 or not _EMAIL.match(text):
        return None
    return text


# ---- Subscribing ----------------------------------------------------------


@dataclass(frozen=True)
class Subscription:
    subscriber: Subscriber
    # The email queued for the person: a confirmation, "you are already
    # subscribed", or None when one went to that address a moment ago.
    message: Message | None


def subscribe(
    session: Session,
    email: str,
    language: str,
    topics: Iterable[str],
    consent: str,
    now: datetime,
) -> tuple[Subscriber, str]:
    """Record a subscription request; returns the subscriber and what to send.

    What to send is "confirm" (a new or pending subscriber, or one who left
    and comes back: double opt-in again) or "already" (an active subscriber:
    nothing changes, so nobody can change another person's choices).
    """
    chosen = [code for code in TOPICS if code in set(topics)]
    subscriber = session.scalar(select(Subscriber).where(Subscriber.email == email))
    if subscriber is not None and subscriber.status == "active":
        return subscriber, "already"
    if subscriber is None:
        subscriber = Subscriber(email=email, token=new_token(), status="pending")
        try:
            with session.begin_nested():
                session.add(subscriber)
        except IntegrityError:
            # The same form posted twice at once: the other request made it.
            return subscribe(session, email, language, topics, consent, now)
    elif subscriber.status == "unsubscribed":
        # A new consent, a new link: the old confirmation link stays dead.
        subscriber.token = new_token()
        subscriber.status = "pending"
    subscriber.language = pick_language(language)
    subscriber.topics = chosen
    subscriber.consent_at = now
    subscriber.consent_method = CONSENT_METHOD
    subscriber.consent_text = consent
    session.flush()
    return subscriber, "confirm"


def request_subscription(
    session: Session,
    email: str,
    language: str,
    topics: Iterable[str],
    consent: str,
    *,
    base_url: str,
    mail_from: str,
    now: datetime,
) -> Subscription:
    """Subscribe, queue the email that answers it, and have the notifier send
    it (a "message.resend" event, in the same transaction)."""
    subscriber, answer = subscribe(session, email, language, topics, consent, now)
    recent = session.scalar(
        select(Message.id)
        .where(
            Message.to_addr == email,
            Message.channel == "email",
            Message.direction == "out",
            Message.created_at >= now - RESEND_AFTER,
        )
        .limit(1)
    )
    if recent is not None:
        return Subscription(subscriber, None)
    lang = subscriber.language
    unsubscribe = unsubscribe_url(base_url, lang, subscriber.token)
    if answer == "confirm":
        confirm = public_url(
            base_url, lang, f"/infolettre/confirmer/{subscriber.token}"
        )
        text = compose.newsletter_confirmation(lang, confirm, unsubscribe)
    else:
        text = compose.newsletter_already_subscribed(lang, unsubscribe)
    message = queue_email(session, email, text, sender_address(mail_from), now)
    emit(session, "message.resend", message_id=message.id)
    return Subscription(subscriber, message)


def queue_email(
    session: Session, to: str, text: compose.Text, sender: str, now: datetime
) -> Message:
    message = Message(
        direction="out",
        channel="email",
        to_addr=to,
        from_addr=sender,
        subject=text.subject[:300],
        body=text.email,
        status="queued",
        created_at=now,
    )
    session.add(message)
    session.flush()
    return message


def confirm(session: Session, token: str, now: datetime) -> Subscriber | None:
    """Activate a pending subscriber; a second click changes nothing.

    A subscriber who unsubscribed since is not brought back by an old link.
    """
    subscriber = session.scalar(select(Subscriber).where(Subscriber.token == token))
    if subscriber is not None and subscriber.status == "pending":
        subscriber.status = "active"
        subscriber.confirmed_at = now
        subscriber.unsubscribed_at = None
    return subscriber


def find_for_unsubscribe(session: Session, token: str) -> Subscriber | None:
    """The subscriber of a subscriber token or of one issue's delivery token.

    Issues carry their delivery's token, so an old issue's link still works
    after its reader subscribed again (and got a new subscriber token).
    """
    subscriber = session.scalar(select(Subscriber).where(Subscriber.token == token))
    if subscriber is not None:
        return subscriber
    return session.scalar(
        select(Subscriber)
        .join(NewsletterDelivery, NewsletterDelivery.subscriber_id == Subscriber.id)
        .where(NewsletterDelivery.token == token)
    )


def unsubscribe(session: Session, token: str, now: datetime) -> Subscriber | None:
    """Stop every email at once; idempotent."""
    subscriber = find_for_unsubscribe(session, token)
    if subscriber is not None and subscriber.status != "unsubscribed":
        subscriber.status = "unsubscribed"
        subscriber.unsubscribed_at = now
    return subscriber


# ---- Drafting an issue ----------------------------------------------------


@dataclass(frozen=True)
class Draft:
    subject_fr: str
    subject_en: str
    body_fr: str
    body_en: str
    items: int  # news and events it was drafted from


def last_sent_at(session: Session) -> datetime | None:
    return session.scalar(
        select(func.max(NewsletterIssue.sent_at)).where(
            NewsletterIssue.status == "sent"
        )
    )


def item_url(base: str, item: ContentItem, lang: str) -> str:
    return public_url(base, lang, f"{SITE_PATHS[item.kind]}{item.slug}")


def _recent(
    session: Session, kind: str, since: datetime | None, now: datetime
) -> list[ContentItem]:
    query = content.published(kind)
    if since is not None:
        query = query.where(ContentItem.published_at > since)
    items = list(
        session.scalars(
            query.limit(MAX_DRAFT_ITEMS if since else FIRST_DRAFT_ITEMS)
        ).all()
    )
    if kind == "event":
        # Only what readers can still attend, soonest first.
        items = [i for i in items if (_starts(i, now) or now) >= now]
        items.sort(key=lambda i: _starts(i, now) or now)
    return items


def _starts(item: ContentItem, now: datetime) -> datetime | None:
    """An event's start, in now's time zone when it was written without one."""
    starts = content.when(item, "starts_at")
    if starts is not None and starts.tzinfo is None:
        starts = starts.replace(tzinfo=now.tzinfo)
    return starts


def _markdown_link_text(text: str) -> str:
    return re.sub(r"([\[\]\\])", r"\\\1", text)


def _section(
    title: str, items: Sequence[ContentItem], lang: str, base: str, now: datetime
) -> list[str]:
    if not items:
        return []
    lines = [f"## {title}", ""]
    locale = "fr_CA" if lang == "fr" else "en_CA"
    for item in items:
        name = _markdown_link_text(content.localized(item, "title", lang))
        lines.append(f"### [{name}]({item_url(base, item, lang)})")
        starts = _starts(item, now)
        if starts is not None:
            where = content.field(item, "location", "")
            when_text = format_datetime(
                starts, "EEEE d MMMM, HH:mm", tzinfo=now.tzinfo, locale=locale
            )
            lines.append(f"*{when_text}{' · ' + where if where else ''}*")
            lines.append("")
        summary = content.localized(item, "summary", lang).strip()
        if summary:
            lines.append(summary)
        lines.append("")
    return lines


def draft(session: Session, base: str, now: datetime) -> Draft:
    """An issue prefilled with the news and events published since the last
    issue went out, in French and in English."""
    since = last_sent_at(session)
    news = _recent(session, "news", since, now)
    events = _recent(session, "event", since, now)
    bodies = {}
    subjects = {}
    for lang in ("fr", "en"):
        locale = "fr_CA" if lang == "fr" else "en_CA"
        month = format_date(now.date(), "MMMM yyyy", locale=locale)
        subjects[lang] = t(lang, "Glanage newsletter — {month}", month=month)
        lines = [
            t(lang, "Hello,"),
            "",
            t(lang, "Here is the latest from the network."),
            "",
        ]
        lines += _section(t(lang, "News"), news, lang, base, now)
        lines += _section(t(lang, "Coming events"), events, lang, base, now)
        if not news and not events:
            lines += [t(lang, "(Write the news of the month here.)"), ""]
        lines.append(t(lang, "Thank you for feeding your community."))
        bodies[lang] = "\n".join(lines).strip() + "\n"
    return Draft(
        subjects["fr"],
        subjects["en"],
        bodies["fr"],
        bodies["en"],
        len(news) + len(events),
    )


# ---- The email -------------------------------------------------------------


def _signer(secret: str) -> Signer:
    return Signer(secret, salt=_CLICK_SALT)


def sign_link(secret: str, issue_id: int, url: str) -> str:
    return _signer(secret).get_signature(f"{issue_id}\n{url}").decode()


def check_link(secret: str, issue_id: int, url: str, signature: str) -> bool:
    try:
        return _signer(secret).verify_signature(f"{issue_id}\n{url}", signature)
    except (TypeError, ValueError):
        return False


def is_web_url(url: str) -> bool:
    parts = urlsplit(url)
    return (
        parts.scheme in ("http", "https")
        and bool(parts.netloc)
        and not re.search(r"[\s\x00-\x1f\x7f\\]", url)
    )


def _absolute(href: str, base: str) -> str:
    return (
        base.rstrip("/") + href
        if href.startswith("/") and not href.startswith("//")
        else href
    )


def body_html(markdown_text: str) -> Markup:
    return content.render(markdown_text)


def links_of(markdown_text: str, base: str) -> list[str]:
    """The web addresses a body links to, as readers get them."""
    found = []
    for match in _HREF.finditer(str(body_html(markdown_text))):
        url = _absolute(html.unescape(match.group(2)), base)
        if is_web_url(url) and url not in found:
            found.append(url)
    return found


def issue_links(issue: NewsletterIssue, base: str) -> set[str]:
    return set(links_of(issue.body_fr, base)) | set(links_of(issue.body_en, base))


def click_url(
    base: str, lang: str, delivery_token: str, url: str, secret: str, issue_id: int
) -> str:
    query = urlencode({"u": url, "s": sign_link(secret, issue_id, url)})
    return public_url(base, lang, f"/infolettre/c/{delivery_token}?{query}")


def localized(issue: NewsletterIssue, lang: str) -> tuple[str, str]:
    """(subject, body) in lang; French where the English is missing."""
    if lang == "en" and issue.subject_en.strip():
        return issue.subject_en, issue.body_en or issue.body_fr
    if lang == "en" and issue.body_en.strip():
        return issue.subject_fr, issue.body_en
    return issue.subject_fr, issue.body_fr


def why_text(lang: str) -> str:
    return t(lang, "You get this newsletter because you subscribed to it on our site.")


def unsubscribe_url(base: str, lang: str, token: str) -> str:
    return public_url(base, lang, f"/infolettre/desabonner/{token}")


def plain_text(
    issue: NewsletterIssue, delivery_token: str, lang: str, base: str
) -> str:
    """The text part (also the stored message body): the Markdown as written,
    which reads well as it is, and the way out."""
    body = localized(issue, lang)[1]
    unsubscribe = unsubscribe_url(base, lang, delivery_token)
    return compose.newsletter_issue_text(lang, body, why_text(lang), unsubscribe)


@dataclass(frozen=True)
class Email:
    subject: str
    text: str
    html: str
    headers: dict[str, str]


def _tracked(body: Markup, track: Callable[[str], str], base: str) -> str:
    def swap(match: re.Match[str]) -> str:
        url = _absolute(html.unescape(match.group(2)), base)
        if not is_web_url(url):
            return match.group(0)
        return f"{match.group(1)}{escape(track(url))}{match.group(3)}"

    return _HREF.sub(swap, str(body))


_HTML = """<!doctype html>
<html lang="{lang}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{subject}</title>
</head>
<body style="margin:0;padding:0;background:#f3f0e8;color:#1f2a1f;\
font-family:Helvetica,Arial,sans-serif;font-size:16px;line-height:1.5">
<div style="max-width:600px;margin:0 auto;padding:24px;background:#ffffff">
<p style="margin:0 0 16px;color:#2e6b34;font-weight:bold">\
Glanage · Nourrir Lanaudière</p>
<h1 style="font-size:24px;line-height:1.25;margin:0 0 16px">{subject}</h1>
{body}
<hr style="border:0;border-top:1px solid #d8d2c4;margin:24px 0">
<p style="font-size:13px;color:#555555">{why}<br>
<a href="{unsubscribe}" style="color:#2e6b34">{unsubscribe_label}</a></p>
<img src="{pixel}" width="1" height="1" alt="" style="display:block;border:0">
</div>
</body>
</html>
"""


def compose_email(
    issue: NewsletterIssue,
    delivery_token: str,
    lang: str,
    *,
    base: str,
    secret: str,
    mail_from: str,
) -> Email:
    """One subscriber's copy of an issue: both parts and the headers."""
    lang = pick_language(lang)
    subject, body = localized(issue, lang)
    unsubscribe = unsubscribe_url(base, lang, delivery_token)
    why = why_text(lang)
    text = plain_text(issue, delivery_token, lang, base)

    def track(url: str) -> str:
        return click_url(base, lang, delivery_token, url, secret, issue.id)

    page = _HTML.format(
        lang=lang,
        subject=escape(subject),
        body=_tracked(body_html(body), track, base),
        why=escape(why),
        unsubscribe=escape(unsubscribe),
        unsubscribe_label=escape(t(lang, "Unsubscribe")),
        pixel=escape(public_url(base, lang, f"/infolettre/o/{delivery_token}.gif")),
    )
    mailto = f"mailto:{sender_address(mail_from)}?subject=" + quote(
        f"unsubscribe {delivery_token}"
    )
    headers = {
        "List-Unsubscribe": f"<{unsubscribe}>, <{mailto}>",
        "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
        "List-Id": f"Glanage <newsletter.{urlsplit(base).hostname or 'glanage'}>",
        "Precedence": "bulk",
    }
    return Email(subject, text, page, headers)


# ---- Sending --------------------------------------------------------------


def prepare_sending(
    session: Session, issue: NewsletterIssue, *, base: str, mail_from: str
) -> list[int]:
    """One delivery and one queued message per active subscriber who has none
    yet; returns the issue's messages still waiting for a first try.

    Safe to run again (the panel's "resume"): nobody gets a second delivery.
    """
    served = select(NewsletterDelivery.subscriber_id).where(
        NewsletterDelivery.issue_id == issue.id
    )
    newcomers = session.scalars(
        select(Subscriber)
        .where(Subscriber.status == "active", Subscriber.id.not_in(served))
        .order_by(Subscriber.id)
    ).all()
    sender = sender_address(mail_from)
    pairs = []
    for subscriber in newcomers:
        token = new_token()
        lang = subscriber.language
        message = Message(
            direction="out",
            channel="email",
            to_addr=subscriber.email,
            from_addr=sender,
            subject=localized(issue, lang)[0][:300],
            body=plain_text(issue, token, lang, base),
            status="queued",
        )
        session.add(message)
        pairs.append((subscriber, token, message))
    session.flush()
    for subscriber, token, message in pairs:
        session.add(
            NewsletterDelivery(
                issue_id=issue.id,
                subscriber_id=subscriber.id,
                token=token,
                message_id=message.id,
            )
        )
    session.flush()
    return waiting_messages(session, issue.id)


def waiting_messages(session: Session, issue_id: int) -> list[int]:
    return list(
        session.scalars(
            select(Message.id)
            .join(NewsletterDelivery, NewsletterDelivery.message_id == Message.id)
            .where(
                NewsletterDelivery.issue_id == issue_id,
                Message.status == "queued",
                Message.attempts == 0,
            )
            .order_by(Message.id)
        ).all()
    )


def batches(ids: Sequence[int], size: int = BATCH) -> list[list[int]]:
    return [list(ids[i : i + size]) for i in range(0, len(ids), size)]


@dataclass(frozen=True)
class Progress:
    total: int  # deliveries prepared
    handed: int  # tried at least once: with the mail server, or failed
    failed: int

    @property
    def done(self) -> bool:
        return self.handed >= self.total

    @property
    def percent(self) -> int:
        return round(100 * self.handed / self.total) if self.total else 100


def progress(session: Session, issue_id: int) -> Progress:
    rows = session.execute(
        select(Message.status, Message.attempts)
        .join(NewsletterDelivery, NewsletterDelivery.message_id == Message.id)
        .where(NewsletterDelivery.issue_id == issue_id)
    ).all()
    handed = sum(1 for r in rows if r.status != "queued" or r.attempts > 0)
    failed = sum(1 for r in rows if r.status in ("failed", "undelivered"))
    return Progress(len(rows), handed, failed)


def finish_if_done(session: Session, issue_id: int, now: datetime) -> bool:
    """Mark the issue sent once every delivery was handed over (retries of a
    transient failure go on by themselves)."""
    issue = session.get(NewsletterIssue, issue_id)
    if issue is None or issue.status != "sending":
        return False
    if not progress(session, issue_id).done:
        return False
    issue.status = "sent"
    issue.sent_at = now
    return True


def start_sending(session: Session, issue: NewsletterIssue) -> None:
    """draft → sending, and the event that has the notifier send it."""
    if issue.status not in ("draft", "sending"):
        raise ValueError("already_sent")
    issue.status = "sending"
    emit(session, "newsletter.send", issue_id=issue.id)


# ---- Opens and clicks ------------------------------------------------------


def record_open(session: Session, token: str, now: datetime) -> bool:
    """Count one open; the first one's time is kept. False: unknown token."""
    result = session.execute(
        update(NewsletterDelivery)
        .where(NewsletterDelivery.token == token)
        .values(
            opens=NewsletterDelivery.opens + 1,
            opened_at=func.coalesce(NewsletterDelivery.opened_at, now),
        )
    )
    return bool(getattr(result, "rowcount", 0))


class UnknownDelivery(LookupError):
    pass


def record_click(
    session: Session,
    token: str,
    url: str,
    signature: str,
    *,
    secret: str,
    base: str,
    now: datetime,
) -> str | None:
    """The address to redirect to, counted; None when the link was altered.

    A click also proves an open (many mail clients block images).
    """
    delivery = session.scalar(
        select(NewsletterDelivery).where(NewsletterDelivery.token == token)
    )
    if delivery is None:
        raise UnknownDelivery(token)
    if not (is_web_url(url) and check_link(secret, delivery.issue_id, url, signature)):
        return None
    issue = session.get(NewsletterIssue, delivery.issue_id)
    if issue is None or url not in issue_links(issue, base):
        return None
    session.execute(
        update(NewsletterDelivery)
        .where(NewsletterDelivery.id == delivery.id)
        .values(
            clicks=NewsletterDelivery.clicks + 1,
            opened_at=func.coalesce(NewsletterDelivery.opened_at, now),
        )
    )
    return url


# ---- What the panel shows --------------------------------------------------


@dataclass(frozen=True)
class IssueStats:
    recipients: int = 0
    opened: int = 0  # unique opens
    clicks: int = 0
    clickers: int = 0

    @property
    def open_rate(self) -> float | None:
        return self.opened / self.recipients if self.recipients else None


def issue_stats(session: Session, issue_ids: Iterable[int]) -> dict[int, IssueStats]:
    ids = list(issue_ids)
    rows = session.execute(
        select(
            NewsletterDelivery.issue_id,
            func.count(NewsletterDelivery.id),
            func.count(NewsletterDelivery.opened_at),
            func.coalesce(func.sum(NewsletterDelivery.clicks), 0),
            func.sum(case((NewsletterDelivery.clicks > 0, 1), else_=0)),
        )
        .where(NewsletterDelivery.issue_id.in_(ids))
        .group_by(NewsletterDelivery.issue_id)
    ).all()
    stats = {issue_id: IssueStats() for issue_id in ids}
    for issue_id, recipients, opened, clicks, clickers in rows:
        stats[issue_id] = IssueStats(recipients, opened, int(clicks), int(clickers))
    return stats


def subscriber_counts(session: Session) -> dict[str, int]:
    counts = {"active": 0, "pending": 0, "unsubscribed": 0}
    for status, n in session.execute(
        select(Subscriber.status, func.count(Subscriber.id)).group_by(Subscriber.status)
    ):
        counts[status] = n
    return counts


def topic_counts(session: Session) -> dict[str, int]:
    """Active subscribers per topic (JSON lists: counted here, on every engine)."""
    counts = dict.fromkeys(TOPICS, 0)
    for topics in session.scalars(
        select(Subscriber.topics).where(Subscriber.status == "active")
    ):
        for code in topics or ():
            if code in counts:
                counts[code] += 1
    return counts


# ---- How often an issue goes out --------------------------------------------

# The frequency is the last change an editor recorded in the audit log: it is
# in the database (every web process and machine reads the same value), it
# needs no table of its own, and its history (who set what, when) comes free.
SETTING_ACTION = "newsletter_frequency"
SETTING_ENTITY = "newsletter"
DEFAULT_EVERY_WEEKS = 4
MAX_EVERY_WEEKS = 52


def every_weeks(session: Session) -> int:
    """Weeks between issues; 0: no reminder."""
    entry = session.scalar(
        select(AuditEntry)
        .where(AuditEntry.action == SETTING_ACTION, AuditEntry.entity == SETTING_ENTITY)
        .order_by(AuditEntry.id.desc())
        .limit(1)
    )
    value = (entry.after or {}).get("every_weeks") if entry is not None else None
    if isinstance(value, int) and 0 <= value <= MAX_EVERY_WEEKS:
        return value
    return DEFAULT_EVERY_WEEKS


def set_every_weeks(session: Session, user_id: int | None, weeks: int) -> None:
    if not 0 <= weeks <= MAX_EVERY_WEEKS:
        raise ValueError(weeks)
    before = every_weeks(session)
    audit.record(
        session,
        user_id,
        SETTING_ACTION,
        SETTING_ENTITY,
        None,
        {"every_weeks": before},
        {"every_weeks": weeks},
    )
    session.flush()


@dataclass(frozen=True)
class Due:
    due: bool
    on: date | None  # when the next issue is due; None: no reminder, or never sent


def next_issue(last_sent: datetime | None, weeks: int, now: datetime) -> Due:
    """Whether an issue is due, days taken in now's time zone."""
    if weeks <= 0:
        return Due(False, None)
    if last_sent is None:
        return Due(True, None)
    on = last_sent.astimezone(now.tzinfo).date() + timedelta(weeks=weeks)
    return Due(on <= now.date(), on)
