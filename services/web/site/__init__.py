"""The network's public site: French at /, English under /en/."""

from services.web.site import feeds, newsletter, pages, surveys  # noqa: F401 - views
from services.web.site.base import bp, register, site_lang, site_url

__all__ = ["bp", "register", "site_lang", "site_url"]
