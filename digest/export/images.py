"""The size of an image the site publishes, read from its file's header.

Mail clients lay a message out before its images load, and Outlook ignores CSS sizes:
an email's images need width and height attributes. digest knows the files under
content/, so it reads PNG, GIF, JPEG, WebP and SVG sizes from them, without Pillow.
"""

from __future__ import annotations

import re
import struct
from pathlib import Path

from digest.config import CONTENT_DIR
from digest.links import site_path
from digest.model import SiteConfig

_HEAD_BYTES = 65536
_SVG_LENGTH = re.compile(r"""\s(width|height)\s*=\s*["']\s*([\d.]+)\s*(?:px)?\s*["']""")
_SVG_VIEWBOX = re.compile(
    r"""\sviewBox\s*=\s*["']\s*[-\d.]+[\s,]+[-\d.]+[\s,]+([\d.]+)[\s,]+([\d.]+)"""
)


def local_file(src: str, config: SiteConfig) -> Path | None:
    """The file under content/ that an image URL of this site names, if it exists."""
    base = config.base_url
    if src.startswith(base):
        src = config.base_path + src[len(base) :]
    found = site_path(src, config.base_path)
    if found is None:
        return None
    path = config.root / CONTENT_DIR / found
    return path if path.is_file() else None


def image_size(path: Path) -> tuple[int, int] | None:
    """(width, height) in pixels, or None for a format or file it cannot read."""
    try:
        with path.open("rb") as file:
            head = file.read(_HEAD_BYTES)
    except OSError:
        return None
    try:
        return _size(head)
    except (struct.error, ValueError, IndexError):
        return None


def is_svg(path: Path) -> bool:
    return path.suffix.lower() == ".svg"


def _size(head: bytes) -> tuple[int, int] | None:
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return struct.unpack(">II", head[16:24])
    if head[:6] in (b"GIF87a", b"GIF89a"):
        return struct.unpack("<HH", head[6:10])
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return _webp(head)
    if head.startswith(b"\xff\xd8"):
        return _jpeg(head)
    text = head.decode("utf-8", "replace")
    start = text.find("<svg")
    if start >= 0:
        return _svg(text[start : text.find(">", start) + 1])
    return None


def _webp(head: bytes) -> tuple[int, int] | None:
    kind = head[12:16]
    if kind == b"VP8X":
        width = int.from_bytes(head[24:27], "little") + 1
        height = int.from_bytes(head[27:30], "little") + 1
        return width, height
    if kind == b"VP8 ":
        width, height = struct.unpack("<HH", head[26:30])
        return width & 0x3FFF, height & 0x3FFF
    if kind == b"VP8L":
        bits = int.from_bytes(head[21:25], "little")
        return (bits & 0x3FFF) + 1, ((bits >> 14) & 0x3FFF) + 1
    return None


def _jpeg(head: bytes) -> tuple[int, int] | None:
    at = 2
    while at + 9 < len(head):
        if head[at] != 0xFF:
            return None
        marker = head[at + 1]
        length = struct.unpack(">H", head[at + 2 : at + 4])[0]
        if 0xC0 <= marker <= 0xCF and marker not in (0xC4, 0xC8, 0xCC):
            height, width = struct.unpack(">HH", head[at + 5 : at + 9])
            return width, height
        at += 2 + length
    return None


def _svg(tag: str) -> tuple[int, int] | None:
    lengths = {name: float(value) for name, value in _SVG_LENGTH.findall(tag)}
    if "width" in lengths and "height" in lengths:
        return round(lengths["width"]), round(lengths["height"])
    box = _SVG_VIEWBOX.search(tag)
    if box:
        return round(float(box[1])), round(float(box[2]))
    return None
