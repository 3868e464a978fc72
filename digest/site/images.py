"""What a rendered page says about its images and its code, finished after rendering.

A browser that knows an image's size before loading it keeps the text below where it is
(an issue page shifted by a fifth of the screen as its pictures arrived): every local
image gets `width` and `height`, read by Pillow from a raster file's header or from an
SVG's `width`/`height` or `viewBox`. Images past the first are `loading="lazy"` and
every one `decoding="async"`: the first image is the one on the first screen (the
header holds none). And a page without highlighted code does not load `pygments.css`.

Done on the HTML every template produced, so an author's own `<img>` in an issue, a
theme's cover and an item's picture are treated alike.
"""

from __future__ import annotations

import html
import os
import re
from pathlib import Path
from urllib.parse import unquote, urlsplit

from digest.config import CONTENT_DIR
from digest.content.markdown import HIGHLIGHT_CLASS

_IMG = re.compile(r"<img\b[^>]*>", re.I)
_ATTRIBUTE = re.compile(r"""\s([a-zA-Z-]+)(?:\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s"'=<>`]+)))?""")
_SVG_TAG = re.compile(rb"<svg\b[^>]*>", re.I | re.S)
_SVG_ATTRIBUTE = re.compile(rb"""\s(width|height|viewBox)\s*=\s*["']([^"']*)["']""", re.I)
_LENGTH = re.compile(rb"^\s*([0-9]*\.?[0-9]+)\s*(px)?\s*$")
_SWAPPED_ORIENTATIONS = frozenset({5, 6, 7, 8})
"""EXIF orientations that turn a picture a quarter: its width is shown as its height."""


class ImageSizes:
    """Width and height of the site's local images by URL, remembered per file version."""

    def __init__(self, site_root: Path, theme_root: Path, base_path: str) -> None:
        self.base_path = base_path
        self.folders = [site_root / CONTENT_DIR, site_root / "static", theme_root / "static"]
        self.inside = [folder.resolve() for folder in (site_root, theme_root)]
        self.known: dict[str, tuple[int, int, tuple[int, int] | None]] = {}

    def size(self, src: str) -> tuple[int, int] | None:
        """(width, height) of the image a page's `src` names, None if it is not a local
        image digest can read."""
        parts = urlsplit(html.unescape(src))
        if parts.scheme or parts.netloc or not parts.path.startswith(self.base_path):
            return None
        relative = unquote(parts.path[len(self.base_path) :])
        if not relative or ".." in relative.split("/"):
            return None
        for folder in self.folders:
            path = folder / relative
            try:
                status = path.stat()
            except (OSError, ValueError):
                continue
            key = str(path)
            found = self.known.get(key)
            if found is not None and found[:2] == (status.st_mtime_ns, status.st_size):
                return found[2]
            real = Path(os.path.realpath(path))
            dimensions = (
                read_size(path) if any(real.is_relative_to(i) for i in self.inside) else None
            )
            self.known[key] = (status.st_mtime_ns, status.st_size, dimensions)
            return dimensions
        return None


def read_size(path: Path) -> tuple[int, int] | None:
    """The displayed size of an image file, or None if it is no image digest can read."""
    if path.suffix.lower() == ".svg":
        return _svg_size(path)
    from PIL import Image, UnidentifiedImageError  # only builds with images pay the import

    try:
        with Image.open(path) as image:
            width, height = image.size
            try:
                orientation = image.getexif().get(0x0112)
            except Exception:  # a broken EXIF block is no reason to fail a build
                orientation = None
    except (OSError, UnidentifiedImageError, ValueError, Image.DecompressionBombError):
        return None
    if orientation in _SWAPPED_ORIENTATIONS:
        width, height = height, width
    return (width, height) if width > 0 and height > 0 else None


def _svg_size(path: Path) -> tuple[int, int] | None:
    """From the root element: `width` and `height` in pixels, else the `viewBox`."""
    try:
        with open(path, "rb") as file:
            head = file.read(16384)
    except OSError:
        return None
    tag = _SVG_TAG.search(head)
    if tag is None:
        return None
    values = {name.decode().lower(): value for name, value in _SVG_ATTRIBUTE.findall(tag.group())}
    width, height = (_LENGTH.match(values.get(name, b"")) for name in ("width", "height"))
    if width and height:
        size = (round(float(width.group(1))), round(float(height.group(1))))
    else:
        box = values.get("viewbox", b"").replace(b",", b" ").split()
        try:
            size = (round(float(box[2])), round(float(box[3]))) if len(box) == 4 else (0, 0)
        except ValueError:
            return None
    return size if size[0] > 0 and size[1] > 0 else None


def finish_page(text: str, sizes: ImageSizes, code_style_href: str) -> str:
    """The page with its images sized and lazy past the first, and without the code
    stylesheet (`<link … href="code_style_href">`) if it shows no highlighted code."""
    first = True

    def image(match: re.Match[str]) -> str:
        nonlocal first
        tag = match.group()
        attributes = {
            name.lower(): next((v for v in values if v), "")
            for name, *values in _ATTRIBUTE.findall(tag)
        }
        added = []
        if "width" not in attributes and "height" not in attributes:
            size = sizes.size(attributes.get("src", ""))
            if size is not None:
                added.append(f'width="{size[0]}" height="{size[1]}"')
        if not first and "loading" not in attributes:
            added.append('loading="lazy"')
        if "decoding" not in attributes:
            added.append('decoding="async"')
        first = False
        if not added:
            return tag
        close = " />" if tag.endswith("/>") else ">"
        return f"{tag[: -len(close.strip())].rstrip()} {' '.join(added)}{close}"

    if "<img" in text:
        text = _IMG.sub(image, text)
    if f'class="{HIGHLIGHT_CLASS}"' not in text:
        text = text.replace(f'<link rel="stylesheet" href="{code_style_href}">\n', "")
    return text
