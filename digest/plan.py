"""The render plan: every page of the site, its template and what it shows.

Planning is separate from rendering so that rebuilds can tell which pages an
edit touches, and so that two pages can never be written to one path.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, TypeVar

from digest.errors import Problem
from digest.listings import past_years, section_listings, tag_listings, year_groups
from digest.model import Site

FEED_PATH = "feed.xml"
ATOM_PATH = "atom.xml"
JSON_FEED_PATH = "feed.json"
SECTION_FEED_SIZE = 50
T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class Pagination:
    current: int
    total: int
    prev_path: str | None
    """Newer entries (None on the first page)."""
    next_path: str | None
    """Older entries (None on the last page)."""


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
    entries: Sequence[T], per_page: int, base: str
) -> list[tuple[str, list[T], Pagination]]:
    """Split `entries` into pages at base, base/page/2/, …; always at least one page."""
    chunks = [list(entries[i : i + per_page]) for i in range(0, len(entries), per_page)] or [[]]

    def path(number: int) -> str:
        return base if number == 1 else f"{base}page/{number}/"

    return [
        (
            path(number),
            chunk,
            Pagination(
                current=number,
                total=len(chunks),
                prev_path=path(number - 1) if number > 1 else None,
                next_path=path(number + 1) if number < len(chunks) else None,
            ),
        )
        for number, chunk in enumerate(chunks, start=1)
    ]


def make_plan(site: Site) -> tuple[tuple[OutputPage, ...], list[Problem]]:
    """All pages, in a stable order; a path planned twice is a problem."""
    config = site.config
    issues = site.issues
    newest = issues[0].date if issues else None
    pages: list[OutputPage] = []

    for path, chunk, pagination in paginate(issues, config.paginate, ""):
        title = "" if pagination.current == 1 else str(pagination.current)
        context = {"issues": chunk, "pagination": pagination}
        pages.append(OutputPage(f"{path}index.html", "index.html", title, context, newest))

    past = past_years(site)
    for index, issue in enumerate(issues):
        context = {
            "issue": issue,
            "older": issues[index + 1] if index + 1 < len(issues) else None,
            "newer": issues[index - 1] if index > 0 else None,
            "past": past.get(issue.url_path, ()),
        }
        pages.append(
            OutputPage(
                f"{issue.url_path}index.html", "issue.html", issue.title, context, issue.date
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
        for path, chunk, pagination in paginate(
            listing.entries, config.items_per_page, listing.url_path
        ):
            context = {"listing": listing.info, "entries": chunk, "pagination": pagination}
            pages.append(
                OutputPage(f"{path}index.html", "section_page.html", listing.title, context, latest)
            )
        feed_context = {"listing": listing.info, "entries": listing.entries[:SECTION_FEED_SIZE]}
        pages.append(
            OutputPage(
                f"{listing.url_path}feed.xml", "section_feed.xml", listing.title, feed_context
            )
        )

    tags = tag_listings(site)
    tag_index = {"tags": [tag.info for tag in tags]}
    pages.append(OutputPage("tags/index.html", "tags.html", "", tag_index, newest))
    for tag in tags:
        for path, chunk, pagination in paginate(tag.issues, config.paginate, tag.url_path):
            context = {"tag": tag.info, "issues": chunk, "pagination": pagination}
            pages.append(
                OutputPage(f"{path}index.html", "tag.html", tag.name, context, tag.issues[0].date)
            )

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
