"""A contact's own way out by email: the link at the foot of every email and
the List-Unsubscribe headers (RFC 8058) lead here.

GET asks (a link scanner must not opt anyone out); POST does it at once, a
person's button or a mail program's one-click POST alike. Texts stop too: a
contact has one consent, and START (or the coordinator) brings it back.
"""

from __future__ import annotations

from flask import request
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _

from services.web import csrf
from services.web.context import db, runtime
from services.web.site.base import bp
from services.web.site.newsletter import render_page
from shared import outgoing, phones
from shared.logs import mask_email
from shared.models import Contact, utcnow
from shared.tokens import InvalidToken, load_optout


@bp.route("/desabonnement/<token>", methods=["GET", "POST"])
def contact_optout(token: str) -> ResponseReturnValue:
    try:
        contact = db().get(Contact, load_optout(runtime().settings.secret_key, token))
    except InvalidToken:
        contact = None
    if contact is None:
        return render_page(
            "site/optout.html", _("Unsubscribe"), 404, private=True, contact=None
        )
    if request.method == "POST" and outgoing.opt_out(contact, "email", utcnow()):
        db().commit()
    return render_page(
        "site/optout.html",
        _("Unsubscribe"),
        private=True,
        contact=contact,
        address=mask_email(contact.email)
        if contact.email
        else phones.mask(contact.phone),
        done=contact.opted_out,
    )


# RFC 8058: the mail program's POST carries no CSRF token; the signed token in
# the URL is what authorizes it.
csrf.exempt(contact_optout)
