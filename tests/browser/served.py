"""The built sample site, served over HTTP the way GitHub Pages serves it, and its page kinds.

Shared by the fixtures in conftest.py and the tests; plain code, no fixtures.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from functools import partial
from http import HTTPStatus
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, ClassVar

import pytest

# Page kinds a reader meets, as path patterns of the output tree. Each must exist in the build
# (the lead's theme has them all); the first page of a kind in sorted order stands for it.
KINDS: dict[str, str] = {
    "home": r"index\.html",
    "issue": r"issues/[^/]+/index\.html",
    "sections": r"sections/index\.html",
    "section": r"sections/[^/]+/index\.html",
    "tags": r"tags/index\.html",
    "tag": r"tags/[^/]+/index\.html",
    "archive": r"archive/index\.html",
    "search": r"search/index\.html",
    "feeds": r"feeds/index\.html",
    "404": r"404\.html",
}


def url_path(target: str) -> str:
    """The path of a request target, without query or fragment."""
    return target.split("?", 1)[0].split("#", 1)[0]


class SiteHandler(SimpleHTTPRequestHandler):
    """Static files under a path prefix, with 404.html for anything missing (as Pages does).

    A request outside the prefix is a 404, so a link that forgot the sub-path of a site served
    under /weekly/ breaks here as it would on the real host. ``/x/`` serves ``/x/index.html``
    and ``/x`` redirects to ``/x/``, as http.server already does.
    """

    prefix = "/"
    extensions_map: ClassVar[dict[str, str]] = {
        **SimpleHTTPRequestHandler.extensions_map,
        ".js": "text/javascript",
        ".mjs": "text/javascript",
        ".json": "application/json",
        ".wasm": "application/wasm",
        ".xml": "application/xml",
        ".svg": "image/svg+xml",
        ".txt": "text/plain",
    }

    def send_head(self) -> Any:
        if not (url_path(self.path) + "/").startswith(self.prefix):
            self.send_error(HTTPStatus.NOT_FOUND)
            return None
        return super().send_head()

    def translate_path(self, path: str) -> str:
        """Drop the prefix (send_head has checked it); "/weekly" redirects to "/weekly/"."""
        raw = url_path(path)
        cut = len(self.prefix) if raw.startswith(self.prefix) else len(self.prefix) - 1
        return super().translate_path("/" + path[cut:])

    def send_error(self, code: int, message: str | None = None, explain: str | None = None) -> None:
        page = Path(self.directory) / "404.html"
        if code != HTTPStatus.NOT_FOUND or not page.is_file():
            super().send_error(code, message, explain)
            return
        body = page.read_bytes()
        self.send_response(code, message)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet: pytest output is for failures."""


@dataclass(frozen=True)
class Served:
    """One build of the sample site and the local server it is reachable on."""

    out: Path
    """The build's output folder."""
    origin: str
    """``http://127.0.0.1:PORT``."""
    prefix: str
    """The URL path the site lives under: ``/`` or ``/weekly/``."""
    base_url: str
    """The configured base URL, which absolute links in pages and feeds start with."""

    def url(self, path: str = "") -> str:
        """The served URL of a site path ('' for home, 'issues/1/', 'feed.xml')."""
        return f"{self.origin}{self.prefix}{path.lstrip('/')}"

    def html_files(self) -> list[str]:
        """Every HTML page of the build, as sorted paths relative to the output folder."""
        return sorted(p.relative_to(self.out).as_posix() for p in self.out.rglob("*.html"))

    def page_url(self, relative: str) -> str:
        """The pretty URL of an output file: issues/1/index.html -> .../issues/1/."""
        if relative == "index.html" or relative.endswith("/index.html"):
            relative = relative[: -len("index.html")]
        return self.url(relative)

    def kind(self, kind: str) -> str:
        """The output file standing for a page kind; fails saying what the build lacks."""
        pattern = re.compile(KINDS[kind])
        matches = [f for f in self.html_files() if pattern.fullmatch(f)]
        if not matches:
            pytest.fail(
                f"the build has no {kind!r} page (no file matching {KINDS[kind]}); "
                f"its pages are: {', '.join(self.html_files())}",
                pytrace=False,
            )
        return matches[0]


def serve(folder: Path, prefix: str, base_url: str) -> Iterator[Served]:
    """Serve ``folder`` under ``prefix`` on 127.0.0.1 (a free port) until the generator closes."""
    handler = type("Handler", (SiteHandler,), {"prefix": prefix})
    server = ThreadingHTTPServer(("127.0.0.1", 0), partial(handler, directory=str(folder)))
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, name=f"serve {prefix}", daemon=True)
    thread.start()
    host, port = server.server_address[:2]
    try:
        yield Served(folder, f"http://{host}:{port}", prefix, base_url)
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
