"""A link crawler for the served site: urllib and html.parser, no browser.

From the start URLs it fetches every internal URL it finds in HTML (href, src, srcset, poster,
form actions, og:url/og:image), CSS (url(), @import), feeds (RSS, Atom, JSON Feed, section
feeds: their links and the HTML of their content), sitemap.xml and robots.txt. Absolute links
to the configured base URL count as internal. It notes every internal link that is broken: an
error status, a redirect, a missing #fragment, a path outside the site's sub-path, and relative
URLs inside feed content (feed readers resolve them differently, so they must be absolute).
"""

from __future__ import annotations

import json
import re
import urllib.request
import xml.etree.ElementTree as ET
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from html.parser import HTMLParser
from typing import Any
from urllib.error import HTTPError
from urllib.parse import quote, unquote, urljoin, urlsplit, urlunsplit

from .served import Served

URL_ATTRIBUTES = {
    "href": {"a", "area", "link", "base"},
    "src": {"img", "script", "iframe", "audio", "video", "source", "track", "embed", "input"},
    "poster": {"video"},
    "data": {"object"},
    "action": {"form"},
}
META_URLS = {"og:url", "og:image", "og:image:url", "og:image:secure_url", "twitter:image"}
CSS_URL = re.compile(r"""url\(\s*(['"]?)(.*?)\1\s*\)|@import\s+(['"])(.*?)\3""")
FEED_HTML_TAGS = {"description", "encoded", "content", "summary", "subtitle"}
SKIPPED_SCHEMES = ("mailto:", "tel:", "javascript:", "data:", "blob:", "about:")


class PageParser(HTMLParser):
    """The URLs an HTML document refers to, its element ids, and its <base href>."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.urls: list[str] = []
        self.ids: set[str] = set()
        self.base: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {name: value or "" for name, value in attrs}
        if "id" in values:
            self.ids.add(values["id"])
        if tag == "a" and "name" in values:
            self.ids.add(values["name"])
        if tag == "base" and "href" in values:
            self.base = values["href"]
            return
        for name, tags in URL_ATTRIBUTES.items():
            if tag in tags and values.get(name):
                self.urls.append(values[name].strip())
        if tag in {"img", "source"} and values.get("srcset"):
            for candidate in values["srcset"].split(","):
                if candidate.strip():
                    self.urls.append(candidate.split()[0])
        if tag == "meta" and (values.get("property") or values.get("name")) in META_URLS:
            self.urls.append(values.get("content", "").strip())


@dataclass
class Fetched:
    status: int
    content_type: str
    body: bytes
    location: str = ""


@dataclass
class Crawl:
    """What a crawl found: problems, one per line, and every internal URL it fetched."""

    served: Served
    problems: list[str] = field(default_factory=list)
    fetched: dict[str, Fetched] = field(default_factory=dict)
    ids: dict[str, set[str]] = field(default_factory=dict)

    def reached_files(self) -> set[str]:
        """Output files (relative paths) that the crawl fetched successfully."""
        files = set()
        for url, result in self.fetched.items():
            path = unquote(urlsplit(url).path)
            if result.status == 200 and path.startswith(self.served.prefix):
                relative = path[len(self.served.prefix) :]
                files.add(
                    relative + "index.html" if relative.endswith("/") or not relative else relative
                )
        return files


class NoRedirects(urllib.request.HTTPRedirectHandler):
    """Report a redirect instead of following it: a link should point at the final URL."""

    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


OPENER = urllib.request.build_opener(NoRedirects)


def fetch(url: str) -> Fetched:
    """GET a URL of the local server."""
    try:
        with OPENER.open(url, timeout=10) as response:
            return Fetched(response.status, response.headers.get_content_type(), response.read())
    except HTTPError as error:
        location = error.headers.get("Location", "") if error.headers else ""
        return Fetched(error.code, "", b"", location)


def canonical(url: str) -> str:
    """One spelling per URL: percent-encode the path the same way whether written raw or not."""
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path=quote(unquote(parts.path), safe="/:@!$&'()*+,;=~")))


def crawl(served: Served, starts: list[str]) -> Crawl:
    """Crawl from ``starts`` (site paths like '' or '404.html') through every internal link."""
    result = Crawl(served)
    base = urlsplit(served.base_url)
    origin = urlsplit(served.origin)
    links: list[tuple[str, str, str]] = []  # (page it is on, as written, served URL + fragment)
    queue = deque(canonical(served.url(start)) for start in starts)
    seen = set(queue)
    broken: dict[str, list[str]] = {}  # what is wrong -> the pages it is wrong on

    def note(problem: str, page: str) -> None:
        broken.setdefault(problem, []).append(unquote(page.removeprefix(served.origin)))

    def internal(page: str, raw: str, resolved: str, in_feed: bool = False) -> None:
        """Note a reference; queue its target when it is on this site."""
        raw = raw.strip()
        if not raw or raw.startswith(SKIPPED_SCHEMES):
            return
        if in_feed and not urlsplit(raw).scheme:
            note(f"relative URL {raw!r} in a feed; write it absolute", page)
        parts = urlsplit(resolved)
        if parts.netloc == base.netloc and parts.scheme in ("http", "https", ""):
            if not parts.path.startswith(base.path) and parts.path + "/" != base.path:
                note(f"{raw} is outside the site ({served.base_url})", page)
                return
            served_path = served.prefix + parts.path[len(base.path) :]
            parts = parts._replace(scheme=origin.scheme, netloc=origin.netloc, path=served_path)
        elif parts.netloc != origin.netloc:
            return  # another site: not checked (no network in tests)
        if not parts.path.startswith(served.prefix):
            note(f"{raw} is outside the sub-path {served.prefix}", page)
            return
        target = canonical(urlunsplit(parts._replace(fragment="")))
        links.append((page, raw, target + (f"#{parts.fragment}" if parts.fragment else "")))
        if target not in seen:
            seen.add(target)
            queue.append(target)

    while queue:
        url = queue.popleft()
        got = result.fetched[url] = fetch(url)
        if got.status != 200:
            continue
        text = got.body.decode("utf-8", errors="replace")
        if got.content_type == "text/html":
            parser = PageParser()
            parser.feed(text)
            result.ids[url] = parser.ids
            page_base = urljoin(url, parser.base) if parser.base else url
            for raw in parser.urls:
                internal(url, raw, urljoin(page_base, raw))
        elif got.content_type == "text/css":
            for match in CSS_URL.finditer(text):
                raw = match.group(2) or match.group(4) or ""
                internal(url, raw, urljoin(url, raw))
        elif got.content_type in ("application/xml", "text/xml") or url.endswith(".xml"):
            for raw, in_feed in feed_xml_urls(url, text, note):
                internal(url, raw, urljoin(url, raw), in_feed)
        elif got.content_type == "application/json" and looks_like_json_feed(text):
            for raw, in_feed in json_feed_urls(json.loads(text)):
                internal(url, raw, urljoin(url, raw), in_feed)
        elif url.endswith("/robots.txt"):
            for line in text.splitlines():
                key, _, value = line.partition(":")
                if key.strip().lower() == "sitemap":
                    internal(url, value.strip(), value.strip())

    for page, raw, target in links:
        url, _, fragment = target.partition("#")
        got = result.fetched[url]
        problem = ""
        if got.status in (301, 302, 303, 307, 308):
            problem = f"{raw} redirects to {got.location}; link there"
        elif got.status != 200:
            problem = f"{raw} is broken (HTTP {got.status})"
        elif fragment and url in result.ids:
            name = unquote(fragment)
            if name not in result.ids[url] and name.lower() != "top":
                problem = f"{raw} points at #{name}, which {unquote(url)} lacks"
        if problem:
            note(problem, page)
    for problem, pages in broken.items():
        pages = list(dict.fromkeys(pages))
        shown = ", ".join(pages[:3]) + (f" and {len(pages) - 3} more" if len(pages) > 3 else "")
        result.problems.append(f"{problem} — on {shown}")
    return result


def feed_xml_urls(url: str, text: str, note: Callable[[str, str], None]) -> list[tuple[str, bool]]:
    """URLs in an XML document (feed, sitemap): link attributes, URL text, HTML content."""
    try:
        root = ET.fromstring(text)
    except ET.ParseError as error:
        note(f"not well-formed XML: {error}", url)
        return []
    found: list[tuple[str, bool]] = []
    for element in root.iter():
        tag = element.tag.rsplit("}", 1)[-1]
        for name in ("href", "src", "url"):
            if element.get(name):
                found.append((element.get(name, ""), True))
        body = (element.text or "").strip()
        if not body:
            continue
        if tag in FEED_HTML_TAGS and "<" in body:
            parser = PageParser()
            parser.feed(body)
            found.extend((raw, True) for raw in parser.urls)
        elif re.fullmatch(r"https?://\S+", body):
            found.append((body, False))
    return found


def looks_like_json_feed(text: str) -> bool:
    return '"version"' in text and "jsonfeed.org" in text


def json_feed_urls(data: Any) -> list[tuple[str, bool]]:
    """Every absolute URL in a JSON Feed, and the links in its items' HTML."""
    found: list[tuple[str, bool]] = []
    if isinstance(data, dict):
        for key, value in data.items():
            if key == "content_html" and isinstance(value, str):
                parser = PageParser()
                parser.feed(value)
                found.extend((raw, True) for raw in parser.urls)
            else:
                found.extend(json_feed_urls(value))
    elif isinstance(data, list):
        for value in data:
            found.extend(json_feed_urls(value))
    elif isinstance(data, str) and re.fullmatch(r"https?://\S+", data):
        found.append((data, False))
    return found
