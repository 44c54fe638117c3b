"""What a browser would run on a page, found by a real HTML parser."""

from __future__ import annotations

import json
import re
from html.parser import HTMLParser

# Each payload carries a marker, so a page that shows it can be told from a
# page that dropped it.
PAYLOADS = (
    '<script>alert("xss-script")</script>',
    '"><img src=x onerror=alert("xss-img")>',
    "'><svg/onload=alert('xss-svg')>",
    "<a href=\"javascript:alert('xss-link')\">xss-link</a>",
    "javascript:alert('xss-bare')",
    '</textarea></title><script>alert("xss-textarea")</script>',
    "<iframe src=javascript:alert(`xss-frame`)></iframe>",
    "{{ 'xss-jinja'|upper }}{% raw %}",
)
HOSTILE = " ".join(PAYLOADS)
# Within the first 160 characters: the panel cuts long bodies there.
MARKERS = ("xss-script", "xss-img")

URL_ATTRIBUTES = {
    "href", "src", "action", "formaction", "data", "poster", "xlink:href",
    "background", "srcset", "ping", "codebase", "cite",
}  # fmt: skip
FORBIDDEN_TAGS = {"iframe", "frame", "frameset", "object", "embed", "applet", "base"}


class Executable(HTMLParser):
    """Collects everything on a page that could run, and the page's text."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.problems: list[str] = []
        self.text: list[str] = []  # what the page shows, values of fields included
        self._script: dict[str, str | None] | None = None
        self._script_text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        if tag in FORBIDDEN_TAGS:
            self.problems.append(f"<{tag}> element")
        if tag == "meta" and (found.get("http-equiv") or "").lower() == "refresh":
            self.problems.append("<meta http-equiv=refresh>")
        if tag == "img" and found.get("src") == "x":
            self.problems.append("<img src=x> made from typed text")
        if tag in ("input", "option") and found.get("value"):
            self.text.append(found["value"] or "")
        for name, value in attrs:
            if name.startswith("on"):
                self.problems.append(f"<{tag} {name}={value!r}>")
            if name in URL_ATTRIBUTES and value and _runs(value):
                self.problems.append(f"<{tag} {name}={value!r}>")
        if tag == "script":
            self._script, self._script_text = found, []

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.handle_starttag(tag, attrs)
        if tag == "script":
            self.handle_endtag(tag)

    def handle_endtag(self, tag: str) -> None:
        if tag == "script" and self._script is not None:
            self._check_script(self._script, "".join(self._script_text))
            self._script = None

    def handle_data(self, data: str) -> None:
        if self._script is not None:
            self._script_text.append(data)
        else:
            self.text.append(data)

    def _check_script(self, attrs: dict[str, str | None], body: str) -> None:
        src, kind = attrs.get("src"), (attrs.get("type") or "").lower()
        if src is not None:
            if not src.startswith("/static/"):
                self.problems.append(f"<script src={src!r}>")
            return
        if kind in ("application/json", "application/ld+json"):
            try:
                json.loads(body)
            except ValueError:
                self.problems.append(f"<script type={kind}> that is not JSON")
            return
        self.problems.append(f"inline <script>{body[:60]}</script>")


def _runs(url: str) -> bool:
    """Whether following ``url`` runs script: javascript:, vbscript:, data:."""
    bare = re.sub(r"[\x00-\x20]", "", url).lower()
    return bare.startswith(("javascript:", "vbscript:", "data:text", "data:app"))


def read(page: str) -> Executable:
    parser = Executable()
    parser.feed(page)
    parser.close()
    return parser


def assert_inert(page: str, *, shows: bool = True, where: str = "") -> None:
    """Nothing on ``page`` can run; with ``shows``, the hostile text is there,
    as text, so it was really put on this page."""
    parsed = read(page)
    assert parsed.problems == [], where
    assert "XSS-JINJA" not in page, f"{where}: a template ran typed text"
    if shows:
        text = "".join(parsed.text)
        assert all(marker in text for marker in MARKERS), f"{where}: not shown"
