"""Writing the site: into a temporary folder beside the output, swapped in on success.

A build that fails, or is killed, never leaves a half-written site: the old
output stays exactly as it was until the new one is complete.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path, PurePosixPath

from digest.errors import DigestError, Problem

TEMP_PREFIX = ".digest-tmp-"
_STALE_SECONDS = 3600


@contextmanager
def staging(out_dir: Path, detach: bool = False) -> Iterator[Path]:
    """Yield an empty folder to build into; on success it replaces `out_dir`.

    With `detach`, the replaced tree is deleted by a child process that outlives this
    one: removing thousands of page folders took a quarter of a one-edit build.
    """
    parent = out_dir.parent
    parent.mkdir(parents=True, exist_ok=True)
    restore_parked(out_dir)
    _remove_stale(parent)
    stage = Path(tempfile.mkdtemp(prefix=f"{TEMP_PREFIX}{out_dir.name}-", dir=parent))
    try:
        yield stage
    except BaseException:
        shutil.rmtree(stage, ignore_errors=True)
        raise
    _swap(stage, out_dir, detach)


def _swap(stage: Path, out_dir: Path, detach: bool = False) -> None:
    """Put `stage` where `out_dir` is; the old tree is moved aside first, then removed."""
    os.chmod(stage, 0o755)
    old = None
    if out_dir.exists() or out_dir.is_symlink():
        old = Path(tempfile.mkdtemp(prefix=f"{TEMP_PREFIX}old-", dir=out_dir.parent))
        os.replace(out_dir, old / out_dir.name)
    try:
        os.replace(stage, out_dir)
    except OSError:
        if old is not None:
            os.replace(old / out_dir.name, out_dir)
        raise
    finally:
        if old is not None:
            _remove(old, detach)


def _remove(tree: Path, detach: bool) -> None:
    """Delete `tree`, in a detached grandchild process when asked and safe to fork."""
    from digest.parallel import can_fork  # loaded by then: the build has run

    if detach and can_fork():
        try:
            child = os.fork()
        except OSError:
            child = -1
        if child == 0:  # the child forks the remover and ends, so nobody waits for it
            try:
                if os.fork() == 0:
                    os.setsid()
                    shutil.rmtree(tree, ignore_errors=True)
            finally:
                os._exit(0)
        if child > 0:
            os.waitpid(child, 0)
            return
    shutil.rmtree(tree, ignore_errors=True)


def restore_parked(out_dir: Path) -> None:
    """A build killed between its two renames left no output, and the old one parked
    beside it: put the old one back before anything else."""
    if out_dir.exists() or out_dir.is_symlink():
        return
    parked = sorted(
        out_dir.parent.glob(f"{TEMP_PREFIX}old-*/{out_dir.name}"),
        key=lambda path: path.stat().st_mtime,
        reverse=True,
    )
    if parked:
        os.replace(parked[0], out_dir)


def _remove_stale(parent: Path) -> None:
    """Leftovers of a killed build: harmless, but they should not pile up."""
    now = time.time()
    for leftover in parent.glob(f"{TEMP_PREFIX}*"):
        try:
            if now - leftover.stat().st_mtime > _STALE_SECONDS:
                shutil.rmtree(leftover, ignore_errors=True)
        except OSError:
            continue


def write_file(root: Path, relative: str, data: bytes) -> Path:
    """Write `data` at `root/relative`, refusing any path that would leave `root`."""
    target = safe_join(root, relative)
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_bytes(data)
    return target


def safe_join(root: Path, relative: str) -> Path:
    parts = PurePosixPath(relative).parts
    if (
        not parts
        or relative.startswith("/")
        or "\\" in relative
        or "\x00" in relative
        or any(part in {"..", "."} for part in parts)
    ):
        raise DigestError(
            Problem(None, None, f"refusing to write outside the output: {relative!r}")
        )
    return root.joinpath(*parts)
