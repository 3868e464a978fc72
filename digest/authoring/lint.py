"""`digest check`: what a careful editor would point out, without writing a site.

Each rule is a function of the parsed issues that returns problems; the build's
own errors (bad front matter, clashes, template mistakes) come first, from the
same Builder that `digest build` runs, rendered in memory and never written.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from html import unescape
from pathlib import Path
from urllib.parse import unquote

from digest.config import CONTENT_DIR
from digest.errors import DigestError, Problem
from digest.model import Issue, SiteConfig
from digest.text.links import from_folder, is_local, is_relative, site_path
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
    from digest.build.builder import Builder  # the heavy part: only when checking

    builder = Builder(site_dir, drafts=True, future=True, clock=lambda: now)
    try:
        output = builder.build()
    except DigestError as error:
        return CheckReport(error.problems)
    assert builder.config is not None
    issues = list(reversed(output.site.issues))  # oldest first: "earlier" means before
    problems: list[Problem] = []
    for rule in RULES:
        problems.extend(rule(issues, builder.config))
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


@dataclass(frozen=True, slots=True)
class MissingImage:
    """An image of an issue that no file provides."""

    issue: Issue
    line: int
    src: str
    """As the page has it ('/weekly/issues/assets/x.png')."""
    written: str
    """As the author wrote it ('./assets/x.png'), when that differs and can be found."""
    places: tuple[str, ...]
    """Where it was looked for, below the site root ('issues/assets/x.png'); () for an
    image that points outside content/."""

    def message(self, plain: str) -> str:
        """What to say: `plain` ends the message for an image given from the site root
        ('not found in content/ or static/'); relative ones say where it was looked for."""
        if not self.places:
            return (
                f"image {self.written} not found: it points outside content/; put the image "
                "in content/ and give its path from the issue's folder or the site root"
            )
        if self.written == self.src:
            return f"image {self.src} {plain}"
        looked = " or ".join(f"content/{place}" for place in self.places)
        there = "there" if len(self.places) == 1 else "in one of them"
        return f"image {self.written} not found at {looked}; put it {there}"


def missing_images(
    issues: Iterable[Issue], config: SiteConfig, exists: Callable[[str], bool]
) -> Iterator[MissingImage]:
    """Each local cover or image of an issue (an item's, or one in its text) for which
    `exists(path below the site root)` is false, with the spelling and line the author
    wrote it at where that can be found. Shared by build (its notes) and check."""
    content = config.root / CONTENT_DIR
    for issue in issues:
        seen: set[tuple[int, str]] = set()
        source: _Source | None = None
        for src, line, exact, cover in _images_of(issue):
            if not src or not is_local(src) or src.startswith("?") or (line, src) in seen:
                continue
            seen.add((line, src))
            path = site_path(src, config.base_path)
            if path is not None and exists(path):
                continue
            if source is None:
                source = _Source(issue.source.path, content)
            places: tuple[str, ...] = ()
            written, found_line = src, None
            if path is not None:
                places = (path,)
            where = source.find(path, src, line, cover)
            if where is not None:
                found_line, written, places = where
            if not exact and found_line is not None:
                line = found_line
            yield MissingImage(issue, line, src, written, places)


def _images_of(issue: Issue) -> Iterator[tuple[str | None, int, bool, bool]]:
    """(src, line, whether the line is the image's own, whether it is the cover) of each
    image of the issue: the cover at its field, an item's at the item (as the notes have
    always said), one in text at the line of its section or item until found."""
    if "cover" in issue.field_lines:  # else a cover is an image of the text (summaries.py)
        yield issue.cover, issue.field_lines["cover"], True, True
    for src in _img_sources(issue.intro_html):
        yield src, issue.source.line, False, False
    for section in issue.sections:
        line = section.source.line
        for src in _img_sources(section.body_html):
            yield src, line, False, False
        for item in section.items:
            yield item.image, item.source.line, True, False
            for src in _img_sources(item.body_html):
                yield src, item.source.line, True, False
        for group in section.groups:
            for src in _img_sources(group.body_html + group.tail_html):
                yield src, line, False, False


_IMG_SRC = re.compile(r"<img\b[^>]*?\ssrc\s*=\s*(?:\"([^\"]*)\"|'([^']*)'|([^\s>]+))", re.I)
_WORD = re.compile(r"[^\s\"'()<>\[\]=,]+")


def _img_sources(html: str) -> Iterator[str]:
    if "<img" not in html and "<IMG" not in html:
        return
    for match in _IMG_SRC.finditer(html):
        yield unescape(next(group for group in match.groups() if group is not None))


class _Source:
    """An issue file's lines, read only when one of its images is missing, to say the
    image as the author wrote it and where."""

    def __init__(self, path: Path, content: Path) -> None:
        try:
            self.lines = path.read_text(encoding="utf-8-sig", errors="replace").splitlines()
            self.folder: str | None = path.relative_to(content).parent.as_posix()
        except (OSError, ValueError):
            self.lines, self.folder = [], None

    def find(
        self, path: str | None, src: str, line: int, cover: bool
    ) -> tuple[int, str, tuple[str, ...]] | None:
        """(line, spelling, places looked at) of the first relative URL at or after `line`
        (then before it) that names `path`, the file below the site root; for no path (an
        image left as written), of `src` itself."""
        if self.folder is None:
            return None
        name = unquote(path.rsplit("/", 1)[-1] if path is not None else src)
        start = max(line - 1, 0)
        for number in [*range(start, len(self.lines)), *range(start)]:
            text = self.lines[number]
            if name not in unquote(text):
                continue
            for word in _WORD.findall(text):
                if not is_relative(word):
                    continue
                if path is None:
                    if unquote(word) == unquote(src):
                        return number + 1, word, ()
                    continue
                places = [from_folder(word, self.folder)]
                if cover:  # beside the issue, else from the site root
                    places.append(from_folder(word, ""))
                below = [p for place in places if place and (p := site_path(place, "/"))]
                if path in below:
                    return number + 1, word, tuple(dict.fromkeys(below))
        return None


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


def parse_notes(issues: list[Issue], config: SiteConfig | None = None) -> list[Problem]:
    """What the parse noted in each issue (a dropped link, a near-miss key); the build
    prints the same."""
    return [
        Problem(issue.source.path, note.line, note.message, note.level)  # type: ignore[arg-type]
        for issue in issues
        for note in issue.notes
    ]


RULES: tuple[Callable[[list[Issue], SiteConfig], list[Problem]], ...] = (
    parse_notes,
    duplicate_urls,
    link_quality,
    sections,
    local_images,
    dates,
)
