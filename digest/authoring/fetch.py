"""`digest fetch`: the week's candidate links, from the author's feeds into content/inbox/.

Every byte from the network comes through `download`, which has a timeout, a size
limit, gzip and conditional GET; feedparser only ever parses bytes, never opens a
URL or a file itself. Feeds download concurrently; one that fails is reported in a
line and the others go on. What a run learns (each feed's ETag and Last-Modified,
every URL ever written to the inbox) is kept in `.digest/fetch.json`.
"""

from __future__ import annotations

import codecs
import http.client
import io
import json
import os
import re
import sys
import time
import urllib.error
import urllib.request
import xml.sax
import zlib
from concurrent.futures import Future, ThreadPoolExecutor, as_completed
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta, tzinfo
from pathlib import Path
from typing import IO, Any, TextIO
from urllib.parse import quote, urlsplit, urlunsplit
from zoneinfo import ZoneInfo

import feedparser

try:
    import fcntl
except ImportError:  # Windows: runs are not serialised
    fcntl = None  # type: ignore[assignment]

from digest import __version__
from digest.authoring.inbox import (
    FeedEntry,
    inbox_dir,
    inbox_urls,
    make_candidate,
    published_urls,
    read_issues,
    write_candidate,
)
from digest.authoring.network import failure_reason, not_global
from digest.authoring.opml import read_opml
from digest.authoring.plaintext import clean_text, html_to_text
from digest.config import CONFIG_NAME, load_config
from digest.content.frontmatter import parse_date
from digest.errors import DigestError, Problem, display_path
from digest.lock import site_lock
from digest.model import FeedSource, Issue
from digest.text.urls import normalize_url

USER_AGENT = f"digest/{__version__} (+feed fetcher)"
TIMEOUT = 20.0
"""Seconds a server may stay silent; a whole download may take four times as long."""
MAX_BYTES = 10 * 1024 * 1024
WORKERS = 8
CACHE_DIR = ".digest"
CACHE_NAME = "fetch.json"
"""Held (an OS file lock) by a run from reading what is known to saving it."""
FIRST_WINDOW = timedelta(days=7)
"""How far back the first fetch of a site with no issue looks."""

_ACCEPT = (
    "application/rss+xml, application/atom+xml, application/rdf+xml, "
    "application/xml;q=0.9, text/xml;q=0.9, */*;q=0.5"
)
_HTML_TYPES = ("text/html", "application/xhtml+xml")
_DECLARED_ENCODING = re.compile(rb"""^\s*<\?xml[^>]*?encoding\s*=\s*["']([A-Za-z0-9._:-]+)""")
# Charsets servers label everything with by default; a feed's own declaration beats them.
_DEFAULT_CHARSETS = {"iso-8859-1", "latin-1", "latin1", "us-ascii", "ascii", "windows-1252"}


# -- download ---------------------------------------------------------------------------


class DownloadError(Exception):
    """Why a download failed, in words for the author."""


@dataclass(frozen=True, slots=True)
class Download:
    url: str
    """Where the bytes came from, after redirects."""
    status: int
    """200, or 304 when the conditional GET found nothing new."""
    headers: dict[str, str]
    """Response headers, names lower-cased."""
    body: bytes
    """Decompressed."""
    moved_to: str | None = None
    """The new address when every redirect on the way was permanent (301, 308)."""


class _Redirects(urllib.request.HTTPRedirectHandler):
    """Follows redirects to http(s) only (never file: or ftp:) and notes their codes.

    A feed on the internet must not lead digest to this machine or the author's network
    (a router's admin page, a cloud's metadata service): a redirect to another host or
    port than the source's own is refused when that address is loopback, private,
    link-local or otherwise not global. A source the author gave on such an address
    (a feed on the local network) may still redirect within itself.
    """

    max_redirections = 5

    def __init__(self, origin: str) -> None:
        self.codes: list[int] = []
        self.origin = _endpoint(origin)

    def redirect_request(
        self,
        req: urllib.request.Request,
        fp: IO[bytes],
        code: int,
        msg: str,
        headers: http.client.HTTPMessage,
        newurl: str,
    ) -> urllib.request.Request | None:
        if urlsplit(newurl).scheme.lower() not in ("http", "https"):
            raise DownloadError(f"redirected to '{newurl}', which is not an http(s) URL")
        target = _endpoint(newurl)
        if target is None or (target != self.origin and not_global(target[0], target[1] or None)):
            raise DownloadError(
                f"redirected to '{newurl}', an address on this machine or a private "
                "network; refused"
            )
        self.codes.append(code)
        return super().redirect_request(req, fp, code, msg, headers, newurl)


def _endpoint(url: str) -> tuple[str, int] | None:
    """(host, port) of an http(s) URL, the default ports 80 and 443 counting as one (an
    upgrade to https stays on its host); None when the port is not a number."""
    parts = urlsplit(url)
    try:
        port = parts.port
    except ValueError:
        return None
    host = (parts.hostname or "").lower().rstrip(".")
    return host, 0 if port in (None, 80, 443) else port


def download(
    url: str,
    *,
    timeout: float = TIMEOUT,
    max_bytes: int = MAX_BYTES,
    etag: str | None = None,
    last_modified: str | None = None,
) -> Download:
    """GET an http(s) URL: the one place digest touches the network.

    Redirects are followed, gzip is undone, a body over `max_bytes` (before or after
    decompression) is refused, and `etag`/`last_modified` make the request conditional.
    Raises DownloadError with a message fit for the author.
    """
    request_url = _ascii_url(url)
    headers = {"User-Agent": USER_AGENT, "Accept": _ACCEPT, "Accept-Encoding": "gzip"}
    if etag:
        headers["If-None-Match"] = etag
    if last_modified:
        headers["If-Modified-Since"] = last_modified
    redirects = _Redirects(request_url)
    opener = urllib.request.build_opener(redirects)
    deadline = time.monotonic() + 4 * timeout
    try:
        request = urllib.request.Request(request_url, headers=headers)
        with opener.open(request, timeout=timeout) as response:
            response_headers = {name.lower(): value for name, value in response.headers.items()}
            body = _read_body(response, response_headers, max_bytes, deadline, timeout)
            final_url, status = response.url, response.status
    except urllib.error.HTTPError as error:
        error.close()
        if error.code == 304:
            return Download(url, 304, {k.lower(): v for k, v in error.headers.items()}, b"")
        raise DownloadError(f"HTTP {error.code} {error.reason}") from None
    except urllib.error.URLError as error:
        raise DownloadError(failure_reason(error.reason, timeout)) from None
    except TimeoutError:
        raise DownloadError(f"timed out: no answer within {timeout:g} s") from None
    except http.client.HTTPException as error:
        raise DownloadError(f"broken HTTP response ({type(error).__name__})") from None
    except OSError as error:
        raise DownloadError(failure_reason(error, timeout)) from None
    except ValueError as error:
        raise DownloadError(f"not a usable URL ({error})") from None
    permanent = bool(redirects.codes) and all(code in (301, 308) for code in redirects.codes)
    moved_to = final_url if permanent and final_url != request_url else None
    return Download(final_url, status, response_headers, body, moved_to)


def _ascii_url(url: str) -> str:
    """Chinese paths and host names as HTTP needs them: percent-encoded, IDNA."""
    parts = urlsplit(url.strip())
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
        raise DownloadError(f"'{url}' is not an http(s) URL")
    try:
        host = parts.hostname.encode("idna").decode("ascii")
        port = parts.port
    except UnicodeError:
        raise DownloadError(f"'{parts.hostname}' is not a valid host name") from None
    except ValueError:
        raise DownloadError(f"'{url}' has an invalid port") from None
    if ":" in host:
        host = f"[{host}]"
    netloc = f"{host}:{port}" if port else host
    if parts.username:
        netloc = f"{parts.netloc.rpartition('@')[0]}@{netloc}"
    safe = "/%:@!$&'()*+,;=~-._"
    return urlunsplit(
        (
            parts.scheme.lower(),
            netloc,
            quote(parts.path, safe=safe),
            quote(parts.query, safe=safe + "?"),
            "",
        )
    )


def _read_body(
    response: Any, headers: dict[str, str], max_bytes: int, deadline: float, timeout: float
) -> bytes:
    limit = f"{max_bytes / 1024 / 1024:g} MB"
    length = headers.get("content-length", "")
    if length.isdigit() and int(length) > max_bytes:
        raise DownloadError(f"the response is {int(length):,} bytes, over the {limit} limit")
    coding = headers.get("content-encoding", "").strip().lower()
    if coding in ("gzip", "x-gzip"):
        decompressor = zlib.decompressobj(16 + zlib.MAX_WBITS)
    elif coding == "deflate":
        decompressor = zlib.decompressobj()
    elif coding in ("", "identity"):
        decompressor = None
    else:
        raise DownloadError(f"the response is compressed with '{coding}', which digest cannot read")
    body = bytearray()
    received = 0
    try:
        while chunk := response.read(64 * 1024):
            received += len(chunk)
            if time.monotonic() > deadline:
                raise DownloadError(f"timed out: the download took over {4 * timeout:g} s")
            if decompressor is None:
                body += chunk
            else:
                body += decompressor.decompress(chunk, max_bytes + 1 - len(body))
            if received > max_bytes or len(body) > max_bytes:
                raise DownloadError(f"the response is over the {limit} limit; refused")
        if decompressor is not None:
            body += decompressor.flush()
    except zlib.error as error:
        raise DownloadError(f"the {coding} data is damaged ({error})") from None
    if len(body) > max_bytes:
        raise DownloadError(f"the response is over the {limit} limit; refused")
    return bytes(body)


# -- feeds ------------------------------------------------------------------------------


class FeedError(Exception):
    """Why bytes that were downloaded are not a feed digest can read."""


@dataclass(frozen=True, slots=True)
class Feed:
    title: str
    entries: tuple[FeedEntry, ...]
    warnings: tuple[str, ...] = ()


def parse_feed(body: bytes, content_type: str, url: str, zone: tzinfo) -> Feed:
    """RSS 0.9x/1.0/2.0 or Atom bytes to entries. The charset comes from `content_type`
    (the HTTP header), else from the XML declaration; relative links resolve against `url`.
    """
    if not body.strip():
        raise FeedError("the response is empty, not a feed")
    response_headers = {"content-type": _charset_fixed(content_type, body)}
    if url.lower().startswith(("http://", "https://")):
        response_headers["content-location"] = url
    # A BytesIO, not bytes: feedparser would open bytes that name a local file or a URL.
    parsed = feedparser.parse(
        io.BytesIO(body),
        response_headers=response_headers,
        resolve_relative_uris=True,
        sanitize_html=True,
    )
    problem = parsed.get("bozo_exception") if parsed.get("bozo") else None
    malformed = isinstance(problem, xml.sax.SAXException)
    # The lenient parser makes empty entries out of broken markup; they are not entries.
    usable = [entry for entry in parsed.entries if entry.get("link") or entry.get("title")]
    if not usable:
        media = content_type.partition(";")[0].strip().lower()
        looks_html = re.match(rb"\s*<(!doctype html|html)", body[:512], re.I)
        if not parsed.get("version") and (media in _HTML_TYPES or looks_html):
            raise FeedError("this is an HTML page, not a feed; give the address of its RSS/Atom")
        if body.lstrip(b" \t\r\n\xef\xbb\xbf")[:1] not in (b"<", b"\xff", b"\xfe", b"\x00"):
            raise FeedError("not an RSS or Atom feed: the response is not XML")
        if malformed:
            raise FeedError(f"malformed XML: {_sax_message(problem, body)}")
        if not parsed.get("version"):
            raise FeedError("not an RSS or Atom feed")
    warnings = []
    if malformed:
        warnings.append(
            f"malformed XML ({_sax_message(problem, body)}); "
            f"{len(usable)} entr{'y' if len(usable) == 1 else 'ies'} read leniently, check them"
        )
    if isinstance(problem, feedparser.CharacterEncodingUnknown):
        warnings.append("the text encoding is unknown; titles may be garbled")
    elif isinstance(problem, feedparser.CharacterEncodingOverride):
        guessed = _guessed_encoding(parsed.get("encoding", ""), response_headers, body)
        if guessed:
            warnings.append(guessed)
    title_detail = parsed.feed.get("title_detail") or {}
    title = parsed.feed.get("title", "")
    title = html_to_text(title) if title_detail.get("type") in _HTML_TYPES else clean_text(title)
    entries = tuple(_entry(entry, zone) for entry in usable)
    return Feed(title, entries, tuple(warnings))


def _charset_fixed(content_type: str, body: bytes) -> str:
    """The Content-Type to trust. A server's catch-all ISO-8859-1 would turn a GBK or Big5
    feed into mojibake without a word from feedparser; the feed's own declaration wins
    over such a default when the bytes really are in the declared encoding."""
    media, _, parameters = content_type.partition(";")
    charset = ""
    for parameter in parameters.split(";"):
        name, _, value = parameter.partition("=")
        if name.strip().lower() == "charset":
            charset = value.strip().strip("\"'").lower()
    declared_match = _DECLARED_ENCODING.match(body[:1024])
    if not charset or charset not in _DEFAULT_CHARSETS or declared_match is None:
        return content_type
    declared = declared_match.group(1).decode("ascii")
    try:
        if codecs.lookup(declared).name in {codecs.lookup(c).name for c in _DEFAULT_CHARSETS}:
            return content_type
        body.decode(declared)
    except (LookupError, UnicodeDecodeError):
        return content_type
    return f"{media.strip()}; charset={declared}"


def _guessed_encoding(used: str, headers: dict[str, str], body: bytes) -> str | None:
    """A warning when feedparser had to guess: the bytes were not in the encoding the
    feed declares (XML declaration, else UTF-8) nor in the HTTP charset. Text read
    that way is mojibake, so the author should hear of it. (feedparser also overrides
    text/xml's RFC 3023 default of us-ascii for every non-ASCII feed: that is fine.)"""
    declared_match = _DECLARED_ENCODING.match(body[:1024])
    declared = declared_match.group(1).decode("ascii") if declared_match else "utf-8"
    charset = ""
    for parameter in headers.get("content-type", "").split(";")[1:]:
        name, _, value = parameter.partition("=")
        if name.strip().lower() == "charset":
            charset = value.strip().strip("\"'")
    try:
        if codecs.lookup(used).name in {
            codecs.lookup(name).name for name in (declared, charset) if name
        }:
            return None
    except LookupError:
        pass
    return (
        f"the feed is not in the text encoding it declares ({charset or declared}); "
        f"it was read as {used}, so titles may be garbled"
    )


def _sax_message(problem: Any, body: bytes) -> str:
    """Where the XML broke, as an editor counts: feedparser parses the text with an XML
    declaration put first (a line of its own when the feed has none), expat counts
    columns from 0."""
    if not isinstance(problem, xml.sax.SAXParseException):
        return str(problem)
    line, column = problem.getLineNumber(), problem.getColumnNumber()
    if line is None or column is None:  # expat always knows; another parser may not
        return str(problem)
    column += 1
    if not body.lstrip(b" \t\r\n\xef\xbb\xbf").startswith(b"<?xml"):
        line -= 1
    return f"line {max(line, 1)}, column {column}: {problem.getMessage()}"


def _entry(entry: Any, zone: tzinfo) -> FeedEntry:
    summary, summary_type = entry.get("summary", ""), (entry.get("summary_detail") or {})
    if not summary.strip() and entry.get("content"):
        summary, summary_type = entry.content[0].get("value", ""), entry.content[0]
    link = entry.get("link") or ""
    if not link and str(entry.get("id", "")).startswith(("http://", "https://")):
        link = entry.id
    return FeedEntry(
        title=entry.get("title", ""),
        title_is_html=(entry.get("title_detail") or {}).get("type") in _HTML_TYPES,
        link=link,
        published=_published(entry, zone),
        summary=summary,
        summary_is_html=summary_type.get("type", "text/html") in _HTML_TYPES,
    )


def _published(entry: Any, zone: tzinfo) -> datetime | None:
    for key in ("published", "updated", "created"):
        parsed = entry.get(f"{key}_parsed")
        if parsed:
            return datetime(*parsed[:6]).replace(tzinfo=UTC)
    for key in ("published", "updated"):
        moment = parse_date(entry.get(key), zone)  # '2026-01-12 10:00' read in the site's zone
        if moment is not None:
            return moment
    return None


# -- the cache --------------------------------------------------------------------------


@dataclass(slots=True)
class FetchCache:
    """What fetch remembers between runs: each feed's validators for conditional GET, and
    every URL ever written to the inbox, so a deleted candidate stays deleted."""

    path: Path
    validators: dict[str, dict[str, str]] = field(default_factory=dict)
    seen: set[str] = field(default_factory=set)

    @classmethod
    def load(cls, path: Path) -> tuple[FetchCache, Problem | None]:
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return cls(path), None
        except (OSError, ValueError) as error:
            message = f"the fetch cache is unreadable ({error}); starting afresh"
            return cls(path), Problem(path, None, message, "warning")
        data = data if isinstance(data, dict) else {}
        sources, listed = data.get("sources"), data.get("seen")
        validators = sources if isinstance(sources, dict) else {}
        seen = listed if isinstance(listed, list) else []
        return (
            cls(
                path,
                {url: dict(v) for url, v in validators.items() if isinstance(v, dict)},
                {url for url in seen if isinstance(url, str)},
            ),
            None,
        )

    def save(self) -> None:
        """Written whole and renamed into place, so a crash never leaves half a file."""
        _cache_folder(self.path.parent)
        data = {"sources": self.validators, "seen": sorted(self.seen)}
        temporary = self.path.with_name(f".{self.path.name}.{os.getpid()}.tmp")
        temporary.write_text(json.dumps(data, ensure_ascii=False, indent=1), encoding="utf-8")
        os.replace(temporary, self.path)


def _cache_folder(folder: Path) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    ignore = folder / ".gitignore"
    if not ignore.exists():
        ignore.write_text("# digest's cache: never commit it\n*\n", encoding="utf-8")


# -- one run ----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class SourceReport:
    """What became of one feed."""

    source: FeedSource
    name: str
    written: tuple[Path, ...] = ()
    error: str | None = None
    warnings: tuple[str, ...] = ()
    not_modified: bool = False
    moved_to: str | None = None
    left_out: int = 0
    """New entries past the site's `fetch_limit`, not written this time."""
    limit: int = 0


@dataclass(frozen=True, slots=True)
class FetchReport:
    """A run: per-source outcomes, problems not tied to one feed, and where files went."""

    sources: tuple[SourceReport, ...]
    problems: tuple[Problem, ...]
    inbox: Path

    @property
    def failed(self) -> int:
        return sum(report.error is not None for report in self.sources)

    @property
    def written(self) -> tuple[Path, ...]:
        return tuple(path for report in self.sources for path in report.written)

    @property
    def exit_status(self) -> int:
        errors = any(problem.level == "error" for problem in self.problems)
        return 1 if self.failed or errors else 0

    @property
    def lines(self) -> list[str]:
        """Errors, warnings and notes, one line each, for stderr."""
        lines = [str(problem) for problem in self.problems]
        for report in self.sources:
            url = report.source.url
            if report.error:
                lines.append(f"{url}: error: {report.error}")
            lines.extend(f"{url}: warning: {warning}" for warning in report.warnings)
            if report.moved_to:
                lines.append(
                    f"{url}: note: moved permanently to {report.moved_to}; update site.yaml"
                )
            if report.left_out:
                entries = "entry" if report.left_out == 1 else "entries"
                lines.append(
                    f"{url}: note: {report.left_out} more new {entries} left out: at most "
                    f"{report.limit} are taken from a source in one run (`fetch_limit` in "
                    "site.yaml); `digest fetch --since DATE` takes the next ones"
                )
        return lines

    @property
    def summary(self) -> str:
        """One line: sources ok and failed, new candidates per source."""
        total = len(self.sources)
        unchanged = sum(report.not_modified for report in self.sources)
        ok = f"{total - self.failed} ok" + (f" ({unchanged} unchanged)" if unchanged else "")
        written = len(self.written)
        counts = ", ".join(
            f"{report.name} {len(report.written)}" for report in self.sources if report.written
        )
        new = f"{written} new candidate{'s' if written != 1 else ''}"
        where = f" in {display_path(self.inbox)}: {counts}" if written else ""
        sources = f"{total} source{'s' if total != 1 else ''}"
        return f"fetched {sources}: {ok}, {self.failed} failed; {new}{where}"


def fetch(
    site_dir: Path,
    since: date | None,
    now: datetime,
    progress: bool,
    *,
    timeout: float = TIMEOUT,
    workers: int = WORKERS,
    stream: TextIO | None = None,
) -> FetchReport:
    """Fetch every source of the site and write its new entries to content/inbox/.

    New means published after the latest issue (or on or after `since`), and linking to
    a page that no issue, inbox file or earlier fetch has had. Without `since`, feeds
    are fetched conditionally: an unchanged feed costs one 304.
    """
    config = load_config(site_dir)
    zone = ZoneInfo(config.timezone)
    now = (now if now.tzinfo else now.replace(tzinfo=zone)).astimezone(zone).replace(microsecond=0)
    sources, problems = _sources(config.sources, config.root, config.opml)
    if not sources and not problems:
        raise DigestError(
            Problem(
                config.root / CONFIG_NAME,
                None,
                "no feeds to fetch; list them under `sources:` (or point `opml:` at a "
                "reading list) in site.yaml",
            )
        )
    stream = stream or sys.stderr
    _cache_folder(config.root / CACHE_DIR)
    with site_lock(config.root, "digest fetch", stream):  # else both would write every entry
        cache, cache_problem = FetchCache.load(config.root / CACHE_DIR / CACHE_NAME)
        if cache_problem:
            problems.append(cache_problem)
        issues = read_issues(config)
        cutoff = _cutoff(issues, since, now, zone)
        inbox = inbox_dir(config)
        known = published_urls(issues) | inbox_urls(inbox, config.root) | cache.seen
        display = _Progress(stream, len(sources), progress)
        outcomes = _fetch_all(
            sources, config.root, cache, since is None, timeout, workers, zone, display
        )
        reports: list[SourceReport] = []
        try:
            for source, outcome in zip(sources, outcomes, strict=True):
                if isinstance(outcome, str):
                    reports.append(SourceReport(source, source.name or source.url, error=outcome))
                else:
                    reports.append(
                        _take(source, outcome, cutoff, now, known, cache, inbox, config.fetch_limit)
                    )
        finally:
            cache.save()
    return FetchReport(tuple(reports), tuple(problems), inbox)


@dataclass(frozen=True, slots=True)
class _Fetched:
    """A source downloaded and parsed (or found unchanged)."""

    feed: Feed | None
    download: Download | None


def _take(
    source: FeedSource,
    fetched: _Fetched,
    cutoff: datetime,
    now: datetime,
    known: set[str],
    cache: FetchCache,
    inbox: Path,
    limit: int,
) -> SourceReport:
    """Write the new entries of one fetched feed to the inbox and remember them; past
    `limit`, new entries are counted, not written, and not remembered (a later run
    with --since can take them)."""
    moved_to = fetched.download.moved_to if fetched.download else None
    if fetched.feed is None:
        return SourceReport(source, source.name or source.url, not_modified=True, moved_to=moved_to)
    name = source.name or fetched.feed.title or urlsplit(source.url).netloc or source.url
    written: list[Path] = []
    left_out = 0
    for entry in fetched.feed.entries:
        if entry.published is not None and entry.published < cutoff:
            continue
        candidate = make_candidate(entry, source=name, section=source.section, fetch_date=now)
        if candidate is None:
            continue
        key = normalize_url(candidate.url)
        if key in known:
            continue
        if len(written) >= limit:
            left_out += 1
            known.add(key)  # counted once, however often the feed lists it
            continue
        written.append(write_candidate(inbox, candidate))
        known.add(key)
        cache.seen.add(key)
    if fetched.download is not None:
        validators = {
            key: fetched.download.headers[header]
            for key, header in (("etag", "etag"), ("last_modified", "last-modified"))
            if fetched.download.headers.get(header)
        }
        if validators:
            cache.validators[source.url] = validators
        else:
            cache.validators.pop(source.url, None)
    return SourceReport(
        source,
        name,
        tuple(written),
        warnings=fetched.feed.warnings,
        moved_to=moved_to,
        left_out=left_out,
        limit=limit,
    )


def _sources(
    configured: tuple[FeedSource, ...], root: Path, opml: str | None
) -> tuple[list[FeedSource], list[Problem]]:
    """site.yaml's sources, then the OPML list's that are not already among them."""
    sources = list(configured)
    problems: list[Problem] = []
    if opml:
        listed, problems = read_opml(root / opml)
        urls = {normalize_url(source.url) for source in sources}
        sources.extend(source for source in listed if normalize_url(source.url) not in urls)
    return sources, problems


def _cutoff(issues: list[Issue], since: date | None, now: datetime, zone: tzinfo) -> datetime:
    """Entries published before this are old news: the latest issue that is out (not a
    draft, not dated in the future) or `since`; a week back for a site with no issue."""
    if since is not None:
        return datetime.combine(since, datetime.min.time(), zone)
    out = [issue.date for issue in issues if not issue.draft and issue.date <= now]
    return max(out) if out else now - FIRST_WINDOW


def _fetch_all(
    sources: list[FeedSource],
    root: Path,
    cache: FetchCache,
    conditional: bool,
    timeout: float,
    workers: int,
    zone: tzinfo,
    progress: _Progress,
) -> list[_Fetched | str]:
    """Download concurrently, parse here as each arrives; a str is a source's error."""
    outcomes: list[_Fetched | str] = ["not fetched"] * len(sources)
    failed = 0
    with ThreadPoolExecutor(max_workers=max(1, min(workers, len(sources)))) as pool:
        futures: dict[Future[Download | bytes], int] = {}
        for index, source in enumerate(sources):
            validators = cache.validators.get(source.url, {}) if conditional else {}
            futures[pool.submit(_get, source.url, root, validators, timeout)] = index
        try:
            for done, future in enumerate(as_completed(futures), 1):
                index = futures[future]
                outcomes[index] = _outcome(future, sources[index].url, root, zone)
                failed += isinstance(outcomes[index], str)
                progress.update(done, failed)
        finally:
            progress.close()
    return outcomes


def _get(url: str, root: Path, validators: dict[str, str], timeout: float) -> Download | bytes:
    """A source's bytes: downloaded for a URL, read for a local path."""
    if url.lower().startswith(("http://", "https://")):
        return download(
            url,
            timeout=timeout,
            etag=validators.get("etag"),
            last_modified=validators.get("last_modified"),
        )
    path = root / url
    try:
        if path.stat().st_size > MAX_BYTES:
            raise DownloadError(f"the file is over the {MAX_BYTES // 1024 // 1024} MB limit")
        return path.read_bytes()
    except OSError as error:
        raise DownloadError(f"cannot read the file: {error.strerror}") from None


def _outcome(
    future: Future[Download | bytes], url: str, root: Path, zone: tzinfo
) -> _Fetched | str:
    try:
        got = future.result()
    except DownloadError as error:
        return str(error)
    try:
        if isinstance(got, bytes):
            return _Fetched(parse_feed(got, "", (root / url).as_uri(), zone), None)
        if got.status == 304:
            return _Fetched(None, got)
        return _Fetched(
            parse_feed(got.body, got.headers.get("content-type", ""), got.url, zone), got
        )
    except FeedError as error:
        return str(error)


class _Progress:
    """One line on a terminal, rewritten as feeds arrive; silent anywhere else."""

    def __init__(self, stream: TextIO, total: int, enabled: bool) -> None:
        self.stream = stream
        self.total = total
        self.enabled = enabled
        self.shown = False

    def update(self, done: int, failed: int) -> None:
        if not self.enabled:
            return
        failures = f", {failed} failed" if failed else ""
        self.stream.write(f"\rfetching feeds: {done}/{self.total}{failures}\x1b[K")
        self.stream.flush()
        self.shown = True

    def close(self) -> None:
        if self.shown:
            self.stream.write("\r\x1b[K")
            self.stream.flush()
            self.shown = False
