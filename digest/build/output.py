"""Writing the site: into a temporary folder beside the output, put in place on success.

A build that fails, or is killed, never leaves a half-written site: the old
output stays exactly as it was until the new one is complete. A cold build writes
a whole new tree and swaps it in; a rebuild writes only the files that change and
moves them in one by one, keeping what they replace aside with a journal, so that a
build killed half-way through is rolled back by the next one, as a swap killed between
its two renames is.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from digest.files import link_or_copy, relative_files

TEMP_PREFIX = ".digest-tmp-"
UNDO_PREFIX = f"{TEMP_PREFIX}undo-"
JOURNAL = "journal.json"
"""In an undo folder while its update is under way: the paths it touches."""
_STALE_SECONDS = 3600
_DETACH_FILES = 500


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


@dataclass(slots=True)
class Patch:
    """A rebuild's changes: the files in `stage` replace or join the output's, and any
    other file of the output not in `keep` (nor below a `spare` folder) is removed."""

    stage: Path
    keep: set[str] = field(default_factory=set)
    spare: tuple[str, ...] = ()
    finish: Callable[[Path | None], None] | None = None
    """Run once the files are in place and before the update is final (the search
    index), with a folder to move the `spare` folders it replaces into (None: delete
    them). Until the update is final, a failure or a kill rolls both back."""


@contextmanager
def writing(out_dir: Path, in_place: bool, detach: bool = False) -> Iterator[Patch]:
    """patching() when `in_place`, else staging() (its Patch's keep, spare and finish
    unused: the caller writes everything, the search index too, into the stage)."""
    if in_place:
        with patching(out_dir, detach) as patch:
            yield patch
    else:
        with staging(out_dir, detach) as stage:
            yield Patch(stage)


@contextmanager
def patching(out_dir: Path, detach: bool = False) -> Iterator[Patch]:
    """Yield a Patch with an empty stage to write the changed files into; on success the
    output is updated in place, which for a one-issue edit moves a handful of files where
    a new tree would hard-link every page again (a fifth of such a rebuild).

    The caller fills in `keep` and `spare` before the block ends.
    """
    parent = out_dir.parent
    restore_parked(out_dir)
    _remove_stale(parent)
    patch = Patch(Path(tempfile.mkdtemp(prefix=f"{TEMP_PREFIX}{out_dir.name}-", dir=parent)))
    try:
        yield patch
        _apply(patch, out_dir, detach)
    except BaseException:
        shutil.rmtree(patch.stage, ignore_errors=True)
        raise


def _apply(patch: Patch, out_dir: Path, detach: bool) -> None:
    new = relative_files(patch.stage)
    written = set(new)
    gone = [
        path
        for path in relative_files(out_dir, skip=patch.spare)
        if path not in patch.keep and path not in written
    ]
    if any(_blocked(out_dir, path) for path in new):
        # A file where a folder was, or the reverse: build the whole tree and swap it.
        for path in patch.keep - written:
            link_or_copy(out_dir / path, patch.stage / path)
        _swap(patch.stage, out_dir, detach)
        if patch.finish is not None:
            patch.finish(None)
        return
    undo = Path(tempfile.mkdtemp(prefix=f"{UNDO_PREFIX}{out_dir.name}-", dir=out_dir.parent))
    journal = undo / JOURNAL
    added = [path for path in new if not os.path.lexists(out_dir / path)]
    spare = {name: os.path.lexists(out_dir / name) for name in patch.spare}
    record = {"out": out_dir.name, "paths": new + gone, "added": added, "spare": spare}
    journal.write_text(json.dumps(record), encoding="utf-8")
    try:
        for path in new + gone:
            _move(out_dir / path, undo / "files" / path)
        for path in new:
            _move(patch.stage / path, out_dir / path)
        for path in gone:
            _prune(out_dir, (out_dir / path).parent)
        if patch.finish is not None:
            patch.finish(undo / "spare")
    except BaseException:
        _roll_back(undo, out_dir)
        raise
    os.unlink(journal)  # the update is complete: nothing to roll back from here on
    # Forking a remover costs more than deleting the few files of a small update.
    large = len(new) + len(gone) > _DETACH_FILES or (undo / "spare").exists()
    _remove(undo, detach and large)
    shutil.rmtree(patch.stage, ignore_errors=True)


def _blocked(out_dir: Path, path: str) -> bool:
    """True when a folder stands where the file goes, or a file where a folder goes."""
    target = out_dir / path
    if target.is_dir() and not target.is_symlink():
        return True
    folder = target.parent
    while folder != out_dir:
        if os.path.lexists(folder) and not folder.is_dir():
            return True
        folder = folder.parent
    return False


def _move(source: Path, target: Path) -> None:
    """Rename `source` to `target`, making folders as needed; nothing there is nothing to do."""
    if not os.path.lexists(source):
        return
    try:
        os.replace(source, target)
    except FileNotFoundError:
        target.parent.mkdir(parents=True, exist_ok=True)
        os.replace(source, target)


def _prune(out_dir: Path, folder: Path) -> None:
    """Remove `folder` and its parents below `out_dir` while they are empty."""
    while folder != out_dir and out_dir in folder.parents:
        try:
            folder.rmdir()
        except OSError:
            return
        folder = folder.parent


def _roll_back(undo: Path, out_dir: Path) -> None:
    """Undo an update that did not finish: every file it moved aside goes back, every file
    it added goes; a path it had not reached yet still has its old file. A spare folder
    (the search index) it replaced comes back; one it made where none was goes."""
    journal = undo / JOURNAL
    record = json.loads(journal.read_text(encoding="utf-8"))
    added = set(record["added"])
    for path in record["paths"]:
        saved = undo / "files" / path
        target = out_dir / path
        if os.path.lexists(saved):  # moved aside: put it back
            _move(saved, target)
        elif path in added and os.path.lexists(target):  # a new file: take it out
            os.unlink(target)
            _prune(out_dir, target.parent)
    for name, existed in record.get("spare", {}).items():
        retired, current = undo / "spare" / name, out_dir / name
        if os.path.lexists(retired) or not existed:  # what stands there now is new
            shutil.rmtree(current, ignore_errors=True)
        if os.path.lexists(retired):
            _move(retired, current)
    os.unlink(journal)
    shutil.rmtree(undo, ignore_errors=True)


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
    from digest.build.parallel import can_fork  # loaded by then: the build has run

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
    beside it: put the old one back before anything else. One killed while updating the
    output in place left a journal: roll its changes back."""
    for undo in sorted(out_dir.parent.glob(f"{UNDO_PREFIX}{out_dir.name}-*")):
        try:
            if json.loads((undo / JOURNAL).read_text(encoding="utf-8"))["out"] == out_dir.name:
                _roll_back(undo, out_dir)
        except (OSError, ValueError, KeyError, TypeError):
            continue  # finished (no journal), or another output's
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
            if (leftover / JOURNAL).exists():
                continue  # an unfinished update of some output: its rollback needs it
            if now - leftover.stat().st_mtime > _STALE_SECONDS:
                shutil.rmtree(leftover, ignore_errors=True)
        except OSError:
            continue
