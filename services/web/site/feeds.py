"""The public site's feeds (being built)."""

from services.web.site.base import bp

__all__ = ["bp"]
