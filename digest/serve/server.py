"""`digest serve`: a live preview that rebuilds on save and reloads the browser.

The site is built into a temporary folder that only this server reads; saves
are debounced, rebuilt incrementally by the build engine, and announced to open
pages over Server-Sent Events. A failed rebuild keeps the last good site and
shows the error in every HTML page until the file is fixed.
"""

from __future__ import annotations

import contextlib
import errno
import html
import ipaddress
import json
import mimetypes
import os
import shutil
import signal
import socket
import sys
import tempfile
import threading
import time
import webbrowser
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path, PurePosixPath
from urllib.parse import unquote, urlsplit

from digest import memory
from digest.build.engine import Engine, Settings, Update
from digest.build.output import LiveSink
from digest.errors import DigestError, Problem
from digest.lock import site_lock
from digest.model import Site
from digest.progress import Progress, quiet
from digest.search.index import plan_index, write_index
from digest.serve.watch import Watcher

EVENTS_PATH = "/__digest/events"
PORT_ATTEMPTS = 20
HEARTBEAT_SECONDS = 15.0
IDLE_SECONDS = 60.0
INDEX_QUIET = 1.5
"""Seconds without a save before search is re-indexed."""
MIME_TYPES = {
    ".html": "text/html; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".mjs": "text/javascript; charset=utf-8",
    ".json": "application/json",
    ".xml": "application/xml",
    ".txt": "text/plain; charset=utf-8",
    ".svg": "image/svg+xml",
    ".webp": "image/webp",
    ".wasm": "application/wasm",
    ".png": "image/png",
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".gif": "image/gif",
    ".avif": "image/avif",
    ".ico": "image/x-icon",
    ".woff2": "font/woff2",
}

# Injected before </body> of every HTML page served (never written to disk).
RELOAD_SCRIPT = """<script>(() => {
  const events = new EventSource("%(events)s");
  const show = (text) => {
    let box = document.getElementById("digest-error");
    if (!box) {
      box = document.createElement("div");
      box.id = "digest-error";
      box.setAttribute("role", "alert");
      box.style.cssText = "position:fixed;inset:auto 0 0 0;max-height:60vh;overflow:auto;"
        + "z-index:2147483647;margin:0;padding:1rem 1.25rem;background:#3b0d0c;color:#ffe9e8;"
        + "font:14px/1.5 ui-monospace,monospace;white-space:pre-wrap;border-top:4px solid #f55";
      document.body.appendChild(box);
    }
    box.textContent = text;
  };
  events.addEventListener("reload", () => location.reload());
  events.addEventListener("css", (event) => {
    const version = JSON.parse(event.data).version;
    document.querySelectorAll('link[rel="stylesheet"]').forEach((link) => {
      const url = new URL(link.href);
      url.searchParams.set("digest-reload", version);
      link.href = url.toString();
    });
  });
  events.addEventListener("error", (event) => {
    if (event.data) show(JSON.parse(event.data).message);
  });
})();</script>
"""


@dataclass(frozen=True, slots=True)
class ServeOptions:
    site_dir: Path
    host: str = "127.0.0.1"
    port: int = 8000
    drafts: bool = True
    future: bool = True
    open_browser: bool = False
    debounce: float = 0.005
    """Seconds of quiet after a save before rebuilding: editors write several events."""


class LiveSite:
    """The served state: the output folder, the last build, and the current error."""

    def __init__(self, options: ServeOptions, log: Callable[[str], None]) -> None:
        self.options = options
        self.log = log
        self.out_dir = Path(tempfile.mkdtemp(prefix="digest-serve-"))
        self.engine = Engine(
            Settings(
                options.site_dir,
                drafts=options.drafts,
                future=options.future,
                clock=lambda: datetime.now(tz=UTC),
            )
        )
        self.site: Site | None = None
        """The site as last built, for the search index."""
        self.base_path = "/"
        self.version = 0
        self.event = "reload"
        self.problems: list[Problem] = []
        self.changed = threading.Condition()
        self.stopping = threading.Event()
        self.index_wanted = threading.Event()
        self.unindexed: set[str] | None = None
        """Issue pages changed since the index was last written (None: never written)."""
        self.lock = threading.Lock()

    @property
    def error_text(self) -> str:
        return "\n".join(str(problem) for problem in self.problems)

    def rebuild(self, paths: Iterable[Path] | None = None) -> None:
        """Build (all, or after `paths` changed), write what changed, tell open pages;
        then exempt the parsed site from garbage collection until a rebuild replaces
        the template environment (see memory.keep_live)."""
        environment = id(self.engine.env)  # not the object: that would keep it alive
        try:
            self._rebuild(paths)
        finally:
            memory.keep_live(everything=paths is None or id(self.engine.env) != environment)

    def _rebuild(self, paths: Iterable[Path] | None) -> None:
        started = time.perf_counter()
        with (
            self.lock,
            site_lock(self.options.site_dir, "digest serve"),
            LiveSink(self.out_dir, self.engine.last) as sink,
        ):
            try:
                if paths is None:
                    update = self._first_build(sink)
                else:
                    update = self.engine.update(paths, sink)
            except DigestError as error:
                self.problems = error.problems
                for problem in error.problems:
                    self.log(str(problem))
                self._announce("error")
                return
            had_errors = bool(self.problems)
            self.problems = []  # before the new pages are in: none is served with the old error
            self.base_path = update.site.config.base_path
            self.site = update.site
            sink.commit()
        took = (time.perf_counter() - started) * 1000
        self.log(f"rebuilt: {len(update.changed)} files changed in {took:.0f} ms")
        if had_errors or not update.changed:
            self._announce("reload" if had_errors else "none")
        elif all(path.endswith(".css") for path in update.changed):
            self._announce("css")
        else:
            self._announce("reload")
        touched = {path for path in update.changed | update.removed if path.startswith("issues/")}
        if touched:
            with self.lock:
                if self.unindexed is not None:
                    self.unindexed |= touched
            self.index_wanted.set()

    def _first_build(self, sink: LiveSink) -> Update:
        """Everything, with a progress line: the first build of a large archive takes a
        while."""
        with Progress() as progress:
            self.engine.settings = replace(self.engine.settings, progress=progress)
            try:
                return self.engine.update(None, sink)
            finally:
                self.engine.settings = replace(self.engine.settings, progress=quiet)

    def keep_index_fresh(self) -> None:
        """Re-index search on its own thread: indexing a large site takes seconds, and the
        next save must not wait for it. It starts once saves pause for INDEX_QUIET seconds,
        at a lower CPU priority (inherited by Pagefind's process), so rebuilds come first."""
        with contextlib.suppress(AttributeError, OSError):  # Linux: per-thread priority
            os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), 10)
        while not self.stopping.is_set():
            if not self.index_wanted.wait(timeout=0.5):
                continue
            self.index_wanted.clear()
            if self.stopping.wait(INDEX_QUIET) or self.index_wanted.is_set():
                continue  # still saving: wait for the pause
            with self.lock:
                site = self.site
                changed, self.unindexed = self.unindexed, set()
            if site is None or self.stopping.is_set():
                continue
            config = site.config
            # Shards whose issue pages did not change since the last index are kept.
            pages = [issue.url_path + "index.html" for issue in reversed(site.issues)]
            previous = self.out_dir if changed is not None else None
            index = plan_index(
                self.out_dir, config, pages=pages, previous=previous, changed=changed
            )
            for note in write_index(index):
                self.log(str(note))

    def _announce(self, event: str) -> None:
        if event == "none":
            return
        with self.changed:
            self.version += 1
            self.event = event
            self.changed.notify_all()

    def close(self) -> None:
        self.stopping.set()
        with self.changed:
            self.changed.notify_all()
        shutil.rmtree(self.out_dir, ignore_errors=True)


def resolve_request(
    raw_path: str, base_path: str, root: Path
) -> tuple[HTTPStatus, Path | str | None]:
    """Map a request path to a file inside `root`, or say why not.

    Returns (OK, file), (MOVED_PERMANENTLY, location), (NOT_FOUND, None) or
    (BAD_REQUEST, None). Pure apart from looking at the folder, so it is table-tested.
    """
    path = urlsplit(raw_path).path
    decoded = unquote(path, errors="strict") if "%" in path else path
    if "\x00" in decoded or "\\" in decoded or not decoded.startswith("/"):
        return HTTPStatus.BAD_REQUEST, None
    parts = PurePosixPath(decoded).parts[1:]
    if any(part in {"..", "."} for part in parts) or "/../" in decoded + "/":
        return HTTPStatus.NOT_FOUND, None
    if decoded + "/" == base_path:
        return HTTPStatus.MOVED_PERMANENTLY, base_path
    if not decoded.startswith(base_path):
        if decoded == "/":
            return HTTPStatus.MOVED_PERMANENTLY, base_path
        return HTTPStatus.NOT_FOUND, None
    relative = decoded[len(base_path) :]
    if any(part.startswith(".") for part in PurePosixPath(relative).parts):
        return HTTPStatus.NOT_FOUND, None
    target = root.joinpath(*PurePosixPath(relative).parts) if relative else root
    try:
        real = target.resolve(strict=True)
    except (OSError, RuntimeError):
        return HTTPStatus.NOT_FOUND, None
    if not real.is_relative_to(root.resolve()):
        return HTTPStatus.NOT_FOUND, None
    if real.is_dir():
        if not decoded.endswith("/"):
            return HTTPStatus.MOVED_PERMANENTLY, decoded + "/"
        index = real / "index.html"
        return (HTTPStatus.OK, index) if index.is_file() else (HTTPStatus.NOT_FOUND, None)
    return HTTPStatus.OK, real


def content_type(path: Path) -> str:
    suffix = path.suffix.lower()
    return (
        MIME_TYPES.get(suffix) or mimetypes.guess_type(path.name)[0] or "application/octet-stream"
    )


def inject(page: bytes, live: LiveSite) -> bytes:
    """Add the reload script, and the current error, to an HTML page."""
    snippet = RELOAD_SCRIPT % {"events": EVENTS_PATH}
    if live.problems:
        snippet = (
            '<div id="digest-error" role="alert" style="position:fixed;inset:auto 0 0 0;'
            "max-height:60vh;overflow:auto;z-index:2147483647;margin:0;padding:1rem 1.25rem;"
            "background:#3b0d0c;color:#ffe9e8;font:14px/1.5 ui-monospace,monospace;"
            'white-space:pre-wrap;border-top:4px solid #f55">'
            f"{html.escape(live.error_text)}</div>\n" + snippet
        )
    data = snippet.encode("utf-8")
    marker = page.rfind(b"</body>")
    return page[:marker] + data + page[marker:] if marker >= 0 else page + data


class Handler(BaseHTTPRequestHandler):
    """Serves the live site's output folder and the reload events; nothing else."""

    server: DevServer
    server_version = "digest-serve"
    protocol_version = "HTTP/1.1"
    timeout = IDLE_SECONDS
    """A connection silent this long is closed: a stalled or half-sent request (or an
    idle keep-alive) must not hold a thread forever. Event streams write a ping well
    within it, and a browser reconnects by itself."""

    def do_GET(self) -> None:
        self._respond(head=False)

    def do_HEAD(self) -> None:
        self._respond(head=True)

    def _respond(self, head: bool) -> None:
        live = self.server.live
        if not host_allowed(self.headers.get("Host"), self.server.local_names):
            # A page on a DNS-rebinding domain names its own host: it must not read drafts.
            self._send(
                HTTPStatus.FORBIDDEN,
                b"digest serve answers only requests for this machine (localhost); "
                b"pass --host to serve others\n",
                "text/plain; charset=utf-8",
                head,
            )
            return
        if urlsplit(self.path).path == EVENTS_PATH:
            self._events(live)
            return
        try:
            status, found = resolve_request(self.path, live.base_path, live.out_dir)
        except UnicodeDecodeError:
            status, found = HTTPStatus.BAD_REQUEST, None
        if status == HTTPStatus.MOVED_PERMANENTLY:
            self._send(status, b"", "text/plain", head, {"Location": str(found)})
            return
        if status == HTTPStatus.BAD_REQUEST:
            self._send(status, b"bad request\n", "text/plain; charset=utf-8", head)
            return
        if status == HTTPStatus.NOT_FOUND or not isinstance(found, Path):
            page = live.out_dir / "404.html"
            body = page.read_bytes() if page.is_file() else b"<!doctype html><title>404</title>"
            self._send(HTTPStatus.NOT_FOUND, inject(body, live), MIME_TYPES[".html"], head)
            return
        try:
            body = found.read_bytes()
        except OSError:
            self._send(HTTPStatus.NOT_FOUND, b"not found\n", "text/plain", head)
            return
        kind = content_type(found)
        if kind.startswith("text/html"):
            body = inject(body, live)
        self._send(HTTPStatus.OK, body, kind, head)

    def _send(
        self,
        status: HTTPStatus,
        body: bytes,
        kind: str,
        head: bool,
        headers: dict[str, str] | None = None,
    ) -> None:
        self.send_response(status)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", "no-store")
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        if not head:
            self.wfile.write(body)

    def _events(self, live: LiveSite) -> None:
        """Server-Sent Events: 'reload', 'css' or 'error' after each rebuild."""
        self.send_response(HTTPStatus.OK)
        self.send_header("Content-Type", "text/event-stream")
        self.send_header("Cache-Control", "no-store")
        self.send_header("Connection", "close")
        self.end_headers()
        self.close_connection = True
        with live.changed:
            seen = live.version
        try:
            if live.problems:
                self._event("error", {"message": live.error_text})
            while not live.stopping.is_set():
                with live.changed:
                    if live.version == seen and not live.stopping.is_set():
                        live.changed.wait(timeout=HEARTBEAT_SECONDS)
                    version, event = live.version, live.event
                if live.stopping.is_set():
                    return
                if version == seen:
                    self.wfile.write(b": ping\n\n")
                    self.wfile.flush()
                    continue
                seen = version
                payload: dict[str, int | str] = {"version": version}
                if event == "error":
                    payload["message"] = live.error_text
                self._event(event, payload)
        except (BrokenPipeError, ConnectionResetError):
            return

    def _event(self, name: str, data: dict) -> None:
        self.wfile.write(f"event: {name}\ndata: {json.dumps(data)}\n\n".encode())
        self.wfile.flush()

    def log_message(self, format: str, *args: object) -> None:
        """Requests are not logged: the terminal shows rebuilds and errors only."""


class DevServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, address: tuple[str, int], live: LiveSite) -> None:
        self.live = live
        family = socket.AF_INET6 if ":" in address[0] else socket.AF_INET
        self.address_family = family
        super().__init__(address, Handler)
        # Served on loopback (the default), only names of this machine are answered; an
        # address given with --host is meant for others, whose names cannot be known.
        self.local_names: frozenset[str] | None = (
            LOCAL_NAMES | {address[0].lower()} if is_loopback(address[0]) else None
        )

    def handle_error(self, request: object, client_address: object) -> None:
        """A client gone mid-answer (a browser cancelling a load) is no error of ours."""
        if isinstance(sys.exc_info()[1], ConnectionError | TimeoutError):
            return
        super().handle_error(request, client_address)  # type: ignore[arg-type]


def bind(host: str, port: int, live: LiveSite, log: Callable[[str], None]) -> DevServer:
    """The requested port, or the next free one (said so)."""
    last_error: OSError | None = None
    for candidate in range(port, port + PORT_ATTEMPTS) if port else [0]:
        try:
            server = DevServer((host, candidate), live)
        except OSError as error:
            if error.errno != errno.EADDRINUSE:
                raise DigestError(
                    Problem(None, None, f"cannot listen on {host}:{candidate}: {error.strerror}")
                ) from None
            last_error = error
            continue
        if candidate != port and port:
            log(f"port {port} is in use; serving on port {candidate} instead")
        return server
    raise DigestError(
        Problem(
            None,
            None,
            f"ports {port}-{port + PORT_ATTEMPTS - 1} are all in use ({last_error}); "
            "pass a free one with --port",
        )
    )


LOCAL_NAMES = frozenset({"localhost", "127.0.0.1", "::1"})


def host_allowed(header: str | None, names: frozenset[str] | None) -> bool:
    """Whether a request's Host header (any port) is one of `names` (None: any is)."""
    if names is None or header is None:  # HTTP/1.0 sends none; a browser always does
        return True
    host = header.strip().lower()
    if host.startswith("["):
        host = host[1 : host.find("]")] if "]" in host else host
    elif host.count(":") == 1:
        host = host.split(":", 1)[0]
    return host.rstrip(".") in names


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def serve(options: ServeOptions, log: Callable[[str], None] | None = None) -> int:
    """Build, serve and watch until Ctrl-C (or SIGTERM); returns the exit status."""
    say = log or (lambda message: print(message, file=sys.stderr, flush=True))
    if not is_loopback(options.host):
        say(
            f"warning: serving on {options.host} makes the preview reachable from other "
            "machines; use --host 127.0.0.1 to keep it private"
        )
    stop = _stop_on_signals()
    live = LiveSite(options, say)
    watcher = None
    server = None
    try:
        # Watch first: a save made while the first build runs is rebuilt right after it.
        watcher = Watcher(
            live.engine.settings.site_dir.resolve(),
            live.engine.theme,
            live.rebuild,
            options.debounce,
        )
        watcher.start()
        live.rebuild()
        threading.Thread(target=live.keep_index_fresh, name="digest-search", daemon=True).start()
        server = bind(options.host, options.port, live, say)
        host, port = server.server_address[:2]
        assert isinstance(host, str)  # typeshed allows bytes too; an IP server's is text
        shown = f"[{host}]" if ":" in str(host) else host
        url = f"http://{shown}:{port}{live.base_path}"
        print(f"serving {url} (Ctrl-C to stop)", flush=True)
        if options.open_browser:
            webbrowser.open(url)
        thread = threading.Thread(target=server.serve_forever, daemon=True)
        thread.start()
        while not stop.wait(0.5):
            pass
    finally:
        if watcher is not None:
            watcher.stop()
        live.close()
        if server is not None:
            server.shutdown()
            server.server_close()
    say("stopped")
    return 0


def _stop_on_signals() -> threading.Event:
    """Ctrl-C, SIGTERM and SIGHUP set an event instead of raising, so every stop is the
    same clean one."""
    stop = threading.Event()
    if threading.current_thread() is threading.main_thread():
        for number in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
            signal.signal(number, lambda *_: stop.set())
    return stop
