"""digest fetch: feeds served from 127.0.0.1, fetched into a fixture site's inbox."""

from __future__ import annotations

import contextlib
import gzip
import io
import os
import shutil
import socket
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import yaml

from digest.authoring.fetch import (
    CACHE_DIR,
    CACHE_NAME,
    USER_AGENT,
    DownloadError,
    FeedError,
    FetchReport,
    download,
    fetch,
    parse_feed,
)
from digest.authoring.opml import parse_opml
from digest.config import parse_config
from digest.errors import DigestError, display_path
from digest.model import FeedSource

pytestmark = pytest.mark.usefixtures("no_proxy")  # requests go to 127.0.0.1 only
FEEDS = Path(__file__).parent / "feeds"
ZONE = ZoneInfo("Asia/Shanghai")
NOW = datetime(2026, 1, 20, 9, 30, tzinfo=ZONE)
LAST_MODIFIED = "Wed, 14 Jan 2026 10:00:00 GMT"
ISSUE = """\
---
title: Issue 1
date: 2026-01-05
---
## News

### [Published last week](https://blog.example.com/posts/already-published?utm_source=x)

It was in the issue.
"""


@dataclass
class Route:
    body: bytes = b""
    content_type: str = "application/rss+xml; charset=utf-8"
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    compress: bool = False
    """Send the body gzipped (when the client accepts gzip)."""
    validators: bool = True
    """Send ETag and Last-Modified and answer 304 to a request that repeats them."""
    endless: bool = False
    """Repeat the body until the client hangs up, with no Content-Length."""
    gate: threading.Event | None = None
    """Answer only once this is set (30 s at most)."""


class FeedServer:
    """An HTTP server on 127.0.0.1 with a route table, remembering every request."""

    def __init__(self) -> None:
        self.routes: dict[str, Route] = {}
        self.requests: list[tuple[str, dict[str, str]]] = []
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                server.requests.append((self.path, dict(self.headers.items())))
                route = server.routes.get(self.path) or Route(b"not here", "text/plain", 404)
                if route.gate is not None:
                    route.gate.wait(30)
                etag = f'"{len(route.body)}-{self.path}"'
                if (
                    route.validators
                    and route.status == 200
                    and (
                        self.headers.get("If-None-Match") == etag
                        or self.headers.get("If-Modified-Since") == LAST_MODIFIED
                    )
                ):
                    self.send_response(304)
                    self.send_header("ETag", etag)
                    self.end_headers()
                    return
                body = route.body
                self.send_response(route.status)
                self.send_header("Content-Type", route.content_type)
                if route.compress and "gzip" in self.headers.get("Accept-Encoding", ""):
                    body = gzip.compress(body)
                    self.send_header("Content-Encoding", "gzip")
                if route.validators and route.status == 200:
                    self.send_header("ETag", etag)
                    self.send_header("Last-Modified", LAST_MODIFIED)
                for name, value in route.headers.items():
                    self.send_header(name, value)
                if route.endless:
                    self.end_headers()
                    with contextlib.suppress(OSError):
                        while True:
                            self.wfile.write(body)
                    return
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format: str, *args: object) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(
            target=self.httpd.serve_forever, kwargs={"poll_interval": 0.01}, daemon=True
        )
        self.thread.start()

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.httpd.server_address[1]}{path}"

    def feed(self, path: str, fixture: str, content_type: str, **options: object) -> str:
        self.routes[path] = Route((FEEDS / fixture).read_bytes(), content_type, **options)
        return self.url(path)

    def requests_to(self, path: str) -> list[dict[str, str]]:
        return [headers for requested, headers in self.requests if requested == path]

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
        self.thread.join()


@pytest.fixture
def server() -> Iterator[FeedServer]:
    feeds = FeedServer()
    yield feeds
    feeds.close()


@pytest.fixture
def hanging_url() -> Iterator[str]:
    """A server that accepts connections (the kernel's backlog does) and never answers."""
    listener = socket.create_server(("127.0.0.1", 0), backlog=16)
    yield f"http://127.0.0.1:{listener.getsockname()[1]}/feed.xml"
    listener.close()


@pytest.fixture
def refused_url() -> str:
    probe = socket.create_server(("127.0.0.1", 0))
    port = probe.getsockname()[1]
    probe.close()
    return f"http://127.0.0.1:{port}/feed.xml"


def site_yaml(sources: list[str | dict[str, str]], extra: str = "") -> str:
    return (
        "title: Test Weekly\nbase_url: https://example.org/\ntimezone: Asia/Shanghai\n"
        + yaml.safe_dump({"sources": sources}, allow_unicode=True)
        + extra
    )


def inbox_files(site: Path) -> dict[str, tuple[dict, str]]:
    """File name -> (front matter, body) for every file in the inbox."""
    files = {}
    for path in sorted((site / "content" / "inbox").glob("*.md")):
        text = path.read_text(encoding="utf-8")
        _, front, body = text.split("---\n", 2)
        files[path.name] = (yaml.safe_load(front), body)
    return files


def run(site: Path, since: date | None = None, timeout: float = 2) -> FetchReport:
    return fetch(site, since, NOW, False, timeout=timeout)


def wait_until(condition: Callable[[], bool], what: str) -> None:
    """Poll until `condition` holds; fail (not hang) after 30 s."""
    deadline = time.monotonic() + 30
    while not condition():
        assert time.monotonic() < deadline, f"still waiting for {what}"
        time.sleep(0.01)


def many_entries(count: int, dated: bool = False) -> bytes:
    day = "<pubDate>Wed, 14 Jan 2026 08:00:00 +0000</pubDate>" if dated else ""
    items = "".join(
        f"<item><title>Entry {n}</title><link>https://many.example.org/{n}</link>{day}</item>"
        for n in range(count)
    )
    return (
        f'<?xml version="1.0"?><rss version="2.0"><channel><title>Many</title>{items}'
        "</channel></rss>"
    ).encode()


# -- the whole command -------------------------------------------------------------------


def test_fetch_writes_new_candidates_and_reports_each_source(
    server: FeedServer,
    make_site: Callable[..., Path],
    hanging_url: str,
) -> None:
    rss = server.feed("/rss.xml", "rss20.xml", "application/rss+xml; charset=utf-8")
    atom = server.feed("/atom.xml", "atom.xml", "application/atom+xml", compress=True)
    server.feed("/rdf.xml", "rdf.xml", "application/rdf+xml")
    server.routes["/moved.xml"] = Route(status=301, headers={"Location": "/rdf.xml"})
    moved = server.url("/moved.xml")
    big5 = server.feed("/big5.xml", "big5.xml", "application/rss+xml; charset=Big5")
    malformed = server.feed("/malformed.xml", "malformed.xml", "application/rss+xml")
    missing = server.url("/missing.xml")
    server.routes["/page"] = Route(b"<!doctype html><title>x</title>", "text/html; charset=utf-8")
    page = server.url("/page")
    sources: list[str | dict[str, str]] = [
        rss,
        {"url": atom, "name": "Atom 笔记", "section": "tools"},
        moved,
        big5,
        malformed,
        missing,
        page,
        hanging_url,
    ]
    site = make_site({"content/issues/1-first.md": ISSUE}, site_yaml(sources))

    report = run(site, timeout=1)

    files = inbox_files(site)
    assert sorted(files) == [
        "2026-01-12-faster-builds-with-a-content-addressed-cache.md",
        "2026-01-13-relative-links-resolve.md",
        "2026-01-14-rust-2026-roadmap.md",
        "2026-01-15-a-long-read-about-queues.md",
        "2026-01-15-consensus-explained-slowly.md",
        "2026-01-16-資料庫效能調校.md",
        "2026-01-20-undated-note.md",
    ]
    front, body = files["2026-01-12-faster-builds-with-a-content-addressed-cache.md"]
    assert front == {
        "title": "Faster builds with a content-addressed cache",
        "url": "https://blog.example.com/posts/faster-builds?page=2",
        "source": "Example Engineering",
        "date": date(2026, 1, 12),
        "fetch_date": datetime(2026, 1, 20, 9, 30, tzinfo=ZONE),
    }
    assert body == "We cut CI time in half. Here is how.\n"
    front, _ = files["2026-01-14-rust-2026-roadmap.md"]
    assert (front["title"], front["source"], front["section"]) == (
        "Rust 2026 roadmap",
        "Atom 笔记",
        "tools",
    )
    front, body = files["2026-01-13-relative-links-resolve.md"]
    assert front["url"] == "https://atom.example.org/2026/relative-link"
    assert body == "Plain text summary: 1 \\< 2 and Vec\\<T> stay as written.\n"
    front, body = files["2026-01-15-a-long-read-about-queues.md"]
    assert front["date"] == date(2026, 1, 15)  # 23:30 UTC is the next morning in Shanghai
    assert len(body.strip()) <= 400 and body.strip().endswith("…")
    assert "date" not in files["2026-01-20-undated-note.md"][0]
    assert files["2026-01-16-資料庫效能調校.md"][0]["source"] == "繁體技術筆記"
    assert files["2026-01-15-consensus-explained-slowly.md"][0]["source"] == "RDF Papers"

    assert report.lines == [
        f"{moved}: note: moved permanently to {server.url('/rdf.xml')}; update site.yaml",
        f"{malformed}: error: malformed XML: line 5, column 6: not well-formed (invalid token)",
        f"{missing}: error: HTTP 404 Not Found",
        f"{page}: error: this is an HTML page, not a feed; give the address of its RSS/Atom",
        f"{hanging_url}: error: timed out: no answer within 1 s",
    ]
    assert report.exit_status == 1
    assert report.summary == (
        f"fetched 8 sources: 4 ok, 4 failed; 7 new candidates in {display_path(report.inbox)}: "
        "Example Engineering 3, Atom 笔记 2, RDF Papers 1, 繁體技術筆記 1"
    )
    (atom_request,) = server.requests_to("/atom.xml")
    assert atom_request["User-Agent"] == USER_AGENT == "digest/0.1.0 (+feed fetcher)"
    assert "gzip" in atom_request["Accept-Encoding"]


def test_second_run_is_conditional_and_adds_nothing(
    server: FeedServer, make_site: Callable[..., Path]
) -> None:
    rss = server.feed("/rss.xml", "rss20.xml", "application/rss+xml; charset=utf-8")
    site = make_site({"content/issues/1-first.md": ISSUE}, site_yaml([rss]))
    first = run(site)
    before = inbox_files(site)

    second = run(site)

    assert len(first.written) == 3 and second.written == ()
    assert inbox_files(site) == before
    first_request, second_request = server.requests_to("/rss.xml")
    assert "If-None-Match" not in first_request and "If-Modified-Since" not in first_request
    assert second_request["If-None-Match"] == f'"{(FEEDS / "rss20.xml").stat().st_size}-/rss.xml"'
    assert second_request["If-Modified-Since"] == LAST_MODIFIED
    assert second.sources[0].not_modified
    assert second.summary == "fetched 1 source: 1 ok (1 unchanged), 0 failed; 0 new candidates"
    assert (second.lines, second.exit_status) == ([], 0)


def test_a_feed_without_validators_is_fetched_whole_and_still_adds_nothing(
    server: FeedServer, make_site: Callable[..., Path]
) -> None:
    rss = server.feed("/rss.xml", "rss20.xml", "application/rss+xml", validators=False)
    site = make_site({"content/issues/1-first.md": ISSUE}, site_yaml([rss]))
    assert len(run(site).written) == 3
    second = run(site)
    assert "If-None-Match" not in server.requests_to("/rss.xml")[1]
    assert (second.written, second.sources[0].not_modified) == ((), False)


def test_edited_files_stay_and_deleted_ones_do_not_come_back(
    server: FeedServer, make_site: Callable[..., Path]
) -> None:
    rss = server.feed("/rss.xml", "rss20.xml", "application/rss+xml; charset=utf-8")
    site = make_site({"content/issues/1-first.md": ISSUE}, site_yaml([rss]))
    run(site)
    inbox = site / "content" / "inbox"
    edited = inbox / "2026-01-12-faster-builds-with-a-content-addressed-cache.md"
    edited.write_text("---\ntitle: My own words\n---\nRewritten.\n", encoding="utf-8")
    (inbox / "2026-01-15-a-long-read-about-queues.md").unlink()

    again = run(site, since=date(2026, 1, 1))  # --since: no conditional GET, all entries read

    assert again.written == ()
    assert "If-None-Match" not in server.requests_to("/rss.xml")[1]
    assert edited.read_text(encoding="utf-8") == "---\ntitle: My own words\n---\nRewritten.\n"
    assert sorted(path.name for path in inbox.iterdir()) == [
        "2026-01-12-faster-builds-with-a-content-addressed-cache.md",
        "2026-01-20-undated-note.md",
    ]


def test_a_taken_name_gets_a_number_and_the_old_file_is_untouched(
    server: FeedServer, make_site: Callable[..., Path]
) -> None:
    rss = server.feed("/rdf.xml", "rdf.xml", "application/rdf+xml")
    mine = "---\ntitle: My note\nurl: https://example.org/mine\n---\nMine.\n"
    site = make_site(
        {"content/inbox/2026-01-15-consensus-explained-slowly.md": mine},
        site_yaml([rss]),
    )
    report = run(site, since=date(2026, 1, 1))
    inbox = site / "content" / "inbox"
    assert [path.name for path in report.written] == ["2026-01-15-consensus-explained-slowly-2.md"]
    assert (inbox / "2026-01-15-consensus-explained-slowly.md").read_text() == mine


def test_links_already_published_or_waiting_are_not_added(
    server: FeedServer, make_site: Callable[..., Path]
) -> None:
    rss = server.feed("/rss.xml", "rss20.xml", "application/rss+xml; charset=utf-8")
    waiting = (
        "---\ntitle: Saved by hand\nurl: https://blog.example.com/posts/long-read/\n"
        "source: a friend\ndate: 2026-01-14\nfetch_date: 2026-01-14T22:03:11.889846\n---\n\n"
        "# Saved by hand\n\nNotes.\n"
    )
    broken = "---\ntitle: [unclosed\n---\n"
    site = make_site(
        {
            "content/issues/1-first.md": ISSUE,
            "content/issues/2-broken.md": broken,
            "content/inbox/saved.md": waiting,
        },
        site_yaml([rss]),
    )
    report = run(site, since=date(2026, 1, 1))
    urls = sorted(front["url"] for front, _ in inbox_files(site).values())
    assert urls == [
        "https://blog.example.com/notes/undated",
        "https://blog.example.com/posts/faster-builds?page=2",
        "https://blog.example.com/posts/long-read/",  # the hand-saved file, not a new one
    ]
    assert report.exit_status == 0


def test_cutoff_is_the_latest_issue_out_or_since_or_a_week(
    server: FeedServer, make_site: Callable[..., Path]
) -> None:
    rss = server.feed("/rss.xml", "rss20.xml", "application/rss+xml; charset=utf-8")
    later = "---\ntitle: Issue 2\ndate: 2026-01-13\n---\nIntro.\n"
    draft = "---\ntitle: Issue 3\ndate: 2026-01-15\ndraft: true\n---\nIntro.\n"
    future = "---\ntitle: Issue 4\ndate: 2026-02-01\n---\nIntro.\n"
    issues = {
        "content/issues/1-first.md": ISSUE,
        "content/issues/2-second.md": later,
        "content/issues/3-draft.md": draft,
        "content/issues/4-future.md": future,
    }
    site = make_site(issues, site_yaml([rss]))
    names = [path.name for path in run(site).written]
    assert names == [  # the post of 01-12 is old news, but shared again after the issue
        "2026-01-15-a-long-read-about-queues.md",
        "2026-01-20-undated-note.md",
        "2026-01-15-faster-builds-shared-again.md",
    ]


def test_since_is_inclusive_and_a_site_without_issues_looks_back_a_week(
    server: FeedServer, make_site: Callable[..., Path]
) -> None:
    rss = server.feed("/rss.xml", "rss20.xml", "application/rss+xml; charset=utf-8")
    site = make_site({}, site_yaml([rss]))
    since = run(site, since=date(2026, 1, 13)).written
    assert [path.name[:10] for path in since] == [
        "2026-01-13",
        "2026-01-15",
        "2026-01-20",
        "2026-01-15",
    ]
    shutil.rmtree(site / CACHE_DIR)
    shutil.rmtree(site / "content" / "inbox")
    week = fetch(site, None, datetime(2026, 1, 21, tzinfo=ZONE), False, timeout=2).written
    assert [path.name[:10] for path in week] == ["2026-01-15", "2026-01-21", "2026-01-15"]


@pytest.mark.parametrize(
    "content_type",
    [
        "application/rss+xml; charset=GBK",
        "text/xml",
        "application/xml",
        "text/xml; charset=ISO-8859-1",
    ],
)
def test_gbk_feed_with_and_without_a_charset(
    server: FeedServer, make_site: Callable[..., Path], content_type: str
) -> None:
    gbk = server.feed("/gbk.xml", "gbk.xml", content_type)
    site = make_site({}, site_yaml([{"url": gbk, "section": "news"}]))
    report = run(site, since=date(2026, 1, 1))
    assert report.exit_status == 0, report.lines
    ((name, (front, body)),) = inbox_files(site).items()
    assert name == "2026-01-13-深入理解索引.md"
    assert front["title"] == "深入理解索引"
    assert front["source"] == "数据库周刊源"
    assert front["url"] == "https://db.example.cn/posts/索引"
    assert front["section"] == "news"
    assert body == "本文介绍数据库索引的原理。以及如何选择合适的索引。\n"


def test_hostile_feed_leaves_no_html_in_the_inbox(
    server: FeedServer, make_site: Callable[..., Path]
) -> None:
    hostile = server.feed("/hostile.xml", "hostile.xml", "application/rss+xml")
    site = make_site({}, site_yaml([hostile]))
    report = run(site, since=date(2026, 1, 1))
    texts = [path.read_text(encoding="utf-8") for path in report.written]
    assert len(texts) == 3  # the javascript: link is no candidate
    for text in texts:
        lowered = text.lower()
        for bad in ("<script", "onerror", "onload", "onclick", "alert(", "javascript:"):
            assert bad not in lowered
        for bad in ("pixel.gif", "track.example.net", "<img", "<iframe", "<style", "<svg", "<p"):
            assert bad not in lowered
        assert "\u202e" not in text
    by_title = {front["title"]: (front, body) for front, body in inbox_files(site).values()}
    assert set(by_title) == {
        "Totally normal title",
        "--- section: pwned url: https://evil.example.net/owned",
        "*alias &anchor: value # not a comment txt.exe",
    }
    front, body = by_title["Totally normal title"]
    assert front["url"] == "https://evil.example.net/posts/normal"  # fbclid dropped
    assert front["source"] == "Hostile Feed"
    assert body.startswith("Read this now.")
    front, body = by_title["--- section: pwned url: https://evil.example.net/owned"]
    assert "section" not in front and front["url"] == "https://evil.example.net/posts/yaml"
    assert body == "Escaped twice.\n"


def test_opml_sources_nested_and_merged(server: FeedServer, make_site: Callable[..., Path]) -> None:
    rss = server.feed("/rss.xml", "rss20.xml", "application/rss+xml; charset=utf-8")
    server.feed("/atom.xml", "atom.xml", "application/atom+xml")
    server.feed("/gbk.xml", "gbk.xml", "application/rss+xml")
    opml = (FEEDS / "reading-list.opml").read_text(encoding="utf-8")
    site = make_site(
        {"lists/reading.opml": opml.replace("{base}", server.url(""))},
        site_yaml([{"url": rss, "name": "Blog", "section": "blogs"}], "opml: lists/reading.opml\n"),
    )
    report = run(site, since=date(2026, 1, 1))
    assert [(r.source.url, r.name, len(r.written)) for r in report.sources] == [
        (rss, "Blog", 4),
        (server.url("/atom.xml"), "Atom Weekly Notes", 2),
        (server.url("/gbk.xml"), "数据库周刊源", 1),
    ]
    assert report.lines == [
        f"{display_path(site / 'lists/reading.opml')}: warning: feed 'Gopher' has xmlUrl "
        "'gopher://old.example.org/feed', not an http(s) URL; skipped"
    ]
    assert report.exit_status == 0
    assert len(server.requests_to("/rss.xml")) == 1


def test_a_missing_opml_file_is_an_error_and_the_feeds_go_on(
    server: FeedServer, make_site: Callable[..., Path]
) -> None:
    rss = server.feed("/rdf.xml", "rdf.xml", "application/rdf+xml")
    site = make_site({}, site_yaml([rss], "opml: nowhere.opml\n"))
    report = run(site, since=date(2026, 1, 1))
    assert report.lines == [
        f"{display_path(site / 'nowhere.opml')}: error: cannot read the OPML file: "
        "No such file or directory"
    ]
    assert (len(report.written), report.exit_status) == (1, 1)


def test_parse_opml_reads_nested_outlines() -> None:
    opml = (FEEDS / "reading-list.opml").read_text(encoding="utf-8")
    opml = opml.replace("{base}", "https://feeds.example.org")
    sources, problems = parse_opml(opml.encode("utf-8"), Path("r.opml"))
    assert sources == (
        FeedSource("https://feeds.example.org/atom.xml", "Atom Weekly Notes"),
        FeedSource("https://feeds.example.org/gbk.xml", "数据库周刊源"),
        FeedSource("https://feeds.example.org/rss.xml", "Listed in site.yaml too"),
    )
    assert [problem.level for problem in problems] == ["warning"]
    broken, problems = parse_opml(b"<opml><body><outline", Path("r.opml"))
    assert broken == () and str(problems[0]).startswith("r.opml:1: error: not valid OPML")


def test_local_file_sources(make_site: Callable[..., Path]) -> None:
    site = make_site(
        {"feeds/big5.xml": (FEEDS / "big5.xml").read_bytes()},
        site_yaml(["feeds/big5.xml", "feeds/missing.xml"]),
    )
    report = run(site, since=date(2026, 1, 1))
    assert [front["title"] for front, _ in inbox_files(site).values()] == ["資料庫效能調校"]
    assert report.lines == [
        "feeds/missing.xml: error: cannot read the file: No such file or directory"
    ]
    assert report.exit_status == 1


def test_no_sources_is_a_config_error(make_site: Callable[..., Path]) -> None:
    site = make_site({}, site_yaml([]))
    with pytest.raises(DigestError) as caught:
        run(site)
    assert "no feeds to fetch" in caught.value.problems[0].message


def test_progress_is_one_line_rewritten_and_only_when_asked(
    server: FeedServer, make_site: Callable[..., Path], refused_url: str
) -> None:
    rss = server.feed("/rdf.xml", "rdf.xml", "application/rdf+xml")
    site = make_site({}, site_yaml([rss, refused_url]))
    shown = io.StringIO()
    fetch(site, date(2026, 1, 1), NOW, True, timeout=2, stream=shown)
    updates = shown.getvalue().split("\r")
    assert "\n" not in shown.getvalue()
    assert updates[0] == "" and updates[-1] == "\x1b[K"
    assert len(updates) == 4
    assert updates[1] in ("fetching feeds: 1/2\x1b[K", "fetching feeds: 1/2, 1 failed\x1b[K")
    assert updates[2] == "fetching feeds: 2/2, 1 failed\x1b[K"
    quiet = io.StringIO()
    report = fetch(site, date(2026, 1, 1), NOW, False, timeout=2, stream=quiet)
    assert quiet.getvalue() == ""
    assert report.lines == [f"{refused_url}: error: connection refused"]


def test_cache_lives_in_a_git_ignored_folder(
    server: FeedServer, make_site: Callable[..., Path]
) -> None:
    rss = server.feed("/rdf.xml", "rdf.xml", "application/rdf+xml")
    site = make_site({}, site_yaml([rss]))
    run(site, since=date(2026, 1, 1))
    cache = yaml.safe_load((site / CACHE_DIR / CACHE_NAME).read_text(encoding="utf-8"))
    assert cache["seen"] == ["https://papers.example.net/consensus"]
    assert cache["sources"][rss]["last_modified"] == LAST_MODIFIED
    assert (site / CACHE_DIR / ".gitignore").read_text().splitlines()[-1] == "*"


# -- download ----------------------------------------------------------------------------


def test_download_follows_redirects_and_unzips(server: FeedServer) -> None:
    server.feed("/atom.xml", "atom.xml", "application/atom+xml", compress=True)
    server.routes["/old"] = Route(status=302, headers={"Location": "/atom.xml"})
    got = download(server.url("/old"), timeout=2)
    assert got.body == (FEEDS / "atom.xml").read_bytes()
    assert (got.url, got.status, got.moved_to) == (server.url("/atom.xml"), 200, None)
    assert got.headers["content-encoding"] == "gzip"


def test_download_refuses_what_is_too_big(server: FeedServer) -> None:
    server.feed("/rss.xml", "rss20.xml", "application/rss+xml")
    server.routes["/bomb"] = Route(b"\0" * 1_000_000, "application/xml", compress=True)
    server.routes["/endless"] = Route(b"<item>" * 1000, "application/xml", endless=True)
    with pytest.raises(DownloadError, match="over the"):
        download(server.url("/rss.xml"), timeout=2, max_bytes=1000)
    with pytest.raises(DownloadError, match="over the 1 MB limit"):
        download(server.url("/endless"), timeout=2, max_bytes=1024 * 1024)
    with pytest.raises(DownloadError, match="over the"):
        download(server.url("/bomb"), timeout=2, max_bytes=100_000)
    assert len(download(server.url("/bomb"), timeout=2).body) == 1_000_000


def test_download_errors_are_sentences(
    server: FeedServer, hanging_url: str, refused_url: str
) -> None:
    server.routes["/gone"] = Route(b"", status=500)
    server.routes["/file"] = Route(status=301, headers={"Location": "file:///etc/passwd"})
    server.routes["/ftp"] = Route(status=301, headers={"Location": "ftp://127.0.0.1/feed"})
    cases = {
        server.url("/gone"): "HTTP 500 Internal Server Error",
        server.url("/file"): "HTTP 301 Moved Permanently - Redirection to url "
        "'file:///etc/passwd' is not allowed",
        server.url("/ftp"): "redirected to 'ftp://127.0.0.1/feed', which is not an http(s) URL",
        refused_url: "connection refused",
        hanging_url: "timed out: no answer within 0.5 s",
        "ftp://127.0.0.1/feed": "'ftp://127.0.0.1/feed' is not an http(s) URL",
    }
    for url, message in cases.items():
        with pytest.raises(DownloadError) as caught:
            download(url, timeout=0.5)
        assert str(caught.value) == message


def test_download_sends_chinese_paths_percent_encoded(server: FeedServer) -> None:
    server.routes["/%E8%AE%A2%E9%98%85/feed.xml"] = Route(b"<rss/>", "application/rss+xml")
    assert download(server.url("/订阅/feed.xml"), timeout=2).body == b"<rss/>"


def test_parse_feed_errors_and_lenient_warnings() -> None:
    zone = ZONE
    with pytest.raises(FeedError, match="line 2, column 9: mismatched tag"):
        parse_feed(b"<rss>\n<item></rss>", "application/xml", "", zone)
    with pytest.raises(FeedError, match="empty"):
        parse_feed(b"  \n", "application/xml", "http://127.0.0.1/x", zone)
    with pytest.raises(FeedError, match="not XML"):
        parse_feed(b'{"items": []}', "application/json", "http://127.0.0.1/x", zone)
    empty = parse_feed(
        b'<rss version="2.0"><channel><title>E</title></channel></rss>', "", "", zone
    )
    assert (empty.title, empty.entries, empty.warnings) == ("E", (), ())
    lenient = parse_feed(
        b'<?xml version="1.0" encoding="utf-8"?>\n<rss version="2.0"><channel>\n'
        b"<title>A &amp; B</title><item><title>x & y</title>"
        b"<link>https://a.example.org/1</link></item></channel></rss>",
        "application/rss+xml",
        "",
        zone,
    )
    assert [entry.link for entry in lenient.entries] == ["https://a.example.org/1"]
    assert lenient.warnings == (
        "malformed XML (line 3, column 41: not well-formed (invalid token)); "
        "1 entry read leniently, check them",
    )


def test_parse_feed_never_opens_what_the_bytes_name(tmp_path: Path) -> None:
    """feedparser opens a bytes argument naming a file; digest hands it a stream."""
    secret = tmp_path / "secret.xml"
    secret.write_text(
        '<rss version="2.0"><channel><title>Secret</title>'
        "<item><title>Key</title><link>https://example.org/key</link></item></channel></rss>",
        encoding="utf-8",
    )
    with pytest.raises(FeedError, match="not XML"):
        parse_feed(str(secret).encode(), "application/rss+xml", "", ZONE)


# -- two runs, floods and redirects inwards ----------------------------------------------


def test_two_fetches_at_once_write_each_entry_once(
    server: FeedServer, make_site: Callable[..., Path]
) -> None:
    """The second run waits for the first (saying so), then finds everything known."""
    gate = threading.Event()
    rss = server.feed("/rss.xml", "rss20.xml", "application/rss+xml", gate=gate)
    site = make_site({}, site_yaml([rss]))
    streams = {"first": io.StringIO(), "second": io.StringIO()}
    reports: dict[str, FetchReport] = {}

    def start(name: str) -> threading.Thread:
        def go() -> None:
            reports[name] = fetch(
                site, date(2026, 1, 1), NOW, False, timeout=30, stream=streams[name]
            )

        thread = threading.Thread(target=go)
        thread.start()
        return thread

    first = start("first")
    wait_until(lambda: len(server.requests_to("/rss.xml")) == 1, "the first run's request")
    second = start("second")
    wait_until(
        lambda: (
            "waiting" in streams["second"].getvalue() or len(server.requests_to("/rss.xml")) == 2
        ),
        "the second run to wait or to fetch",
    )
    gate.set()
    first.join(60)
    second.join(60)
    assert streams["second"].getvalue() == (
        f"waiting for digest fetch (pid {os.getpid()}) to finish "
        f"({display_path(site / '.digest' / 'lock')})\n"
    )
    assert (len(reports["first"].written), reports["second"].written) == (4, ())
    urls = [front["url"] for front, _ in inbox_files(site).values()]
    assert len(urls) == len(set(urls)) == 4


def test_fetch_limit_caps_the_candidates_of_a_source_and_says_how_many_were_left(
    server: FeedServer, make_site: Callable[..., Path]
) -> None:
    """20,000 undated entries were 20,000 files; now 50 by default, `fetch_limit` in
    site.yaml to change it, and a line says how many were left out; a later run takes
    the next ones."""
    server.routes["/flood.xml"] = Route(many_entries(20_000))
    server.routes["/few.xml"] = Route(many_entries(3, dated=True).replace(b"many.", b"few."))
    flood, few = server.url("/flood.xml"), server.url("/few.xml")
    site = make_site({}, site_yaml([flood, few]))
    report = run(site, since=date(2026, 1, 1), timeout=10)
    assert [len(source.written) for source in report.sources] == [50, 3]
    assert report.lines == [
        f"{flood}: note: 19950 more new entries left out: at most 50 are taken from a source "
        "in one run (`fetch_limit` in site.yaml); `digest fetch --since DATE` takes the next "
        "ones"
    ]
    assert report.exit_status == 0
    server.routes["/flood.xml"] = Route(many_entries(120))
    (site / "site.yaml").write_text(site_yaml([flood], "fetch_limit: 60\n"), encoding="utf-8")
    again = run(site, since=date(2026, 1, 1))
    assert [path.name for path in again.written][:2] == [
        "2026-01-20-entry-50.md",
        "2026-01-20-entry-51.md",
    ]
    assert len(again.written) == 60 and len(inbox_files(site)) == 113
    assert again.lines == [
        f"{flood}: note: 10 more new entries left out: at most 60 are taken from a source in "
        "one run (`fetch_limit` in site.yaml); `digest fetch --since DATE` takes the next ones"
    ]


@pytest.mark.parametrize("value", ["0", "-3", "many", "1.5", "true"])
def test_fetch_limit_is_a_whole_number_of_one_or_more(value: str) -> None:
    text = site_yaml([], f"fetch_limit: {value}\n")
    with pytest.raises(DigestError) as caught:
        parse_config(text, Path("site.yaml"))
    (problem,) = caught.value.problems
    assert problem.line == 5 and "'fetch_limit' must be" in problem.message
    assert parse_config(site_yaml([]), Path("site.yaml")).fetch_limit == 50


def test_a_redirect_into_this_machine_or_a_private_network_is_refused(
    server: FeedServer,
) -> None:
    """A feed must not lead digest to another service here (another port on 127.0.0.1)
    or on the author's network: refused like file:, before connecting. Redirects
    within the source's own host and port still work."""
    other = FeedServer()
    try:
        other.feed("/feed.xml", "rss20.xml", "application/rss+xml")
        port = other.httpd.server_address[1]
        targets = {
            "/other-port": f"http://127.0.0.1:{port}/feed.xml",
            "/localhost": f"http://localhost:{port}/feed.xml",
            "/ten": "http://10.1.2.3/feed.xml",
            "/metadata": "http://169.254.169.254/latest/meta-data/",
            "/v6-loopback": f"http://[::1]:{port}/feed.xml",
            "/v4-mapped": f"https://[::ffff:127.0.0.1]:{port}/feed.xml",
            "/zero": "http://0.0.0.0/",
        }
        for path, target in targets.items():
            server.routes[path] = Route(status=302, headers={"Location": target})
            with pytest.raises(DownloadError) as caught:
                download(server.url(path), timeout=2)
            assert str(caught.value) == (
                f"redirected to '{target}', an address on this machine or a private network; "
                "refused"
            )
        assert other.requests == []
        server.feed("/rss.xml", "rss20.xml", "application/rss+xml")
        server.routes["/same"] = Route(status=307, headers={"Location": server.url("/rss.xml")})
        assert download(server.url("/same"), timeout=2).url == server.url("/rss.xml")
    finally:
        other.close()


def test_fetch_reports_a_redirect_inwards_as_the_source_error(
    server: FeedServer, make_site: Callable[..., Path]
) -> None:
    server.routes["/in"] = Route(status=301, headers={"Location": "http://192.168.1.1/admin"})
    site = make_site({}, site_yaml([server.url("/in")]))
    report = run(site)
    assert report.lines == [
        f"{server.url('/in')}: error: redirected to 'http://192.168.1.1/admin', an address on "
        "this machine or a private network; refused"
    ]
    assert report.exit_status == 1
