"""Slugs that keep CJK characters, and URL paths that percent-encode them."""

from __future__ import annotations

import functools
import re
import unicodedata
from urllib.parse import quote

_NOT_WORD = re.compile(r"[^\w]+")
_UNSAFE_SEGMENT = re.compile(r"[\\/\x00-\x1f<>:\"|?*]")
MAX_SEGMENT_BYTES = 200
"""A folder name's limit in UTF-8 bytes: file systems allow 255, and a Chinese character
takes three; the rest is room for the temporary names written beside it."""
# Names Windows gives to devices, whatever the case or extension ("con.html", "Nul").
_WINDOWS_DEVICES = frozenset(
    {"CON", "PRN", "AUX", "NUL", "CONIN$", "CONOUT$"}
    | {f"{port}{digit}" for port in ("COM", "LPT") for digit in "0123456789\u00b9\u00b2\u00b3"}
)


def slugify(text: str) -> str:
    """'Hello, World!' -> 'hello-world'; '数据库 周刊' -> '数据库-周刊'.

    Letters and digits of every script are kept (readers of Chinese sites expect
    Chinese URLs); ASCII is lower-cased; everything else becomes one hyphen.
    """
    text = unicodedata.normalize("NFKC", text).lower()
    return _NOT_WORD.sub("-", text.replace("_", "-")).strip("-")


def unsafe_segment_reason(segment: str) -> str | None:
    """Why `segment` cannot be one folder name of the output, or None when it can.

    The site must unpack on every system a reader or a CI runner uses, so what Windows
    or macOS refuses (or silently renames) is refused here too.
    """
    if not segment.strip():
        return "it is empty"
    if segment in {".", ".."} or segment.startswith("."):
        return "it starts with a dot"
    if _UNSAFE_SEGMENT.search(segment):
        return "it contains a slash, backslash, control or reserved character"
    if segment.endswith((".", " ")):
        return "it ends with a dot or a space, which Windows drops"
    if segment.split(".", 1)[0].rstrip(" ").upper() in _WINDOWS_DEVICES:
        return "it is a device name on Windows (CON, PRN, AUX, NUL, COM1, LPT1…)"
    if len(segment.encode("utf-8", "surrogatepass")) > MAX_SEGMENT_BYTES:
        return f"it is longer than {MAX_SEGMENT_BYTES} bytes, too long for a file name"
    return None


def fit_segment(slug: str, suffix: str) -> str:
    """A slug made from free text (a title, a heading), cut or extended until it is a
    safe folder name: too long is shortened at a hyphen, a device name gets `suffix`."""
    encoded = slug.encode("utf-8", "surrogatepass")
    if len(encoded) > MAX_SEGMENT_BYTES:
        cut = encoded[:MAX_SEGMENT_BYTES].decode("utf-8", "ignore")  # no half character
        hyphen = cut.rfind("-")
        slug = (cut[:hyphen] if hyphen > len(cut) // 2 else cut).rstrip("-")
    if slug and unsafe_segment_reason(slug):
        slug = f"{slug}-{suffix}"
    return slug


def url_quote(path: str) -> str:
    """Percent-encode a site path for use in an href, keeping '/'."""
    return quote(path, safe="/#?=&%~")


@functools.lru_cache(maxsize=4096)
def tag_slug(tag: str) -> str:
    """'C++' -> 'cpp', 'C#' -> 'csharp', '数据库' -> '数据库': distinct tags, distinct pages."""
    return slugify(tag.replace("++", "pp").replace("#", "sharp")) or "tag"
