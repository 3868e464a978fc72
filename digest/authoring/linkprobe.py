"""Asking servers whether links still work: the network half of `digest check --links`.

Built on the standard library's http.client, not urllib: the checker must see every
redirect (a 301 is news for the author, a 302 is not, a deep link sent to the home page
is a soft 404), which urllib hides, and it keeps a few connections per host open between
requests, which urllib does not (a new connection, and TLS handshake, per link). Only
HEAD and GET are sent, with no body read beyond a small limit.

Many hosts are asked at once, a few requests per host at a time; a host that answers
429 or 503 with Retry-After is left alone for that long, by every worker.
"""

from __future__ import annotations

import email.utils
import functools
import http.client
import re
import ssl
import threading
import time
from collections import Counter, deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from urllib.parse import quote, urljoin, urlsplit, urlunsplit

from digest import __version__
from digest.authoring.network import failure_reason, not_global

USER_AGENT = f"digest/{__version__} (+link checker; https://pypi.org/project/digest-weekly/)"
TIMEOUT = 15.0
"""Seconds a server may stay silent before the link counts as timed out."""
WORKERS = 32
"""Requests in flight at once, over all hosts."""
PER_HOST = 3
"""Requests in flight at once to one host (scheme, name and port)."""
MAX_REDIRECTS = 10
MAX_WAIT = 120.0
"""The longest Retry-After honoured; a server asking for more is asked again next run."""
RETRIES = 2
"""Further tries after a 429 or 503."""
GET_BYTES = 64 * 1024
"""A GET reads at most this much of a body, and drops the connection if there is more."""
HEAD_REFUSED = frozenset({400, 403, 405, 406, 501})
"""Answers to HEAD that servers give when they only implement GET."""

OK, MOVED, SOFT_404, DEAD, FAILING, UNCHECKED = (
    "ok",
    "moved",
    "soft-404",
    "dead",
    "failing",
    "unchecked",
)
"""What a link is: works; moved permanently to `final`; redirected from a deep page to a
site's home page; gone (404, 410, no such host, TLS error, timeout, refused, loop); an
answer that is none of these (403, 500…); not asked this time (rate limited)."""


@dataclass(frozen=True, slots=True)
class Verdict:
    status: str
    """One of OK, MOVED, SOFT_404, DEAD, FAILING, UNCHECKED."""
    code: int | None = None
    """The last HTTP status, None when no answer came."""
    final: str | None = None
    """Where the redirects ended, when there were any."""
    reason: str = ""
    """In words, for the report: 'HTTP 404 Not Found', 'timed out after 15 s'."""


class _Failure(Exception):
    """No HTTP answer: the reason, and whether the link counts as dead."""

    def __init__(self, reason: str, dead: bool = True) -> None:
        super().__init__(reason)
        self.reason = reason
        self.dead = dead


Host = tuple[str, str, int]
"""(scheme, host name, port)."""


_PLAIN = re.compile(
    r"https?://[a-z0-9.-]+(?::[0-9]{1,5})?(/[A-Za-z0-9/%:@!$&'()*+,;=~._-]*)?"
    r"(?:\?[A-Za-z0-9/%:@!$&'()*+,;=~._?-]*)?"
)
"""A URL that is already as it goes over the wire (most are): taken as it is."""


def request_url(url: str) -> str | None:
    """`url` as it goes over the wire: IDNA host name, percent-encoded path and query,
    no fragment; None for anything that is not an http(s) URL with a host."""
    plain = _PLAIN.fullmatch(url)
    if plain and "." in url.split("/", 3)[2]:
        if plain.group(1):
            return url
        head, mark, query = url.partition("?")
        return f"{head}/{mark}{query}"
    parts = urlsplit(url.strip())
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
        return None
    try:
        host = parts.hostname.encode("idna").decode("ascii")
        port = parts.port
    except (UnicodeError, ValueError):
        return None
    if ":" in host:
        host = f"[{host}]"
    netloc = f"{host}:{port}" if port else host
    safe = "/%:@!$&'()*+,;=~-._"
    path = quote(parts.path, safe=safe) or "/"
    return urlunsplit((parts.scheme.lower(), netloc, path, quote(parts.query, safe=safe + "?"), ""))


def host_of(url: str) -> Host:
    parts = urlsplit(url)
    default = 443 if parts.scheme == "https" else 80
    return parts.scheme, (parts.hostname or "").lower(), parts.port or default


def is_home_page(url: str) -> bool:
    """A site's front page: no path (or '/', '/index.html'…) and no query."""
    parts = urlsplit(url)
    path = parts.path.rstrip("/")
    return not parts.query and path.lower() in ("", "/index.html", "/index.htm", "/index.php")


class Prober:
    """Checks URLs concurrently and counts the requests it sends."""

    def __init__(
        self,
        *,
        timeout: float = TIMEOUT,
        workers: int = WORKERS,
        per_host: int = PER_HOST,
        max_wait: float = MAX_WAIT,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.timeout = timeout
        self.workers = workers
        self.per_host = per_host
        self.max_wait = max_wait
        self.sleep = sleep
        self.requests = 0
        self._lock = threading.Lock()
        self._idle: dict[Host, list[http.client.HTTPConnection]] = {}
        self._tls = ssl.create_default_context()

    def check_all(self, urls: Iterable[str], done: Callable[[str, Verdict], None]) -> None:
        """Check every URL (each an output of request_url), calling `done(url, verdict)`
        from the worker threads as each is known."""
        schedule = _Schedule(urls, self.per_host)
        threads = [
            threading.Thread(target=self._work, args=(schedule, done), daemon=True)
            for _ in range(max(1, min(self.workers, schedule.total)))
        ]
        for thread in threads:
            thread.start()
        try:
            for thread in threads:
                while thread.is_alive():
                    thread.join(0.2)  # a join with a timeout lets Ctrl-C through
        finally:
            schedule.stop()
            self.close()

    def close(self) -> None:
        with self._lock:
            for connections in self._idle.values():
                for connection in connections:
                    connection.close()
            self._idle.clear()

    def _work(self, schedule: _Schedule, done: Callable[[str, Verdict], None]) -> None:
        while (taken := schedule.take()) is not None:
            host, url = taken
            try:
                verdict = self.check(url, functools.partial(schedule.pause, host))
            except Exception as error:  # a bug here must not hang the run
                verdict = Verdict(FAILING, reason=f"internal error: {error!r}")
            finally:
                schedule.release(host)
            done(url, verdict)

    def check(self, url: str, pause: Callable[[float], None] = lambda seconds: None) -> Verdict:
        """Follow `url` to its end: HEAD, GET if HEAD is refused, every redirect by hand."""
        origin = host_of(url)
        current = url
        seen = {url}
        permanent = True
        hops = 0
        while True:
            try:
                code, reason, location = self._answer(current, pause)
            except _Failure as failure:
                status = DEAD if failure.dead else UNCHECKED
                return Verdict(status, None, current if hops else None, failure.reason)
            if location is None or code not in (301, 302, 303, 307, 308):
                break
            hops += 1
            permanent = permanent and code in (301, 308)
            target = urljoin(current, location)
            next_url = request_url(target)
            if next_url is None:
                return Verdict(FAILING, code, target, f"redirected to '{target}', not http(s)")
            if next_url in seen or hops > MAX_REDIRECTS:
                what = "a redirect loop" if next_url in seen else f"over {MAX_REDIRECTS} redirects"
                return Verdict(DEAD, code, next_url, f"{what} (at {next_url})")
            if host_of(next_url)[1:] != origin[1:] and not_global(*host_of(next_url)[1:]):
                return Verdict(
                    FAILING,
                    code,
                    next_url,
                    f"redirected to {next_url}, on this machine or a private network; not followed",
                )
            seen.add(next_url)
            current = next_url
        final = current if hops else None
        words = f"HTTP {code} {reason}".rstrip()
        if code in (404, 410):
            return Verdict(DEAD, code, final, words)
        if not 200 <= code < 300:
            return Verdict(FAILING, code, final, words)
        if hops and is_home_page(current) and not is_home_page(url):
            return Verdict(SOFT_404, code, final, f"redirected to the home page {current}")
        if hops and permanent:
            return Verdict(MOVED, code, final, f"moved permanently to {current}")
        return Verdict(OK, code, final, words)

    def _answer(self, url: str, pause: Callable[[float], None]) -> tuple[int, str, str | None]:
        """(status, reason, Location) of one URL, after HEAD then GET when HEAD is refused,
        and after waiting out 429 and 503 as the server asks."""
        method = "HEAD"
        tries = 0
        while True:
            code, reason, headers = self._request(method, url)
            if method == "HEAD" and code in HEAD_REFUSED:
                method = "GET"
                continue
            if code in (429, 503) and tries < RETRIES:
                wait = _retry_after(headers.get("retry-after"), default=2.0**tries)
                if wait > self.max_wait:
                    raise _Failure(
                        f"HTTP {code}: the server asks to wait {wait:.0f} s; checked next run",
                        dead=False,
                    )
                tries += 1
                pause(wait)
                self.sleep(wait)
                continue
            if code == 429:
                raise _Failure(f"HTTP 429 {reason}: still rate limited; checked next run", False)
            return code, reason, headers.get("location")

    def _request(self, method: str, url: str) -> tuple[int, str, dict[str, str]]:
        """One request on a kept connection to the host (or a new one); a kept connection
        the server has meanwhile closed is replaced once."""
        host = host_of(url)
        parts = urlsplit(url)
        target = parts.path or "/"
        if parts.query:
            target += "?" + parts.query
        headers = {"User-Agent": USER_AGENT, "Accept": "*/*", "Accept-Encoding": "identity"}
        for attempt in (0, 1):
            connection, reused = self._connection(host)
            try:
                with self._lock:
                    self.requests += 1
                connection.request(method, target, headers=headers)
                response = connection.getresponse()
                if method == "GET":
                    response.read(GET_BYTES)
                else:
                    response.read()
                answer = (
                    response.status,
                    response.reason or "",
                    {name.lower(): value for name, value in response.getheaders()},
                )
                if response.isclosed() and not response.will_close:
                    self._keep(host, connection)
                else:
                    connection.close()
                return answer
            except (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError) as e:
                connection.close()
                if reused and attempt == 0:
                    continue  # a kept connection the server dropped: try once more, afresh
                raise _Failure(failure_reason(e, self.timeout)) from None
            except (OSError, http.client.HTTPException) as error:
                connection.close()
                raise _Failure(failure_reason(error, self.timeout)) from None
        raise AssertionError("unreachable")

    def _connection(self, host: Host) -> tuple[http.client.HTTPConnection, bool]:
        with self._lock:
            idle = self._idle.get(host)
            if idle:
                return idle.pop(), True
        scheme, name, port = host
        if scheme == "https":
            return (
                http.client.HTTPSConnection(name, port, timeout=self.timeout, context=self._tls),
                False,
            )
        return http.client.HTTPConnection(name, port, timeout=self.timeout), False

    def _keep(self, host: Host, connection: http.client.HTTPConnection) -> None:
        with self._lock:
            idle = self._idle.setdefault(host, [])
            if len(idle) < self.per_host:
                idle.append(connection)
                return
        connection.close()


class _Schedule:
    """Hands URLs to workers host by host in turn, never more than `per_host` at once to
    one host, and none to a host paused by a Retry-After."""

    def __init__(self, urls: Iterable[str], per_host: int) -> None:
        self.pending: dict[Host, deque[str]] = {}
        for url in urls:
            self.pending.setdefault(host_of(url), deque()).append(url)
        self.total = sum(len(queue) for queue in self.pending.values())
        self.turns = deque(self.pending)
        self.busy: Counter[Host] = Counter()
        self.not_before: dict[Host, float] = {}
        self.per_host = per_host
        self.stopped = False
        self.condition = threading.Condition()

    def take(self) -> tuple[Host, str] | None:
        with self.condition:
            while self.turns and not self.stopped:
                now = time.monotonic()
                soonest: float | None = None
                for _ in range(len(self.turns)):
                    host = self.turns[0]
                    self.turns.rotate(-1)
                    if self.busy[host] >= self.per_host:
                        continue
                    resume = self.not_before.get(host, 0.0)
                    if resume > now:
                        soonest = resume if soonest is None else min(soonest, resume)
                        continue
                    queue = self.pending[host]
                    url = queue.popleft()
                    if not queue:
                        self.turns.remove(host)
                    self.busy[host] += 1
                    return host, url
                self.condition.wait(None if soonest is None else soonest - now)
            return None

    def release(self, host: Host) -> None:
        with self.condition:
            self.busy[host] -= 1
            self.condition.notify_all()

    def pause(self, host: Host, seconds: float) -> None:
        with self.condition:
            self.not_before[host] = max(self.not_before.get(host, 0.0), time.monotonic() + seconds)

    def stop(self) -> None:
        with self.condition:
            self.stopped = True
            self.condition.notify_all()


def _retry_after(value: str | None, default: float) -> float:
    """Retry-After in seconds: a number, or an HTTP date."""
    if not value:
        return default
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return default
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - datetime.now(UTC)).total_seconds())
