"""The file behind an image URL of the site, for an export's width and height.

Mail clients lay a message out before its images load, and Outlook ignores CSS sizes:
an email's images need width and height attributes. digest knows the files under
content/; their sizes are read as the site's pages read them (digest.site.images).
"""

from __future__ import annotations

from pathlib import Path

from digest.config import CONTENT_DIR
from digest.model import SiteConfig
from digest.text.links import site_path


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


def is_svg(path: Path) -> bool:
    return path.suffix.lower() == ".svg"
