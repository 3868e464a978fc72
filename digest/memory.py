"""Memory of a large build: fewer collections while it grows, returned when it is done.

A 2,000-issue site is about 170 MB of Python objects that all live until the pages are
written. Collections meanwhile only re-scan them, and after rendering the search
indexer (a separate process, about 200 MB per shard) should not run beside them.
"""

from __future__ import annotations

import contextlib
import ctypes
import gc
from collections.abc import Callable, Iterator


@contextlib.contextmanager
def gc_paused() -> Iterator[None]:
    """No cyclic garbage collection while many objects that all live on are created.

    Each collection re-scans everything made so far: receiving 2,000 parsed issues from
    the workers took 17 s with collections and 11 s without.
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def keep_live(everything: bool) -> None:
    """Exempt every object alive now from later collections (gc.freeze), in a process
    whose parsed site outlives many rebuilds: at 2,000 issues `digest serve` holds about
    a million objects, and each full collection re-scanned all of them (0.3-0.4 s, its
    slowest rebuilds).

    A frozen object is never collected, so what the last rebuild left is collected
    first. With `everything` (a rebuild that replaced frozen objects, such as a new
    template environment, which is full of reference cycles) all is thawed and collected
    first, once.
    """
    if everything:
        gc.unfreeze()
    gc.collect()
    gc.freeze()


def release() -> None:
    """Collect, then hand freed heap pages back to the system (glibc keeps them otherwise):
    after dropping the parsed site, 167 MB -> 80 MB resident at 2,000 issues."""
    gc.collect()
    with contextlib.suppress(OSError, AttributeError):  # not glibc: nothing to trim
        ctypes.CDLL("libc.so.6").malloc_trim(0)


def settle() -> None:
    """The objects alive now (a parsed site) live until the build is done: exempt them
    from collections, which would only scan them again (50 ms at 2,000 issues each)."""
    gc.freeze()


@contextlib.contextmanager
def one_off() -> Iterator[Callable[[Callable[[], None]], None]]:
    """The memory of a build in a process of its own: yields `free(forget)`, which drops
    the parsed site (`forget`) and hands its memory back before the search indexer's
    processes start. What `settle` froze is thawed at the very end."""

    def free(forget: Callable[[], None]) -> None:
        forget()
        gc.unfreeze()
        release()

    try:
        yield free
    finally:
        gc.unfreeze()
