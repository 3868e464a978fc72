"""URLs as a digest sees them: tracking parameters removed, and one form per page.

Links copied from feeds and share buttons carry `utm_*`, `spm`, `from` and the
like; a link is published without them, and two spellings of one page
(http/https, www., a trailing slash, tracking) count as the same link.
"""

from __future__ import annotations

import re
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

TRACKING_PARAMETERS = frozenset(
    {
        "spm",
        "from",
        "share_from",
        "share_source",
        "share_medium",
        "scene",
        "srcid",
        "fbclid",
        "gclid",
        "dclid",
        "msclkid",
        "yclid",
        "igshid",
        "mc_cid",
        "mc_eid",
        "_hsenc",
        "_hsmi",
        "ref",
        "ref_src",
        "ref_url",
        "source",
        "sharer_shareid",
        "sharer_sharetime",
        "chksm",
        "mpshare",
        "vd_source",
        "share_token",
        "xtor",
        "wt.mc_id",
        "cmpid",
    }
)
_TRACKING_PREFIXES = ("utm_", "pk_", "mtm_", "hmsr", "hmpl", "hmcu", "hmkw", "hmci")
_SCHEME = re.compile(r"^[a-z][a-z0-9+.\-]*://", re.I)


def is_tracking(name: str) -> bool:
    lowered = name.lower()
    return lowered in TRACKING_PARAMETERS or lowered.startswith(_TRACKING_PREFIXES)


def tracking_parameters(url: str) -> list[str]:
    """The names of the tracking parameters in `url`'s query."""
    query = urlsplit(url).query
    return [name for name, _ in parse_qsl(query, keep_blank_values=True) if is_tracking(name)]


def strip_tracking(url: str) -> str:
    """`url` without tracking parameters; everything else, order included, is kept."""
    parts = urlsplit(url)
    if not parts.query:
        return url
    kept = [
        (name, value)
        for name, value in parse_qsl(parts.query, keep_blank_values=True)
        if not is_tracking(name)
    ]
    return urlunsplit(parts._replace(query=urlencode(kept, doseq=True)))


def normalize_url(url: str) -> str:
    """A key for 'is this the same link': scheme, www., case of the host, trailing slash,
    default port, fragment and tracking parameters do not matter."""
    url = url.strip()
    if not _SCHEME.match(url):
        return url
    parts = urlsplit(strip_tracking(url))
    host = (parts.hostname or "").lower().removeprefix("www.")
    port = parts.port if parts.port not in (None, 80, 443) else None
    netloc = f"{host}:{port}" if port else host
    path = parts.path.rstrip("/") or ""
    query = urlencode(sorted(parse_qsl(parts.query, keep_blank_values=True)))
    return urlunsplit(("https", netloc, path, query, ""))


def url_problem(url: str) -> str | None:
    """Why `url` is not a usable link, or None."""
    if not url.strip():
        return "the link is empty"
    if any(character.isspace() for character in url.strip()):
        return "the link contains spaces"
    parts = urlsplit(url)
    if parts.scheme in ("http", "https"):
        if not parts.hostname or ("." not in parts.hostname and parts.hostname != "localhost"):
            return f"'{url}' has no valid host name"
        try:
            _ = parts.port
        except ValueError:
            return f"'{url}' has an invalid port"
        return None
    if parts.scheme.lower() in {"javascript", "vbscript", "data"}:
        return f"'{url}' uses the {parts.scheme}: scheme"
    if not parts.scheme and (url.startswith(("/", "#", "./", "../")) or "." not in url):
        return None  # a link inside the site
    if not parts.scheme:
        return f"'{url}' has no scheme; write https://{url}"
    return None
