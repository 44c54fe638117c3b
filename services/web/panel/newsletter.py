"""The newsletter in the panel: subscribers, issues and their figures, a
composer prefilled from the site's recent news and events, sending with a
progress view, the frequency reminder, and the partner survey.

Everyone signed in reads; editors (and coordinators) change. Sending only
marks the issue "sending" and writes the "newsletter.send" event in the same
transaction: the notifier does the rest, in batches, and the progress view
follows it (live with JavaScript, a refresh link without).
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from flask import Response, abort, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy import func, select

from services.web.context import db, now, runtime
from services.web.panel.base import audit_change, bp, login_required, nav, requires
from services.web.panel.directory.common import assign, audited
from shared import audit, content, newsletter, surveys
from shared.events import emit
from shared.models import Message, NewsletterDelivery, NewsletterIssue

__all__ = ["bp"]

edits = requires("editor")

ISSUE_FIELDS = ("subject_fr", "subject_en", "body_fr", "body_en", "status")
SUBJECT_MAX = 300
BODY_MAX = 100_000
# A send with no progress for this long may be resumed by hand.
STALLED_AFTER = timedelta(minutes=15)

TOPIC_NAMES = {
    "news": _l("News"),
    "events": _l("Events"),
    "gleaning": _l("Gleaning season"),
    "resources": _l("Resources"),
}
STATUS_NAMES = {"draft": _l("Draft"), "sending": _l("Sending"), "sent": _l("Sent")}
SURVEY_NAMES = {
    "pickup_farmer": _l("After a pickup: farmers"),
    "pickup_organization": _l("After a pickup: organizations"),
    "partner": _l("Partner survey"),
}


def _can_edit() -> bool:
    return bool(current_user.is_authenticated and current_user.can("editor"))


def _issue(issue_id: int) -> NewsletterIssue:
    issue = db().get(NewsletterIssue, issue_id)
    if issue is None:
        abort(404)
    return issue


@bp.get("/newsletter", endpoint="newsletter")
@login_required
def newsletter_page() -> ResponseReturnValue:
    issues = (
        db().scalars(select(NewsletterIssue).order_by(NewsletterIssue.id.desc())).all()
    )
    weeks = newsletter.every_weeks(db())
    return render_template(
        "panel/newsletter/index.html",
        nav_items=nav(),
        issues=issues,
        stats=newsletter.issue_stats(db(), [i.id for i in issues]),
        counts=newsletter.subscriber_counts(db()),
        topics=[
            (TOPIC_NAMES[code], n) for code, n in newsletter.topic_counts(db()).items()
        ],
        every_weeks=weeks,
        max_weeks=newsletter.MAX_EVERY_WEEKS,
        due=newsletter.next_issue(newsletter.last_sent_at(db()), weeks, now()),
        surveys=[(SURVEY_NAMES[s.kind], s) for s in surveys.summary(db())],
        status_names=STATUS_NAMES,
        can_edit=_can_edit(),
    )


# ---- Writing an issue -------------------------------------------------------


def _read_issue() -> tuple[dict[str, str], dict[str, str]]:
    values = {
        name: request.form.get(name, "").strip()
        for name in ("subject_fr", "subject_en", "body_fr", "body_en")
    }
    errors = {}
    if not values["subject_fr"]:
        errors["subject_fr"] = _("Write the subject, in French at least.")
    if not values["body_fr"]:
        errors["body_fr"] = _("Write the newsletter, in French at least.")
    for name in ("subject_fr", "subject_en"):
        if len(values[name]) > SUBJECT_MAX:
            errors[name] = _("At most %(n)d characters.", n=SUBJECT_MAX)
    for name in ("body_fr", "body_en"):
        if len(values[name]) > BODY_MAX:
            errors[name] = _("At most %(n)d characters.", n=BODY_MAX)
    return values, errors


def _editor(
    issue: NewsletterIssue | None,
    values: dict[str, str],
    errors: dict[str, str],
    *,
    preview: bool = False,
    drafted_from: int | None = None,
) -> ResponseReturnValue:
    active = newsletter.subscriber_counts(db())["active"]
    return render_template(
        "panel/newsletter/issue.html",
        nav_items=nav(),
        issue=issue,
        values=values,
        errors=errors,
        preview={
            "fr": content.render(values["body_fr"]),
            "en": content.render(values["body_en"] or values["body_fr"]),
        }
        if preview or issue is not None
        else None,
        drafted_from=drafted_from,
        active=active,
        progress=None,
        stats=None,
        status_names=STATUS_NAMES,
        can_edit=_can_edit(),
    ), (422 if errors else 200)


@bp.route("/newsletter/new", methods=["GET", "POST"])
@edits
def newsletter_new() -> ResponseReturnValue:
    if request.method == "GET":
        draft = newsletter.draft(db(), runtime().settings.public_base_url, now())
        values = {
            "subject_fr": draft.subject_fr,
            "subject_en": draft.subject_en,
            "body_fr": draft.body_fr,
            "body_en": draft.body_en,
        }
        return _editor(None, values, {}, preview=True, drafted_from=draft.items)
    values, errors = _read_issue()
    if errors or request.form.get("action") == "preview":
        return _editor(None, values, errors, preview=True)
    issue = NewsletterIssue(status="draft", **values)
    db().add(issue)
    db().flush()
    audit_change(
        "create",
        "newsletter_issue",
        issue.id,
        None,
        audit.snapshot(issue, ISSUE_FIELDS),
    )
    db().commit()
    flash(_("The draft is saved. Check it, then send it."), "success")
    return redirect(url_for("panel.newsletter_issue", issue_id=issue.id))


@bp.route("/newsletter/<int:issue_id>", methods=["GET", "POST"])
@login_required
def newsletter_issue(issue_id: int) -> ResponseReturnValue:
    issue = _issue(issue_id)
    if request.method == "GET" and issue.status == "draft":
        values = {name: getattr(issue, name) for name in ISSUE_FIELDS[:4]}
        return _editor(issue, values, {})
    if request.method == "GET":
        return _sent_page(issue)
    if not _can_edit():
        abort(403)
    if issue.status != "draft":
        flash(_("This issue has gone out: it can no longer change."), "error")
        return redirect(url_for("panel.newsletter_issue", issue_id=issue.id))
    values, errors = _read_issue()
    if errors or request.form.get("action") == "preview":
        return _editor(issue, values, errors, preview=True)
    with audited("update", "newsletter_issue", issue, ISSUE_FIELDS):
        assign(issue, values)
    db().commit()
    flash(_("The draft is saved."), "success")
    return redirect(url_for("panel.newsletter_issue", issue_id=issue.id))


@bp.get("/newsletter/<int:issue_id>/email")
@login_required
def newsletter_email(issue_id: int) -> ResponseReturnValue:
    """The email as a subscriber gets it (links go nowhere: a sample token)."""
    issue = _issue(issue_id)
    lang = "en" if request.args.get("in") == "en" else "fr"
    settings = runtime().settings
    email = newsletter.compose_email(
        issue,
        "sample",
        lang,
        base=settings.public_base_url,
        secret=settings.secret_key,
        mail_from=settings.mail_from,
    )
    return Response(
        email.html,
        mimetype="text/html",
        headers={"Content-Security-Policy": "script-src 'none'; img-src 'self' data:"},
    )


# ---- Sending and its progress ---------------------------------------------


def _stalled(issue: NewsletterIssue, progress: newsletter.Progress) -> bool:
    """Sending, not done, and nothing handed over for a while: the panel
    offers to resume (a lost batch job, a worker that died)."""
    if issue.status != "sending" or not progress.total or progress.done:
        return False
    last = db().scalar(
        select(func.max(Message.updated_at))
        .join(NewsletterDelivery, NewsletterDelivery.message_id == Message.id)
        .where(NewsletterDelivery.issue_id == issue.id)
    )
    return last is not None and now() - last > STALLED_AFTER


def _progress_context(issue: NewsletterIssue) -> dict[str, Any]:
    progress = newsletter.progress(db(), issue.id)
    return {
        "issue": issue,
        "progress": progress,
        "stalled": _stalled(issue, progress),
        "can_edit": _can_edit(),
        "status_names": STATUS_NAMES,
    }


def _sent_page(issue: NewsletterIssue) -> ResponseReturnValue:
    return render_template(
        "panel/newsletter/issue.html",
        nav_items=nav(),
        values={name: getattr(issue, name) for name in ISSUE_FIELDS[:4]},
        errors={},
        preview={
            "fr": content.render(issue.body_fr),
            "en": content.render(issue.body_en or issue.body_fr),
        },
        drafted_from=None,
        active=newsletter.subscriber_counts(db())["active"],
        stats=newsletter.issue_stats(db(), [issue.id])[issue.id],
        **_progress_context(issue),
    )


@bp.get("/newsletter/<int:issue_id>/progress")
@login_required
def newsletter_progress(issue_id: int) -> ResponseReturnValue:
    """The progress fragment the page refreshes (static/live.js)."""
    return render_template(
        "panel/newsletter/_progress.html", **_progress_context(_issue(issue_id))
    )


@bp.post("/newsletter/<int:issue_id>/send")
@edits
def newsletter_send(issue_id: int) -> ResponseReturnValue:
    issue = _issue(issue_id)
    if issue.status != "draft":
        flash(_("This issue has gone out already."), "error")
        return redirect(url_for("panel.newsletter_issue", issue_id=issue.id))
    with audited("send", "newsletter_issue", issue, ISSUE_FIELDS):
        newsletter.start_sending(db(), issue)
    db().commit()
    flash(_("Sending has started."), "success")
    return redirect(url_for("panel.newsletter_issue", issue_id=issue.id))


@bp.post("/newsletter/<int:issue_id>/resume")
@edits
def newsletter_resume(issue_id: int) -> ResponseReturnValue:
    issue = _issue(issue_id)
    if issue.status != "sending":
        flash(_("This issue is not being sent."), "error")
        return redirect(url_for("panel.newsletter_issue", issue_id=issue.id))
    emit(db(), "newsletter.send", issue_id=issue.id)
    audit_change("resume", "newsletter_issue", issue.id)
    db().commit()
    flash(_("Sending resumes with the emails not sent yet."), "success")
    return redirect(url_for("panel.newsletter_issue", issue_id=issue.id))


# ---- Settings and surveys -----------------------------------------------------


@bp.post("/newsletter/frequency")
@edits
def newsletter_frequency() -> ResponseReturnValue:
    raw = request.form.get("every_weeks", "").strip()
    weeks = int(raw) if raw.isdigit() else -1
    if not 0 <= weeks <= newsletter.MAX_EVERY_WEEKS:
        flash(
            _(
                "Write a number of weeks from 0 to %(n)d (0: no reminder).",
                n=newsletter.MAX_EVERY_WEEKS,
            ),
            "error",
        )
        return redirect(url_for("panel.newsletter") + "#frequency")
    newsletter.set_every_weeks(db(), current_user.id, weeks)
    db().commit()
    flash(_("The frequency is saved."), "success")
    return redirect(url_for("panel.newsletter") + "#frequency")


@bp.post("/newsletter/partner-survey")
@edits
def newsletter_partner_survey() -> ResponseReturnValue:
    settings = runtime().settings
    created = surveys.create_partner_batch(db(), now())
    sent = 0
    for survey in created:
        message = surveys.queue_invitation(db(), survey, settings)
        if message is not None:
            emit(db(), "message.resend", message_id=message.id)
            sent += 1
    audit_change("partner_survey", "survey", None, None, {"sent": sent})
    db().commit()
    if sent:
        flash(
            _("The partner survey is on its way to %(n)d organizations.", n=sent),
            "success",
        )
    else:
        flash(
            _("Every organization got the partner survey in the last 30 days."),
            "info",
        )
    return redirect(url_for("panel.newsletter") + "#surveys")
