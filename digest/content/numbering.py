"""What an issue's title and file name say about its number, date and slug.

Weekly archives name files `2025-12-31-this-week-in-rust.md`, `issue-350.md`,
`99-自驾回家.md`, `0012.md` or `2024/12.md`, and often write the number only in the
title: `科技爱好者周刊（第 350 期）`, `This Week in Rust 632`, `Issue #12`. These rules
read them, conservatively: a number counts only when its form marks it as an issue's
(a year in "Best of 2025" is not one).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

from digest.text.slug import slugify

MAX_DIGITS = 9

# Forms that mark a number as an issue's, strongest first: the first that matches wins,
# so "Vol. 3, No. 7" is issue 7.
_MARKED = [
    re.compile(r"第\s*0*([0-9]{1,9})\s*[期号號回集]"),
    re.compile(
        r"\b(?:issue|episode|edition|number|nr\.?|no\.|n[º°]\.?)\s*(?:#|no\.)?\s*0*([0-9]{1,9})\b",
        re.IGNORECASE,
    ),
    re.compile(r"(?<![\w&#])(?:#|№)\s?0*([0-9]{1,9})\b"),
    re.compile(r"\b(?:ep|eps)\.?\s*0*([0-9]{1,9})\b", re.IGNORECASE),
    re.compile(r"\bvol(?:ume)?\.?\s*0*([0-9]{1,9})\b", re.IGNORECASE),
]
# A number right after a periodical's name, at the end of the title or before a
# separator: "This Week in Rust 632", "Go Weekly 45: generics", "科技爱好者周刊 350".
_AFTER_NAME = re.compile(
    r"(?:\b(?:weekly|weeks?|digest|newsletter|news|daily|monthly|bulletin|roundup|review)\b"
    r"|周刊|周报|週刊|週報|月刊|日报|简报)"
    r"[^0-9:：|–—(（]*?(?<=[^\W\d_])[ \t]*0*([0-9]{1,9})(?=[ \t]*(?:$|[:：\-–—|·,，(（/]))",
    re.IGNORECASE,
)
_YEARS = range(1900, 2101)
"""Four-digit numbers a name-then-number form leaves alone: "Weekly news 2025" is a year."""

_FULL_WIDTH = {0xFF10 + digit: ord("0") + digit for digit in range(10)} | {0xFF03: ord("#")}

_DATE_PREFIX = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})(?:[-_ ](.*))?$")
_NUMBER_PREFIX = re.compile(r"^#?0*(\d{1,9})(?:[-_ .](.*))?$")
_YEAR_FOLDER = re.compile(r"(?:19|20)\d\d")
_WORD_NUMBER = re.compile(r"^([^\W\d_]+)[-_ ]?0*(\d{1,9})$")


def number_from_title(title: str) -> int | None:
    """The issue number a title states, or None; see the module's rules."""
    text = title.translate(_FULL_WIDTH)
    for pattern in _MARKED:
        match = pattern.search(text)
        if match:
            return int(match.group(1))
    match = _AFTER_NAME.search(text)
    if match and not (len(match.group(1)) == 4 and int(match.group(1)) in _YEARS):
        return int(match.group(1))
    return None


@dataclass(frozen=True, slots=True)
class StemParts:
    """What a file's name (and the folders below content/issues) say."""

    date: date | None
    """From a `2025-12-31-` or `2025-5-3-` prefix."""
    number: int | None
    """From `12-name`, `0012`, `issue-350`; never inside a year's folder (2024/12.md)."""
    rest: str
    """The name without its date or number, for the slug."""
    slug: str
    """The slug the file's name gives ('' when it gives none): a date prefix stays in it,
    folders are put before it, so names that repeat do not clash."""


def title_from_stem(parts: StemParts) -> str | None:
    """'99-自驾回家' -> '自驾回家', '#01-Anji-Dusk' -> 'Anji Dusk': the title a numbered file
    name gives when the issue states none; None for a name without a number and words."""
    if parts.number is None or not parts.rest.strip():
        return None
    rest = parts.rest.strip()
    return rest if " " in rest else re.sub(r"[-_]+", " ", rest).strip() or None


def stem_parts(stem: str, folders: tuple[str, ...] = ()) -> StemParts:
    """Read a file name's stem; `folders` are those between content/issues and the file.

    '2025-12-31-this-week-in-rust' -> date, slug '2025-12-31-this-week-in-rust';
    '12-slow-queries' -> number 12, slug 'slow-queries'; ('2024',) '12' -> slug '2024-12'
    and no number, since 2023/12.md may exist too.
    """
    when, rest = _date_prefix(stem)
    number = None
    # 2024/12.md and 2023/12.md: numbers that restart each year are no issue numbers.
    yearly = any(_YEAR_FOLDER.fullmatch(folder) for folder in folders)
    if when is not None:
        slug_text = f"{when.isoformat()}-{rest}" if rest else when.isoformat()
        prefix = _NUMBER_PREFIX.match(rest)
        if prefix and not yearly:
            number, rest = int(prefix.group(1)), prefix.group(2) or ""
        return StemParts(when, number, rest, slugify(slug_text))
    if _DATE_PREFIX.match(stem):  # a date that cannot be (2026-02-30) is no number either
        return StemParts(None, None, stem, slugify("-".join((*folders, stem))))
    prefix = _NUMBER_PREFIX.match(stem)
    word = _WORD_NUMBER.match(stem)
    if prefix:
        rest = prefix.group(2) or ""
        if not yearly:
            number = int(prefix.group(1))
    elif word and not yearly:
        value = int(word.group(2))
        if not (len(word.group(2)) == 4 and value in _YEARS):
            number = value
    slug = slugify("-".join((*folders, stem))) if folders else slugify(rest)
    return StemParts(None, number, rest, slug)


def _date_prefix(stem: str) -> tuple[date | None, str]:
    match = _DATE_PREFIX.match(stem)
    if not match:
        return None, stem
    try:
        when = date(int(match.group(1)), int(match.group(2)), int(match.group(3)))
    except ValueError:
        return None, stem
    return when, match.group(4) or ""
