"""A progress line for long builds: one line on the terminal, rewritten in place.

A 2,000-issue cold build takes a while; the author should see it move. Nothing is shown
when the output is not a terminal (CI logs, pipes) or for builds quick enough not to
need it, and the line is erased before the build's own report is printed.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from typing import TextIO

Report = Callable[[str, int, int], None]
"""report(stage, done, total): 'parsing', 12, 2000."""

DELAY_SECONDS = 0.5
"""Show nothing for builds that finish sooner."""
INTERVAL_SECONDS = 0.1


def quiet(stage: str, done: int, total: int) -> None:
    """The report of a build nobody watches."""


class Progress:
    """Draws `stage done/total` on `stream` when it is a terminal; a no-op otherwise."""

    def __init__(
        self,
        stream: TextIO | None = None,
        *,
        delay: float = DELAY_SECONDS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.stream = stream or sys.stderr
        self.enabled = _is_terminal(self.stream)
        self.clock = clock
        self.started = clock()
        self.delay = delay
        self.last_drawn = float("-inf")
        self.width = 0

    def __call__(self, stage: str, done: int, total: int) -> None:
        if not self.enabled:
            return
        now = self.clock()
        if now - self.started < self.delay or (
            now - self.last_drawn < INTERVAL_SECONDS and done < total
        ):
            return
        self.last_drawn = now
        percent = f" {100 * done // total:3d}%" if total else ""
        text = f"{stage} {done}/{total}{percent}" if total else f"{stage}…"
        self._draw(text)

    def close(self) -> None:
        """Erase the line, so what is printed next starts at the left edge."""
        if self.enabled and self.width:
            self._draw("")
            self.width = 0

    def _draw(self, text: str) -> None:
        """Overwrite the line; spaces cover what a longer earlier text left."""
        padding = " " * max(0, self.width - len(text))
        self.stream.write(f"\r{text}{padding}" + ("" if text else "\r"))
        self.stream.flush()
        self.width = len(text)

    def __enter__(self) -> Progress:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _is_terminal(stream: TextIO) -> bool:
    try:
        return stream.isatty()
    except (AttributeError, ValueError):
        return False
