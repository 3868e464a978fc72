"""The sentences and images of an issue's text, taken once when it is parsed: the site
stage weighs the sentences across the archive for summaries (site/summaries.py), and
the first image of the cover section, or of the issue, is its cover when it names none.
Taken here they are kept in the parse cache, not worked out again by every build."""

from __future__ import annotations

import html
import re
from collections.abc import Iterable, Iterator, Sequence

from digest.content.sections import normalize_heading
from digest.model import Section

COVER_SECTIONS = frozenset(
    {"封面图", "封面", "题图", "本期封面", "cover", "coverimage", "coverphoto"}
)
"""Section headings (normalized: no numbering, case or spacing) whose image is the cover."""

_BLOCK_END = re.compile(r"</(?:p|li|h[1-6]|blockquote|div|dd|dt|td|th|figcaption)>|<br\s*/?>", re.I)
_DROPPED = re.compile(r"<(pre|script|style|figure)\b.*?</\1>", re.I | re.S)
_TAG = re.compile(r"<[^>]*>")
_SENTENCE_END = re.compile(r"(?<=[。！？；!?])|(?<=[.;])\s+")
_DIGITS = re.compile(r"\d+")
_NOT_WORD = re.compile(r"[\W_]+")
_IMAGE = re.compile(r"<img\b[^>]*?\ssrc\s*=\s*(?:\"([^\"]*)\"|'([^']*)'|([^\s>]+))", re.I)


def sentences(parts: Iterable[str]) -> Iterator[tuple[str, str]]:
    """(key, text) of each sentence: the key ignores case, spacing, punctuation and numbers,
    so '第 12 期' and '第 13 期' are one sentence."""
    for part in parts:
        if not part:
            continue
        for block in _BLOCK_END.split(_DROPPED.sub(" ", str(part))):
            text = " ".join(html.unescape(_TAG.sub("", block)).split())
            for sentence in _SENTENCE_END.split(text):
                sentence = sentence.strip()
                key = _NOT_WORD.sub("", _DIGITS.sub("0", sentence.casefold()))
                if key:
                    yield key, sentence


def section_html(section: Section) -> Iterator[str]:
    """The section's prose, then its items' titles and summaries, in the author's order."""
    yield section.body_html
    start = 0
    for group in section.groups:
        yield group.body_html
        for item in section.items[start : start + group.size]:
            yield f"<p>{html.escape(item.title)}</p>{item.body_html}"
        start += group.size
        yield group.tail_html
    if not section.groups:
        for item in section.items:
            yield f"<p>{html.escape(item.title)}</p>{item.body_html}"


def cover_of(intro_html: str, sections: Sequence[Section]) -> str | None:
    """The first image of the issue's cover section, or else of the issue; None without."""
    ordered = sorted(sections, key=lambda section: not is_cover_section(section))
    if ordered and is_cover_section(ordered[0]):
        found = _first_image(_section_images(ordered[0]))
        if found:
            return found
    return _first_image(
        [*_html_images(intro_html), *(u for s in sections for u in _section_images(s))]
    )


def is_cover_section(section: Section) -> bool:
    return normalize_heading(section.heading) in COVER_SECTIONS


def _section_images(section: Section) -> Iterator[str]:
    yield from _html_images(section.body_html)
    start = 0
    for group in section.groups:
        yield from _html_images(group.body_html)
        for item in section.items[start : start + group.size]:
            if item.image:
                yield item.image
            yield from _html_images(item.body_html)
        start += group.size
        yield from _html_images(group.tail_html)
    if not section.groups:
        for item in section.items:
            if item.image:
                yield item.image


def _html_images(fragment: str) -> Iterator[str]:
    fragment = str(fragment)
    if "<img" not in fragment and "<IMG" not in fragment:
        return
    for match in _IMAGE.finditer(fragment):
        yield html.unescape(next(group for group in match.groups() if group is not None))


def images_of(
    intro_html: str, sections: Sequence[Section], cover: str | None, cover_line: int | None
) -> tuple[tuple[str, int, bool, bool], ...]:
    """(src, line, whether the line is the image's own, whether it is the cover) of each
    image of an issue, for the notes on images that no file provides: the front matter's
    cover at its field, an item's at the item, one in text at the line of its section or
    item until the note looks further."""
    found: list[tuple[str, int, bool, bool]] = []
    if cover and cover_line is not None:  # else a cover is an image of the text (cover_of)
        found.append((cover, cover_line, True, True))
    found += [(src, 1, False, False) for src in _html_images(intro_html)]
    for section in sections:
        line = section.source.line
        found += [(src, line, False, False) for src in _html_images(section.body_html)]
        for item in section.items:
            if item.image:
                found.append((item.image, item.source.line, True, False))
            found += [(src, item.source.line, True, False) for src in _html_images(item.body_html)]
        for group in section.groups:
            for src in _html_images(group.body_html + group.tail_html):
                found.append((src, line, False, False))
    return tuple(found)


def _first_image(urls: Iterable[str]) -> str | None:
    """The first that a page preview can show: not inline data, not empty."""
    return next((url for url in urls if url and not url.startswith("data:")), None)
