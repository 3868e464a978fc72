"""Where a build's files go: one writer, three sinks.

- `TreeSink` (`digest build`): a new tree made beside the output, the files the last
  build wrote and nothing changed hard-linked from it, the rest written; then swapped in
  whole with one atomic rename (Linux's RENAME_EXCHANGE). Until that rename the output
  is exactly the last build's; after it, exactly the new one, search index included.
  A build killed at any moment leaves only a stray folder beside the output, which the
  next build removes. The tree swapped out is kept under `.digest/` as the spare, and
  the next build makes its new tree from it: most of its files are already the right
  ones, and its thousands of page folders need not be made again (nor deleted).
- `LiveSink` (`digest serve`): the preview's private folder, the changed files written
  beside it and renamed into place once the update succeeded, files no longer made
  removed.
- `MemorySink` (`digest check`): nothing written; the bytes are kept.

Every sink keeps a file the last build wrote when it is untouched since (its stamp, see
manifest.LastBuild.intact) and its page would come out the same.
"""

from __future__ import annotations

import contextlib
import ctypes
import errno
import itertools
import os
import shutil
import tempfile
from pathlib import Path

from digest.build.assets import copy_asset
from digest.build.manifest import LastBuild, Stamp, stamp
from digest.files import safe_join, safe_path, write_file

TEMP_PREFIX = ".digest-tmp-"
OUTPUT_MARKER = ".digest-output"
"""In every output folder digest writes: a build replaces only a folder that has it (or
is empty), never one of the author's (`--out templates`)."""
MARKER_TEXT = b"This folder is written by `digest build`, which replaces everything in it.\n"
SPARE_DIR = Path(".digest") / "spare"


def spare_for(site_root: Path, out_dir: Path) -> Path:
    """Where the tree that `out_dir` held before the last build waits for the next one."""
    import hashlib  # here: a build with nothing to do answers without it (4 ms to import)

    name = hashlib.blake2b(os.fsencode(out_dir), digest_size=8).hexdigest()
    return site_root / SPARE_DIR / name


class Sink:
    """The files of one build: each `keep`, `write` or `copy` returns the stamp of the
    file the output will hold at that path (None when it is not on disk); `changed`
    gathers the paths whose bytes differ from the last build's."""

    folder: Path | None = None
    """Where the files are written, for render workers and the search indexer."""
    home = Path()
    """Where the files are once the build is done (the output folder)."""

    def __init__(self, last: LastBuild | None) -> None:
        self.last = last
        self.changed: set[str] = set()
        self._made: set[str] = set()

    def prepare(self) -> None:
        """Called before the first file is kept, written or removed."""

    def keep(self, path: str) -> Stamp | bool | None:
        """The last build's file at `path`, kept: its stamp, or False if it cannot be."""
        return False

    def write(self, path: str, data: bytes) -> Stamp | None:
        """`data` at `path`; a file holding these very bytes already is kept."""
        if self.last is not None and self._previous(path) == data:
            kept = self.keep(path)
            if kept is not False:
                return kept  # type: ignore[return-value]
        self.changed.add(path)
        return self._write(path, data)

    def copy(self, path: str, source: Path) -> Stamp | None:
        """The file `source` at `path` (an asset)."""
        self.changed.add(path)
        assert self.folder is not None
        target = safe_join(self.folder, path)
        target.parent.mkdir(parents=True, exist_ok=True)
        partial = target.with_name(f".{target.name}.partial")
        copy_asset(source, partial)
        os.replace(partial, target)
        return stamp(target)

    def remove(self, path: str) -> None:
        """`path` is no longer part of the site."""

    def _write(self, path: str, data: bytes) -> Stamp | None:
        assert self.folder is not None
        return stamp(write_file(self.folder, path, data))

    def _previous(self, path: str) -> bytes | None:
        """The last build's bytes at `path`, or None when unknown."""
        source = self.last.intact(path) if self.last is not None else None
        if source is None:
            return None
        try:
            with open(source, "rb") as file:
                return file.read()
        except OSError:
            return None

    def _link(self, source: str, path: str) -> bool:
        assert self.folder is not None
        return _link(source, str(self.folder), path, self._made)


class TreeSink(Sink):
    """A new tree beside `out_dir`, put in its place by `commit` (see the module's text).
    Use as a context manager: leaving the block without committing removes the tree.

    The new tree starts as the spare (the tree the last build replaced) when there is
    one, else empty. A child process, started on entering, makes it hold the last build's
    pages and assets that nobody touched since, while this one parses and plans: it
    takes out of it whatever is not the very file the last build left (same inode, see
    manifest.stamp), and hard-links the rest. Making a page folder and a link for each of
    4,600 pages took from a twentieth to half of a one-edit rebuild on one disk; checking
    the spare's files takes a stat each. A page that changed is then written over its
    link (`_write` replaces, never writes into, a file: the old tree shares it), and one
    the site no longer has is removed.
    """

    def __init__(
        self,
        out_dir: Path,
        last: LastBuild | None,
        detach: bool = False,
        spare: Path | None = None,
    ) -> None:
        super().__init__(last)
        self.out_dir = self.home = out_dir
        self.detach = detach
        self.spare = spare
        """Where the replaced tree is kept for the next build (None: not kept)."""
        self.folder = None
        self._linker: tuple[int, int] | None = None
        """The linker's pid, and the pipe it names what it could not link on."""
        self._owner = 0
        self._unlinked: set[str] | None = None
        """Once the linker is done: the paths it was to link and did not (None: unknown)."""

    def __enter__(self) -> TreeSink:
        parent = self.out_dir.parent
        parent.mkdir(parents=True, exist_ok=True)
        restore_parked(self.out_dir)
        remove_leftovers(self.out_dir, self.detach)
        self.folder = Path(
            tempfile.mkdtemp(prefix=f"{TEMP_PREFIX}{self.out_dir.name}-", dir=parent)
        )
        if self.last is not None and self.last.fingerprints:
            if self.spare is not None:
                # Taken by a rename: killed from here on, it is a leftover like any stage.
                with contextlib.suppress(OSError):
                    os.rename(self.spare, self.folder)
            self._owner = os.getpid()
            self._linker = _start_linker(self.last, self.folder)
        return self

    def __exit__(self, *exc: object) -> None:
        self._join()
        if self.folder is not None:  # not committed: the output stays as it was
            shutil.rmtree(self.folder, ignore_errors=True)
            self.folder = None

    def keep(self, path: str) -> Stamp | bool | None:
        assert self.last is not None and self.folder is not None
        last = self.last
        if self._unlinked is not None and (path in last.fingerprints or path in last.sources):
            # The linker's word, not a look at each of thousands of files (20 ms).
            return False if path in self._unlinked else last.files[path]
        if not os.path.lexists(safe_path(str(self.folder), path)):
            source = self.last.intact(path)
            if source is None or not self._link(source, path):
                return False
        return self.last.files[path]

    def remove(self, path: str) -> None:
        """Take out what the linker brought over of a file the site no longer has, and
        the folders it leaves empty."""
        assert self.folder is not None
        root = str(self.folder)
        target = safe_path(root, path)
        try:
            os.unlink(target)
        except OSError:
            return
        folder = os.path.dirname(target)
        while folder != root:
            try:
                os.rmdir(folder)
            except OSError:
                return
            folder = os.path.dirname(folder)

    def prepare(self) -> None:
        """Wait for the linker: from here on this process (and the render workers it
        forks) writes the tree."""
        self._join()

    def _join(self) -> None:
        """Wait for the linker, in the process that started it (a render worker never
        does)."""
        if self._linker is None or os.getpid() != self._owner:
            return
        (linker, pipe), self._linker = self._linker, None
        with os.fdopen(pipe, "rb") as said:
            told = said.read()
        _, status = os.waitpid(linker, 0)
        if status == 0:  # else (killed, say) keep looks at each file
            self._unlinked = set(os.fsdecode(told).split("\0")) if told else set()

    def commit(self) -> None:
        """Put the new tree where the output is, in one rename; the old tree is removed
        (by a detached process when asked: deleting thousands of page folders took a
        quarter of a one-edit build)."""
        assert self.folder is not None
        stage, self.folder = self.folder, None
        os.chmod(stage, 0o755)
        if not os.path.lexists(self.out_dir):
            os.replace(stage, self.out_dir)
            return
        if _exchange(stage, self.out_dir):
            self._set_aside(stage)  # it holds the old tree now
            return
        # No atomic exchange here (not Linux, or a file system without it): two renames,
        # the old tree parked where restore_parked finds it if killed in between.
        old = Path(tempfile.mkdtemp(prefix=f"{TEMP_PREFIX}old-", dir=self.out_dir.parent))
        os.replace(self.out_dir, old / self.out_dir.name)
        try:
            os.replace(stage, self.out_dir)
        except OSError:
            os.replace(old / self.out_dir.name, self.out_dir)
            raise
        self._set_aside(old / self.out_dir.name)
        _remove(old, self.detach)

    def _set_aside(self, tree: Path) -> None:
        """Keep the tree the output held as the spare, or delete it."""
        if self.spare is not None:
            if os.path.lexists(self.spare):  # not taken: this build reused nothing
                # Moved out of the way first: a detached remover deletes by path, and
                # would find `tree` there (a leftover beside the output if killed).
                old = tempfile.mkdtemp(
                    prefix=f"{TEMP_PREFIX}{self.out_dir.name}-", dir=self.out_dir.parent
                )
                with contextlib.suppress(OSError):
                    os.rename(self.spare, os.path.join(old, "spare"))
                _remove(Path(old), self.detach)
            try:
                self.spare.parent.mkdir(parents=True, exist_ok=True)
                os.rename(tree, self.spare)
                return
            except OSError:  # another file system, say
                pass
        _remove(tree, self.detach)


class LiveSink(Sink):
    """The preview's folder, updated file by file: the changed files are written beside
    it and renamed into place by `commit` (a rename keeps the stamp recorded), so a page
    is never served half-written and a failed update changes nothing. Use as a context
    manager: leaving the block without committing drops what was written."""

    def __init__(self, home: Path, last: LastBuild | None) -> None:
        super().__init__(last)
        self.home = home
        self._written: list[str] = []
        self._removed: list[str] = []

    def __enter__(self) -> LiveSink:
        self.folder = Path(
            tempfile.mkdtemp(prefix=f"{TEMP_PREFIX}{self.home.name}-", dir=self.home.parent)
        )
        return self

    def __exit__(self, *exc: object) -> None:
        if self.folder is not None:
            shutil.rmtree(self.folder, ignore_errors=True)
            self.folder = None

    def keep(self, path: str) -> Stamp | bool | None:
        """The preview's folder is its own: what the last update wrote is still there
        (checking thousands of stamps after every save would cost more than it guards)."""
        if self.last is None or path not in self.last.files:
            return False
        return self.last.files[path]

    def _write(self, path: str, data: bytes) -> Stamp | None:
        self._written.append(path)
        return super()._write(path, data)

    def copy(self, path: str, source: Path) -> Stamp | None:
        self._written.append(path)
        return super().copy(path, source)

    def remove(self, path: str) -> None:
        self._removed.append(path)

    def commit(self) -> None:
        assert self.folder is not None
        for path in self._written:
            target = safe_join(self.home, path)
            target.parent.mkdir(parents=True, exist_ok=True)
            os.replace(safe_join(self.folder, path), target)
        for path in self._removed:
            with contextlib.suppress(OSError):
                safe_join(self.home, path).unlink()
        shutil.rmtree(self.folder, ignore_errors=True)
        self.folder = None


class MemorySink(Sink):
    """Nothing written, nothing kept: `digest check` renders every page only to find
    what fails to render."""

    def __init__(self) -> None:
        super().__init__(None)

    def _write(self, path: str, data: bytes) -> Stamp | None:
        return None

    def copy(self, path: str, source: Path) -> Stamp | None:
        return None


def _start_linker(last: LastBuild, stage: Path) -> tuple[int, int] | None:
    """A child process that makes `stage` hold the last build's untouched pages and
    assets (see TreeSink), and names on a pipe those it could not (touched since, or not
    linkable); its pid and the pipe's end to read, or None where forking is not safe
    (then `keep` links each, and `_sweep` runs here)."""
    from digest.build.parallel import can_fork, die_with_parent, signals_held

    if not can_fork():
        _sweep(str(stage), last)
        return None
    parent = os.getpid()
    readable, writable = os.pipe()
    with signals_held():
        child = os.fork()
    if child:
        os.close(writable)
        return child, readable
    code = 1
    try:
        os.close(readable)
        die_with_parent(parent)
        root = str(stage)
        present = _sweep(root, last)
        made: set[str] = set()
        unlinked: list[str] = []
        for path in itertools.chain(last.fingerprints, last.sources):
            if path in present:
                continue
            source = last.intact(path)
            if source is None or not _link(source, root, path, made):
                unlinked.append(path)
        with os.fdopen(writable, "wb") as said:
            said.write(os.fsencode("\0".join(unlinked)))
        code = 0
    finally:
        os._exit(code)


def _sweep(root: str, last: LastBuild) -> set[str]:
    """Take out of the tree at `root` every file but the last build's untouched pages and
    assets, and the folders left empty; the paths of those it holds."""
    wanted = {
        path: last.files.get(path) for path in itertools.chain(last.fingerprints, last.sources)
    }
    present: set[str] = set()

    def sweep(folder: str, prefix: str) -> bool:
        """Whether `folder` is empty now."""
        empty = True
        try:
            entries = list(os.scandir(folder))
        except OSError:
            return False
        for entry in entries:
            path = prefix + entry.name
            if entry.is_dir(follow_symlinks=False):
                if sweep(entry.path, path + "/"):
                    with contextlib.suppress(OSError):
                        os.rmdir(entry.path)
                        continue
                empty = False
                continue
            expected = wanted.get(path)
            if (
                expected is not None
                and entry.is_file(follow_symlinks=False)
                and stamp(entry.path) == expected
            ):
                present.add(path)
                empty = False
                continue
            try:
                os.unlink(entry.path)
            except OSError:
                empty = False
        return empty

    sweep(root, "")
    return present


def _link(source: str, root: str, path: str, made: set[str]) -> bool:
    """Hard-link `source` at `path` below `root`, making folders as needed (`made`: those
    made already); False where it cannot (another file system, links not allowed)."""
    target = safe_path(root, path)
    folder = os.path.dirname(target)
    try:
        if folder not in made:
            os.makedirs(folder, exist_ok=True)
            made.add(folder)
        os.link(source, target)
    except OSError:
        return False
    return True


def _exchange(new: Path, old: Path) -> bool:
    """Swap two folders in one atomic step (renameat2 with RENAME_EXCHANGE); False where
    the system or file system cannot."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        renameat2 = libc.renameat2
    except (OSError, AttributeError):
        return False
    at_cwd, exchange = -100, 2
    result = renameat2(at_cwd, os.fsencode(new), at_cwd, os.fsencode(old), exchange)
    if result == 0:
        return True
    code = ctypes.get_errno()
    if code in (errno.ENOSYS, errno.EINVAL, errno.ENOTSUP, errno.EOPNOTSUPP):
        return False
    raise OSError(code, os.strerror(code), str(old))


def restore_parked(out_dir: Path) -> None:
    """A build killed between the two renames of the fallback swap left no output and the
    old one parked beside it: put the old one back before anything else."""
    if os.path.lexists(out_dir):
        return
    parked = sorted(
        out_dir.parent.glob(f"{TEMP_PREFIX}old-*/{out_dir.name}"),
        key=lambda path: path.stat().st_mtime,
        reverse=True,
    )
    if parked:
        os.replace(parked[0], out_dir)


def remove_leftovers(out_dir: Path, detach: bool = False) -> None:
    """The trees of builds of `out_dir` that were killed (the site's lock is held, so no
    other build is making one now), and old trees a detached remover did not finish."""
    for leftover in out_dir.parent.glob(f"{TEMP_PREFIX}*"):
        name = leftover.name.removeprefix(TEMP_PREFIX)
        try:
            ours = name.startswith(f"{out_dir.name}-") or (
                name.startswith("old-") and set(os.listdir(leftover)) <= {out_dir.name}
            )
        except OSError:
            continue
        if ours:
            _remove(leftover, detach)


def _remove(tree: Path, detach: bool) -> None:
    """Delete `tree`, in a detached grandchild process when asked and safe to fork."""
    from digest.build.parallel import can_fork, signals_held, unhold_signals

    if detach and can_fork():
        with signals_held():
            try:
                child = os.fork()
            except OSError:
                child = -1
        if child == 0:  # the child forks the remover and ends, so nobody waits for it
            try:
                if os.fork() == 0:
                    os.setsid()
                    unhold_signals()
                    # Let go of everything inherited, the site's lock above all: a lock
                    # held by the remover made the next command wait for it.
                    os.closerange(3, 1 << 16)
                    shutil.rmtree(tree, ignore_errors=True)
            finally:
                os._exit(0)
        if child > 0:
            os.waitpid(child, 0)
            return
    shutil.rmtree(tree, ignore_errors=True)
