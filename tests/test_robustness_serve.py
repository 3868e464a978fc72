"""`digest serve` under hostile requests: traversal, huge and malformed requests, slow and
silent clients. It answers or drops each, keeps serving everyone else, and never serves
a file from outside its private output folder (sources, .git, .digest).
"""

from __future__ import annotations

import re
import shutil
import socket
import threading
import time
from collections.abc import Iterator
from http import HTTPStatus
from pathlib import Path
from types import SimpleNamespace

import pytest
from dev_server import Served, start

from digest.serve.server import DevServer, Handler

pytestmark = pytest.mark.slow  # real servers and slow clients

SITES = Path(__file__).parent / "sites"
SECRET = "SECRET-7f3a"


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    """The basic site, with a git folder, a fetch cache and secrets beside its sources."""
    root = tmp_path_factory.mktemp("serve")
    site = root / "site"
    shutil.copytree(SITES / "basic", site)
    for relative in [".git/config", ".digest/fetch.json", "notes/private.txt"]:
        (site / relative).parent.mkdir(parents=True, exist_ok=True)
        (site / relative).write_text(f"{SECRET} {relative}\n")
    (root / "secret.txt").write_text(SECRET)
    temp = root / "tmp"
    temp.mkdir()
    server = start(site, temp)
    yield server
    server.stop()


def raw(served: Served, data: bytes, timeout: float = 5.0) -> bytes:
    """Send bytes as they are, read until the server closes (or the timeout)."""
    with socket.create_connection(("127.0.0.1", served.port), timeout=timeout) as connection:
        connection.sendall(data)
        received = b""
        try:
            while chunk := connection.recv(65536):
                received += chunk
        except TimeoutError:
            pass
    return received


def assert_alive(served: Served) -> None:
    assert served.process.poll() is None, served.process.stderr.read()  # type: ignore[union-attr]
    assert served.get("/issues/1/")[0] == HTTPStatus.OK


@pytest.mark.parametrize(
    "path",
    [
        "/site.yaml",
        "/content/issues/1-first.md",
        "/.git/config",
        "/.digest/fetch.json",
        "/notes/private.txt",
        "/%2egit/config",
        "/.%64igest/fetch.json",
        "/..%2fsecret.txt",
        "/%2e%2e/%2e%2e/secret.txt",
        "/issues/..%5c..%5csecret.txt",
        "/" + "../" * 40 + "etc/passwd",
        "/%252e%252e/secret.txt",
        "/..;/secret.txt",
    ],
)
def test_nothing_but_the_built_site_is_served(served: Served, path: str) -> None:
    status, _, body = served.get(path)
    assert status in (HTTPStatus.NOT_FOUND, HTTPStatus.BAD_REQUEST), (path, status)
    assert SECRET.encode() not in body and b"root:x:" not in body


ERROR, PAGE = "an error", "the page"
CLOSE = b"Connection: close\r\n\r\n"
MALFORMED: dict[str, tuple[bytes, str]] = {
    "a 100 KB URL": (b"GET /" + b"a" * 100_000 + b" HTTP/1.1\r\nHost: x\r\n\r\n", ERROR),
    "garbage bytes": (bytes(range(256)) * 8 + b"\r\n\r\n", ERROR),
    "HTTP/0.9 POST": (b"POST /\r\n", ERROR),
    "a header line without a colon": (
        b"GET / HTTP/1.1\r\nConnection: close\r\nno colon here\r\nHost: localhost\r\n\r\n",
        PAGE,  # read leniently, as browsers' servers do
    ),
    "an invalid percent-encoding": (b"GET /%zz%ff%c3%28 HTTP/1.1\r\n" + CLOSE, ERROR),
    "a truncated percent-encoding": (b"GET /%E0%A4%A HTTP/1.1\r\n" + CLOSE, ERROR),
    "a NUL in the path": (b"GET /a\x00b HTTP/1.1\r\n" + CLOSE, ERROR),
    "a 100 KB header": (b"GET / HTTP/1.1\r\nX: " + b"a" * 100_000 + b"\r\n\r\n", ERROR),
    "500 headers": (b"GET / HTTP/1.1\r\n" + b"X: y\r\n" * 500 + b"\r\n", ERROR),
    "an unknown HTTP version": (b"GET / HTTP/9.9\r\n" + CLOSE, ERROR),
    "a POST with a body": (b"POST / HTTP/1.1\r\nContent-Length: 5\r\n\r\nhello", ERROR),
    "an absolute URI": (b"GET http://127.0.0.1/../../etc/passwd HTTP/1.1\r\n" + CLOSE, ERROR),
    "CRLF in the path": (b"GET /issues%0d%0aSet-Cookie:%20x=1 HTTP/1.1\r\n" + CLOSE, ERROR),
    "raw UTF-8 and Latin-1 bytes": (b"GET /\xe4\xb8\xad\xff HTTP/1.1\r\n" + CLOSE, ERROR),
}


@pytest.mark.parametrize("name", list(MALFORMED))
def test_a_malformed_request_gets_an_answer_and_the_server_lives(served: Served, name: str) -> None:
    request, expected = MALFORMED[name]
    answer = raw(served, request, timeout=3)
    head = answer.split(b"\r\n\r\n", 1)[0]
    if expected == PAGE:
        assert answer.startswith(b"HTTP/1.1 200 OK"), answer[:200]
    else:  # a status line, or for what reads as HTTP/0.9, an error page without one
        status = head.split(b"\r\n", 1)[0]
        assert status.startswith((b"HTTP/1.1 4", b"HTTP/1.1 5")) or re.search(
            rb"Error code: [45]\d\d", answer
        ), (
            name,
            answer[:300],
        )
    assert b"Set-Cookie" not in head
    assert SECRET.encode() not in answer
    assert_alive(served)


def test_slow_and_silent_clients_do_not_hold_up_the_others(served: Served) -> None:
    """One client sends a request a byte at a time, twenty say nothing at all, one sends
    an HTTP/0.9 line and waits: pages are served to everyone else meanwhile."""
    silent = [socket.create_connection(("127.0.0.1", served.port)) for _ in range(20)]
    half = socket.create_connection(("127.0.0.1", served.port))
    half.sendall(b"GET /\r\n")  # HTTP/0.9: the server waits for headers that never come
    slow = socket.create_connection(("127.0.0.1", served.port), timeout=10)
    request = b"GET /issues/2/ HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n"
    answers: list[int] = []

    def trickle() -> None:
        for byte in request:
            slow.sendall(bytes([byte]))
            time.sleep(0.03)

    writer = threading.Thread(target=trickle)
    writer.start()
    try:
        while writer.is_alive():
            answers.append(served.get("/issues/1/")[0])
        writer.join()
        response = b""
        while chunk := slow.recv(65536):
            response += chunk
        assert response.startswith(b"HTTP/1.1 200 OK")
        assert len(answers) >= 5 and set(answers) == {HTTPStatus.OK}
    finally:
        for connection in [*silent, half, slow]:
            connection.close()
    assert_alive(served)


def test_an_idle_connection_is_let_go(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """In process, with the idle limit at half a second instead of a minute."""
    monkeypatch.setattr(Handler, "timeout", 0.5)
    (tmp_path / "index.html").write_text("<p>home</p>")
    live = SimpleNamespace(out_dir=tmp_path, base_path="/", problems=[], error_text="")
    server = DevServer(("127.0.0.1", 0), live)  # type: ignore[arg-type]
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05})
    thread.start()
    try:
        with socket.create_connection(server.server_address[:2], timeout=10) as idle:
            idle.sendall(b"GET / HTTP/1.1\r\n")  # and then nothing
            started = time.monotonic()
            assert idle.recv(1024) == b""  # closed by the server, without an answer
            assert time.monotonic() - started < 9
        with socket.create_connection(server.server_address[:2], timeout=10) as client:
            client.sendall(b"GET / HTTP/1.1\r\nConnection: close\r\n\r\n")
            assert client.recv(1024).startswith(b"HTTP/1.1 200")
    finally:
        server.shutdown()
        server.server_close()
        thread.join()
