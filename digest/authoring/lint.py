"""`digest check`: what a careful editor would point out, without writing a site.

Each rule is a function of the parsed issues that returns problems; the build's
own errors (bad front matter, clashes, template mistakes) come first, from the
same build engine that `digest build` runs, rendered in memory and never written.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from digest.config import CONTENT_DIR
from digest.errors import DigestError, Problem
from digest.model import Issue, SiteConfig
from digest.site.notes import missing_images, parse_notes
from digest.text.urls import normalize_url, tracking_parameters, url_problem

DEFAULT_DRAFT_WEEKS = 4


@dataclass(frozen=True, slots=True)
class CheckReport:
    problems: list[Problem]

    @property
    def errors(self) -> int:
        return sum(problem.level == "error" for problem in self.problems)

    @property
    def warnings(self) -> int:
        return sum(problem.level == "warning" for problem in self.problems)


def check(site_dir: Path, now: datetime, draft_weeks: int = DEFAULT_DRAFT_WEEKS) -> CheckReport:
    """Everything the build would reject, then the warnings, in file and line order."""
    from digest import memory
    from digest.build.engine import Engine, Settings  # the heavy part: only when checking
    from digest.build.output import MemorySink

    engine = Engine(Settings(site_dir, drafts=True, future=True, clock=lambda: now, cache=False))
    try:
        with memory.one_off():
            site = engine.update(None, MemorySink()).site
    except DigestError as error:
        return CheckReport(error.problems)
    issues = list(reversed(site.issues))  # oldest first: "earlier" means before
    problems: list[Problem] = []
    for rule in RULES:
        problems.extend(rule(issues, site.config))
    problems.extend(stale_drafts(issues, now, draft_weeks))
    problems.sort(key=lambda problem: (str(problem.path), problem.line or 0))
    return CheckReport(problems)


def duplicate_urls(issues: list[Issue], config: SiteConfig) -> list[Problem]:
    """The same link twice in one issue, or already published in an earlier one."""
    problems: list[Problem] = []
    published: dict[str, tuple[Issue, int]] = {}
    for issue in issues:
        here: dict[str, int] = {}
        for item in issue.items:
            if not item.url or not item.url.startswith(("http://", "https://")):
                continue
            key = normalize_url(item.url)
            line = item.source.line
            if key in here:
                problems.append(
                    _warn(issue, line, f"{item.url} is already linked at line {here[key]}")
                )
                continue
            here[key] = line
            if key in published and not issue.draft:
                earlier, earlier_line = published[key]
                problems.append(
                    _warn(
                        issue,
                        line,
                        f"{item.url} was already published in "
                        f"'{earlier.title}' ({earlier.source.path.name}:{earlier_line})",
                    )
                )
        if not issue.draft:
            for key, line in here.items():
                published.setdefault(key, (issue, line))
    return problems


def link_quality(issues: list[Issue], config: SiteConfig) -> list[Problem]:
    """Tracking parameters, malformed links, items without a link."""
    problems: list[Problem] = []
    for issue in issues:
        for item in issue.items:
            line = item.source.line
            if not item.url:
                problems.append(_warn(issue, line, f"item '{item.title}' has no link"))
                continue
            reason = url_problem(item.url)
            if reason:
                problems.append(_warn(issue, line, f"malformed link: {reason}"))
                continue
            tracking = tracking_parameters(item.url)
            if tracking:
                names = ", ".join(tracking)
                problems.append(
                    _warn(
                        issue,
                        line,
                        f"{item.url} carries tracking parameters ({names}); remove them",
                    )
                )
    return problems


def sections(issues: list[Issue], config: SiteConfig) -> list[Problem]:
    """Headings with items that match no configured section and recur in no other issue
    (their items reach no section page), and sections with nothing in them."""
    from digest.site.listings import recurring_sections

    problems: list[Problem] = []
    known = ", ".join(spec.title for spec in config.sections)
    recurring = recurring_sections(issues)
    for issue in issues:
        for section in issue.sections:
            line = section.source.line
            if not section.known and section.items and section.key not in recurring:
                problems.append(
                    _warn(
                        issue,
                        line,
                        f"section '{section.heading}' holds items but matches no configured "
                        f"section ({known}) and no heading of another issue; rename it or add "
                        "it to an entry's aliases in site.yaml",
                    )
                )
            if not section.body_html.strip() and not section.groups:
                problems.append(_warn(issue, line, f"section '{section.heading}' is empty"))
    return problems


def local_images(issues: list[Issue], config: SiteConfig) -> list[Problem]:
    """Images that no file in content/ or static/ provides."""
    folders = [config.root / CONTENT_DIR, config.root / "static"]
    return [
        _warn(missing.issue, missing.line, missing.message("not found in content/ or static/"))
        for missing in missing_images(
            issues,
            config,
            lambda relative: any((folder / relative).is_file() for folder in folders),
        )
    ]


def dates(issues: list[Issue], config: SiteConfig) -> list[Problem]:
    """A numbered issue dated before the issue numbered just below it."""
    problems: list[Problem] = []
    numbered = sorted((issue for issue in issues if issue.number is not None), key=_number)
    for previous, issue in itertools.pairwise(numbered):
        if issue.date < previous.date:
            problems.append(
                _warn(
                    issue,
                    issue.field_lines.get("date", 1),
                    f"dated {issue.date:%Y-%m-%d}, before issue {previous.number} "
                    f"({previous.date:%Y-%m-%d}); check the date or the number",
                )
            )
    return problems


def stale_drafts(issues: list[Issue], now: datetime, weeks: int) -> list[Problem]:
    """Drafts dated more than `weeks` weeks ago are probably forgotten."""
    limit = now - timedelta(weeks=weeks)
    return [
        _warn(
            issue,
            issue.field_lines.get("draft", 1),
            f"draft dated {issue.date:%Y-%m-%d} is more than {weeks} weeks old; "
            "publish it or delete it",
        )
        for issue in issues
        if issue.draft and issue.date < limit
    ]


def _number(issue: Issue) -> int:
    return issue.number or 0


def _warn(issue: Issue, line: int, message: str) -> Problem:
    return Problem(issue.source.path, line, message, "warning")


RULES: tuple[Callable[[list[Issue], SiteConfig], list[Problem]], ...] = (
    parse_notes,
    duplicate_urls,
    link_quality,
    sections,
    local_images,
    dates,
)
