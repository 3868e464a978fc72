"""`digest fetch` against hostile feeds: a 50 MB answer, a gzip bomb, entity expansion
("billion laughs") and external entities, feeds lying about their encoding. Each is
bounded, reported in one line, and the other sources go on. tests/test_fetch.py has
the rest (size limits, endless answers, redirects, timeouts, HTML in feeds).

The feeds come from a server on 127.0.0.1 that streams its answers, so a 50 MB answer
is never held in memory here and tracemalloc measures the fetching side alone.
"""

from __future__ import annotations

import threading
import tracemalloc
import zlib
from collections.abc import Callable, Iterable, Iterator
from datetime import datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import yaml

from digest.authoring.fetch import MAX_BYTES, DownloadError, download, fetch, parse_feed

pytestmark = pytest.mark.usefixtures("no_proxy")  # requests go to 127.0.0.1 only
ZONE = ZoneInfo("Asia/Shanghai")
NOW = datetime(2026, 1, 20, 9, 30, tzinfo=ZONE)
MB = 1024 * 1024
Answer = tuple[dict[str, str], Iterable[bytes]]


def rss(title: str, *items: tuple[str, str], declaration: str = "utf-8") -> str:
    entries = "".join(
        f"<item><title>{name}</title><link>{link}</link>"
        "<pubDate>Wed, 14 Jan 2026 08:00:00 +0000</pubDate></item>"
        for name, link in items
    )
    return (
        f'<?xml version="1.0" encoding="{declaration}"?>\n'
        f'<rss version="2.0"><channel><title>{title}</title>{entries}</channel></rss>'
    )


def zeros(total: int) -> Iterator[bytes]:
    chunk = bytes(MB)
    for _ in range(total // MB):
        yield chunk


def gzip_bomb(expanded: int) -> bytes:
    """`expanded` bytes of zeros, gzipped to about a thousandth of that."""
    packer = zlib.compressobj(9, zlib.DEFLATED, 16 + zlib.MAX_WBITS)
    return b"".join(packer.compress(chunk) for chunk in zeros(expanded)) + packer.flush()


LAUGHS = (
    '<?xml version="1.0"?>\n<!DOCTYPE rss [<!ENTITY l0 "lol">'
    + "".join(f'<!ENTITY l{i} "{f"&l{i - 1};" * 10}">' for i in range(1, 10))
    + ']>\n<rss version="2.0"><channel><title>Laughs &l9;</title>'
    "<item><title>Laughing &l9;</title><link>https://laughs.example.org/1</link>"
    "<pubDate>Wed, 14 Jan 2026 08:00:00 +0000</pubDate>"
    "<description>&l9;&l9;&l9;</description></item></channel></rss>"
)
EXTERNAL = (
    '<?xml version="1.0"?>\n<!DOCTYPE rss [<!ENTITY secret SYSTEM "file:///etc/passwd">'
    '<!ENTITY % remote SYSTEM "http://127.0.0.1:9/evil.dtd"> %remote;]>\n'
    '<rss version="2.0"><channel><title>External</title>'
    "<item><title>Leak &secret;</title><link>https://external.example.org/1</link>"
    "<pubDate>Wed, 14 Jan 2026 08:00:00 +0000</pubDate>"
    "<description>&secret;</description></item></channel></rss>"
)


class StreamingServer:
    """Answers from a table of path -> (headers, chunks) on 127.0.0.1; chunks are made as
    they are sent. Without Content-Length the answer ends when the connection closes."""

    def __init__(self) -> None:
        self.routes: dict[str, Callable[[], Answer]] = {}
        routes = self.routes

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.0"

            def do_GET(self) -> None:
                make = routes.get(self.path)
                if make is None:
                    self.send_error(404)
                    return
                headers, chunks = make()
                self.send_response(200)
                for name, value in headers.items():
                    self.send_header(name, value)
                self.end_headers()
                try:
                    for chunk in chunks:
                        self.wfile.write(chunk)
                except OSError:  # the client hung up, as it should past the limit
                    pass

            def log_message(self, format: str, *args: object) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.thread = threading.Thread(
            target=self.httpd.serve_forever, kwargs={"poll_interval": 0.01}, daemon=True
        )
        self.thread.start()

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.httpd.server_address[1]}{path}"

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def server() -> Iterator[StreamingServer]:
    streaming = StreamingServer()
    streaming.routes.update(
        {
            "/50mb-declared": lambda: (
                {"Content-Type": "application/xml", "Content-Length": str(50 * MB)},
                zeros(50 * MB),
            ),
            "/50mb-streamed": lambda: ({"Content-Type": "application/xml"}, zeros(50 * MB)),
            "/gzip-bomb": lambda: (
                {"Content-Type": "application/xml", "Content-Encoding": "gzip"},
                [BOMB],
            ),
            "/laughs": lambda: ({"Content-Type": "application/rss+xml"}, [LAUGHS.encode()]),
            "/external": lambda: ({"Content-Type": "application/rss+xml"}, [EXTERNAL.encode()]),
            "/gbk-says-utf8": lambda: (
                {"Content-Type": "application/rss+xml; charset=utf-8"},
                [rss("中文", ("标题", "https://gbk.example.org/1")).encode("gbk")],
            ),
            "/utf8-says-gb2312": lambda: (
                {"Content-Type": "text/xml"},
                [
                    rss("中文", ("標題", "https://big.example.org/1"), declaration="gb2312").encode(
                        "utf-8"
                    )
                ],
            ),
            "/good": lambda: (
                {"Content-Type": "application/rss+xml"},
                [rss("Good", ("Fine post", "https://good.example.org/1")).encode()],
            ),
        }
    )
    yield streaming
    streaming.close()


BOMB = gzip_bomb(512 * MB)


def peak_memory(run: Callable[[], object]) -> tuple[object, int]:
    tracemalloc.start()
    try:
        try:
            result: object = run()
        except DownloadError as error:
            result = error
        return result, tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


@pytest.mark.parametrize(
    ("path", "message"),
    [
        ("/50mb-declared", "the response is 52,428,800 bytes, over the 10 MB limit"),
        ("/50mb-streamed", "the response is over the 10 MB limit; refused"),
        ("/gzip-bomb", "the response is over the 10 MB limit; refused"),
    ],
)
def test_oversized_answers_are_refused_in_bounded_memory(
    server: StreamingServer, path: str, message: str
) -> None:
    """50 MB sent, or 512 MB unzipped from half a megabyte: memory stays near the limit."""
    result, peak = peak_memory(lambda: download(server.url(path), timeout=5))
    assert isinstance(result, DownloadError) and str(result) == message
    assert peak < 3 * MAX_BYTES, f"peak {peak / MB:.0f} MB"
    assert len(BOMB) < MB


def test_entities_are_never_expanded() -> None:
    """Billion laughs (10^9 'lol's) and external entities: read as they stand, no expansion,
    no file or network access; the feed is read leniently and said to be malformed."""
    for body, leak in [(LAUGHS, b"lollollol"), (EXTERNAL, b"root:")]:
        (feed, warnings), peak = peak_memory(
            lambda body=body: (
                (parsed := parse_feed(body.encode(), "application/rss+xml", "", ZONE)),
                parsed.warnings,
            )
        )
        assert peak < 20 * MB
        (entry,) = feed.entries
        for text in (entry.title, entry.summary, feed.title):
            assert len(text) < 200 and leak.decode() not in text, text
        assert any("malformed XML" in warning for warning in warnings)


def test_a_feed_lying_about_its_encoding_is_read_and_reported() -> None:
    gbk = rss("中文", ("标题", "https://gbk.example.org/1")).encode("gbk")
    feed = parse_feed(gbk, "application/rss+xml; charset=utf-8", "", ZONE)
    assert [entry.link for entry in feed.entries] == ["https://gbk.example.org/1"]
    assert feed.warnings == (
        "the feed is not in the text encoding it declares (utf-8); it was read as "
        "windows-1252, so titles may be garbled",
    )
    honest = rss("中文", ("标题", "https://utf8.example.org/1")).encode()
    for content_type in ["text/xml", "application/rss+xml", "text/xml; charset=utf-8"]:
        assert parse_feed(honest, content_type, "", ZONE).warnings == (), content_type


def test_one_fetch_against_every_hostile_feed(
    server: StreamingServer, make_site: Callable[..., Path]
) -> None:
    """Each bad source is one line; the good ones are written; exit status 1; no traceback."""
    paths = [
        "/50mb-declared",
        "/50mb-streamed",
        "/gzip-bomb",
        "/laughs",
        "/external",
        "/gbk-says-utf8",
        "/utf8-says-gb2312",
        "/good",
    ]
    site_yaml = (
        "title: T\nbase_url: https://example.org/\ntimezone: Asia/Shanghai\n"
        + yaml.safe_dump({"sources": [server.url(path) for path in paths]})
    )
    site = make_site({}, site_yaml=site_yaml)
    report = fetch(site, None, NOW, False, timeout=5)
    assert report.exit_status == 1 and report.failed == 3
    by_path = {path: source for path, source in zip(paths, report.sources, strict=True)}
    for path in ["/50mb-declared", "/50mb-streamed", "/gzip-bomb"]:
        assert by_path[path].error is not None and "over the 10 MB limit" in by_path[path].error
    for path in ["/gbk-says-utf8", "/utf8-says-gb2312"]:
        (warning,) = by_path[path].warnings
        assert "not in the text encoding it declares" in warning
    assert len(by_path["/good"].written) == 1
    lines = report.lines
    assert all(line.count("\n") == 0 for line in lines)
    assert sum(": error: " in line for line in lines) == 3
    inbox = "".join(path.read_text(encoding="utf-8") for path in report.written)
    assert "lollollol" not in inbox and "root:x:" not in inbox
