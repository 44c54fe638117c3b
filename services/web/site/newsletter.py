"""The newsletter on the public site: subscribing (double opt-in), confirming,
unsubscribing in one click (RFC 8058), and the open pixel and click counter
of every issue.

The form answers the same words whether the address was subscribed or not;
only its inbox learns which. The confirmation email goes through the outbox
and the notifier like every other message.
"""

from __future__ import annotations

from typing import Any

from flask import Response, redirect, request
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from services.web import csrf
from services.web.context import db, now, runtime
from services.web.panel.base import limiter
from services.web.security import PUBLIC_FORM_LIMIT
from services.web.site import pages
from services.web.site.base import bp, site_lang, site_url
from shared import newsletter
from shared.i18n import LANGUAGES

TOPIC_NAMES = {
    "news": _l("News from the network"),
    "events": _l("Events and training"),
    "gleaning": _l("Gleaning season: calls to farmers and organizations"),
    "resources": _l("New resources and fact sheets"),
}
LANGUAGE_NAMES = {"fr": "Français", "en": "English"}


def render_page(
    template: str,
    title: str,
    status: int = 200,
    *,
    private: bool = False,
    **context: Any,
) -> ResponseReturnValue:
    """A public page in the site's layout (menu, language twin, sharing tags).

    private: a page reached by a personal link, kept out of search engines.
    """
    return pages.show(template, title, status=status, noindex=private, **context)


@bp.route("/infolettre", methods=["GET", "POST"])
@limiter.limit(PUBLIC_FORM_LIMIT, methods=["POST"])
def newsletter_form() -> ResponseReturnValue:
    lang = site_lang() or "fr"
    consent = newsletter.consent_text(lang)
    values: dict[str, Any] = {
        "email": "",
        "topics": list(newsletter.DEFAULT_TOPICS),
        "language": lang,
    }
    errors: dict[str, str] = {}
    if request.method == "POST":
        if request.form.get("website"):
            # Only robots fill the field people never see.
            return redirect(site_url("newsletter_thanks"))
        values = {
            "email": request.form.get("email", "").strip(),
            "topics": request.form.getlist("topics"),
            "language": request.form.get("language", lang),
        }
        email = newsletter.normalize_email(values["email"])
        topics = [code for code in values["topics"] if code in newsletter.TOPICS]
        language = values["language"] if values["language"] in LANGUAGES else lang
        if email is None:
            errors["email"] = _("Write an email address, like name@example.org.")
        if not topics:
            errors["topics"] = _("Tick at least one topic.")
        if request.form.get("consent") != "yes":
            errors["consent"] = _(
                "Tick the box to give your consent: we send nothing without it."
            )
        if email is not None and not errors:
            settings = runtime().settings
            newsletter.request_subscription(
                db(),
                email,
                language,
                topics,
                consent,
                base_url=settings.public_base_url,
                mail_from=settings.mail_from,
                now=now(),
            )
            db().commit()
            return redirect(site_url("newsletter_thanks"))
    return render_page(
        "site/newsletter/form.html",
        _("Newsletter"),
        422 if errors else 200,
        form=values,
        errors=errors,
        consent=consent,
        topics=[(code, TOPIC_NAMES[code]) for code in newsletter.TOPICS],
        languages=list(LANGUAGE_NAMES.items()),
    )


def _invalid() -> ResponseReturnValue:
    return render_page("site/newsletter/invalid.html", _("Link not valid"), 404)


@bp.get("/infolettre/merci")
def newsletter_thanks() -> ResponseReturnValue:
    return render_page("site/newsletter/thanks.html", _("Check your inbox"))


@bp.get("/infolettre/confirmer/<token>")
def newsletter_confirm(token: str) -> ResponseReturnValue:
    subscriber = newsletter.confirm(db(), token, now())
    if subscriber is None:
        return _invalid()
    db().commit()
    return render_page(
        "site/newsletter/confirmed.html",
        _("Newsletter"),
        private=True,
        subscriber=subscriber,
    )


@bp.route("/infolettre/desabonner/<token>", methods=["GET", "POST"])
def newsletter_unsubscribe(token: str) -> ResponseReturnValue:
    """GET asks (a link scanner must not unsubscribe anyone); POST does it at
    once, a person's button or a mail client's one-click POST alike."""
    if request.method == "GET":
        subscriber = newsletter.find_for_unsubscribe(db(), token)
        if subscriber is None:
            return _invalid()
        return render_page(
            "site/newsletter/unsubscribe.html",
            _("Unsubscribe"),
            private=True,
            done=subscriber.status == "unsubscribed",
            email=subscriber.email,
        )
    subscriber = newsletter.unsubscribe(db(), token, now())
    if subscriber is None:
        return _invalid()
    db().commit()
    return render_page(
        "site/newsletter/unsubscribe.html",
        _("Unsubscribe"),
        private=True,
        done=True,
        email=subscriber.email,
    )


# RFC 8058: the mail client's POST carries no CSRF token; the unguessable
# token in the URL is what authorizes it.
csrf.exempt(newsletter_unsubscribe)


@bp.get("/infolettre/o/<token>.gif")
def newsletter_open(token: str) -> ResponseReturnValue:
    """The open pixel: always a GIF, counted when the token is known."""
    if newsletter.record_open(db(), token, now()):
        db().commit()
    return Response(
        newsletter.PIXEL,
        mimetype="image/gif",
        headers={"Cache-Control": "no-store, private", "Pragma": "no-cache"},
    )


@bp.get("/infolettre/c/<token>")
def newsletter_click(token: str) -> ResponseReturnValue:
    """Count a click and go on to the address, only if the issue had it."""
    settings = runtime().settings
    try:
        target = newsletter.record_click(
            db(),
            token,
            request.args.get("u", ""),
            request.args.get("s", ""),
            secret=settings.secret_key,
            base=settings.public_base_url,
            now=now(),
        )
    except newsletter.UnknownDelivery:
        return render_page("site/newsletter/link.html", _("Link not valid"), 404)
    if target is None:
        return render_page("site/newsletter/link.html", _("Link not valid"), 400)
    db().commit()
    return redirect(target, code=302)
