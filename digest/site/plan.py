"""The render plan: every page of the site, its template and what it shows.

Planning is separate from rendering so that rebuilds can tell which pages an
edit touches, and so that two pages can never be written to one path.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any, TypeVar

from digest.errors import Problem
from digest.model import Issue, Site
from digest.site.listings import (
    REMEMBERED,
    SectionEntry,
    SectionInfo,
    TagInfo,
    link_to,
    past_years,
    section_listings,
    tag_listings,
    year_groups,
)

FEED_PATH = "feed.xml"
ATOM_PATH = "atom.xml"
JSON_FEED_PATH = "feed.json"
FEEDS_PAGE = "feeds/index.html"
"""What a feed is and the site's feeds, each to copy: the page the "RSS" link opens."""
SECTION_FEED_SIZE = 50
T = TypeVar("T")
Info = TypeVar("Info", SectionInfo, TagInfo)
ISSUE_TEMPLATE = "issue.html"
"""The template of each issue's own page: the pages the search index holds."""


@dataclass(frozen=True, slots=True)
class Pagination:
    """Where a page of a listing sits. Nothing here changes when newer entries arrive, so
    the older pages of a growing archive keep their address, their bytes and their cache."""

    number: int | None
    """None on the first page (the newest entries); older pages count from the oldest,
    1 being the oldest."""
    prev_path: str | None
    """Newer entries (None on the first page)."""
    next_path: str | None
    """Older entries (None on the oldest page)."""
    newest: datetime | None = None
    """The date of the page's newest entry, and of its oldest: what the page covers."""
    oldest: datetime | None = None


@dataclass(frozen=True, slots=True)
class OutputPage:
    """One file of the output: where it goes, which template renders it, with what."""

    path: str
    """File path below the output root, '/'-separated, e.g. 'issues/35/index.html'."""
    template: str
    title: str = ""
    context: dict[str, Any] = field(default_factory=dict)
    lastmod: datetime | None = None
    """When what the page shows last changed, for sitemap.xml."""
    listed: bool = True
    """Whether sitemap.xml lists it (the search page, say, is not worth indexing)."""

    @property
    def url_path(self) -> str:
        """The URL path readers use: 'issues/35/' for 'issues/35/index.html'."""
        return self.path.removesuffix("index.html")


@dataclass(frozen=True, slots=True)
class SitemapEntry:
    url_path: str
    lastmod: datetime | None


def paginate(
    entries: Sequence[T], per_page: int, base: str, when: Callable[[T], datetime]
) -> list[tuple[str, Sequence[T], Pagination]]:
    """Split newest-first `entries` into pages, each a slice of them; always at least one
    page.

    The first page, at `base`, shows the newest `per_page` entries. The rest are cut
    into pages counted from the oldest (base/page/1/ is the oldest), so a new issue
    changes the first page and the newest older page only; numbering from the newest,
    as most generators do, would shift every entry of every page each week.
    """
    total = len(entries)
    count = -(-max(0, total - per_page) // per_page)  # pages of older entries

    def path(number: int | None) -> str:
        return base if number is None else f"{base}page/{number}/"

    def span(chunk: Sequence[T]) -> tuple[datetime | None, datetime | None]:
        return (when(chunk[0]), when(chunk[-1])) if chunk else (None, None)

    front = entries[:per_page]
    pages = [(base, front, Pagination(None, None, path(count) if count else None, *span(front)))]
    for number in range(count, 0, -1):
        # Page `number` holds the `per_page` entries after the first (number - 1) * per_page
        # counted from the oldest; sliced from the newest-first entries, newest first.
        stop = total - (number - 1) * per_page
        chunk = entries[max(per_page, total - number * per_page) : stop]
        newer = path(number + 1) if number < count else base
        older_path = path(number - 1) if number > 1 else None
        pages.append((path(number), chunk, Pagination(number, newer, older_path, *span(chunk))))
    return pages


def make_plan(site: Site) -> tuple[tuple[OutputPage, ...], list[Problem]]:
    """All pages, in a stable order; a path planned twice is a problem."""
    REMEMBERED.rotate()
    config = site.config
    issues = site.issues
    newest = issues[0].date if issues else None
    pages: list[OutputPage] = []

    for path, chunk, pagination in paginate(issues, config.paginate, "", _issue_date):
        title = "" if pagination.number is None else str(pagination.number)
        context = {"issues": chunk, "pagination": pagination}
        lastmod = newest if pagination.number is None else pagination.newest
        pages.append(OutputPage(f"{path}index.html", "index.html", title, context, lastmod))

    past = past_years(site)
    for index, issue in enumerate(issues):
        context = {
            "issue": issue,
            "older": link_to(issues[index + 1]) if index + 1 < len(issues) else None,
            "newer": link_to(issues[index - 1]) if index > 0 else None,
            "past": past.get(issue.url_path, ()),
        }
        pages.append(
            OutputPage(
                f"{issue.url_path}index.html", ISSUE_TEMPLATE, issue.title, context, issue.date
            )
        )

    sections = section_listings(site)
    pages.append(
        OutputPage(
            "sections/index.html",
            "sections.html",
            "",
            {"listings": [listing.info for listing in sections]},
            newest,
        )
    )
    for listing in sections:
        latest = listing.entries[0].issue.date if listing.entries else newest
        older_info = _uncounted(listing.info)
        for path, entries, pagination in paginate(
            listing.entries, config.items_per_page, listing.url_path, _entry_date
        ):
            info = listing.info if pagination.number is None else older_info
            context = {"listing": info, "entries": entries, "pagination": pagination}
            lastmod = latest if pagination.number is None else pagination.newest
            pages.append(
                OutputPage(
                    f"{path}index.html", "section_page.html", listing.title, context, lastmod
                )
            )
        feed_context = {"listing": listing.info, "entries": listing.entries[:SECTION_FEED_SIZE]}
        pages.append(
            OutputPage(
                f"{listing.url_path}feed.xml", "section_feed.xml", listing.title, feed_context
            )
        )

    feed_listings = {"listings": [listing.info for listing in sections if listing.entries]}
    pages.append(OutputPage(FEEDS_PAGE, "feeds.html", "", feed_listings, newest))

    tags = tag_listings(site)
    tag_index = {"tags": [tag.info for tag in tags]}
    pages.append(OutputPage("tags/index.html", "tags.html", "", tag_index, newest))
    for tag in tags:
        older_tag = _uncounted(tag.info)
        for path, chunk, pagination in paginate(
            tag.issues, config.paginate, tag.url_path, _issue_date
        ):
            tag_info = tag.info if pagination.number is None else older_tag
            context = {"tag": tag_info, "issues": chunk, "pagination": pagination}
            lastmod = tag.issues[0].date if pagination.number is None else pagination.newest
            pages.append(OutputPage(f"{path}index.html", "tag.html", tag.name, context, lastmod))

    pages.append(
        OutputPage("archive/index.html", "archive.html", "", {"years": year_groups(site)}, newest)
    )
    pages.append(OutputPage("search/index.html", "search.html", listed=False))
    pages.append(OutputPage("404.html", "404.html", "404", {"latest": list(issues[:5])}))

    recent = {"issues": list(issues[: config.feed_limit])}
    pages.append(OutputPage(FEED_PATH, "feed.xml", "", recent))
    pages.append(OutputPage(ATOM_PATH, "atom.xml", "", recent))
    pages.append(OutputPage(JSON_FEED_PATH, "feed.json", "", recent))

    listed = [
        SitemapEntry(page.url_path, page.lastmod)
        for page in pages
        if page.path.endswith("index.html") and page.listed
    ]
    pages.append(OutputPage("sitemap.xml", "sitemap.xml", "", {"pages": listed}))
    pages.append(OutputPage("robots.txt", "robots.txt"))
    return tuple(pages), _collisions(pages)


def _issue_date(issue: Issue) -> datetime:
    return issue.date


def _entry_date(entry: SectionEntry) -> datetime:
    return entry.issue.date


def _uncounted(info: Info) -> Info:
    """The info without its count: an older page says nothing that grows."""
    return replace(info, count=None)


def _collisions(pages: list[OutputPage]) -> list[Problem]:
    seen: dict[str, OutputPage] = {}
    problems: list[Problem] = []
    for page in pages:
        key = page.path.casefold()
        if key in seen:
            problems.append(
                Problem(
                    None,
                    None,
                    f"two pages would be written to {page.path}: "
                    f"'{seen[key].title}' and '{page.title}'; give one of them another slug",
                )
            )
        seen[key] = page
    return problems
