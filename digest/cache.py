"""The parse cache: issues parsed by an earlier build, kept under `.digest/`.

Parsing is most of a build's work, and an issue is a pure function of its text, its
path and the config, so a parsed issue is kept with the hash of its text and reused
while the text, digest's version and the config stay the same. Files are first
compared by size, modification time and inode; only when those differ is the text
read and hashed, so touching a file costs a read, not a parse.

Entries are `marshal` files holding an issue as `digest.rows` encodes it: loading
2,000 issues as pickled dataclasses took 1.8 s, as tuples 0.6 s. A damaged or foreign
entry is ignored; a cache that cannot be written only costs the next build its head
start.
"""

from __future__ import annotations

import contextlib
import hashlib
import marshal
import os
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path

from digest import __version__, manifest, rows
from digest.errors import DigestError, Problem
from digest.manifest import Stamp
from digest.memory import gc_paused
from digest.model import Issue, SiteConfig
from digest.parse import read_issue

CACHE_DIR = Path(".digest") / "cache" / "issues"
FORMAT = 3

Parsed = dict[Path, Issue | list[Problem]]


def config_key(config: SiteConfig) -> str:
    """Everything besides an issue's own text that its parse depends on."""
    return f"{FORMAT}\0{__version__}\0{config!r}"


def cached_parse(
    paths: Sequence[Path],
    config: SiteConfig,
    parse: Callable[[Sequence[Path]], Iterable[tuple[Path, bytes | list[Problem]]]],
) -> Parsed:
    """Every path parsed, reusing the cache where the text is unchanged; `parse` does the
    rest, giving each issue as `rows.encode` does (which is what an entry stores).

    One cache file per issue, so an edit rewrites one small file. A file is stamped
    before it is parsed, so one saved meanwhile is parsed again next time.
    """
    folder = config.root / CACHE_DIR
    key = config_key(config)
    found: Parsed = {}
    missing: dict[Path, Stamp | None] = {}
    with gc_paused():  # collections meanwhile tripled the load time
        for path in paths:
            stamp = manifest.stamp(path)
            entry = _load(folder / _name(path), key, path) if stamp is not None else None
            if entry is None:
                missing[path] = stamp
            elif entry[0] == stamp:
                found[path] = entry[1]
            elif _same_text(path, entry[1].source_hash):
                found[path] = entry[1]
                _save(folder / _name(path), key, stamp, path, rows.encode(entry[1]))
            else:
                missing[path] = stamp
    with gc_paused():
        for path, parsed in parse(list(missing)) if missing else ():
            if isinstance(parsed, bytes):
                found[path] = rows.decode(path, parsed)
                if missing[path] is not None:
                    _save(folder / _name(path), key, missing[path], path, parsed)
            else:
                found[path] = parsed
    _prune(folder, {_name(path) for path in paths})
    return {path: found[path] for path in paths}


def _name(path: Path) -> str:
    return hashlib.blake2b(str(path).encode("utf-8", "surrogatepass"), digest_size=12).hexdigest()


def _same_text(path: Path, source_hash: str) -> bool:
    try:
        text = read_issue(path)
    except (OSError, DigestError):
        return False
    digest = hashlib.blake2b(text.encode("utf-8", "surrogatepass"), digest_size=16)
    return digest.hexdigest() == source_hash


def _load(file: Path, key: str, path: Path) -> tuple[Stamp, Issue] | None:
    """(stamp, issue) from one cache file, or None when it is missing or unusable."""
    try:
        data = file.read_bytes()
        size = int.from_bytes(data[:4], "little")
        saved_key, saved_path, stamp = marshal.loads(data[4 : 4 + size])
        if saved_key != key or saved_path != str(path):
            return None
        return list(stamp), rows.decode(path, memoryview(data)[4 + size :])
    except Exception:  # missing, damaged or foreign: parse afresh
        return None


def _save(file: Path, key: str, stamp: Stamp, path: Path, issue: bytes) -> None:
    """The entry is its header's length, the header, then the issue's bytes as given:
    nesting them in the header's marshal would copy them on every load (50 ms at 2,000)."""
    with contextlib.suppress(OSError, ValueError):
        header = marshal.dumps((key, str(path), stamp))
        file.parent.mkdir(parents=True, exist_ok=True)
        partial = file.with_name(f"{file.name}.{os.getpid()}.partial")
        with partial.open("wb") as out:
            out.write(len(header).to_bytes(4, "little"))
            out.write(header)
            out.write(issue)
        os.replace(partial, file)


def _prune(folder: Path, keep: set[str]) -> None:
    """Entries of issues that are gone."""
    with contextlib.suppress(OSError):
        for entry in os.scandir(folder):
            if entry.name not in keep:
                with contextlib.suppress(OSError):
                    os.unlink(entry.path)
