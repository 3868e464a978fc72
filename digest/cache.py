"""The parse cache: issues parsed by an earlier build, kept under `.digest/`.

Parsing is most of a build's work, and an issue is a pure function of its text, its
path and the config, so a parsed issue is kept with the hash of its text and reused
while the text, digest's version and the config stay the same. Files are first
compared by size, modification time and inode; only when those differ is the text
read and hashed, so touching a file costs a read, not a parse.

Entries are `marshal` files of plain tuples: loading 2,000 issues as pickled
dataclasses took 1.8 s, as tuples rebuilt here 0.6 s. A damaged or foreign entry is
ignored; a cache that cannot be written only costs the next build its head start.
"""

from __future__ import annotations

import contextlib
import hashlib
import marshal
import os
import pickle
from collections.abc import Callable, Sequence
from pathlib import Path

from markupsafe import Markup

from digest import __version__, manifest
from digest.errors import DigestError, Problem
from digest.manifest import Stamp
from digest.memory import gc_paused
from digest.model import Issue, Item, Section, SiteConfig, SourceRef
from digest.parse import read_issue

CACHE_DIR = Path(".digest") / "cache" / "issues"
FORMAT = 1

Parsed = dict[Path, Issue | list[Problem]]


def config_key(config: SiteConfig) -> str:
    """Everything besides an issue's own text that its parse depends on."""
    return f"{FORMAT}\0{__version__}\0{config!r}"


def cached_parse(
    paths: Sequence[Path],
    config: SiteConfig,
    parse: Callable[[Sequence[Path]], Parsed],
) -> Parsed:
    """Every path parsed, reusing the cache where the text is unchanged; `parse` does the rest.

    One cache file per issue, so an edit rewrites one small file.
    """
    folder = config.root / CACHE_DIR
    key = config_key(config)
    found: Parsed = {}
    missing: list[Path] = []
    with gc_paused():  # collections meanwhile tripled the load time
        for path in paths:
            stamp = manifest.stamp(path)
            entry = _load(folder / _name(path), key, path) if stamp is not None else None
            if entry is None:
                missing.append(path)
            elif entry[0] == stamp:
                found[path] = entry[1]
            elif _same_text(path, entry[1].source_hash):
                found[path] = entry[1]
                _save(folder / _name(path), key, stamp, entry[1])
            else:
                missing.append(path)
    fresh = parse(missing) if missing else {}
    for path, parsed in fresh.items():
        stamp = manifest.stamp(path)
        if isinstance(parsed, Issue) and stamp is not None:
            _save(folder / _name(path), key, stamp, parsed)
    found.update(fresh)
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
        saved_key, saved_path, stamp, row = marshal.loads(file.read_bytes())
        if saved_key != key or saved_path != str(path):
            return None
        return list(stamp), _issue(path, row)
    except Exception:  # missing, damaged or foreign: parse afresh
        return None


def _save(file: Path, key: str, stamp: Stamp, issue: Issue) -> None:
    with contextlib.suppress(OSError, ValueError):
        data = marshal.dumps((key, str(issue.source.path), stamp, _row(issue)))
        file.parent.mkdir(parents=True, exist_ok=True)
        partial = file.with_name(f"{file.name}.{os.getpid()}.partial")
        partial.write_bytes(data)
        os.replace(partial, file)


def _prune(folder: Path, keep: set[str]) -> None:
    """Entries of issues that are gone."""
    with contextlib.suppress(OSError):
        for entry in os.scandir(folder):
            if entry.name not in keep:
                with contextlib.suppress(OSError):
                    os.unlink(entry.path)


def _row(issue: Issue) -> tuple:
    """An Issue as tuples of plain values (marshal takes nothing else)."""
    sections = tuple(
        (
            section.key,
            section.title,
            section.heading,
            section.known,
            str(section.body_html),
            tuple(
                (
                    item.title,
                    item.url,
                    item.image,
                    item.image_alt,
                    str(item.body_html),
                    item.anchor,
                    item.source.line,
                )
                for item in section.items
            ),
            section.anchor,
            section.source.line,
        )
        for section in issue.sections
    )
    return (
        issue.title,
        pickle.dumps((issue.date, issue.extra, issue.field_lines)),  # aware dates and YAML values
        issue.slug,
        issue.number,
        issue.summary,
        issue.cover,
        issue.tags,
        issue.draft,
        str(issue.intro_html),
        sections,
        issue.source.line,
        issue.subtitle,
        issue.authors,
        issue.lang,
        issue.source_hash,
        issue.reading_minutes,
    )


def _issue(path: Path, row: tuple) -> Issue:
    date, extra, field_lines = pickle.loads(row[1])
    sections = tuple(
        Section(
            key,
            title,
            heading,
            known,
            Markup(body),
            tuple(
                Item(t, url, image, alt, Markup(html), anchor, SourceRef(path, line))
                for t, url, image, alt, html, anchor, line in items
            ),
            anchor,
            SourceRef(path, line),
        )
        for key, title, heading, known, body, items, anchor, line in row[9]
    )
    return Issue(
        title=row[0],
        date=date,
        slug=row[2],
        number=row[3],
        summary=row[4],
        cover=row[5],
        tags=row[6],
        draft=row[7],
        intro_html=Markup(row[8]),
        sections=sections,
        source=SourceRef(path, row[10]),
        subtitle=row[11],
        authors=row[12],
        lang=row[13],
        source_hash=row[14],
        reading_minutes=row[15],
        extra=extra,
        field_lines=field_lines,
    )
