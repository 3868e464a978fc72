"""`digest new`: the next issue's file, with its number, date and section headings.

With `--from-inbox`, the candidates `digest fetch` collected are placed under
their sections (or under an Inbox section to sort) and moved out of the inbox
into `.digest/inbox-used/`, so nothing is lost if the author changes their mind.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

import yaml

from digest.config import CONTENT_DIR, load_config
from digest.errors import DigestError, Problem
from digest.frontmatter import normalize_text, split_front_matter
from digest.inbox import link_url, markdown_text
from digest.markdown import make_markdown
from digest.model import Issue, SiteConfig
from digest.parse import decode, parse_issue, read_issue
from digest.slug import slugify
from digest.sources import INBOX_DIR, ISSUES_DIR, issue_paths
from digest.urls import url_problem
from digest.yamltext import load_yaml

INBOX_HEADING = "Inbox"
USED_INBOX = Path(".digest") / "inbox-used"


@dataclass(frozen=True, slots=True)
class Candidate:
    """One link waiting in content/inbox/."""

    path: Path
    title: str
    url: str
    section: str | None
    summary: str


@dataclass(frozen=True, slots=True)
class NewIssue:
    path: Path
    number: int
    date: date
    candidates: int


def new_issue(
    site_dir: Path,
    today: date | None = None,
    title: str | None = None,
    when: date | None = None,
    from_inbox: bool = False,
) -> NewIssue:
    """Write the next issue file; never overwrites one."""
    config = load_config(site_dir)
    issues = read_issues(config)
    number = 1 + max((issue.number or 0 for issue in issues), default=0)
    when = when or next_publication_day(today or today_in(config), config.weekday)
    waiting = [issue for issue in issues if issue.draft and issue.date.date() == when]
    if waiting:  # a second `digest new` the same week: the draft is there to be finished
        raise DigestError(
            Problem(
                waiting[0].source.path,
                None,
                f"a draft for {when:%Y-%m-%d} already exists; edit it, "
                "or pass --date for another day",
            )
        )
    zh = config.language.lower().startswith("zh")
    title = title or (f"第 {number} 期" if zh else f"Issue {number}")
    name = f"{number}-{slugify(title) or 'weekly'}.md"
    path = config.root / CONTENT_DIR / ISSUES_DIR / name
    if path.exists():
        raise DigestError(
            Problem(path, None, "already exists; pass another --title, or edit that file")
        )
    candidates = read_inbox(config) if from_inbox else []
    text = issue_text(config, title, number, when, candidates)
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("x", encoding="utf-8") as handle:  # "x": never overwrite
        handle.write(text)
    for candidate in candidates:
        used = config.root / USED_INBOX / candidate.path.name
        used.parent.mkdir(parents=True, exist_ok=True)
        shutil.move(candidate.path, used)
    return NewIssue(path, number, when, len(candidates))


def read_issues(config: SiteConfig) -> list[Issue]:
    """Every issue that parses, drafts included: the next number is one more than theirs."""
    md = make_markdown(config.markdown)
    issues = []
    for path in issue_paths(config):
        try:
            issues.append(parse_issue(read_issue(path), path, config, md))
        except DigestError:
            continue
    return issues


def next_publication_day(today: date, weekday: int | None) -> date:
    """The next day (today included) that falls on the configured weekday (0 = Monday)."""
    if weekday is None:
        return today
    return today + timedelta(days=(weekday - today.weekday()) % 7)


def read_inbox(config: SiteConfig) -> list[Candidate]:
    """The candidates in content/inbox/, oldest first; unreadable files are errors."""
    folder = config.root / CONTENT_DIR / INBOX_DIR
    candidates: list[Candidate] = []
    problems: list[Problem] = []
    for path in sorted(folder.glob("*.md")) if folder.is_dir() else []:
        try:
            text = normalize_text(decode(path.read_bytes(), path))
            split = split_front_matter(text, path)
            if isinstance(split, Problem):
                raise DigestError(split)
            if split.dialect != "yaml":  # digest fetch writes YAML; nothing else is a candidate
                raise DigestError(
                    Problem(
                        path,
                        1,
                        "no front matter found; an inbox candidate starts with a '---' line, "
                        "then `title:` and `url:` lines, then a closing '---' line",
                    )
                )
            doc = load_yaml(split.front_matter, path, first_line=split.front_line)
        except DigestError as error:
            problems.extend(error.problems)
            continue
        data = doc.data
        if not isinstance(data, dict) or not data.get("url"):
            problems.append(Problem(path, 2, "an inbox candidate needs `title:` and `url:`"))
            continue
        url = link_url(str(data["url"]).strip())
        if urlsplit(url).scheme.lower() not in ("http", "https") or url_problem(url):
            problems.append(
                Problem(
                    path, doc.line("url"), f"url '{url}' is not an http(s) link; fix or remove it"
                )
            )
            continue
        candidates.append(
            Candidate(
                path=path,
                title=str(data.get("title") or url),
                url=url,
                section=str(data["section"]) if data.get("section") else None,
                summary=split.body.strip(),
            )
        )
    if problems:
        raise DigestError(problems)
    return candidates


def issue_text(
    config: SiteConfig, title: str, number: int, when: date, candidates: list[Candidate]
) -> str:
    """Front matter, then every configured section heading with its candidates."""
    front = yaml.safe_dump(
        {"title": title, "date": when.isoformat(), "number": number, "draft": True, "tags": []},
        allow_unicode=True,
        sort_keys=False,
    )
    lines = ["---", front.rstrip("\n"), "---", ""]
    keys = {spec.key for spec in config.sections}
    for spec in config.sections:
        lines += [f"## {spec.title}", ""]
        for candidate in candidates:
            if candidate.section == spec.key:
                lines += _item(candidate)
    unsorted = [c for c in candidates if c.section not in keys]
    if unsorted:
        lines += [f"## {INBOX_HEADING}", ""]
        for candidate in unsorted:
            lines += _item(candidate)
    return "\n".join(lines).rstrip("\n") + "\n"


def _item(candidate: Candidate) -> list[str]:
    """The candidate's heading, its one link, then its summary (Markdown already)."""
    lines = [f"### [{markdown_text(candidate.title)}](<{link_url(candidate.url)}>)", ""]
    if candidate.summary:
        lines += [candidate.summary, ""]
    return lines


def today_in(config: SiteConfig) -> date:
    """Today's date where the author lives (site.yaml timezone)."""
    return datetime.now(ZoneInfo(config.timezone)).date()
