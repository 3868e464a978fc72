"""A page's fingerprint: a digest of exactly what it shows.

A page is rendered again only when its fingerprint (or one of its templates) changed.
Issues count by their path and content hash, not by value, and listing entries by
runs of one issue's section, so fingerprinting 4,600 pages takes a tenth of a second.
The tokens of issues and links are kept by identity from one build to the next.
"""

from __future__ import annotations

import functools
import hashlib
from collections.abc import Callable, Sequence
from dataclasses import fields, is_dataclass
from datetime import datetime
from typing import Any

from digest.model import Issue
from digest.site.listings import IssueLink, SectionEntry, SectionInfo, TagInfo
from digest.site.memo import IdentityMemo
from digest.site.plan import OutputPage, Pagination, SitemapEntry


class Tokens(IdentityMemo[bytes]):
    """Byte tokens of issues and listing entries for fingerprints, kept from one rebuild
    to the next (rotated per render)."""


def page_fingerprint(page: OutputPage, tokens: Tokens | None = None) -> str:
    """A digest of what the page shows; issues count by content hash, not by value."""
    digest = hashlib.blake2b(digest_size=16)
    digest.update(f"{page.template}\0{page.title}\0{page.lastmod}\0".encode())
    _feed(digest.update, page.context, tokens or Tokens())
    return digest.hexdigest()


def _issue_token(issue: Issue, tokens: Tokens) -> bytes:
    """Its text's hash, and what digest.site.summaries derives across the archive."""
    return tokens.get(
        issue,
        lambda: (
            f"I{issue.source.path}\0{issue.source_hash}\0{issue.summary}\0{issue.cover}\0"
        ).encode(),
    )


def _entries_token(entries: Sequence[SectionEntry], tokens: Tokens) -> bytes:
    """Consecutive entries of one issue's section are that section's items in order, so
    a run is fully told by the issue, the section, its first item's place and its length."""
    parts: list[bytes] = []
    run: list[Any] = [None, None, 0, 0]  # issue, section, first item's place, length
    for entry in entries:
        if entry.issue is run[0] and entry.section is run[1]:
            run[3] += 1
            continue
        if run[0] is not None:
            parts.append(_run_token(run, tokens))
        run = [entry.issue, entry.section, entry.place, 1]
    if run[0] is not None:
        parts.append(_run_token(run, tokens))
    return b"".join(parts)


def _run_token(run: list[Any], tokens: Tokens) -> bytes:
    issue, section, first, length = run
    return _issue_token(issue, tokens) + f"R{section.anchor}\0{first}\0{length}\0".encode()


def _feed(update: Callable[[bytes], None], value: Any, tokens: Tokens) -> None:
    """Feed `value`'s token; kinds by exact type first, the most frequent first (a build
    feeds some 80,000 values), then the general cases."""
    kind: type = type(value)  # plain `type`: mypy counts no type[...] as Hashable
    if kind in _SCALARS:
        update(f"V{value!r}\0".encode())
    elif kind is dict:
        for key in sorted(value):
            update(f"K{key}\0".encode())
            _feed(update, value[key], tokens)
    elif kind is IssueLink:
        # Tens of thousands per build ("past years" alone), the same object each time.
        update(tokens.get(value, lambda: _plain_token(value)))
    elif kind in _PLAIN:
        update(_plain_token(value))
    elif isinstance(value, Issue):
        update(_issue_token(value, tokens))
    elif isinstance(value, SectionEntry):
        update(_entries_token([value], tokens))
    elif isinstance(value, list | tuple) and value and isinstance(value[0], SectionEntry):
        update(f"L{len(value)}\0".encode())
        update(_entries_token(value, tokens))
    elif isinstance(value, list | tuple):
        update(f"L{len(value)}\0".encode())
        for inner in value:
            _feed(update, inner, tokens)
    elif is_dataclass(value):
        update(f"D{kind.__name__}\0".encode())
        for name in _field_names(kind):
            _feed(update, getattr(value, name), tokens)
    else:
        update(f"V{value!r}\0".encode())


_SCALARS = frozenset({str, int, float, bool, type(None), datetime})
_PLAIN = frozenset({SitemapEntry, Pagination, SectionInfo, TagInfo})
"""Dataclasses of plain fields, fed the short way."""


def _plain_token(value: Any) -> bytes:
    """A dataclass of plain fields, the short way."""
    return "\0".join([type(value).__name__, *map(str, _values(value)), ""]).encode()


def _values(value: Any) -> tuple[Any, ...]:
    kind: type = type(value)
    return tuple(getattr(value, name) for name in _field_names(kind))


@functools.cache
def _field_names(kind: type) -> tuple[str, ...]:
    return tuple(spec.name for spec in fields(kind))
