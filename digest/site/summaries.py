"""What lists and shares show of an issue: its summary and its cover, across the archive.

Most weeklies open every issue with the same lines ("这里记录每周值得分享的科技内容，周五
发布。"), so the start of the intro made one summary and one meta description for nearly
every issue. Which lines are boilerplate can only be told across the archive: a sentence
of the intro that opens several issues alike is skipped, and an issue whose intro is
nothing else is summed up by its first section's words. An issue without a `cover:` takes
the first image of its cover section (`封面图`), or else its first image, so a shared link
has a preview picture.

The sentences and images of each issue are taken once, when it is parsed (content/prose.py);
here they are weighed across the archive. Issues are replaced only where something is
derived; the replacement is remembered by the issue's identity, so an unchanged issue
keeps its object from one rebuild to the next.
"""

from __future__ import annotations

import functools
import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import replace

from digest.content.prose import is_cover_section, section_html, sentences
from digest.model import Issue
from digest.site.memo import IdentityMemo

SUMMARY_LENGTH = 160
"""Characters of a derived summary, as of one taken from the intro when parsing."""
BOILERPLATE_ISSUES = 3
"""A sentence of the intro found in this many issues or more is boilerplate (in two, in an
archive of five issues or fewer)."""

_STOPS = frozenset("。！？；.!?;:：…)）")
_DERIVED: IdentityMemo[Issue] = IdentityMemo()


def with_summaries_and_covers(issues: Sequence[Issue]) -> list[Issue]:
    """`issues` with each derived summary and cover filled in (a front matter `summary:` or
    `cover:` is kept as written)."""
    _DERIVED.rotate()
    derives = {id(issue) for issue in issues if "summary" not in issue.field_lines}
    counts: Counter[str] = Counter()
    for issue in issues:
        if id(issue) not in derives:
            continue
        counts.update({key for key, _ in issue.intro_sentences})
    least = max(2, min(BOILERPLATE_ISSUES, len(derives) // 2))
    boilerplate = {key for key, count in counts.items() if count >= least}
    result = []
    for issue in issues:
        summary = issue.summary
        if id(issue) in derives:
            summary = _summary(issue, boilerplate)
        cover = issue.cover or issue.found_cover
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
    kept = [text for key, text in issue.intro_sentences if key not in boilerplate]
    if not kept:  # a cover picture's caption says least about the issue: last
        for section in sorted(issue.sections, key=is_cover_section):
            kept = [
                text for key, text in sentences(section_html(section)) if key not in boilerplate
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


_SPACE_BY_CJK_PUNCTUATION = re.compile(r" (?:(?=[，。；：！？、])|(?<=[，。；：！？、] ))")
"""A space before or after full-width punctuation. Matching the space first, then looking
around it, is three times as fast as looking behind at every character."""


def _shorten(text: str, limit: int) -> str:
    text = _SPACE_BY_CJK_PUNCTUATION.sub("", text)
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"
