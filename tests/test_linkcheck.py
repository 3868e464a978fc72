"""`digest check --links`: an archive's links asked of servers on 127.0.0.1 that answer
every way a link can fail."""

from __future__ import annotations

import contextlib
import socket
import struct
import threading
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from digest.authoring.linkcheck import check_links, links_in
from digest.authoring.linkmemory import MEMORY_DIR, MEMORY_NAME
from digest.authoring.linkprobe import USER_AGENT, Prober, _retry_after, is_home_page, request_url
from digest.cli import main

pytestmark = pytest.mark.usefixtures("no_proxy")  # requests go to 127.0.0.1 only
NOW = datetime(2026, 1, 20, 9, 30, tzinfo=UTC)
TIMEOUT = 0.5
"""The prober's timeout here: the silent server costs this once per run that asks it."""


class LinkServer:
    """A server on 127.0.0.1 whose paths answer as their names say; it counts requests."""

    def __init__(self) -> None:
        self.requests: list[tuple[str, str]] = []
        self.agents: set[str] = set()
        self.answered: dict[str, int] = {}
        self.release = threading.Event()
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_HEAD(self) -> None:
                server.answer(self, "HEAD")

            def do_GET(self) -> None:
                server.answer(self, "GET")

            def log_message(self, *args: object) -> None:
                pass

            def finish(self) -> None:
                with contextlib.suppress(OSError):  # a connection reset on purpose
                    super().finish()

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.base = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        threading.Thread(target=self.httpd.serve_forever, args=(0.05,), daemon=True).start()

    def answer(self, handler: BaseHTTPRequestHandler, method: str) -> None:
        path = handler.path
        self.requests.append((method, path))
        self.agents.add(handler.headers.get("User-Agent", ""))
        times = self.answered[path] = self.answered.get(path, 0) + 1
        redirects = {
            "/same-old": (301, "/same-new"),
            "/deep/article": (301, "/"),
            "/temporary": (302, "/ok"),
            "/loop-a": (301, "/loop-b"),
            "/loop-b": (308, "/loop-a"),
        }
        if path in redirects:
            code, location = redirects[path]
            self.send(handler, code, {"Location": location})
        elif path in ("/gone", "/removed"):
            self.send(handler, 404 if path == "/gone" else 410)
        elif path in ("/busy", "/flaky") and times == 1:
            self.send(handler, 429 if path == "/busy" else 503, {"Retry-After": "1"})
        elif path == "/no-head" and method == "HEAD":
            self.send(handler, 405)
        elif path == "/reset":
            linger = struct.pack("ii", 1, 0)  # close with a TCP reset, not a goodbye
            handler.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, linger)
            handler.connection.close()
            handler.close_connection = True
        elif path == "/silent":
            self.release.wait(10)
            handler.close_connection = True
        else:
            self.send(handler, 200, {"Content-Type": "text/html"}, b"<p>here</p>")

    def send(
        self,
        handler: BaseHTTPRequestHandler,
        code: int,
        headers: dict[str, str] | None = None,
        body: bytes = b"",
    ) -> None:
        handler.send_response(code)
        for name, value in (headers or {}).items():
            handler.send_header(name, value)
        handler.send_header("Content-Length", str(len(body)))
        handler.end_headers()
        if handler.command == "GET":
            handler.wfile.write(body)

    def close(self) -> None:
        self.release.set()
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def servers() -> Iterator[Callable[[], LinkServer]]:
    started: list[LinkServer] = []

    def start() -> LinkServer:
        started.append(LinkServer())
        return started[-1]

    yield start
    for server in started:
        server.close()


def every_case(base: str, busy: str, flaky: str) -> str:
    return f"""\
---
title: Issue 1
date: 2026-01-05
---
## News

- [Fine]({base}/ok) fine
- [Moved]({base}/same-old) moved to the same page
- [Home]({base}/deep/article) moved to the home page
- [Temporary]({base}/temporary) a 302
- [Gone]({base}/gone) a 404
- [Removed]({base}/removed) a 410
- [Busy]({busy}/busy) a 429, then fine
- [Flaky]({flaky}/flaky) a 503, then fine
- [No HEAD]({base}/no-head) refuses HEAD
- [Reset]({base}/reset) hangs up
- [Silent]({base}/silent) never answers
- [Loop]({base}/loop-a) redirects for ever
- [Moved, a part]({base}/same-old#part) moved, with a fragment: **{base}/same-old**.

![figure]({base}/ok/figure.png)

```sh
curl {base}/never-in-a-fence
```

Not `{base}/never-in-code` and not <!-- {base}/never-in-a-comment -->.
"""


@pytest.fixture
def site(make_site, servers) -> tuple[Path, LinkServer, LinkServer, LinkServer]:
    main_server, busy, flaky = servers(), servers(), servers()
    text = every_case(main_server.base, busy.base, flaky.base)
    root = make_site({"content/issues/1-links.md": text})
    return root, main_server, busy, flaky


def lines(report) -> list[str]:
    return [f"{Path(p.path).name}:{p.line}: {p.level}: {p.message}" for p in report.problems]


def test_every_kind_of_link_is_reported_at_its_line(site) -> None:
    root, server, busy, flaky = site
    waits: list[float] = []
    prober = Prober(timeout=TIMEOUT, sleep=waits.append)
    report = check_links(root, NOW, prober=prober)
    base = server.base
    archive = "https://web.archive.org/web/20260105/"
    fix = "`digest check --links --fix-moved` rewrites it"
    assert lines(report) == [
        f"1-links.md:8: warning: {base}/same-old moved permanently to {base}/same-new; {fix}",
        f"1-links.md:9: warning: {base}/deep/article may be gone (a soft 404): "
        f"redirected to the home page {base}/",
        f"1-links.md:11: warning: dead link {base}/gone: HTTP 404 Not Found; the web "
        f"archive's copy from near the issue's date, if it has one: {archive}{base}/gone",
        f"1-links.md:12: warning: dead link {base}/removed: HTTP 410 Gone; the web "
        f"archive's copy from near the issue's date, if it has one: {archive}{base}/removed",
        f"1-links.md:16: warning: dead link {base}/reset: the server closed the connection "
        f"without answering; the web archive's copy from near the issue's date, if it has "
        f"one: {archive}{base}/reset",
        f"1-links.md:17: warning: dead link {base}/silent: timed out: no answer within "
        f"{TIMEOUT:g} s; the web archive's copy from near the issue's date, if it has one: "
        f"{archive}{base}/silent",
        f"1-links.md:18: warning: dead link {base}/loop-a: a redirect loop (at {base}/loop-a); "
        f"the web archive's copy from near the issue's date, if it has one: {archive}{base}/loop-a",
        f"1-links.md:19: warning: {base}/same-old#part moved permanently to {base}/same-new#part; "
        f"{fix}",
        f"1-links.md:19: warning: {base}/same-old moved permanently to {base}/same-new; {fix}",
    ]
    assert report.counts == {"moved": 3, "soft-404": 1, "dead": 5}
    # Retry-After honoured: each throttled link waited the second it was asked to, once.
    assert waits == [1.0, 1.0]
    assert busy.requests == [("HEAD", "/busy"), ("HEAD", "/busy")]
    assert flaky.requests == [("HEAD", "/flaky"), ("HEAD", "/flaky")]
    # HEAD first; GET only where HEAD was refused.
    assert [method for method, path in server.requests if path == "/no-head"] == ["HEAD", "GET"]
    assert all(method == "HEAD" for method, path in server.requests if path != "/no-head")
    # Code, fences and comments are not links; a link twice is asked once.
    assert not [path for _, path in server.requests if path.startswith("/never")]
    assert [path for _, path in server.requests].count("/same-old") == 1
    assert ("HEAD", "/ok/figure.png") in server.requests
    assert server.agents == {USER_AGENT} and "digest" in USER_AGENT
    assert (report.links, report.urls, report.asked) == (15, 13, 13)
    assert report.requests == len(server.requests) + 4


def test_a_second_run_within_the_age_asks_nothing_and_says_the_same(site) -> None:
    root, server, busy, flaky = site
    first = check_links(root, NOW, prober=Prober(timeout=TIMEOUT, sleep=lambda s: None))
    asked = len(server.requests) + len(busy.requests) + len(flaky.requests)
    second = check_links(root, NOW + timedelta(days=6), prober=Prober(timeout=TIMEOUT))
    assert len(server.requests) + len(busy.requests) + len(flaky.requests) == asked
    assert (second.requests, second.asked, second.remembered) == (0, 0, 13)
    assert lines(second) == lines(first)
    assert (root / MEMORY_DIR / MEMORY_NAME).is_file()
    assert (root / MEMORY_DIR / ".gitignore").is_file()

    # Past the age, or with --recheck, every link is asked again.
    later = check_links(
        root, NOW + timedelta(days=8), prober=Prober(timeout=TIMEOUT, sleep=lambda s: None)
    )
    assert later.asked == 13 and len(server.requests) > asked - 4
    again = check_links(
        root,
        NOW + timedelta(days=8),
        recheck=True,
        prober=Prober(timeout=TIMEOUT, sleep=lambda s: None),
    )
    assert again.asked == 13


def test_fix_moved_rewrites_exactly_the_moved_links(site) -> None:
    root, server, _, _ = site
    issue = root / "content/issues/1-links.md"
    before = issue.read_text(encoding="utf-8")
    untouched = check_links(root, NOW, prober=Prober(timeout=TIMEOUT, sleep=lambda s: None))
    assert issue.read_text(encoding="utf-8") == before  # never without the flag
    report = check_links(root, NOW, fix_moved=True, prober=Prober(timeout=TIMEOUT))
    base = server.base
    assert [str(change).split(": ", 1)[1] for change in report.changes] == [
        f"fixed: {base}/same-old -> {base}/same-new",
        f"fixed: {base}/same-old#part -> {base}/same-new#part",
        f"fixed: {base}/same-old -> {base}/same-new",
    ]
    expected = before.replace(f"{base}/same-old", f"{base}/same-new")
    assert issue.read_text(encoding="utf-8") == expected
    assert f"{base}/deep/article" in expected  # a move to the home page is no move
    assert len(lines(report)) == len(lines(untouched)) - 3
    assert not any("moved permanently" in line for line in lines(report)), lines(report)


def test_the_command_reports_on_stdout_and_fails_only_with_strict(
    make_site, servers, capsys
) -> None:
    server = servers()
    root = make_site(
        {
            "content/issues/1-old.md": "---\ntitle: Old\ndate: 2025-12-01\n---\n## News\n\n"
            f"- [Gone]({server.base}/gone) a 404\n",
            "content/issues/2-new.md": "---\ntitle: New\ndate: 2026-01-05\n---\n## News\n\n"
            f"- [Fine]({server.base}/ok) fine\n",
            "content/issues/3-draft.md": "---\ntitle: Draft\ndate: 2026-01-12\ndraft: true\n"
            f"---\n## News\n\n- [Removed]({server.base}/removed) a 410\n",
        }
    )
    site = ["--site", str(root)]
    assert main(["check", "--links", *site]) == 0
    out, err = capsys.readouterr()
    assert [line.split(": ", 1)[0].rsplit("/", 1)[-1] for line in out.splitlines()] == [
        "1-old.md:7",
        "3-draft.md:8",
    ]
    assert "checked 3 links (3 distinct) in 3 issues: 2 dead" in err
    assert "checked: 0 errors, 2 warnings" in err
    assert main(["check", "--links", "--strict", *site]) == 1
    capsys.readouterr()
    # The newest issue out (not the draft) is clean, so the strict check of it passes.
    assert main(["check", "--links", "--strict", *site, "latest"]) == 0
    assert "in 1 issue: 0 dead" in capsys.readouterr().err
    assert main(["check", "--links", "--since", "2026-01-01", *site]) == 0
    assert "3-draft.md:8" in capsys.readouterr().out
    assert main(["check", "--links", *site, "1", str(root / "content/issues/2-new.md")]) == 0
    assert "in 2 issues" in capsys.readouterr().err
    assert main(["check", "--links", *site, "9"]) == 1
    assert "no issue '9'" in capsys.readouterr().err
    assert main(["check", "--recheck", *site]) == 1
    assert "go with --links" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("line", "urls"),
    [
        (
            "[a](https://a.example/x) and https://b.example/y.",
            ["https://a.example/x", "https://b.example/y"],
        ),
        (
            "[wiki](https://en.wikipedia.org/wiki/Rust_(language))",
            ["https://en.wikipedia.org/wiki/Rust_(language)"],
        ),
        ("见 https://a.example/文章，然后", ["https://a.example/文章"]),
        ("**<https://a.example/x>**", ["https://a.example/x"]),
        ('<img src="https://i.example/a.png" alt="">', ["https://i.example/a.png"]),
        ("[ref]: https://a.example/r 'Title'", ["https://a.example/r"]),
        ("`https://a.example/code` <!-- https://a.example/c -->", []),
        ("/images/local.png and mailto:a@b.example and https:///nohost", []),
    ],
)
def test_links_in_text(line: str, urls: list[str]) -> None:
    assert [link.written for link in links_in(line, Path("x.md"))] == urls


def test_links_in_fences_are_skipped_and_lines_counted() -> None:
    text = "a\n```\nhttps://a.example/no\n```\n~~~~\n```\nhttps://a.example/no\n~~~~\nhttps://a.example/yes\n"
    assert [(link.line, link.written) for link in links_in(text, Path("x.md"))] == [
        (9, "https://a.example/yes")
    ]


def test_request_urls_and_home_pages() -> None:
    assert request_url("https://例子.测试/路径?q=数据#frag") == (
        "https://xn--fsqu00a.xn--0zwm56d/%E8%B7%AF%E5%BE%84?q=%E6%95%B0%E6%8D%AE"
    )
    assert request_url("https://a.example") == "https://a.example/"
    assert request_url("ftp://a.example/x") is None
    assert is_home_page("https://a.example/") and is_home_page("https://a.example/index.html")
    assert not is_home_page("https://a.example/?p=2") and not is_home_page("https://a.example/a")


def test_retry_after_in_seconds_or_as_a_date() -> None:
    assert _retry_after("7", default=1.0) == 7.0
    assert _retry_after(None, default=2.0) == 2.0
    assert _retry_after("soon", default=2.0) == 2.0
    assert _retry_after("Wed, 21 Oct 2015 07:28:00 GMT", default=2.0) == 0.0  # in the past


def test_a_retry_after_beyond_the_limit_is_left_for_the_next_run(servers) -> None:
    server = servers()
    prober = Prober(timeout=TIMEOUT, max_wait=0.5, sleep=lambda s: None)
    verdict = prober.check(f"{server.base}/busy")
    assert verdict.status == "unchecked"
    assert "asks to wait 1 s" in verdict.reason
    assert server.requests == [("HEAD", "/busy")]
