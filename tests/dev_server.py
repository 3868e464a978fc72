"""Running `digest serve` as a real subprocess for tests: start it, ask it, wait for it."""

from __future__ import annotations

import http.client
import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

DEADLINE = 15.0


def wait_for(check: Callable[[], object], what: str, deadline: float = DEADLINE) -> object:
    """Poll until `check()` is truthy; no fixed sleeps."""
    end = time.monotonic() + deadline
    while time.monotonic() < end:
        result = check()
        if result:
            return result
        time.sleep(0.02)
    raise AssertionError(f"timed out waiting for {what}")


@dataclass
class Served:
    process: subprocess.Popen
    port: int
    site: Path
    tmp: Path

    def get(self, path: str) -> tuple[int, dict[str, str], bytes]:
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=10)
        connection.putrequest("GET", path, skip_accept_encoding=True)
        connection.endheaders()
        response = connection.getresponse()
        body = response.read()
        connection.close()
        return response.status, {k.lower(): v for k, v in response.getheaders()}, body

    def text(self, path: str) -> str:
        return self.get(path)[2].decode("utf-8")

    def stop(self) -> None:
        """Ctrl-C, as the author stops it, unless it has already ended."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)
            self.process.wait(timeout=10)


def start(site: Path, tmp: Path, *extra: str) -> Served:
    env = {**os.environ, "TMPDIR": str(tmp), "PYTHONUNBUFFERED": "1"}
    process = subprocess.Popen(
        [sys.executable, "-m", "digest.cli", "serve", "--site", str(site), "--port", "0", *extra],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    assert process.stdout is not None
    line = process.stdout.readline()
    match = re.search(r"serving http://127\.0\.0\.1:(\d+)/", line)
    assert match, line + process.stderr.read()
    return Served(process, int(match.group(1)), site, tmp)
