"""The panel's figures pages (being built)."""

from services.web.panel.base import bp

__all__ = ["bp"]
