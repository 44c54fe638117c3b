"""The network's public site: French at /, English under /en/."""

from services.web.site import (  # noqa: F401 - importing registers the views
    feeds,
    newsletter,
    optout,
    pages,
    surveys,
)
from services.web.site.base import bp, register, site_lang, site_url

__all__ = ["bp", "register", "site_lang", "site_url"]
