"""The public site's newsletter (being built)."""

from services.web.site.base import bp

__all__ = ["bp"]
