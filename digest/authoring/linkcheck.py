"""`digest check --links`: the archive's external links and images, asked whether they
still work, reported at the line that has them.

The links are read from each issue file's text, not from the parsed model, so each is
reported at its own line and `--fix-moved` can replace exactly the characters the author
wrote; code (fenced blocks, `code spans`) and HTML comments are skipped. The parsed
issues (from the build's parse cache) say which files are issues and their dates.
"""

from __future__ import annotations

import argparse
import os
import re
import sys
import threading
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path
from urllib.parse import urlsplit

from digest.authoring.linkmemory import LinkMemory
from digest.authoring.linkprobe import (
    DEAD,
    FAILING,
    MOVED,
    OK,
    SOFT_404,
    UNCHECKED,
    Prober,
    Verdict,
    request_url,
)
from digest.config import load_config
from digest.errors import DigestError, Problem, display_path
from digest.model import Issue, SiteConfig
from digest.progress import Progress, Report, quiet

DEFAULT_AGE_DAYS = 7
ARCHIVE = "https://web.archive.org/web/{stamp}/{url}"
"""A public web archive's address for the snapshot of `url` nearest to `stamp`
(YYYYMMDD); printed for the author to open, never requested."""

_URL = re.compile(r"""https?://[^\s<>"'`\[\]{}|\\^，。；：！？、（）「」【】《》“”‘’]+""", re.I)
_TRAILING = ".,;:!?*_~"
_CODE_SPAN = re.compile(r"(`+)(?!`).*?(?<!`)\1(?!`)")
_COMMENT = re.compile(r"<!--.*?-->")
_FENCE = re.compile(r"^ {0,3}(`{3,}|~{3,})")


@dataclass(frozen=True, slots=True)
class Link:
    """One external URL as written in an issue file."""

    path: Path
    line: int
    start: int
    """Offset of its first character in the line."""
    written: str
    request: str
    """As it is asked for (request_url)."""


def links_in(text: str, path: Path) -> list[Link]:
    """Every http(s) URL in the text of an issue file, outside code and comments."""
    links: list[Link] = []
    fence: str | None = None
    for number, line in enumerate(text.split("\n"), 1):
        opening = _FENCE.match(line)
        if fence is not None:
            if opening and opening.group(1)[0] == fence[0] and len(opening.group(1)) >= len(fence):
                fence = None
            continue
        if opening:
            fence = opening.group(1)
            continue
        if "://" not in line:
            continue
        visible = _blank(_COMMENT, _blank(_CODE_SPAN, line))
        for match in _URL.finditer(visible):
            written = _trimmed(match.group())
            request = request_url(written)
            if request is not None:
                links.append(Link(path, number, match.start(), written, request))
    return links


def _blank(pattern: re.Pattern[str], line: str) -> str:
    """`line` with what `pattern` matches replaced by spaces, keeping every offset."""
    return pattern.sub(lambda match: " " * len(match.group()), line)


def _trimmed(url: str) -> str:
    """A URL without what follows it in prose or Markdown: a full stop, a `)` closing
    the link around it (one that closes a `(` inside the URL stays), `**`."""
    while url:
        unbalanced = url[-1] == ")" and url.count(")") > url.count("(")
        if url[-1] not in _TRAILING and not unbalanced:
            break
        url = url[:-1]
    return url


@dataclass(frozen=True, slots=True)
class Change:
    """A moved link rewritten by --fix-moved."""

    link: Link
    new: str

    def __str__(self) -> str:
        where = f"{display_path(self.link.path)}:{self.link.line}"
        return f"{where}: fixed: {self.link.written} -> {self.new}"


@dataclass(slots=True)
class LinkReport:
    problems: list[Problem] = field(default_factory=list)
    changes: list[Change] = field(default_factory=list)
    issues: int = 0
    links: int = 0
    urls: int = 0
    """Distinct URLs among the links."""
    remembered: int = 0
    """URLs answered from .digest/links.json without a request."""
    asked: int = 0
    requests: int = 0
    counts: dict[str, int] = field(default_factory=dict)
    """Links by status (dead, moved…)."""

    @property
    def warnings(self) -> int:
        return sum(problem.level == "warning" for problem in self.problems)

    @property
    def summary(self) -> str:
        found = ", ".join(f"{self.counts.get(status, 0)} {status}" for status in _REPORTED)
        return (
            f"checked {self.links} link{'s' if self.links != 1 else ''} "
            f"({self.urls} distinct) in {self.issues} issue{'s' if self.issues != 1 else ''}: "
            f"{found}; {self.remembered} remembered, {self.asked} asked "
            f"in {self.requests} request{'s' if self.requests != 1 else ''}"
        )


_REPORTED = (DEAD, MOVED, SOFT_404, FAILING, UNCHECKED)


def check_links(
    site_dir: Path,
    now: datetime,
    *,
    since: date | None = None,
    chosen: Sequence[str] = (),
    age: timedelta = timedelta(days=DEFAULT_AGE_DAYS),
    recheck: bool = False,
    fix_moved: bool = False,
    prober: Prober | None = None,
    progress: Report = quiet,
) -> LinkReport:
    """Check the external links of the chosen issues (all by default; those dated on or
    after `since`; or `chosen`: numbers, paths, 'latest'), remembering what was learnt."""
    config = load_config(site_dir)
    everything, problems = _issues(config)
    # Only each issue's file and date are needed: the parsed issues can go.
    dated = [(i.source.path, i.date) for i in _select(everything, since, chosen, config)]
    del everything
    prober = prober or Prober()
    report = LinkReport(problems=problems, issues=len(dated))
    found: list[tuple[datetime, Link]] = []
    for path, when in dated:
        try:
            text = path.read_bytes().decode("utf-8-sig")
        except (OSError, UnicodeDecodeError):
            continue  # the parse read it a moment ago; `digest check` reports what changed
        found.extend((when, link) for link in links_in(text, path))
    urls = sorted({link.request for _, link in found})
    report.links, report.urls = len(found), len(urls)

    memory, unreadable = LinkMemory.load(config.root)
    if unreadable:
        report.problems.append(unreadable)
    verdicts: dict[str, Verdict] = {}
    ask: list[str] = []
    for url in urls:
        known = None if recheck else memory.fresh(url, now, age)
        if known is None:
            ask.append(url)
        else:
            verdicts[url] = known
    report.remembered, report.asked = len(verdicts), len(ask)

    lock = threading.Lock()

    def done(url: str, verdict: Verdict) -> None:
        with lock:
            verdicts[url] = verdict
            memory.remember(url, verdict, now)
            progress("checking links", len(verdicts) - report.remembered, len(ask))

    try:
        if ask:
            prober.check_all(ask, done)
    finally:
        report.requests = prober.requests
        if not since and not chosen:
            memory.forget_all_but(set(urls))
        memory.save()

    fixable: list[tuple[Link, str]] = []
    for when, link in found:
        verdict = verdicts.get(link.request) or Verdict(UNCHECKED, reason="not checked")
        if verdict.status == OK:
            continue
        report.counts[verdict.status] = report.counts.get(verdict.status, 0) + 1
        new = _new_address(link.written, verdict.final) if verdict.status == MOVED else None
        if fix_moved and new is not None:
            fixable.append((link, new))
            continue
        report.problems.append(_problem(when, link, verdict, new))
    report.changes = _rewrite(fixable)
    report.problems.sort(key=lambda problem: (str(problem.path), problem.line or 0))
    return report


def _issues(config: SiteConfig) -> tuple[list[Issue], list[Problem]]:
    """Every issue that parses, through the build's parse cache; one that does not is
    skipped with a note (`digest check` says what is wrong with it)."""
    from digest.build.cache import cached_parse
    from digest.build.parallel import parse_encoded
    from digest.content.sources import issue_paths

    jobs = os.cpu_count() or 1
    parsed = cached_parse(
        issue_paths(config), config, lambda missing: parse_encoded(missing, config, jobs)
    )
    issues = [issue for issue in parsed.values() if isinstance(issue, Issue)]
    skipped = [
        Problem(path, None, "not read, so its links are not checked; see `digest check`", "note")
        for path, issue in parsed.items()
        if not isinstance(issue, Issue)
    ]
    return issues, skipped


def _select(
    issues: list[Issue], since: date | None, chosen: Sequence[str], config: SiteConfig
) -> list[Issue]:
    if since is not None:
        return [issue for issue in issues if issue.date.date() >= since]
    if not chosen:
        return issues
    selected: dict[Path, Issue] = {}
    missing: list[str] = []
    for name in chosen:
        matches = _named(issues, name)
        if not matches:
            missing.append(name)
        selected.update((issue.source.path, issue) for issue in matches)
    if missing:
        raise DigestError(
            [
                Problem(
                    None,
                    None,
                    f"no issue '{name}': give an issue's number, its file's path, or 'latest'",
                )
                for name in missing
            ]
        )
    return sorted(selected.values(), key=lambda issue: issue.source.path)


def _named(issues: list[Issue], name: str) -> list[Issue]:
    """The issue `name` means: 'latest' (the newest that is not a draft), a number, or a
    file's path."""
    if name == "latest":
        out = [issue for issue in issues if not issue.draft]
        return [max(out, key=lambda issue: issue.date)] if out else []
    if name.isdigit():
        return [issue for issue in issues if issue.number == int(name)]
    path = Path(name).resolve()
    return [issue for issue in issues if issue.source.path.resolve() == path]


def _new_address(written: str, final: str | None) -> str | None:
    """The address a moved link gets: where the permanent redirects ended, keeping the
    #fragment the author wrote (redirects do not carry it)."""
    if not final:
        return None
    fragment = urlsplit(written).fragment
    return f"{final}#{fragment}" if fragment and "#" not in final else final


def _problem(when: datetime, link: Link, verdict: Verdict, new: str | None) -> Problem:
    """What to say about a link that does not simply work, in an issue dated `when`."""
    url = link.written
    if verdict.status == DEAD:
        archive = ARCHIVE.format(stamp=f"{when:%Y%m%d}", url=url)
        message = (
            f"dead link {url}: {verdict.reason}; "
            f"the web archive's copy from near the issue's date, if it has one: {archive}"
        )
    elif verdict.status == MOVED:
        message = (
            f"{url} moved permanently to {new}; `digest check --links --fix-moved` rewrites it"
        )
    elif verdict.status == SOFT_404:
        message = f"{url} may be gone (a soft 404): {verdict.reason}"
    elif verdict.status == FAILING:
        message = f"{url} does not work: {verdict.reason}"
    else:
        return Problem(link.path, link.line, f"{url} was not checked: {verdict.reason}", "note")
    return Problem(link.path, link.line, message, "warning")


def _rewrite(fixable: list[tuple[Link, str]]) -> list[Change]:
    """Replace each moved link's characters, and nothing else, in its file; each file is
    written whole and renamed into place. A file changed since it was read is left
    alone, its links reported as unchanged."""
    by_file: dict[Path, list[tuple[Link, str]]] = {}
    for link, new in fixable:
        by_file.setdefault(link.path, []).append((link, new))
    changes: list[Change] = []
    for path, edits in by_file.items():
        data = path.read_bytes()
        bom = data.startswith(b"\xef\xbb\xbf")
        lines = data.decode("utf-8-sig").split("\n")
        # From the end of each line, so earlier offsets stay right.
        for link, new in sorted(edits, key=lambda edit: (edit[0].line, -edit[0].start)):
            line = lines[link.line - 1]
            end = link.start + len(link.written)
            if line[link.start : end] != link.written:
                continue
            lines[link.line - 1] = line[: link.start] + new + line[end:]
            changes.append(Change(link, new))
        text = ("\ufeff" if bom else "") + "\n".join(lines)
        temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
        temporary.write_bytes(text.encode("utf-8"))
        os.replace(temporary, path)
    changes.sort(key=lambda change: (str(change.link.path), change.link.line, change.link.start))
    return changes


def run_from_arguments(arguments: argparse.Namespace, now: datetime) -> int:
    """`digest check --links …`: the report on stdout, the tally on stderr, and `check`'s
    exit status (1 for warnings only with --strict)."""
    if not arguments.links:
        raise DigestError(
            Problem(None, None, "ISSUE, --since, --recheck and --fix-moved go with --links")
        )
    if arguments.since and arguments.issues:
        raise DigestError(Problem(None, None, "give either --since or ISSUEs, not both"))
    with Progress() as progress:
        report = check_links(
            arguments.site,
            now,
            since=arguments.since,
            chosen=arguments.issues,
            age=timedelta(days=arguments.max_age),
            recheck=arguments.recheck,
            fix_moved=arguments.fix_moved,
            progress=progress,
        )
    for change in report.changes:
        print(change)
    for problem in report.problems:
        print(problem)
    print(report.summary, file=sys.stderr)
    warnings = report.warnings
    print(
        f"checked: 0 errors, {warnings} warning{'s' if warnings != 1 else ''}"
        + (" (--strict: warnings fail)" if arguments.strict and warnings else ""),
        file=sys.stderr,
    )
    return 1 if arguments.strict and warnings else 0
