"""The public site's surveys (being built)."""

from services.web.site.base import bp

__all__ = ["bp"]
