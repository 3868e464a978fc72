"""Matching section headings as authors write them to the configured sections."""

from __future__ import annotations

import functools
import re
import unicodedata

from digest.model import SectionSpec

_ENUMERATION = re.compile(
    r"""^\s*(?:
        [(\[（【]?\s*(?:\d+|[一二三四五六七八九十百]+|[ivxlc]+)\s*[)\]）】]   # (2) （二） [3]
      | (?:\d+|[一二三四五六七八九十百]+|[ivxlc]+)\s*[.、．:：)）]       # 1. 一、 iv)
      | 第\s*[一二三四五六七八九十百\d]+\s*[部章节分]?[分]?\s*[:：、.]?       # 第一部分
    )\s*""",
    re.VERBOSE,
)
_SPACING = re.compile(r"[\s\-_·]+")


@functools.lru_cache(maxsize=4096)
def normalize_heading(text: str) -> str:
    """Reduce a heading to what identifies it: no emoji, numbering, case or spacing."""
    text = unicodedata.normalize("NFKC", text).casefold()
    text = _strip_decoration(text)
    text = _ENUMERATION.sub("", text, count=1)
    text = _strip_decoration(text)
    return _SPACING.sub("", text)


def _strip_decoration(text: str) -> str:
    """Strip emoji, symbols, punctuation and joiners from both ends."""
    chars = list(text)
    while chars and _decoration(chars[0]):
        chars.pop(0)
    while chars and _decoration(chars[-1]):
        chars.pop()
    return "".join(chars)


def _decoration(char: str) -> bool:
    category = unicodedata.category(char)
    opening = char in "(（[【"
    return not opening and (category[0] in "SPZ" or category in {"Mn", "Cf", "Cc"} or char == " ")


def section_index(specs: tuple[SectionSpec, ...]) -> dict[str, SectionSpec]:
    """Every normalized name (key, title, aliases) of every section -> its spec."""
    index: dict[str, SectionSpec] = {}
    for spec in specs:
        for name in (spec.key, spec.title, *spec.aliases):
            index.setdefault(normalize_heading(name), spec)
    return index


def match_section(heading: str, index: dict[str, SectionSpec]) -> SectionSpec | None:
    return index.get(normalize_heading(heading))


_PROSE_HEADINGS = frozenset(
    normalize_heading(name)
    for name in (
        "封面图",
        "开篇图",
        "题图",
        "本周封面",
        "封面",
        "Cover",
        "Cover image",
        "Cover picture",
        "往年回顾",
        "往期回顾",
        "历史回顾",
        "历史上的本周",
        "This week in past years",
        "Past years",
        "Past issues",
        "From the archive",
        "Quote of the week",
        "Quotes of the week",
        "本周金句",
        "金句",
        "言论",
    )
)
"""Headings that recur in weeklies over prose, not links: the cover picture, back-links
to the author's own past issues, the quote of the week. Their links are not items."""


def is_prose_heading(heading: str) -> bool:
    return normalize_heading(heading) in _PROSE_HEADINGS
