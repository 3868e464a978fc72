"""Issues as plain tuples, marshalled: how parsed issues are stored and sent.

The parse cache keeps them in this form, and parse workers send them back to the
build in it. A frozen dataclass pickles field by field: 0.24 ms to write and 0.29 ms
to read one issue, against 0.09 ms and 0.12 ms as marshalled tuples rebuilt here.

The bytes are the issue's row, then its sections' item rows, which are made into items
only when first asked for (Items): a build after one edit renders a few pages, and
making the archive's 72,000 items for them took a fifth of a second at 2,000 issues.
The item rows, nine tenths of the bytes, need not even be at hand: `decode` takes a
function that fetches them (the parse cache reads them from disk only when wanted).
"""

from __future__ import annotations

import itertools
import marshal
import pickle
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any, overload

from markupsafe import Markup

from digest.model import Group, Issue, Item, Note, Section, SourceRef

Rows = bytes | memoryview
"""Marshalled item rows."""


def encode(issue: Issue) -> bytes:
    """The issue as bytes: the length of its row, its row, then its item rows. Its path is
    not in them (decode is given it)."""
    blobs = [
        marshal.dumps(
            tuple(
                (
                    item.title,
                    item.url,
                    item.image,
                    item.image_alt,
                    str(item.body_html),
                    item.anchor,
                    item.source.line,
                    item.label,
                    item.group,
                )
                for item in section.items
            )
        )
        for section in issue.sections
    ]
    row = marshal.dumps(_row(issue, [len(blob) for blob in blobs]))
    return len(row).to_bytes(4, "little") + row + b"".join(blobs)


def row_size(data: bytes | memoryview) -> int:
    """How many of the first bytes of `encode`'s bytes hold the issue's row (the rest
    are item rows)."""
    return 4 + int.from_bytes(data[:4], "little")


def decode(path: Path, data: bytes | memoryview, items: Callable[[], Rows] | None = None) -> Issue:
    """The issue `encode` gave `data` for; raises on bytes it did not write. `data` may
    stop after the issue's row (row_size) when `items` gives the rest when called."""
    view = memoryview(data)
    size = row_size(view)
    return _issue(path, marshal.loads(view[4:size]), items or _Rest(view[size:]))


def _row(issue: Issue, sizes: list[int]) -> tuple:
    """An Issue as tuples of plain values (marshal takes nothing else); `sizes` are the
    lengths of its sections' item rows."""
    sections = tuple(
        (
            section.key,
            section.title,
            section.heading,
            section.known,
            str(section.body_html),
            len(section.items),
            size,
            section.anchor,
            section.source.line,
            tuple(
                (
                    group.title,
                    group.depth,
                    str(group.body_html),
                    group.size,
                    str(group.tail_html),
                    group.anchor,
                )
                for group in section.groups
            ),
        )
        for section, size in zip(issue.sections, sizes, strict=True)
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
        tuple((note.line, note.message, note.level) for note in issue.notes),
        issue.intro_sentences,
        issue.found_cover,
        issue.images,
    )


def _markup(html: str) -> Markup:
    """Markup(html) for a str, without Markup's check for an object with __html__:
    a third of the time it takes to build 2,000 issues' items."""
    return str.__new__(Markup, html)


def _issue(path: Path, row: tuple, rows: Callable[[], Rows]) -> Issue:
    date, extra, field_lines = pickle.loads(row[1])
    starts = list(itertools.accumulate((section[6] for section in row[9]), initial=0))
    sections = tuple(
        Section(
            key,
            title,
            heading,
            known,
            _markup(body),
            Items(path, count, rows, start, size),
            anchor,
            SourceRef(path, line),
            tuple(
                Group(title, depth, _markup(body), size, _markup(tail), group_anchor)
                for title, depth, body, size, tail, group_anchor in groups
            ),
        )
        for (key, title, heading, known, body, count, size, anchor, line, groups), start in zip(
            row[9], starts, strict=False
        )
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
        intro_html=_markup(row[8]),
        sections=sections,
        source=SourceRef(path, row[10]),
        subtitle=row[11],
        authors=row[12],
        lang=row[13],
        source_hash=row[14],
        reading_minutes=row[15],
        extra=extra,
        field_lines=field_lines,
        notes=tuple(Note(line, message, level) for line, message, level in row[16]),
        intro_sentences=row[17],
        found_cover=row[18],
        images=row[19],
    )


class _Rest:
    """Item rows at hand."""

    __slots__ = ("rows",)

    def __init__(self, rows: memoryview) -> None:
        self.rows = rows

    def __call__(self) -> Rows:
        return self.rows


class Items(Sequence[Item]):
    """A section's items, made from their marshalled rows (bytes `start` to `start + size`
    of what `rows()` gives) when first asked for; their number is known before. Equal to
    the tuple of the same items, and pickled as one."""

    __slots__ = ("_count", "_items", "_path", "_rows", "_size", "_start")

    def __init__(
        self, path: Path, count: int, rows: Callable[[], Rows], start: int, size: int
    ) -> None:
        self._path = path
        self._count = count
        self._rows: Callable[[], Rows] | None = rows
        self._start = start
        self._size = size
        self._items: tuple[Item, ...] | None = None

    def made(self) -> tuple[Item, ...]:
        if self._items is None:
            assert self._rows is not None
            path, start = self._path, self._start
            self._items = tuple(
                Item(t, url, image, alt, _markup(html), anchor, SourceRef(path, line), label, group)
                for t, url, image, alt, html, anchor, line, label, group in marshal.loads(
                    memoryview(self._rows())[start : start + self._size]
                )
            )
            self._rows = None
        return self._items

    def __len__(self) -> int:
        return self._count

    @overload
    def __getitem__(self, index: int) -> Item: ...

    @overload
    def __getitem__(self, index: slice) -> tuple[Item, ...]: ...

    def __getitem__(self, index: int | slice) -> Item | tuple[Item, ...]:
        return self.made()[index]

    def __iter__(self) -> Iterator[Item]:
        return iter(self.made())

    def __eq__(self, other: object) -> bool:
        if isinstance(other, Items):
            other = other.made()
        return self.made() == other

    def __hash__(self) -> int:
        return hash(self.made())

    def __repr__(self) -> str:
        return repr(self.made())

    def __reduce__(self) -> tuple[Any, ...]:
        return (tuple, (self.made(),))
