"""Slugs that keep CJK characters, and URL paths that percent-encode them."""

from __future__ import annotations

import re
import unicodedata
from urllib.parse import quote

_NOT_WORD = re.compile(r"[^\w]+")
_UNSAFE_SEGMENT = re.compile(r"[\\/\x00-\x1f<>:\"|?*]")


def slugify(text: str) -> str:
    """'Hello, World!' -> 'hello-world'; '数据库 周刊' -> '数据库-周刊'.

    Letters and digits of every script are kept (readers of Chinese sites expect
    Chinese URLs); ASCII is lower-cased; everything else becomes one hyphen.
    """
    text = unicodedata.normalize("NFKC", text).lower()
    return _NOT_WORD.sub("-", text.replace("_", "-")).strip("-")


def unsafe_segment_reason(segment: str) -> str | None:
    """Why `segment` cannot be one folder name of the output, or None when it can."""
    if not segment.strip():
        return "it is empty"
    if segment in {".", ".."} or segment.startswith("."):
        return "it starts with a dot"
    if _UNSAFE_SEGMENT.search(segment):
        return "it contains a slash, backslash, control or reserved character"
    return None


def url_quote(path: str) -> str:
    """Percent-encode a site path for use in an href, keeping '/'."""
    return quote(path, safe="/#?=&%~")
