"""Assembling parsed issues into a site: what is published, in what order, and clashes."""

from __future__ import annotations

import unicodedata
from collections import defaultdict
from datetime import datetime

from digest.errors import Problem
from digest.model import Issue, Site, SiteConfig
from digest.site.summaries import with_summaries_and_covers


def assemble(
    config: SiteConfig,
    issues: list[Issue],
    build_time: datetime,
    *,
    drafts: bool = False,
    future: bool = False,
) -> tuple[Site, list[Problem]]:
    """Drop drafts and future issues (unless asked), sort newest first, find clashes; fill
    in the summaries and covers that are told across the archive (digest.site.summaries)."""
    problems = _clashes(issues)
    published = [
        issue
        for issue in issues
        if (drafts or not issue.draft) and (future or issue.date <= build_time)
    ]
    published.sort(key=lambda issue: (issue.date, issue.number or 0, issue.slug), reverse=True)
    published = with_summaries_and_covers(published)
    return Site(config=config, issues=tuple(published), build_time=build_time), problems


def _clashes(issues: list[Issue]) -> list[Problem]:
    """Two issues with one number, or one output folder, would overwrite each other."""
    problems: list[Problem] = []
    by_number: dict[int, list[Issue]] = defaultdict(list)
    by_path: dict[str, list[Issue]] = defaultdict(list)
    for issue in issues:
        if issue.number is not None:
            by_number[issue.number].append(issue)
        by_path[folder_key(issue.url_path)].append(issue)
    for number, same in by_number.items():
        if len(same) > 1:
            problems.extend(
                _clash(same, f"issue number {number}", "give each issue its own number", "number")
            )
    for same in by_path.values():
        numbers = {issue.number for issue in same}
        if len(same) < 2 or (len(numbers) == 1 and None not in numbers):
            continue  # one number twice: said above
        if numbers == {None}:
            problems.extend(
                _clash(
                    same, f"slug '{same[0].slug}'", "set a different `slug:` in one of them", "slug"
                )
            )
            continue
        # Issue 5, and an issue without a number whose slug is '5': one folder.
        for issue in sorted(same, key=lambda issue: str(issue.source.path)):
            field = "number" if issue.number is not None else "slug"
            problems.append(
                Problem(
                    issue.source.path,
                    issue.field_lines.get(field, issue.source.line),
                    f"the folder {issue.url_path} is also used by {_names(same, issue)}; "
                    "give one of them another `slug:` or `number:`",
                )
            )
    return problems


def folder_key(path: str) -> str:
    """Two paths one file system would take for one: Windows and macOS ignore case, and
    macOS does not tell 'é' from 'e' followed by a combining accent."""
    return unicodedata.normalize("NFC", path).casefold()


def _clash(same: list[Issue], what: str, fix: str, field: str) -> list[Problem]:
    same = sorted(same, key=lambda issue: str(issue.source.path))
    return [
        Problem(
            issue.source.path,
            issue.field_lines.get(field, issue.source.line),
            f"{what} is also used by {_names(same, issue)}; {fix}",
        )
        for issue in same
    ]


def _names(same: list[Issue], issue: Issue) -> str:
    return ", ".join(other.source.path.name for other in same if other is not issue)
