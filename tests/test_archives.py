"""How well digest reads real-world archive layouts: fixture sites measured against ground truth.

Each tests/sites/archive-<name>/ imitates how one kind of weekly digest is written
(Pelican headers, front-matter-less Chinese weeklies, Hugo TOML, Docusaurus YAML), with
an `expected.json` saying, for every issue file, what a careful reader finds in it:

    {"<path below content/issues>": {"title": ..., "number": int | null,
                                     "date": "YYYY-MM-DD" | null,
                                     "items": [[section heading as written, url], ...]}}

The items are the link items only: not the intro, links inside prose, "via" credits,
back-links to earlier issues, quotes, calls to action or editors' footers. Items are
compared as multisets of (section heading, url) per issue file and summed per site;
recall and precision must both reach RECALL_MIN / PRECISION_MIN. A failure lists
every missed and every extra item with its file and line.

Sites in GIT_DATED have no dates in their files: the test copies them, commits each
issue in a fresh git repository on its expected date, and expects that date back.
"""

from __future__ import annotations

import html
import json
import os
import re
import shutil
import subprocess
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, time
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from digest.build.parallel import parse_file
from digest.cli import main
from digest.config import load_config
from digest.content.markdown import make_markdown
from digest.content.sources import issue_paths
from digest.errors import Problem
from digest.model import Issue, SiteConfig
from digest.text.slug import fit_segment, slugify

SITES = Path(__file__).parent / "sites"
REPO = Path(__file__).parent.parent
ARCHIVES = sorted(path.name for path in SITES.glob("archive-*") if path.is_dir())
GIT_DATED = {"archive-ruanyf-style"}
"""Sites whose issues carry no date: it comes from the commit that added the file."""
RECALL_MIN = 0.97
PRECISION_MIN = 0.97
BUILD_EPOCH = "1798761600"  # 2027-01-01 UTC: every fixture issue is in the past
_HEADING = re.compile(r"^(#{1,6})[ \t]+(.+?)[ \t]*#*[ \t]*$")
_DEFINITION = re.compile(r"^ {0,3}\[([^\]]+)\]:[ \t]*<?(\S+?)>?(?:[ \t].*)?$")


def test_there_are_archive_sites():
    assert len(ARCHIVES) >= 4, ARCHIVES
    for name in ARCHIVES:
        assert (SITES / name / "site.yaml").is_file(), name
        assert (SITES / name / "expected.json").is_file(), name


# --- preparing and parsing a site -----------------------------------------------------------


def expected_of(name: str) -> dict[str, dict]:
    return json.loads((SITES / name / "expected.json").read_text(encoding="utf-8"))


def _git(site: Path, *args: str, date: str | None = None) -> None:
    env = {
        **os.environ,
        "GIT_CONFIG_GLOBAL": os.devnull,
        "GIT_CONFIG_NOSYSTEM": "1",
        "GIT_AUTHOR_NAME": "Fixture Editor",
        "GIT_AUTHOR_EMAIL": "editor@example.org",
        "GIT_COMMITTER_NAME": "Fixture Editor",
        "GIT_COMMITTER_EMAIL": "editor@example.org",
    }
    if date is not None:
        env["GIT_AUTHOR_DATE"] = env["GIT_COMMITTER_DATE"] = date
    subprocess.run(
        ["git", "-c", "commit.gpgsign=false", "-c", "init.defaultBranch=main", *args],
        cwd=site,
        env=env,
        check=True,
        capture_output=True,
    )


def commit_issues_on_their_dates(site: Path, expected: dict[str, dict]) -> None:
    """A fresh repository in `site`: the rest of the site first, then one commit per
    issue, oldest first, at noon (site time) of its expected date."""
    zone = ZoneInfo(load_config(site).timezone)
    dated = sorted(expected, key=lambda relative: (expected[relative]["date"], relative))
    issues = [f"content/issues/{relative}" for relative in dated]
    _git(site, "init", "-q")
    first = datetime.combine(
        datetime.fromisoformat(expected[dated[0]]["date"]), time(9), zone
    ).isoformat()
    others = [
        path.relative_to(site).as_posix()
        for path in sorted(site.rglob("*"))
        if path.is_file()
        and ".git" not in path.relative_to(site).parts
        and path.relative_to(site).as_posix() not in issues
    ]
    _git(site, "add", "--", *others)
    _git(site, "commit", "-q", "-m", "site set-up", date=first)
    for relative, path in zip(dated, issues, strict=True):
        when = datetime.combine(
            datetime.fromisoformat(expected[relative]["date"]), time(12), zone
        ).isoformat()
        _git(site, "add", "--", path)
        _git(site, "commit", "-q", "-m", f"issue {relative}", date=when)


def prepare(name: str, tmp_path: Path) -> Path:
    """A copy of the fixture site to read or build (with its git history where needed)."""
    site = tmp_path / name
    shutil.copytree(SITES / name, site)
    if name in GIT_DATED:
        commit_issues_on_their_dates(site, expected_of(name))
    return site


def parse_site(site: Path) -> tuple[SiteConfig, dict[str, Issue | list[Problem]]]:
    """Every issue file of the site, parsed as the build parses it, by relative path."""
    config = load_config(site)
    md = make_markdown(config.markdown)
    folder = config.root / "content" / "issues"
    return config, {
        path.relative_to(folder).as_posix(): parse_file(path, config, md)
        for path in issue_paths(config)
    }


def shown(name: str, relative: str, line: int | None = None) -> str:
    """Where a developer finds the issue file: its path in the repository, and line."""
    path = (SITES / name / "content" / "issues" / relative).relative_to(REPO).as_posix()
    return f"{path}:{line}" if line else path


def _problems_text(problems: list[Problem]) -> str:
    return "; ".join(f"line {p.line}: {p.message}" if p.line else p.message for p in problems)


# --- title, number and date ------------------------------------------------------------------


@pytest.mark.parametrize("name", ARCHIVES)
def test_titles_numbers_and_dates(name, tmp_path):
    site = prepare(name, tmp_path)
    expected = expected_of(name)
    config, parsed = parse_site(site)
    zone = ZoneInfo(config.timezone)
    wrong: list[str] = []
    for relative in sorted(set(expected) - set(parsed)):
        wrong.append(f"{shown(name, relative)}: in expected.json but not found as an issue")
    for relative in sorted(set(parsed) - set(expected)):
        wrong.append(f"{shown(name, relative)}: an issue file expected.json does not describe")
    for relative in sorted(set(expected) & set(parsed)):
        truth, issue = expected[relative], parsed[relative]
        where = shown(name, relative)
        if not isinstance(issue, Issue):
            wrong.append(f"{where}: not parsed: {_problems_text(issue)}")
            continue
        if issue.title != truth["title"]:
            wrong.append(f"{where}: title {issue.title!r}, expected {truth['title']!r}")
        if issue.number != truth["number"]:
            wrong.append(f"{where}: number {issue.number!r}, expected {truth['number']!r}")
        if truth["date"] is not None:
            found = issue.date.astimezone(zone).date().isoformat()
            if found != truth["date"]:
                wrong.append(f"{where}: date {found} ({config.timezone}), expected {truth['date']}")
    assert not wrong, f"{name}: {len(wrong)} wrong title/number/date:\n  " + "\n  ".join(wrong)


# --- items -----------------------------------------------------------------------------------


def _key(heading: str, url: str | None) -> tuple[str, str | None]:
    return " ".join(heading.split()), url


@dataclass
class FileScore:
    relative: str
    expected: int
    found: int
    matched: int
    missing: list[str] = field(default_factory=list)
    extra: list[str] = field(default_factory=list)


def _line_of(lines: list[str], heading: str, url: str, taken: set[int]) -> int | None:
    """The file line of an expected item: the first line after its section heading that
    holds the URL, or a reference to it (`[title][3]` with `[3]: url` further down)."""
    labels = [
        match.group(1).casefold()
        for text in lines
        if (match := _DEFINITION.match(text)) and match.group(2) == url
    ]
    needles = [url, *(f"][{label}]" for label in labels)]
    start = 0
    for number, text in enumerate(lines):
        match = _HEADING.match(text)
        if match and " ".join(match.group(2).split()) == heading:
            start = number
            break
    for begin in (start, 0):
        for number in range(begin, len(lines)):
            text = lines[number].casefold()
            if number + 1 not in taken and any(needle in text for needle in needles):
                taken.add(number + 1)
                return number + 1
    return None


def score_file(name: str, relative: str, truth: dict, parsed: Issue | list[Problem], text: str):
    wanted = [_key(heading, url) for heading, url in truth["items"]]
    if isinstance(parsed, Issue):
        found = [
            (_key(section.heading, item.url), item)
            for section in parsed.sections
            for item in section.items
        ]
    else:
        found = []
    want_count = Counter(wanted)
    found_count = Counter(key for key, _ in found)
    matched = sum((want_count & found_count).values())
    score = FileScore(relative, len(wanted), len(found), matched)

    lines = text.split("\n")
    taken: set[int] = set()
    short = want_count - found_count
    for heading, url in wanted:  # in the file's order
        if short[(heading, url)] > 0:
            short[(heading, url)] -= 1
            line = _line_of(lines, heading, url or "", taken)
            score.missing.append(f"{shown(name, relative, line)}: [{heading}] {url}")
    surplus = found_count - want_count
    for key, item in found:
        if surplus[key] > 0:
            surplus[key] -= 1
            heading, url = key
            link = url if url is not None else "(no link)"
            score.extra.append(
                f"{shown(name, relative, item.source.line)}: [{heading}] {link} {item.title!r}"
            )
    return score


def _ratio(part: int, whole: int) -> float:
    return part / whole if whole else 1.0


def items_report(name: str, scores: list[FileScore], failures: list[str]) -> str:
    expected = sum(score.expected for score in scores)
    found = sum(score.found for score in scores)
    matched = sum(score.matched for score in scores)
    out = [
        f"{name}: recall {_ratio(matched, expected):.3f} ({matched}/{expected} expected items "
        f"found; need {RECALL_MIN}), precision {_ratio(matched, found):.3f} ({matched}/{found} "
        f"found items expected; need {PRECISION_MIN})",
        "per issue file (matched / expected / found):",
    ]
    out += [f"  {shown(name, s.relative)}: {s.matched} / {s.expected} / {s.found}" for s in scores]
    if failures:
        out.append("not parsed (all their items count as missing):")
        out += [f"  {failure}" for failure in failures]
    missing = [line for score in scores for line in score.missing]
    extra = [line for score in scores for line in score.extra]
    out.append(f"missing ({len(missing)}; expected, not found as [section] url):")
    out += [f"  {line}" for line in missing]
    out.append(f"extra ({len(extra)}; found, not expected):")
    out += [f"  {line}" for line in extra]
    return "\n".join(out)


@pytest.mark.parametrize("name", ARCHIVES)
def test_link_items_recall_and_precision(name, tmp_path):
    site = prepare(name, tmp_path)
    expected = expected_of(name)
    config, parsed = parse_site(site)
    folder = config.root / "content" / "issues"
    scores: list[FileScore] = []
    failures: list[str] = []
    for relative in sorted(set(expected) | set(parsed)):
        truth = expected.get(relative, {"items": []})
        issue = parsed.get(relative, [Problem(folder / relative, None, "not found as an issue")])
        if not isinstance(issue, Issue):
            failures.append(f"{shown(name, relative)}: {_problems_text(issue)}")
        path = folder / relative
        text = path.read_text(encoding="utf-8") if path.is_file() else ""
        scores.append(score_file(name, relative, truth, issue, text))
    expected_total = sum(score.expected for score in scores)
    found_total = sum(score.found for score in scores)
    matched = sum(score.matched for score in scores)
    recall = _ratio(matched, expected_total)
    precision = _ratio(matched, found_total)
    assert recall >= RECALL_MIN and precision >= PRECISION_MIN, items_report(name, scores, failures)


# --- end to end ------------------------------------------------------------------------------


def recurring_headings(expected: dict[str, dict]) -> dict[str, list[str]]:
    """Section headings holding expected items in two or more issues -> their item URLs."""
    files: dict[str, set[str]] = {}
    urls: dict[str, list[str]] = {}
    for relative, truth in expected.items():
        for heading, url in truth["items"]:
            heading = " ".join(heading.split())
            files.setdefault(heading, set()).add(relative)
            urls.setdefault(heading, []).append(url)
    return {heading: urls[heading] for heading, where in files.items() if len(where) >= 2}


def one_off_headings(site: Path, expected: dict[str, dict]) -> set[str]:
    """`#`/`##` headings written in one issue only, with no link items under them: the
    essays and other one-off prose of an issue, which are no section of the digest."""
    seen: dict[str, set[str]] = {}
    for relative in expected:
        text = (site / "content" / "issues" / relative).read_text(encoding="utf-8")
        fenced = False
        for line in text.split("\n"):
            if line.startswith(("```", "~~~")):
                fenced = not fenced
            match = None if fenced else _HEADING.match(line)
            if match and len(match.group(1)) <= 2:
                seen.setdefault(" ".join(match.group(2).split()), set()).add(relative)
    with_items = {" ".join(h.split()) for truth in expected.values() for h, _ in truth["items"]}
    titles = {" ".join(truth["title"].split()) for truth in expected.values()}
    return {
        heading
        for heading, where in seen.items()
        if len(where) == 1 and heading not in with_items and heading not in titles
    }


@pytest.mark.parametrize("name", ARCHIVES)
def test_build_writes_issue_and_section_pages(name, tmp_path, monkeypatch, capsys):
    site = prepare(name, tmp_path)
    expected = expected_of(name)
    out = tmp_path / "out"
    monkeypatch.setenv("SOURCE_DATE_EPOCH", BUILD_EPOCH)
    code = main(["build", "--site", str(site), "--out", str(out), "--no-search"])
    captured = capsys.readouterr()
    assert code == 0, f"{name}: digest build exited {code}:\n{captured.err}{captured.out}"

    wrong: list[str] = []
    for relative, truth in sorted(expected.items()):
        if (
            truth["number"] is not None
            and not (out / f"issues/{truth['number']}/index.html").is_file()
        ):
            wrong.append(f"{shown(name, relative)}: no page issues/{truth['number']}/index.html")
    pages = {
        path.relative_to(out).as_posix(): path.read_text(encoding="utf-8")
        for path in (out / "sections").rglob("index.html")
    }
    index = pages.get("sections/index.html")
    if index is None:
        wrong.append("no sections/index.html")
    listed = "\n".join(text for path, text in pages.items() if path != "sections/index.html")
    for heading, urls in sorted(recurring_headings(expected).items()):
        if not any(f'href="{html.escape(url)}"' in listed for url in urls):
            wrong.append(f"section {heading!r}: none of its {len(urls)} items on a section page")
    for heading in sorted(one_off_headings(site, expected)):
        key = fit_segment(slugify(heading), "section")
        as_link = re.compile(rf">\s*{re.escape(html.escape(heading, quote=False))}\s*</a>")
        if (key and f"sections/{key}/index.html" in pages) or (index and as_link.search(index)):
            wrong.append(f"one-off heading {heading!r} has a section page")
    assert not wrong, f"{name}: build output:\n  " + "\n  ".join(wrong)
