"""Views across issues: sections, tags, years, and the same week in past years.

Pure functions of the assembled site, each one pass over the issues, so the
listing pages cost time in proportion to the archive, never its square.
"""

from __future__ import annotations

import functools
import itertools
from bisect import bisect_right
from collections import Counter, defaultdict
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, NamedTuple, overload

from digest.model import Issue, Item, Section, Site
from digest.site.memo import IdentityMemo
from digest.text.slug import tag_slug


class SectionEntry(NamedTuple):
    """One item as it appears on a section page: with the issue it came from.

    A named tuple rather than a frozen dataclass: listings make one per item of the
    archive on every rebuild, and tuples are several times cheaper to create. It holds
    the item's place, not the item: the pages after one edit read only their own items
    (a cached issue's are made when first read, digest.build.rows.Items).
    """

    issue: Issue
    section: Section
    place: int
    """The item's place in its section (`index` is taken: a tuple's method)."""

    @property
    def item(self) -> Item:
        return self.section.items[self.place]


Run = tuple[Issue, Section, int, int]
"""A stretch of one issue's section: the issue, the section, the first item's place, and
how many items."""


class Entries(Sequence[SectionEntry]):
    """A section's entries, newest first, held as runs of one issue's section each.

    A page's share is cut by slicing, without an entry made for each item of the archive
    (72,000 at 2,000 issues, on every rebuild), and a fingerprint counts a run at once;
    the entries are made as a page is rendered. Slicing gives Entries again."""

    __slots__ = ("_starts", "runs")

    def __init__(self, runs: Iterable[Run]) -> None:
        self.runs = tuple(run for run in runs if run[3] > 0)
        self._starts = list(itertools.accumulate((run[3] for run in self.runs), initial=0))
        """Where each run starts; the last value is the number of entries."""

    def __len__(self) -> int:
        return self._starts[-1]

    @overload
    def __getitem__(self, index: int) -> SectionEntry: ...

    @overload
    def __getitem__(self, index: slice) -> Entries: ...

    def __getitem__(self, index: int | slice) -> SectionEntry | Entries:
        if isinstance(index, slice):
            start, stop, step = index.indices(len(self))
            if step != 1:
                return Entries(
                    (entry.issue, entry.section, entry.place, 1) for entry in list(self)[index]
                )
            return Entries(self._cut(start, stop))
        if index < 0:
            index += len(self)
        if not 0 <= index < len(self):
            raise IndexError("entry index out of range")
        at = bisect_right(self._starts, index) - 1
        issue, section, first, _ = self.runs[at]
        return SectionEntry(issue, section, first + index - self._starts[at])

    def __iter__(self) -> Iterator[SectionEntry]:
        for issue, section, first, length in self.runs:
            for place in range(first, first + length):
                yield SectionEntry(issue, section, place)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Entries) and list(self) == list(other)

    __hash__ = None  # type: ignore[assignment]  # equal by value, and issues hold dicts

    def __repr__(self) -> str:
        return f"Entries({len(self)} in {len(self.runs)} runs)"

    def _cut(self, start: int, stop: int) -> Iterator[Run]:
        at = bisect_right(self._starts, start) - 1
        while start < stop:
            issue, section, first, length = self.runs[at]
            offset = start - self._starts[at]
            take = min(length - offset, stop - start)
            yield issue, section, first + offset, take
            start += take
            at += 1


@dataclass(frozen=True, slots=True)
class SectionInfo:
    """What a page says about a section without listing it: a page showing 30 of its
    items must not change when an item on another page does."""

    key: str
    title: str
    known: bool
    count: int | None
    """None on older pages of the section, which must not change as it grows."""

    @property
    def url_path(self) -> str:
        return f"sections/{self.key}/"


@dataclass(frozen=True, slots=True)
class SectionListing:
    key: str
    title: str
    known: bool
    entries: Entries
    """Newest first."""

    @property
    def url_path(self) -> str:
        return f"sections/{self.key}/"

    @property
    def info(self) -> SectionInfo:
        return SectionInfo(self.key, self.title, self.known, len(self.entries))


@dataclass(frozen=True, slots=True)
class TagInfo:
    name: str
    slug: str
    count: int | None
    """None on older pages of the tag, which must not change as it grows."""

    @property
    def url_path(self) -> str:
        return f"tags/{self.slug}/"


@dataclass(frozen=True, slots=True)
class TagListing:
    name: str
    slug: str
    issues: tuple[Issue, ...]

    @property
    def url_path(self) -> str:
        return f"tags/{self.slug}/"

    @property
    def info(self) -> TagInfo:
        return TagInfo(self.name, self.slug, len(self.issues))


@dataclass(frozen=True, slots=True)
class IssueLink:
    """What a page shows of an issue it only links to (the archive, "this week in past
    years", the older/newer links): editing that issue's body leaves the page alone."""

    title: str
    url_path: str
    date: datetime
    lang: str | None
    number: int | None
    shown: bytes = field(default=b"", compare=False, repr=False)
    """The fields as bytes, for the fingerprints of the pages showing it: tens of thousands
    a build ("past years" alone), each link made once per issue (link_to)."""


REMEMBERED: IdentityMemo[Any] = IdentityMemo()
"""Per-issue parts of the listings, found again while the issue object is unchanged;
make_plan rotates it once per plan (a rebuild after one edit redoes one issue's parts)."""


def link_to(issue: Issue) -> IssueLink:
    return REMEMBERED.get(issue, functools.partial(_link, issue), "link")


def _link(issue: Issue) -> IssueLink:
    fields = (issue.title, issue.url_path, issue.date, issue.lang, issue.number)
    shown = "\0".join(["IssueLink", *map(str, fields), ""]).encode()
    return IssueLink(*fields, shown)


@dataclass(frozen=True, slots=True)
class YearGroup:
    year: int
    issues: tuple[IssueLink, ...]


def recurring_sections(issues: Iterable[Issue]) -> dict[str, int]:
    """Headings that match no configured section but hold items and recur: key -> the
    number of issues they are in. Each is a section of the site in its own right; a
    heading of one issue only (an essay's title) stays in its issue."""
    counts: Counter[str] = Counter()
    with_items: set[str] = set()
    for issue in issues:
        unknown = [section for section in issue.sections if not section.known]
        counts.update({section.key for section in unknown})
        with_items.update(section.key for section in unknown if section.items)
    return {key: count for key, count in counts.items() if count >= 2 and key in with_items}


def section_listings(site: Site) -> tuple[SectionListing, ...]:
    """Every configured section with items or text, in its order, then the recurring others."""
    runs: dict[str, list[Run]] = defaultdict(list)
    titles: dict[str, str] = {}
    seen_unknown: list[str] = []
    recurring = recurring_sections(site.issues)
    for issue in site.issues:
        for section in issue.sections:
            if not section.known and section.key not in recurring:
                continue
            if not section.known and section.key not in titles:
                seen_unknown.append(section.key)
            titles.setdefault(section.key, section.title)
            runs[section.key].append((issue, section, 0, len(section.items)))
    configured = [spec.key for spec in site.config.sections if spec.key in titles]
    known_keys = {spec.key for spec in site.config.sections}
    return tuple(
        SectionListing(
            key=key,
            title=next((s.title for s in site.config.sections if s.key == key), titles[key]),
            known=key in known_keys,
            entries=Entries(runs[key]),
        )
        for key in configured + [key for key in seen_unknown if key not in known_keys]
    )


def tag_listings(site: Site) -> tuple[TagListing, ...]:
    """Tags by how many issues carry them, then by name; spellings of one slug share a page."""
    issues: dict[str, list[Issue]] = defaultdict(list)
    names: dict[str, str] = {}
    for issue in site.issues:
        for slug in dict.fromkeys(tag_slug(tag) for tag in issue.tags):
            names.setdefault(slug, next(tag for tag in issue.tags if tag_slug(tag) == slug))
            issues[slug].append(issue)
    return tuple(
        sorted(
            (TagListing(names[slug], slug, tuple(found)) for slug, found in issues.items()),
            key=lambda listing: (-len(listing.issues), listing.name.casefold()),
        )
    )


def year_groups(site: Site) -> tuple[YearGroup, ...]:
    """Issues grouped by year, newest year first."""
    years: dict[int, list[IssueLink]] = defaultdict(list)
    for issue in site.issues:
        years[issue.date.year].append(link_to(issue))
    return tuple(YearGroup(year, tuple(found)) for year, found in years.items())


def past_years(site: Site) -> dict[str, tuple[IssueLink, ...]]:
    """For each issue (by url_path), the issues of the same ISO week one, two… years before."""
    by_week: dict[tuple[int, int], list[IssueLink]] = defaultdict(list)
    weeks = [issue.date.isocalendar()[:2] for issue in site.issues]
    for issue, (year, week) in zip(site.issues, weeks, strict=True):
        by_week[(year, week)].append(link_to(issue))  # once per issue, not once per mention
    first_year = min((year for year, _ in weeks), default=0)
    result: dict[str, tuple[IssueLink, ...]] = {}
    for issue, (year, week) in zip(site.issues, weeks, strict=True):
        earlier = [
            link
            for back in range(1, year - first_year + 1)
            for link in by_week.get((year - back, week), ())
        ]
        if earlier:
            result[issue.url_path] = tuple(earlier)
    return result
