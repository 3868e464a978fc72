"""Rewriting URLs inside rendered HTML: for a sub-path site, and for feeds.

Authors write `/images/x.png` meaning "at the root of my site"; when the site
lives at https://user.github.io/weekly/ that must become /weekly/images/x.png.
Feed readers resolve nothing, so feed content gets absolute URLs throughout.
"""

from __future__ import annotations

import posixpath
import re
from collections.abc import Callable
from urllib.parse import unquote, urljoin, urlsplit

_URL_ATTR = re.compile(
    r"""(?P<lead>\s(?P<name>href|src|poster|cite|action)\s*=\s*)(?P<quote>["']?)(?P<url>[^"'\s>]*)(?P=quote)""",
    re.IGNORECASE,
)
_TAG = re.compile(r"""<[A-Za-z][^\s/<>]*(?:[^<>"']|"[^"]*"|'[^']*')*>""")
"""An HTML start tag (quoted attribute values may hold '>'); escaped text never matches."""
_SOURCES = frozenset({"src", "srcset", "poster"})
_FILE_SUFFIXES = frozenset(
    {
        *("apng", "avif", "bmp", "gif", "heic", "ico", "jpeg", "jpg", "jxl", "png", "svg"),
        *("tif", "tiff", "webp", "flac", "m4a", "m4v", "mov", "mp3", "mp4", "oga", "ogg"),
        *("ogv", "wav", "webm", "7z", "csv", "doc", "docx", "epub", "gz", "json", "key"),
        *("pdf", "ppt", "pptx", "rar", "tgz", "txt", "xls", "xlsx", "zip"),
    }
)
"""What a relative link points at when it is a file beside the issue (an image, a PDF),
not a page: an <a href="other-issue.md"> or an author's `[site](example.com)` is left
as written."""
_MAYBE_RELATIVE = re.compile(
    r"""\s(?:src|poster|href)\s*=\s*["']?(?![A-Za-z][A-Za-z0-9+.\-]*:|/|#|\?)""", re.I
)
"""An attribute whose URL may be relative: without it, relocate has nothing to do."""
_SITE_PATH = re.compile(r"/[A-Za-z0-9_.~/=&%-]*")
_SRCSET = re.compile(
    r"""(?P<lead>\ssrcset\s*=\s*)(?P<quote>["'])(?P<value>[^"']*)(?P=quote)""", re.I
)


_SCHEME = re.compile(r"[a-z][a-z0-9+.\-]*:", re.I)


def is_local(url: str) -> bool:
    """True for a path inside the site: no scheme, not protocol-relative, not a fragment."""
    return bool(url) and not (
        url.startswith(("#", "//", "mailto:", "tel:", "data:")) or _SCHEME.match(url)
    )


def is_relative(url: str) -> bool:
    """True for a path relative to the page: 'cover.jpg', './assets/x.png', '../img/x.png';
    not '/x', '//host/x', '#top', '?q', 'data:…' or any URL with a scheme."""
    return is_local(url) and not url.startswith(("/", "?"))


def from_folder(url: str, folder: str) -> str | None:
    """A relative URL written in a file of `folder` (below content/, '' for content/
    itself) as a URL from the site root: './assets/x.png' in 'issues' gives
    '/issues/assets/x.png', '../img/x.png' in 'issues/2024' gives '/issues/img/x.png'.
    None for one that climbs out of content/."""
    cut = min((i for i in (url.find("?"), url.find("#")) if i >= 0), default=len(url))
    path, rest = url[:cut], url[cut:]
    joined = posixpath.normpath(posixpath.join(folder, path)) if path else folder
    if joined in ("", ".") or joined == ".." or joined.startswith("../"):
        return None
    if path.endswith("/") and not joined.endswith("/"):
        joined += "/"
    return "/" + joined + rest


def is_file_url(url: str) -> bool:
    """A relative URL that names a file by its suffix ('slides.pdf', 'x.png?v=2')."""
    path = re.split(r"[?#]", url, maxsplit=1)[0]
    name = path.rsplit("/", 1)[-1]
    return "." in name and name.rsplit(".", 1)[1].lower() in _FILE_SUFFIXES


def site_path(src: str, base_path: str) -> str | None:
    """The file below the site root that a root-relative URL names, decoded
    ('/weekly/img/%E5%9B%BE.png' -> 'img/图.png' for base path '/weekly/'); None for
    one that is not root-relative or that climbs above the root."""
    if not src.startswith("/") or src.startswith("//"):
        return None
    path = re.split(r"[?#]", src, maxsplit=1)[0]
    path = path[len(base_path) :] if path.startswith(base_path) else path[1:]
    path = posixpath.normpath(unquote(path)) if path else ""
    if path in ("", ".", "..") or path.startswith(("../", "/")):
        return None
    return path


def under_base(url: str, base_path: str) -> str:
    """'/images/x.png' -> '/weekly/images/x.png' for base path '/weekly/'; others unchanged."""
    if base_path == "/" or not url.startswith("/") or url.startswith("//"):
        return url
    return base_path + url[1:]


def rewrite_urls(html: str, rewrite) -> str:
    """Apply `rewrite(url) -> url` to every URL attribute (srcset included) in `html`."""
    return _rewrite_attrs(html, lambda name, url: rewrite(url))


def _rewrite_attrs(html: str, rewrite: Callable[[str, str], str]) -> str:
    """Apply `rewrite(attribute name, url) -> url` to every URL attribute in `html`;
    srcset candidates are passed as 'srcset'."""

    def attr(match: re.Match[str]) -> str:
        quote = match["quote"] or '"'
        return f"{match['lead']}{quote}{rewrite(match['name'].lower(), match['url'])}{quote}"

    def srcset(match: re.Match[str]) -> str:
        candidates = []
        for candidate in match["value"].split(","):
            parts = candidate.strip().split(maxsplit=1)
            if parts:
                parts[0] = rewrite("srcset", parts[0])
                candidates.append(" ".join(parts))
        return f"{match['lead']}{match['quote']}{', '.join(candidates)}{match['quote']}"

    return _SRCSET.sub(srcset, _URL_ATTR.sub(attr, html))


def relocate(html: str, folder: str | None, base_path: str) -> str:
    """An issue's HTML as its page shows it: relative image sources (src, srcset, poster)
    and links to files ('assets/slides.pdf') resolved against the issue file's `folder`
    below content/ (None: left relative), then root-relative URLs moved under the base
    path. Only real tags are touched, never text that shows HTML as code."""
    if folder is None:
        return localize(html, base_path)

    def rewrite(name: str, url: str) -> str:
        if is_relative(url) and (name in _SOURCES or (name == "href" and is_file_url(url))):
            url = from_folder(url, folder) or url
        return under_base(url, base_path)

    if "<" not in html or (
        base_path == "/" and "srcset" not in html and not _MAYBE_RELATIVE.search(html)
    ):
        return html  # most HTML: links with a scheme and root-relative images only
    return _TAG.sub(lambda tag: _rewrite_attrs(tag.group(), rewrite), html)


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
