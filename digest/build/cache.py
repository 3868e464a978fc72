"""The parse cache: issues parsed by an earlier build, kept under `.digest/`.

Parsing is most of a build's work, and an issue is a pure function of its text, its
path and the config, so a parsed issue is kept with the hash of its text and reused
while the text, digest's version and the config stay the same. Files are first
compared by size, modification time and inode; only when those differ is the text
read and hashed, so touching a file costs a read, not a parse.

Entries are `marshal` files holding an issue as `digest.build.rows` encodes it: loading
2,000 issues as pickled dataclasses took 1.8 s, as tuples 0.6 s. Only the issue's row is
read at first; its item rows, nine tenths of the entry, are read when a page shows them
(StoredItems): a one-edit build of 2,000 issues read 83 MB for a handful of pages. A
damaged or foreign entry is ignored; a cache that cannot be written only costs the next
build its head start.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import itertools
import marshal
import os
import zlib
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import markdown_it
import mdit_py_plugins
import pygments

from digest import __version__
from digest.build import manifest, rows
from digest.build.manifest import Stamp
from digest.build.rows import Rows
from digest.content.parse import read_issue, text_hash
from digest.errors import DigestError, Problem
from digest.memory import gc_paused
from digest.model import Issue, SiteConfig

CACHE_DIR = Path(".digest") / "cache" / "issues"
FORMAT = 9
HEAD_BYTES = 1 << 13
"""Read of an entry at first: its header and the issue's row fit, mostly."""

Parsed = dict[Path, Issue | list[Problem]]


def config_key(config: SiteConfig) -> str:
    """Everything besides an issue's own text that its parse depends on: the parts of the
    config that content/parse.py reads (a new site title or feed limit keeps the cache:
    parsing 2,000 issues again takes half a minute), and the versions of digest (its
    code as installed) and of the libraries that turn Markdown into HTML."""
    libraries = f"{markdown_it.__version__}\0{mdit_py_plugins.__version__}\0{pygments.__version__}"
    parsing = (config.root, config.base_path, config.timezone, config.sections, config.markdown)
    return f"{FORMAT}\0{__version__}\0{_code_stamp()}\0{libraries}\0{parsing!r}"


@functools.cache
def _code_stamp() -> str:
    """digest's modules by name, size and modification time: an issue parsed by other code
    (an upgrade, or a developer's edit, without a version change) is parsed again."""
    stamp = hashlib.blake2b(digest_size=8)
    for path in sorted(Path(__file__).parent.parent.rglob("*.py")):
        info = path.stat()
        stamp.update(f"{path.relative_to(path.parent.parent)}\0{info.st_size}\0".encode())
        stamp.update(f"{info.st_mtime_ns}\n".encode())
    return stamp.hexdigest()


@dataclass(frozen=True, slots=True)
class _Entry:
    stamp: Stamp
    source_hash: str
    issue: memoryview
    """The issue's row as `rows.encode` gave it (its item rows are not read), decoded only
    once it is known to be wanted."""


def cached_parse(
    paths: Sequence[Path],
    config: SiteConfig,
    parse: Callable[[Sequence[Path]], Iterable[tuple[Path, bytes | list[Problem]]]],
) -> Parsed:
    """Every path parsed, reusing the cache where the text is unchanged; `parse` does the
    rest, giving each issue as `rows.encode` does (which is what an entry stores).

    The entries' headers are read first, to learn which issues must be parsed. `parse`
    is asked for those before the kept entries are decoded, so that many issues parsed
    by worker processes (parallel.parse_encoded) are parsed meanwhile. A few are parsed
    here: forking one worker for them, beside the decoding, made a rebuild after one
    edit 55 ms slower at 2,000 issues.

    One cache file per issue, so an edit rewrites one small file. A file is stamped
    before it is parsed, so one saved meanwhile is parsed again next time.
    """
    folder = config.root / CACHE_DIR
    key = config_key(config)
    files = {path: folder / _name(path) for path in paths}
    stamps: dict[Path, Stamp | None] = {}
    kept: dict[Path, _Entry] = {}
    missing: list[Path] = []
    for path in paths:
        stamps[path] = stamp = manifest.stamp(path)
        entry = _read(files[path], key, path) if stamp is not None else None
        if entry is not None and (entry.stamp == stamp or _same_text(path, entry.source_hash)):
            kept[path] = entry
        else:
            missing.append(path)
    fresh = parse(missing) if missing else ()
    found: Parsed = {}
    late: list[Path] = []
    with gc_paused():  # collections meanwhile tripled the load time
        for path in list(kept):
            entry = kept.pop(path)  # each file's bytes go once decoded: no second copy of all
            stored = StoredItems(files[path], key, path, entry.source_hash, parse)
            try:
                issue = rows.decode(path, entry.issue, stored)
            except Exception:  # damaged past its header: parse it after the others
                late.append(path)
                continue
            found[path] = issue
            stamp = stamps[path]  # never None here: an entry is read only for a stamped file
            if stamp is not None and entry.stamp != stamp:  # touched, not changed: new stamp
                with contextlib.suppress(DigestError):
                    _save(files[path], key, stamp, issue, bytes(entry.issue) + stored())
        for path, parsed in itertools.chain(fresh, parse(late) if late else ()):
            if isinstance(parsed, bytes):
                found[path] = issue = rows.decode(path, parsed)
                stamp = stamps[path]
                if stamp is not None:
                    _save(files[path], key, stamp, issue, parsed)
            else:
                found[path] = parsed
    _prune(folder, {file.name for file in files.values()})
    return {path: found[path] for path in paths}


def _name(path: Path) -> str:
    return hashlib.blake2b(str(path).encode("utf-8", "surrogatepass"), digest_size=12).hexdigest()


def _same_text(path: Path, source_hash: str) -> bool:
    try:
        text = read_issue(path)
    except (OSError, DigestError):
        return False
    return text_hash(text) == source_hash


def _read(file: Path, key: str, path: Path) -> _Entry | None:
    """One cache file's entry up to the end of the issue's row, or None when it is
    missing or unusable."""
    try:
        descriptor = os.open(file, os.O_RDONLY)  # not open(): its buffered file costs more
        try:
            data = os.read(descriptor, HEAD_BYTES)
            (saved_key, saved_path, stamp, source_hash, _), start = _header(data)
            if saved_key != key or saved_path != str(path):
                return None
            end = start + rows.row_size(data[start : start + 4])
            if len(data) < end:
                data += os.pread(descriptor, end - len(data), len(data))
        finally:
            os.close(descriptor)
        return _Entry(list(stamp), source_hash, memoryview(data)[start:end])
    except Exception:  # missing, damaged or foreign: parse afresh
        return None


def _header(data: bytes) -> tuple[tuple, int]:
    """An entry's header (see _save), and where the issue's bytes start."""
    size = int.from_bytes(data[:4], "little")
    return marshal.loads(data[4 : 4 + size]), 4 + size


class StoredItems:
    """A cached issue's item rows, read from its entry when a page first shows its items.

    The entry must still be this text's parse, whole (the checksum in its header): another
    build may have written it since, or the author deleted .digest/. Else the issue file
    is parsed again, if its text is still the one parsed; if that changed too, the issue
    shown would be half old, half new, and the command has to run again.
    """

    __slots__ = ("_rows", "file", "key", "parse", "path", "source_hash")

    def __init__(
        self,
        file: Path,
        key: str,
        path: Path,
        source_hash: str,
        parse: Callable[[Sequence[Path]], Iterable[tuple[Path, bytes | list[Problem]]]],
    ) -> None:
        self.file, self.key, self.path, self.source_hash = file, key, path, source_hash
        self.parse = parse
        self._rows: Rows | None = None

    def __call__(self) -> Rows:
        if self._rows is None:
            self._rows = self._from_entry()
            if self._rows is None:
                self._rows = self._from_source()
        return self._rows

    def _from_entry(self) -> Rows | None:
        try:
            data = self.file.read_bytes()
            (key, path, _, source_hash, check), start = _header(data)
            rest = memoryview(data)[start:]
            found = rest[rows.row_size(rest) :]
        except Exception:
            return None
        expected = (self.key, str(self.path), self.source_hash, check)
        if (key, path, source_hash, zlib.crc32(found)) != expected:
            return None
        return found

    def _from_source(self) -> Rows:
        for _, parsed in self.parse([self.path]):
            if isinstance(parsed, bytes) and rows.decode(self.path, parsed).source_hash == (
                self.source_hash
            ):
                return memoryview(parsed)[rows.row_size(parsed) :]
        raise DigestError(
            Problem(
                self.path,
                None,
                "the file changed while digest was reading it; run the command again",
            )
        )


def _save(file: Path, key: str, stamp: Stamp, issue: Issue, data: bytes | memoryview) -> None:
    """The entry is its header's length, the header, then the issue's bytes as given:
    nesting them in the header's marshal would copy them on every load (50 ms at 2,000).
    The header ends with a checksum of the item rows, which are read later (StoredItems)."""
    with contextlib.suppress(OSError, ValueError):
        check = zlib.crc32(memoryview(data)[rows.row_size(data) :])
        header = marshal.dumps((key, str(issue.source.path), stamp, issue.source_hash, check))
        file.parent.mkdir(parents=True, exist_ok=True)
        partial = file.with_name(f"{file.name}.{os.getpid()}.partial")
        with partial.open("wb") as out:
            out.write(len(header).to_bytes(4, "little"))
            out.write(header)
            out.write(data)
        os.replace(partial, file)


def _prune(folder: Path, keep: set[str]) -> None:
    """Entries of issues that are gone."""
    with contextlib.suppress(OSError):
        for entry in os.scandir(folder):
            if entry.name not in keep:
                with contextlib.suppress(OSError):
                    os.unlink(entry.path)
