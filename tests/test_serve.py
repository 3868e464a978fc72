"""`digest serve`: a real server in a subprocess, edited while it runs."""

from __future__ import annotations

import http.client
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
from collections.abc import Iterator
from http import HTTPStatus
from pathlib import Path
from types import SimpleNamespace
from urllib.parse import quote

import pytest
from dev_server import Served, start, wait_for

from digest.build.pipeline import BuildOptions, build
from digest.serve.server import host_allowed, inject, is_loopback, resolve_request

pytestmark = pytest.mark.slow  # each test runs `digest serve` as a real process

SITES = Path(__file__).parent / "sites"


@pytest.fixture
def served(tmp_path: Path) -> Iterator[Served]:
    site = tmp_path / "site"
    shutil.copytree(SITES / "basic", site)
    temp = tmp_path / "tmp"
    temp.mkdir()
    server = start(site, temp)
    yield server
    server.stop()


def test_serves_pages_with_the_reload_script_and_drafts(served):
    status, headers, body = served.get("/issues/3/")
    assert status == 200
    assert headers["content-type"] == "text/html; charset=utf-8"
    assert b"new EventSource" in body
    assert served.get("/issues/4/")[0] == 200  # drafts and future issues are shown
    assert served.get("/issues/5/")[0] == 200


def test_an_edit_is_served(served):
    issue = served.site / "content/issues/3-third.md"
    issue.write_text(issue.read_text().replace("Short one.", "Freshly edited."))
    wait_for(lambda: "Freshly edited." in served.text("/issues/3/"), "the edit to be served")


def test_atomic_rename_saves_are_seen(served):
    issue = served.site / "content/issues/3-third.md"
    swap = issue.with_name(".3-third.md.swp")
    swap.write_text(issue.read_text().replace("Short one.", "Saved by rename."))
    os.replace(swap, issue)
    wait_for(lambda: "Saved by rename." in served.text("/issues/3/"), "the renamed save")


def test_broken_yaml_shows_the_error_and_a_fix_clears_it(served):
    issue = served.site / "content/issues/3-third.md"
    good = issue.read_text()
    issue.write_text(good.replace("title: Third issue", "title: [Third"))
    page = wait_for(
        lambda: (text := served.text("/issues/1/")) and 'id="digest-error"' in text and text,
        "the error overlay",
    )
    assert re.search(r"content/issues/3-third\.md:3: error: invalid YAML", str(page))
    assert "First issue: hello" in str(page)  # the last good site is still browsable
    issue.write_text(good.replace("Short one.", "Fixed now."))
    wait_for(lambda: "Fixed now." in served.text("/issues/3/"), "the fix")
    assert 'id="digest-error"' not in served.text("/issues/1/")


@pytest.mark.parametrize(
    "path",
    [
        "/../../../../etc/passwd",
        "/%2e%2e/%2e%2e/%2e%2e/etc/passwd",
        "/..%2f..%2f..%2fetc%2fpasswd",
        "/issues/../../../etc/passwd",
        "//etc/passwd",
        "/%2fetc%2fpasswd",
        "/linked/passwd",
        "/.hidden",
    ],
)
def test_nothing_outside_the_output_is_served(served, path):
    status, _, body = served.get(path)
    assert status in (HTTPStatus.NOT_FOUND, HTTPStatus.BAD_REQUEST)
    assert b"root:" not in body


def test_mime_types_pretty_urls_and_404(served):
    for path, kind in [
        ("/css/style.css", "text/css; charset=utf-8"),
        ("/js/filter.js", "text/javascript; charset=utf-8"),
        ("/feed.xml", "application/xml"),
        ("/feed.json", "application/json"),
        ("/images/dot.svg", "image/svg+xml"),
    ]:
        status, headers, _ = served.get(path)
        assert (status, headers["content-type"]) == (200, kind), path
    status, headers, _ = served.get("/issues/3")
    assert (status, headers["location"]) == (301, "/issues/3/")
    status, _, body = served.get("/no/such/page/")
    assert status == 404
    assert b"new EventSource" in body and b"<main" in body  # the site's own 404 page


def test_css_change_is_announced_as_css(served):
    connection = http.client.HTTPConnection("127.0.0.1", served.port, timeout=10)
    connection.request("GET", "/__digest/events")
    response = connection.getresponse()
    assert response.getheader("content-type") == "text/event-stream"
    style = served.site / "static/css/style.css"
    style.parent.mkdir(parents=True)
    style.write_text("body { color: rebeccapurple }")
    lines = []
    while not any(line.startswith("event:") for line in lines):
        lines.append(response.fp.readline().decode().strip())
    assert "event: css" in lines
    connection.close()
    assert served.text("/css/style.css") == "body{color:rebeccapurple}"  # minified, as built


def test_sigint_stops_cleanly_and_removes_the_temporary_folder(served):
    assert list(served.tmp.glob("digest-serve-*"))
    served.process.send_signal(signal.SIGINT)
    assert served.process.wait(timeout=10) == 0
    assert list(served.tmp.glob("digest-serve-*")) == []
    assert "Traceback" not in served.process.stderr.read()


def test_sub_path_base_url(tmp_path):
    site = tmp_path / "site"
    shutil.copytree(SITES / "basic", site)
    config = site / "site.yaml"
    config.write_text(config.read_text().replace("https://example.org/", "https://x.io/weekly/"))
    server = start(site, tmp_path)
    try:
        status, headers, _ = server.get("/")
        assert (status, headers["location"]) == (301, "/weekly/")
        assert server.get("/weekly/issues/1/")[0] == 200
        assert server.get("/issues/1/")[0] == 404
        assert 'href="/weekly/issues/2/"' in server.text("/weekly/issues/1/")
    finally:
        server.stop()


def test_resolve_request_refuses_symlinks_out_of_the_tree(tmp_path):
    root = tmp_path / "out"
    (root / "issues/1").mkdir(parents=True)
    (root / "issues/1/index.html").write_text("ok")
    (tmp_path / "secret.txt").write_text("secret")
    (root / "leak.txt").symlink_to(tmp_path / "secret.txt")
    assert resolve_request("/issues/1/", "/", root) == (HTTPStatus.OK, root / "issues/1/index.html")
    assert resolve_request("/leak.txt", "/", root) == (HTTPStatus.NOT_FOUND, None)
    assert resolve_request("/a%00b", "/", root) == (HTTPStatus.BAD_REQUEST, None)
    assert resolve_request("/a\\..\\b", "/", root) == (HTTPStatus.BAD_REQUEST, None)


def test_inject_places_the_script_before_the_body_end():
    live = SimpleNamespace(problems=[], error_text="")
    page = inject(b"<html><body><p>x</p></body></html>", live)  # type: ignore[arg-type]
    assert page.index(b"EventSource") < page.index(b"</body>")


def test_loopback_detection():
    assert is_loopback("127.0.0.1") and is_loopback("::1") and is_loopback("localhost")
    assert not is_loopback("0.0.0.0") and not is_loopback("192.168.1.10")


def test_after_a_series_of_edits_the_served_tree_equals_a_fresh_build(served, tmp_path):
    issues = served.site / "content/issues"
    edits = [
        lambda: (issues / "1-first.md").write_text(
            (issues / "1-first.md").read_text().replace("quickly", "very quickly")
        ),
        lambda: (issues / "6-new.md").write_text(
            "---\ntitle: New\ndate: 2026-10-26\ntags: [go]\n---\n## Tools\n\n"
            "- [go](https://go.dev/) x\n"
        ),
        lambda: (issues / "3-third.md").rename(issues / "7-renamed.md"),
        lambda: (issues / "2-second.md").unlink(),
    ]
    for number, edit in enumerate(edits):
        edit()
        marker = served.site / "content/issues/9-marker.md"
        marker.write_text(f"---\ntitle: Marker {number}\ndate: 2026-10-01\n---\n")
        wait_for(lambda n=number: f"Marker {n}" in served.text("/issues/9/"), f"edit {number}")

    out = tmp_path / "fresh"
    build(BuildOptions(site_dir=served.site, out_dir=out, drafts=True, future=True))
    snippet = re.compile(
        rb"<script>\(\(\) => \{\n  const events = new EventSource.*?</script>\n", re.S
    )
    for path in sorted(p for p in out.rglob("*") if p.is_file()):
        relative = path.relative_to(out).as_posix()
        if relative.startswith(".") or relative.startswith("pagefind/"):
            continue  # .nojekyll is not served; the search index is tested in test_search
        status, _, body = served.get("/" + quote(relative))
        assert status == 200, relative
        assert snippet.sub(b"", body) == path.read_bytes(), relative
    assert served.get("/issues/2/")[0] == 404
    assert served.get("/issues/3/")[0] == 404


def test_a_busy_port_moves_to_the_next_one(tmp_path):
    site = tmp_path / "site"
    shutil.copytree(SITES / "basic", site)
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        process = subprocess.Popen(
            [sys.executable, "-m", "digest.cli", "serve", "--site", str(site), "--port", str(port)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        try:
            line = process.stdout.readline()
            assert re.search(rf"serving http://127\.0\.0\.1:{port + 1}/|serving http://127", line)
            assert f":{port}/" not in line
        finally:
            process.send_signal(signal.SIGINT)
            process.wait(timeout=10)
        assert f"port {port} is in use; serving on port" in process.stderr.read()


def test_the_search_index_follows_edits(served, tmp_path):
    """After saves pause, the served index is the one a fresh build writes."""

    def index_of(folder: Path) -> dict[str, bytes]:
        return {
            path.relative_to(folder).as_posix(): path.read_bytes()
            for path in (folder / "pagefind").rglob("*")
            if path.is_file()
        }

    def served_index_is(expected: dict[str, bytes]) -> bool:
        return all(served.get("/" + quote(name))[2] == data for name, data in expected.items())

    build(BuildOptions(site_dir=served.site, out_dir=tmp_path / "before", drafts=True, future=True))
    before = index_of(tmp_path / "before")
    wait_for(lambda: served_index_is(before), "the first index")
    issue = served.site / "content/issues/1-first.md"
    issue.write_text(issue.read_text().replace("quickly", "zeppelin-quickly"))
    build(BuildOptions(site_dir=served.site, out_dir=tmp_path / "after", drafts=True, future=True))
    after = index_of(tmp_path / "after")
    assert after != before
    wait_for(lambda: served_index_is(after), "the edit to reach the search index")


def test_an_endless_template_is_stopped_and_a_fix_recovers(tmp_path):
    """Rebuilds run on the watcher's thread: the time limit reaches them there too."""
    site = tmp_path / "site"
    shutil.copytree(SITES / "basic", site)
    config = site / "site.yaml"
    config.write_text(config.read_text() + "render_timeout: 1\n")
    temp = tmp_path / "tmp"
    temp.mkdir()
    server = start(site, temp)
    try:
        footer = site / "templates/partials/footer.html"
        footer.parent.mkdir(parents=True)
        footer.write_text(
            "<footer>\n{% for i in range(100000) %}{% for j in range(100000) %}"
            "{% endfor %}{% endfor %}\n"
        )
        # The watcher may see the file half-written first (another error): wait for this one.
        wait_for(
            lambda: (
                "footer.html:2: error: rendering took longer than 1 s" in server.text("/issues/1/")
            ),
            "the time-out error",
        )
        footer.write_text("<footer>Fixed footer</footer>\n")
        wait_for(lambda: "Fixed footer" in server.text("/issues/1/"), "the fixed template")
        assert 'id="digest-error"' not in server.text("/issues/1/")
    finally:
        server.stop()


def get_with_host(served, host: str) -> tuple[int, bytes]:
    connection = http.client.HTTPConnection("127.0.0.1", served.port, timeout=10)
    connection.putrequest("GET", "/issues/3/", skip_host=True, skip_accept_encoding=True)
    connection.putheader("Host", host)
    connection.endheaders()
    response = connection.getresponse()
    body = response.read()
    connection.close()
    return response.status, body


def test_only_names_of_this_machine_are_answered(served):
    """DNS rebinding: a page on attacker.example whose name now points at 127.0.0.1 sends
    `Host: attacker.example`; it must not read the preview (drafts included)."""
    for host in ("attacker.example", "attacker.example:8000", "127.0.0.1.nip.io", "10.0.0.1"):
        status, body = get_with_host(served, host)
        assert status == HTTPStatus.FORBIDDEN, host
        assert body.startswith(b"digest serve answers only requests for this machine"), body
    for host in ("localhost", f"localhost:{served.port}", "127.0.0.1:1", "[::1]:8000", "LOCALHOST"):
        assert get_with_host(served, host)[0] == HTTPStatus.OK, host


def test_host_allowed_rules():
    names = frozenset({"localhost", "127.0.0.1", "::1"})
    assert host_allowed("[::1]", names) and host_allowed("localhost.", names)
    assert host_allowed(None, names)  # HTTP/1.0 without a Host: no browser sends that
    assert not host_allowed("evil.example", names) and not host_allowed("[::2]:80", names)
    assert host_allowed("evil.example", None)  # --host 0.0.0.0: meant for others


def test_a_client_that_leaves_early_prints_no_traceback(tmp_path):
    site = tmp_path / "site"
    shutil.copytree(SITES / "basic", site)
    (site / "static").mkdir(exist_ok=True)
    (site / "static/big.bin").write_bytes(b"x" * 20_000_000)  # more than socket buffers
    temp = tmp_path / "tmp"
    temp.mkdir()
    server = start(site, temp)
    try:
        for _ in range(3):
            client = socket.create_connection(("127.0.0.1", server.port), timeout=10)
            client.sendall(b"GET /big.bin HTTP/1.1\r\nHost: localhost\r\n\r\n")
            client.recv(1024)  # the answer has begun
            # Closed with a reset, as a browser cancelling a load does.
            client.setsockopt(
                socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00"
            )
            client.close()
        assert server.get("/issues/3/")[0] == 200
    finally:
        server.stop()
    errors = server.process.stderr.read()
    assert "Traceback" not in errors and "Exception" not in errors, errors


def test_the_first_build_shows_progress_and_rebuilds_do_not(tmp_path, monkeypatch):
    """At a few hundred issues the first build takes seconds: the author sees it move.
    (The line is drawn only on a terminal; here a recorder stands in for it.)"""
    from digest.serve import server as serve
    from digest.serve.server import LiveSite, ServeOptions

    reports: list[tuple[str, int, int]] = []

    class Recorder:
        def __init__(self) -> None:
            self.closed = False

        def __call__(self, stage: str, done: int, total: int) -> None:
            reports.append((stage, done, total))

        def __enter__(self):
            return self

        def __exit__(self, *exc: object) -> None:
            self.closed = True

    monkeypatch.setattr(serve, "Progress", Recorder)
    site = tmp_path / "site"
    shutil.copytree(SITES / "basic", site)
    live = LiveSite(ServeOptions(site_dir=site), log=lambda _: None)
    try:
        live.rebuild()
        assert ("parsing issues", 5, 5) in reports
        assert reports[-1] == ("rendering pages", 30, 30)
        reports.clear()
        issue = site / "content/issues/3-third.md"
        issue.write_text(issue.read_text() + "\nMore.\n")
        live.rebuild([issue])
        assert reports == []
    finally:
        live.close()
