"""The web service: Flask app factory and its blueprints."""

from __future__ import annotations

from typing import Any

from flask import Flask, g, request, session
from flask_babel import Babel
from flask_wtf.csrf import CSRFProtect
from werkzeug.middleware.proxy_fix import ProxyFix

from services.web import panel, security
from shared.i18n import LANGUAGES, TRANSLATIONS_DIR, pick_language
from shared.runtime import Runtime

csrf = CSRFProtect()
babel = Babel()


def create_app(runtime: Runtime, test_config: dict[str, Any] | None = None) -> Flask:
    app = Flask(__name__)
    app.config.update(
        SECRET_KEY=runtime.settings.secret_key,
        BABEL_TRANSLATION_DIRECTORIES=str(TRANSLATIONS_DIR),
        BABEL_DEFAULT_LOCALE="fr",
        # Times on pages are shown in the network's time zone, not in UTC.
        BABEL_DEFAULT_TIMEZONE=runtime.settings.timezone,
        WTF_CSRF_TIME_LIMIT=None,
        MAX_CONTENT_LENGTH=1024 * 1024,
    )
    # Cookie flags and the rate limiter's storage (services/web/security.py).
    app.config.update(security.config(runtime.settings))
    if test_config:
        app.config.update(test_config)
    app.extensions["glanage"] = runtime
    if runtime.settings.trusted_proxies > 0:
        # Behind a TLS proxy: the visitor's address (rate limits, logs) and
        # scheme come from its headers, and only from as many hops as trusted.
        hops = runtime.settings.trusted_proxies
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops)  # type: ignore[method-assign]

    csrf.init_app(app)
    babel.init_app(app, locale_selector=_locale)
    panel.login_manager.init_app(app)
    panel.limiter.init_app(app)
    security.init_app(app, runtime.settings)
    app.jinja_env.policies["ext.i18n.trimmed"] = True

    from services.web import api, claim, farmer, health, site, sms

    site.register(app)
    for blueprint in (sms.bp, claim.bp, farmer.bp, panel.bp, api.bp, health.bp):
        app.register_blueprint(blueprint)
    csrf.exempt(sms.bp)
    csrf.exempt(api.bp)

    @app.teardown_appcontext
    def _close_session(_error: BaseException | None) -> None:
        db = g.pop("db", None)
        if db is not None:
            db.close()

    @app.context_processor
    def _template_globals() -> dict[str, Any]:
        return {"lang": _locale(), "other_lang": "en" if _locale() == "fr" else "fr"}

    return app


def _locale() -> str:
    """The public site's URL decides (/en/…); elsewhere ?lang= wins and is
    remembered, then the browser's preference; French first."""
    from services.web.site import site_lang

    if by_url := site_lang():
        return by_url
    asked = request.args.get("lang")
    if asked in LANGUAGES:
        session["lang"] = asked
        return asked
    if session.get("lang") in LANGUAGES:
        return str(session["lang"])
    best = request.accept_languages.best_match(LANGUAGES, default="fr")
    return pick_language(best)
