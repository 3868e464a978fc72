"""The render plan: every page of the site, its template and what it shows.

Planning is separate from rendering so that rebuilds can tell which pages an
edit touches, and so that two pages can never be written to one path.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from digest.errors import Problem
from digest.model import Site

FEED_PATH = "feed.xml"


@dataclass(frozen=True, slots=True)
class Pagination:
    current: int
    total: int
    prev_path: str | None
    """Newer issues."""
    next_path: str | None
    """Older issues."""


@dataclass(frozen=True, slots=True)
class OutputPage:
    """One file of the output: where it goes, which template renders it, with what."""

    path: str
    """File path below the output root, '/'-separated, e.g. 'issues/35/index.html'."""
    template: str
    title: str = ""
    context: dict[str, Any] = field(default_factory=dict)

    @property
    def url_path(self) -> str:
        """The URL path readers use: 'issues/35/' for 'issues/35/index.html'."""
        return self.path.removesuffix("index.html")


def home_path(page: int) -> str:
    return "" if page == 1 else f"page/{page}/"


def make_plan(site: Site) -> tuple[tuple[OutputPage, ...], list[Problem]]:
    """All pages, in a stable order; a path planned twice is a problem."""
    pages: list[OutputPage] = []
    per_page = site.config.paginate
    chunks = [site.issues[i : i + per_page] for i in range(0, len(site.issues), per_page)] or [()]
    for number, chunk in enumerate(chunks, start=1):
        pagination = Pagination(
            current=number,
            total=len(chunks),
            prev_path=home_path(number - 1) if number > 1 else None,
            next_path=home_path(number + 1) if number < len(chunks) else None,
        )
        pages.append(
            OutputPage(
                f"{home_path(number)}index.html",
                "index.html",
                "" if number == 1 else f"{number}",
                {"issues": list(chunk), "pagination": pagination},
            )
        )
    for issue in site.issues:
        older, newer = site.neighbours(issue)
        pages.append(
            OutputPage(
                f"{issue.url_path}index.html",
                "issue.html",
                issue.title,
                {"issue": issue, "older": older, "newer": newer},
            )
        )
    pages.append(OutputPage("404.html", "404.html", "404", {"latest": list(site.issues[:5])}))
    pages.append(
        OutputPage(
            FEED_PATH, "feed.xml", "", {"issues": list(site.issues[: site.config.feed_limit])}
        )
    )
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
