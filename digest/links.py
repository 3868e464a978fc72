"""Rewriting URLs inside rendered HTML: for a sub-path site, and for feeds.

Authors write `/images/x.png` meaning "at the root of my site"; when the site
lives at https://user.github.io/weekly/ that must become /weekly/images/x.png.
Feed readers resolve nothing, so feed content gets absolute URLs throughout.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from urllib.parse import urljoin, urlsplit

_URL_ATTR = re.compile(
    r"""(?P<lead>\s(?:href|src|poster|cite|action)\s*=\s*)(?P<quote>["']?)(?P<url>[^"'\s>]*)(?P=quote)""",
    re.IGNORECASE,
)
_SITE_PATH = re.compile(r"/[A-Za-z0-9_.~/=&%-]*")
_SRCSET = re.compile(
    r"""(?P<lead>\ssrcset\s*=\s*)(?P<quote>["'])(?P<value>[^"']*)(?P=quote)""", re.I
)


def is_local(url: str) -> bool:
    """True for a path inside the site: no scheme, not protocol-relative, not a fragment."""
    return bool(url) and not (
        url.startswith(("#", "//", "mailto:", "tel:", "data:"))
        or re.match(r"^[a-z][a-z0-9+.\-]*:", url, re.I)
    )


def under_base(url: str, base_path: str) -> str:
    """'/images/x.png' -> '/weekly/images/x.png' for base path '/weekly/'; others unchanged."""
    if base_path == "/" or not url.startswith("/") or url.startswith("//"):
        return url
    return base_path + url[1:]


def rewrite_urls(html: str, rewrite) -> str:
    """Apply `rewrite(url) -> url` to every URL attribute (srcset included) in `html`."""

    def attr(match: re.Match[str]) -> str:
        quote = match["quote"] or '"'
        return f"{match['lead']}{quote}{rewrite(match['url'])}{quote}"

    def srcset(match: re.Match[str]) -> str:
        candidates = []
        for candidate in match["value"].split(","):
            parts = candidate.strip().split(maxsplit=1)
            if parts:
                parts[0] = rewrite(parts[0])
                candidates.append(" ".join(parts))
        return f"{match['lead']}{match['quote']}{', '.join(candidates)}{match['quote']}"

    return _SRCSET.sub(srcset, _URL_ATTR.sub(attr, html))


def localize(html: str, base_path: str) -> str:
    """Root-relative URLs in author HTML, moved under the site's base path."""
    if base_path == "/":
        return html
    return rewrite_urls(html, lambda url: under_base(url, base_path))


def absolutize(html: str, page_url: str) -> str:
    """Every relative URL made absolute against the page it appears on (for feeds)."""
    return rewrite_urls(html, lambda url: urljoin(page_url, url) if url else url)


def joiner(base: str) -> Callable[[str], str]:
    """`urljoin(base, path)` for the many paths of one site (a sitemap has one per page).

    A quoted path from the site root ('/weekly/issues/1/') is put after the base's scheme
    and host as it is, unless it has something urljoin would rewrite (an empty or a dot
    segment; a query, fragment or parameters, which it drops when empty); urljoin's
    parsing was most of a 4,600-page sitemap's time.
    """
    parts = urlsplit(base)
    origin = f"{parts.scheme}://{parts.netloc}" if parts.scheme and parts.netloc else None

    def join(path: str) -> str:
        if origin and _SITE_PATH.fullmatch(path) and "//" not in path and "/." not in path:
            return origin + path
        return urljoin(base, path)

    return join
