"""OPML reading lists: the feeds a feed reader exports, as sources for `digest fetch`.

Readers nest feeds in folders (outlines inside outlines); every outline with an
`xmlUrl`, at any depth, is a feed, named by its `title` or else its `text`.
"""

from __future__ import annotations

import xml.etree.ElementTree as ElementTree
from pathlib import Path

from digest.errors import Problem
from digest.model import FeedSource


def read_opml(path: Path) -> tuple[tuple[FeedSource, ...], list[Problem]]:
    """The feeds listed in the OPML file, and the problems that kept some (or all) out."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        return (), [Problem(path, None, f"cannot read the OPML file: {exc.strerror}")]
    return parse_opml(data, path)


def parse_opml(data: bytes, path: Path) -> tuple[tuple[FeedSource, ...], list[Problem]]:
    """Like read_opml, for bytes already read (the encoding comes from the XML declaration)."""
    try:
        root = ElementTree.fromstring(data)
    except ElementTree.ParseError as exc:
        line = exc.position[0] if exc.position else None
        return (), [Problem(path, line, f"not valid OPML (XML): {exc.msg}")]
    if root.tag != "opml":
        return (), [Problem(path, 1, f"not an OPML file: the document is <{root.tag}>")]
    sources: list[FeedSource] = []
    problems: list[Problem] = []
    seen: set[str] = set()
    for outline in root.iter("outline"):
        url = (outline.get("xmlUrl") or "").strip()
        if not url or url in seen:
            continue
        name = (outline.get("title") or outline.get("text") or "").strip()
        if not url.lower().startswith(("http://", "https://")):
            problems.append(
                Problem(
                    path,
                    None,
                    f"feed '{name or url}' has xmlUrl '{url}', not an http(s) URL; skipped",
                    "warning",
                )
            )
            continue
        seen.add(url)
        sources.append(FeedSource(url, name))
    return tuple(sources), problems
