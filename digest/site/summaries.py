"""What lists and shares show of an issue: its summary and its cover, across the archive.

Most weeklies open every issue with the same lines ("这里记录每周值得分享的科技内容，周五
发布。"), so the start of the intro made one summary and one meta description for nearly
every issue. Which lines are boilerplate can only be told across the archive: a sentence
of the intro that opens several issues alike is skipped, and an issue whose intro is
nothing else is summed up by its first section's words. An issue without a `cover:` takes
the first image of its cover section (`封面图`), or else its first image, so a shared link
has a preview picture.

Issues are replaced only where something is derived; the replacement is remembered by the
issue's identity, so an unchanged issue keeps its object from one rebuild to the next.
"""

from __future__ import annotations

import functools
import html
import re
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import replace

from digest.content.sections import normalize_heading
from digest.model import Issue, Section
from digest.site.memo import IdentityMemo

SUMMARY_LENGTH = 160
"""Characters of a derived summary, as of one taken from the intro when parsing."""
BOILERPLATE_ISSUES = 3
"""A sentence of the intro found in this many issues or more is boilerplate (in two, in an
archive of five issues or fewer)."""
COVER_SECTIONS = frozenset(
    {"封面图", "封面", "题图", "本期封面", "cover", "coverimage", "coverphoto"}
)
"""Section headings (normalized: no numbering, case or spacing) whose image is the cover."""

_BLOCK_END = re.compile(r"</(?:p|li|h[1-6]|blockquote|div|dd|dt|td|th|figcaption)>|<br\s*/?>", re.I)
_DROPPED = re.compile(r"<(pre|script|style|figure)\b.*?</\1>", re.I | re.S)
_TAG = re.compile(r"<[^>]*>")
_SENTENCE_END = re.compile(r"(?<=[。！？；!?])|(?<=[.;])\s+")
_STOPS = frozenset("。！？；.!?;:：…)）")
_DIGITS = re.compile(r"\d+")
_NOT_WORD = re.compile(r"[\W_]+")
_IMAGE = re.compile(r"<img\b[^>]*?\bsrc\s*=\s*(?:\"([^\"]*)\"|'([^']*)')", re.I)

_SENTENCES: IdentityMemo[tuple[tuple[str, str], ...]] = IdentityMemo()
_DERIVED: IdentityMemo[Issue] = IdentityMemo()


def with_summaries_and_covers(issues: Sequence[Issue]) -> list[Issue]:
    """`issues` with each derived summary and cover filled in (a front matter `summary:` or
    `cover:` is kept as written)."""
    _SENTENCES.rotate()
    _DERIVED.rotate()
    derives = {id(issue) for issue in issues if "summary" not in issue.field_lines}
    counts: Counter[str] = Counter()
    for issue in issues:
        if id(issue) not in derives:
            continue
        counts.update({key for key, _ in _intro_sentences(issue)})
    least = max(2, min(BOILERPLATE_ISSUES, len(derives) // 2))
    boilerplate = {key for key, count in counts.items() if count >= least}
    result = []
    for issue in issues:
        summary = issue.summary
        if id(issue) in derives:
            summary = _summary(issue, boilerplate)
        cover = issue.cover or cover_of(issue)
        if summary == issue.summary and cover == issue.cover:
            result.append(issue)
        else:
            result.append(
                _DERIVED.get(
                    issue, functools.partial(_derived, issue, summary, cover), (summary, cover)
                )
            )
    return result


def _derived(issue: Issue, summary: str, cover: str | None) -> Issue:
    return replace(issue, summary=summary, cover=cover)


def _summary(issue: Issue, boilerplate: set[str]) -> str:
    kept = [text for key, text in _intro_sentences(issue) if key not in boilerplate]
    if not kept:  # a cover picture's caption says least about the issue: last
        for section in sorted(issue.sections, key=_is_cover_section):
            kept = [
                text for key, text in _sentences(_section_html(section)) if key not in boilerplate
            ]
            if kept:
                break
    return _shorten(_join(kept), SUMMARY_LENGTH)


def _join(sentences: list[str]) -> str:
    """Sentences one after another; a title without its own full stop gets a separator."""
    text = ""
    for sentence in sentences:
        if text:
            text += " " if text[-1] in _STOPS else " · "
        text += sentence
    return text


def _intro_sentences(issue: Issue) -> tuple[tuple[str, str], ...]:
    return _SENTENCES.get(issue, lambda: tuple(_sentences([issue.intro_html])))


def _section_html(section: Section) -> Iterator[str]:
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


def _sentences(parts: Iterable[str]) -> Iterator[tuple[str, str]]:
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


def _shorten(text: str, limit: int) -> str:
    text = re.sub(r" (?=[，。；：！？、])|(?<=[，。；：！？、]) ", "", text)
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def cover_of(issue: Issue) -> str | None:
    """The first image of the issue's cover section, or else of the issue; None without."""
    sections = sorted(issue.sections, key=lambda section: not _is_cover_section(section))
    if sections and _is_cover_section(sections[0]):
        found = _first_image(_section_images(sections[0]))
        if found:
            return found
    return _first_image(
        [*_html_images(issue.intro_html), *(u for s in issue.sections for u in _section_images(s))]
    )


def _is_cover_section(section: Section) -> bool:
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
    for match in _IMAGE.finditer(str(fragment)):
        yield html.unescape(match.group(1) if match.group(1) is not None else match.group(2))


def _first_image(urls: Iterable[str]) -> str | None:
    """The first that a page preview can show: not inline data, not empty."""
    return next((url for url in urls if url and not url.startswith("data:")), None)
