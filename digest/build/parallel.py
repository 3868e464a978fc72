"""Parsing issues, and rendering pages, on every core.

Each issue is parsed independently (parse is a pure function of its text and the
config), so a large archive is split across worker processes. Workers are
forked when this process has a single thread and spawned otherwise (`digest
serve` has watcher threads, and forking a process with threads can deadlock).
Results come back in input order, so the output is the same, byte for byte, as
a serial build.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import signal
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar

from digest.build import rows
from digest.content.markdown import make_markdown
from digest.content.parse import parse_issue, read_issue
from digest.errors import DigestError, Problem
from digest.memory import gc_paused
from digest.model import Issue, SiteConfig
from digest.progress import Report, quiet

if TYPE_CHECKING:  # imported where a pool starts: a rebuild after an edit starts none
    from concurrent.futures import ProcessPoolExecutor

PR_SET_PDEATHSIG = 1
T = TypeVar("T")
PARALLEL_THRESHOLD = 200
"""Below this many issues, starting workers costs more than it saves."""

_worker_config: SiteConfig | None = None
_worker_markdown = None


def default_jobs() -> int:
    """Cores this process may use."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not on Linux
        return max(1, os.cpu_count() or 1)


def parse_file(path: Path, config: SiteConfig, md) -> Issue | list[Problem]:
    """One issue file, or the problems that stop it."""
    try:
        return parse_issue(read_issue(path), path, config, md)
    except DigestError as error:
        return error.problems
    except OSError as error:
        return [Problem(path, None, f"cannot read the file: {error.strerror}")]


def parse_files(
    paths: Sequence[Path], config: SiteConfig, jobs: int = 1, progress: Report = quiet
) -> dict[Path, Issue | list[Problem]]:
    """Parse every path, on `jobs` processes when there are enough of them."""
    return {
        path: rows.decode(path, parsed) if isinstance(parsed, bytes) else parsed
        for path, parsed in parse_encoded(paths, config, jobs, progress)
    }


def parse_encoded(
    paths: Sequence[Path],
    config: SiteConfig,
    jobs: int = 1,
    progress: Report = quiet,
) -> Iterator[tuple[Path, bytes | list[Problem]]]:
    """Each path with its issue as `rows.encode`'s bytes (the form workers send back in,
    and the parse cache stores), in order, as they arrive.

    Many issues are parsed on `jobs` worker processes, which start before this returns;
    a few are parsed here, as they are asked for.
    """
    total = len(paths)
    if total < PARALLEL_THRESHOLD or jobs < 2:
        return _parse_here(paths, config, progress)
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    # Fork is cheapest, but only safe while this process has no other threads.
    context = multiprocessing.get_context("fork" if can_fork() else "spawn")
    pool = ProcessPoolExecutor(
        max_workers=jobs,
        mp_context=context,
        initializer=_start_worker,
        initargs=(config, os.getpid()),
    )
    chunk = max(1, total // (jobs * 8))
    with signals_held():  # the workers are forked here
        results = pool.map(_parse_in_worker, paths, chunksize=chunk)
    return _arriving(pool, paths, results, progress)


def _parse_here(
    paths: Sequence[Path], config: SiteConfig, progress: Report
) -> Iterator[tuple[Path, bytes | list[Problem]]]:
    md = make_markdown(config.markdown)
    for done, path in enumerate(paths, 1):
        yield path, _encoded(parse_file(path, config, md))
        progress("parsing issues", done, len(paths))


def _arriving(
    pool: ProcessPoolExecutor,
    paths: Sequence[Path],
    results: Iterator[bytes | list[Problem]],
    progress: Report,
) -> Iterator[tuple[Path, bytes | list[Problem]]]:
    with pool, gc_paused():
        for done, (path, result) in enumerate(zip(paths, results, strict=True), 1):
            yield path, result
            progress("parsing issues", done, len(paths))


def map_forked(
    function: Callable[[int], T], count: int, workers: int, done: Callable[[int], None]
) -> list[T]:
    """[function(0), …, function(count - 1)], the calls shared by forked worker processes.

    The workers see this process's memory as it was, so `function` can read module
    globals set just before; only its result travels back. The caller must have no
    other threads (see parse_files). `done` hears how many results have arrived.
    """
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    context = multiprocessing.get_context("fork")
    results: list[T] = []
    with ProcessPoolExecutor(
        max_workers=workers,
        mp_context=context,
        initializer=die_with_parent,
        initargs=(os.getpid(),),
    ) as pool:
        with signals_held():  # the workers are forked here
            arriving = pool.map(function, range(count))
        for result in arriving:
            results.append(result)
            done(len(results))
    return results


STOP_SIGNALS = {signal.SIGINT, signal.SIGTERM, signal.SIGHUP}


@contextlib.contextmanager
def signals_held() -> Iterator[None]:
    """Ctrl-C, SIGTERM and SIGHUP wait while processes are forked: raised inside fork's
    own hooks, the stop was printed as an ignored exception and lost. A forked child
    lets them through again (unhold_signals)."""
    held = signal.pthread_sigmask(signal.SIG_BLOCK, STOP_SIGNALS)
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, held)


def unhold_signals() -> None:
    signal.pthread_sigmask(signal.SIG_UNBLOCK, STOP_SIGNALS)


def can_fork() -> bool:
    return os.name == "posix" and threading.active_count() == 1


def _start_worker(config: SiteConfig, parent: int) -> None:
    global _worker_config, _worker_markdown
    die_with_parent(parent)  # first: setting up the parser takes long enough to be killed in
    _worker_config = config
    _worker_markdown = make_markdown(config.markdown)


def die_with_parent(parent: int) -> None:
    """End this worker with `parent` (the pid that started it), even one killed already:
    a parent that died before the death signal was asked for would never send it."""
    with contextlib.suppress(OSError, AttributeError):  # Linux: the kernel ends us with it
        ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
    for number in (signal.SIGTERM, signal.SIGHUP):  # the parent cleans up; a worker just ends
        signal.signal(number, signal.SIG_DFL)
    unhold_signals()
    if os.getppid() != parent:
        os._exit(1)
    threading.Thread(target=_exit_with_parent, args=(parent,), daemon=True).start()


def _exit_with_parent(parent: int) -> None:
    """A build killed with SIGKILL cannot stop its workers: they notice and end themselves
    (the fallback where the kernel's parent-death signal is not available)."""
    while os.getppid() == parent:
        time.sleep(0.1)
    os._exit(1)


def _parse_in_worker(path: Path) -> bytes | list[Problem]:
    assert _worker_config is not None
    return _encoded(parse_file(path, _worker_config, _worker_markdown))


def _encoded(parsed: Issue | list[Problem]) -> bytes | list[Problem]:
    return rows.encode(parsed) if isinstance(parsed, Issue) else parsed
