"""A page's fingerprint: a digest of exactly what it shows.

A page is rendered again only when its fingerprint (or one of its templates) changed.
Issues count by their path and content hash, not by value, and listing entries by
runs of one issue's section, so fingerprinting 4,600 pages takes a tenth of a second.
The tokens of issues are kept by identity from one build to the next; a link carries
its own (IssueLink.shown).
"""

from __future__ import annotations

import functools
import hashlib
from collections.abc import Callable
from dataclasses import fields, is_dataclass
from datetime import datetime
from typing import Any

from digest.model import Issue
from digest.site.listings import Entries, IssueLink, SectionInfo, TagInfo
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


def _runs_token(entries: Entries, tokens: Tokens) -> bytes:
    """A run of entries is one issue's section's items in order, so it is fully told by
    the issue, the section, its first item's place and its length."""
    return b"".join(
        _issue_token(issue, tokens) + f"R{section.anchor}\0{first}\0{length}\0".encode()
        for issue, section, first, length in entries.runs
    )


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
        update(value.shown or _plain_token(value))
    elif kind in _PLAIN:
        update(_plain_token(value))
    elif isinstance(value, Issue):
        update(_issue_token(value, tokens))
    elif kind is Entries:
        update(f"L{len(value)}\0".encode())
        update(_runs_token(value, tokens))
    elif isinstance(value, list | tuple):
        update(f"L{len(value)}\0".encode())
        if value and all(type(inner) is IssueLink and inner.shown for inner in value):
            update(b"".join([link.shown for link in value]))  # "past years": 40 a page
            return
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
