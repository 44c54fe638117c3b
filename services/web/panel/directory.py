"""The panel's directory pages (being built)."""

from services.web.panel.base import bp

__all__ = ["bp"]
