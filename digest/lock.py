"""One command at a time on a site: `.digest/lock`, an OS file lock.

`build`, `serve`'s rebuilds, `new` and `fetch` all read and write `.digest/` (the parse
cache, the last build's record, the inbox's state) and the output. Two at once (an
editor's on-save hook beside a terminal) lost files. Each takes the lock for its run; a
second one says who holds it and waits. The OS drops the lock when its process ends,
however it ends, so a killed command never leaves the site locked.
"""

from __future__ import annotations

import contextlib
import os
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import TextIO

try:
    import fcntl
except ImportError:  # Windows: no advisory locks; commands run as before
    fcntl = None  # type: ignore[assignment]

from digest.errors import display_path

LOCK = Path(".digest") / "lock"

_held = threading.local()
"""`sites`: those this thread holds the lock of, so that a command inside another goes on
instead of waiting for itself. Another thread waits like another process."""


@contextlib.contextmanager
def site_lock(root: Path, command: str, stream: TextIO | None = None) -> Iterator[None]:
    """Hold `root`'s lock while the block runs; `command` ('digest build') is what a
    waiting command is told holds it."""
    root = root.resolve()
    held: set[Path] = _held.__dict__.setdefault("sites", set())
    if fcntl is None or root in held:
        yield
        return
    path = root / LOCK
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "a+b") as handle:
        try:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.seek(0)
            holder = handle.read(200).decode("utf-8", "replace").strip() or "another command"
            out = stream or sys.stderr
            out.write(f"waiting for {holder} to finish ({display_path(path)})\n")
            out.flush()
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX)
        handle.truncate(0)
        handle.write(f"{command} (pid {os.getpid()})".encode())
        handle.flush()
        held.add(root)
        try:
            yield
        finally:
            held.discard(root)
            handle.truncate(0)
            handle.flush()
