"""Web security in one place: the headers every response carries, the flags
of the cookies, the rate limiter's settings, and the kind pages that answer a
request too large (413), too many requests (429), and the database or Redis
away (503).

The Content-Security-Policy allows only the app's own scripts and styles: no
inline <script> or <style>, no style="" attribute in templates (their CSS
lives in static/). Leaflet sets styles through the CSSOM (`el.style.x = …`),
which CSP does not restrict. Images may also be data: URIs and, when
GLANAGE_MAP_TILES_URL is set, come from the tile host.
"""

from __future__ import annotations

import logging
import math
import re
import time
from typing import Any
from urllib.parse import urlsplit

import flask
from flask import (
    Flask,
    Response,
    abort,
    g,
    jsonify,
    make_response,
    render_template,
    request,
)
from flask.typing import ResponseReturnValue
from flask_babel import format_decimal, ngettext
from flask_babel import gettext as _
from flask_limiter.errors import RateLimitExceeded
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import RedisError
from redis.exceptions import TimeoutError as RedisTimeoutError
from sqlalchemy.exc import DBAPIError, OperationalError
from werkzeug.datastructures import ImmutableMultiDict, MultiDict
from werkzeug.exceptions import (
    HTTPException,
    RequestEntityTooLarge,
    ServiceUnavailable,
    TooManyRequests,
)

from services.web.panel.base import limiter, login_manager
from shared.config import Settings
from shared.logs import log_event

log = logging.getLogger(__name__)

# The public forms (join, contact, newsletter, survey, claim link, farmer's
# form), per address: far more than a person sends by hand, far fewer than a
# script. Reading a form (GET) is never limited.
PUBLIC_FORM_LIMIT = "10 per minute"
# What a client is told to wait while the database or Redis is away: about
# the time either takes to restart.
OUTAGE_RETRY_AFTER_SECONDS = 30
# A rate-limit store that does not answer (Redis away) must not hold the
# request: the limiter then counts in memory until it answers again.
LIMITER_REDIS_OPTIONS = {"socket_connect_timeout": 1, "socket_timeout": 1}
HSTS = "max-age=31536000"
# SQLSTATEs that mean "the server is not there for you": connection
# exceptions (class 08), and the server shutting down or starting up.
_OUTAGE_SQLSTATES = ("57P01", "57P02", "57P03")
# What a CSP host-source may be: an optional leading "*." wildcard, a host
# name or address, an optional port. Anything else in a setting is refused
# rather than pasted into the header.
_HOST_SOURCE = re.compile(r"(\*\.)?[A-Za-z0-9.-]+(:[0-9]+)?")


def https(settings: Settings) -> bool:
    return urlsplit(settings.public_base_url).scheme.lower() == "https"


def config(settings: Settings) -> dict[str, Any]:
    """Flask, Flask-Login and Flask-Limiter settings; a test may override them."""
    secure = https(settings)
    values: dict[str, Any] = {
        # Cookies: never readable by scripts, not sent on cross-site POSTs,
        # and only over HTTPS when the site is served over HTTPS.
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "SESSION_COOKIE_SECURE": secure,
        "REMEMBER_COOKIE_HTTPONLY": True,
        "REMEMBER_COOKIE_SAMESITE": "Lax",
        "REMEMBER_COOKIE_SECURE": secure,
        # Counted in Redis when there is one, so every worker shares the
        # counts; in memory otherwise.
        "RATELIMIT_STORAGE_URI": settings.redis_url or "memory://",
        # Redis away: count in this process's memory (and check Redis again
        # now and then) rather than fail the request; any other error of the
        # limiter is logged and the request goes on unlimited.
        "RATELIMIT_IN_MEMORY_FALLBACK_ENABLED": True,
        "RATELIMIT_SWALLOW_ERRORS": True,
    }
    if settings.redis_url:
        values["RATELIMIT_STORAGE_OPTIONS"] = dict(LIMITER_REDIS_OPTIONS)
    return values


class _WithoutNul(ImmutableMultiDict[str, Any]):
    def __init__(self, mapping: Any = None) -> None:
        super().__init__(_without_nul(mapping))
        # As sent, for a signature computed over the values (Twilio's).
        self.as_sent = ImmutableMultiDict(mapping)


def _without_nul(mapping: Any) -> Any:
    if mapping is None:
        return None
    if isinstance(mapping, MultiDict):
        pairs = mapping.items(multi=True)
    elif isinstance(mapping, dict):
        pairs = mapping.items()
    else:
        pairs = mapping
    return [(_strip_nul(key), _strip_nul(value)) for key, value in pairs]


def _strip_nul(value: Any) -> Any:
    return value.replace("\0", "") if isinstance(value, str) else value


class Request(flask.Request):
    """A request whose form fields and query values never hold a NUL.

    NUL means nothing in a text a person typed, and PostgreSQL refuses it in
    any text column: it is dropped as values are read, so everything else the
    person sent is kept and no query fails on it.
    """

    parameter_storage_class = _WithoutNul


def init_app(app: Flask, settings: Settings) -> None:
    """The headers on every response and the kind error pages."""
    headers = security_headers(settings)
    app.request_class = Request

    @app.before_request
    def _no_nul_in_the_address() -> None:
        # No page, token or slug has a NUL: say "not found", kindly.
        if "\0" in request.path:
            abort(404)

    @app.after_request
    def _add_headers(response: Response) -> Response:
        for name, value in headers.items():
            # A view that needs its own policy keeps it.
            response.headers.setdefault(name, value)
        return response

    app.register_error_handler(RequestEntityTooLarge, _too_large)
    app.register_error_handler(TooManyRequests, _too_many)
    app.register_error_handler(DBAPIError, _database_error)
    app.register_error_handler(RedisConnectionError, _redis_error)
    app.register_error_handler(RedisTimeoutError, _redis_error)


# ---- Headers -------------------------------------------------------------------


def security_headers(settings: Settings) -> dict[str, str]:
    headers = {
        "Content-Security-Policy": content_security_policy(settings.map_tiles_url),
        "X-Content-Type-Options": "nosniff",
        "Referrer-Policy": "strict-origin-when-cross-origin",
        "X-Frame-Options": "DENY",
        "Permissions-Policy": "camera=(), microphone=(), geolocation=()",
    }
    if https(settings):
        # Over plain HTTP browsers ignore it, and a demo on http://127.0.0.1
        # must not teach the browser to refuse that address later.
        headers["Strict-Transport-Security"] = HSTS
    return headers


def content_security_policy(tiles_url: str = "") -> str:
    images = ["'self'", "data:"]
    if tiles := tile_source(tiles_url):
        images.append(tiles)
    directives = {
        "default-src": "'self'",
        "script-src": "'self'",
        "style-src": "'self'",
        "img-src": " ".join(images),
        "object-src": "'none'",
        "base-uri": "'self'",
        "form-action": "'self'",
        "frame-ancestors": "'none'",
    }
    return "; ".join(f"{name} {value}" for name, value in directives.items())


def tile_source(tiles_url: str) -> str:
    """The CSP source of a Leaflet tile URL template: its scheme and host.

    A `{s}` subdomain becomes a wildcard
    (https://{s}.tile.example.org/{z}/{x}/{y}.png -> https://*.tile.example.org);
    a placeholder elsewhere in the host can only be allowed by its scheme.
    "" when the setting is empty or not a web address.
    """
    if not tiles_url.strip():
        return ""
    parts = urlsplit(tiles_url.strip())
    scheme = parts.scheme.lower()
    host = parts.netloc.rpartition("@")[2]
    if scheme not in ("http", "https") or not host:
        log_event(log, "web.map_tiles_ignored", level=logging.WARNING, url=tiles_url)
        return ""
    labels = host.split(".")
    if re.fullmatch(r"\{[^{}]*\}", labels[0]):
        labels[0] = "*"
    host = ".".join(labels)
    if "{" in host or "}" in host:
        return f"{scheme}:"
    if not _HOST_SOURCE.fullmatch(host):
        log_event(log, "web.map_tiles_ignored", level=logging.WARNING, url=tiles_url)
        return ""
    return f"{scheme}://{host}"


# ---- Error pages ---------------------------------------------------------------


def _too_large(error: RequestEntityTooLarge) -> ResponseReturnValue:
    if _is_sms():
        return error  # Twilio's webhooks are small; its answer is TwiML's concern
    limit = request.max_content_length or 0
    megabytes = format_decimal(round(limit / (1024 * 1024), 1))
    message = _(
        "What you sent is larger than %(mb)s MB, the most we accept at once. "
        "Choose a smaller file or shorten your text, then send it again.",
        mb=megabytes,
    )
    return _problem(error, _("This is too large to send"), message)


def _too_many(error: TooManyRequests) -> ResponseReturnValue:
    if isinstance(error, RateLimitExceeded) and error.response is not None:
        return error.response  # the limit brought its own answer
    if _is_sms():
        return error  # the SMS webhook answers its senders itself
    wait = _seconds_until_reset()
    minutes = max(1, math.ceil(wait / 60))
    message = _(
        "This form was sent many times in a short while from your connection, "
        "so we paused it to keep robots out. What you just sent did not go "
        "through."
    )
    detail = ngettext(
        "You can send it again in about %(num)d minute.",
        "You can send it again in about %(num)d minutes.",
        minutes,
    )
    response = _problem(error, _("Please wait a moment"), message, detail)
    response.headers["Retry-After"] = str(wait)
    return response


def _seconds_until_reset() -> int:
    """Seconds until the limit that was hit lets this address through again."""
    try:
        current = limiter.current_limit
        if current is not None:
            return max(1, math.ceil(current.window.reset_time - time.time()))
    except Exception:  # the store may be failing: a guess is good enough
        log.warning("web.rate_limit_reset_unknown", exc_info=True)
    return 60


def _database_error(error: DBAPIError) -> ResponseReturnValue:
    """The database is unreachable (PostgreSQL restarting, a failover): say
    so at once with a 503 and Retry-After, instead of a 500 page. Any other
    database error is a bug, and goes on as one."""
    if not is_outage(error):
        raise error
    _roll_back_session()
    log_event(
        log,
        "web.database_unavailable",
        level=logging.WARNING,
        path=request.path,
        error=type(error.orig).__name__,
    )
    # Flask-Login's template context loads the signed-in user from the
    # database; for this page the visitor is anonymous.
    g._login_user = login_manager.anonymous_user()
    return _outage(
        _(
            "Glanage cannot reach its database right now, usually for a minute "
            "during a restart. Please try again shortly. If you had just sent a "
            "form, it may not have been recorded."
        )
    )


def _redis_error(error: RedisError) -> ResponseReturnValue:
    """Redis is away (the live board's stream, a queue): 503, not a 500. The
    rate limiter never gets here: it counts in memory meanwhile."""
    log_event(
        log,
        "web.redis_unavailable",
        level=logging.WARNING,
        path=request.path,
        error=type(error).__name__,
    )
    return _outage(
        _(
            "Part of Glanage is not answering right now, usually for a minute "
            "during a restart. Please try again shortly."
        )
    )


def _outage(message: str) -> Response:
    """503 with Retry-After, as plain as it must be to never fail itself."""
    if _is_sms():
        response = Response("", 503, mimetype="text/plain")
    else:
        try:
            response = _problem(
                ServiceUnavailable(), _("We will be right back"), message, back=False
            )
        except Exception:  # whatever else the page needed is away too
            log.exception("web.outage_page_failed path=%s", request.path)
            response = Response(message, 503, mimetype="text/plain")
    response.headers["Retry-After"] = str(OUTAGE_RETRY_AFTER_SECONDS)
    return response


def is_outage(error: DBAPIError) -> bool:
    """Whether the error says the database is away, not that a query is wrong."""
    if error.connection_invalidated:
        return True  # SQLAlchemy saw the connection drop (a restart mid-query)
    state = getattr(error.orig, "sqlstate", None)
    if isinstance(state, str) and (
        state.startswith("08") or state in _OUTAGE_SQLSTATES
    ):
        return True
    # No statement: it failed while connecting (refused, timed out, no such
    # host), before the server could say anything of a query.
    return isinstance(error, OperationalError) and error.statement is None and not state


def _roll_back_session() -> None:
    """Leave the request's session clean for whatever runs after the handler."""
    session = g.get("db")
    if session is None:
        return
    try:
        session.rollback()
    except DBAPIError:
        # Rolling back needs the connection that just failed: drop it instead.
        session.invalidate()


def _is_sms() -> bool:
    return request.path.startswith("/sms/")


def _problem(
    error: HTTPException,
    heading: str,
    message: str,
    detail: str = "",
    *,
    back: bool = True,
) -> Response:
    """The answer in the form the client reads: JSON under /api/ (as the API's
    other errors), else a page in the visitor's language, in the public site's
    layout on the public site."""
    status = error.code or 500
    if request.path.startswith("/api/"):
        response = jsonify(
            error=error.name.lower().replace(" ", "_"),
            message=" ".join(part for part in (message, detail) if part),
        )
        response.status_code = status
        return response
    context: dict[str, Any] = {
        "heading": heading,
        "message": message,
        "detail": detail,
        "back_url": _back_url() if back else "",
    }
    # Imported here: the site's modules import this one for their limits.
    from services.web.site import site_lang

    if site_lang() is not None:
        try:
            from services.web.site.pages import show

            page = show(
                "problem.html",
                heading,
                status=status,
                noindex=True,
                layout="site/_layout.html",
                **context,
            )
            site_page: Response = make_response(page)
            return site_page
        except Exception:
            # The site's layout failed too: the plain one still says what happened.
            log.exception("web.problem_page_fallback path=%s", request.path)
    body = render_template("problem.html", layout="base.html", **context)
    return Response(body, status, mimetype="text/html")


def _back_url() -> str:
    """Where the visitor finds the page again: this address when it can be
    opened (every form here posts to its own page), "" otherwise."""
    rule = request.url_rule
    if rule is not None and rule.methods is not None and "GET" in rule.methods:
        return request.path
    return ""
