"""`digest new`: the next issue's file, with its number, date and section headings.

With `--from-inbox`, the candidates `digest fetch` collected are placed under
their sections (or under an Inbox section to sort) and moved out of the inbox
into `.digest/inbox-used/`, so nothing is lost if the author changes their mind:
a name used there before gets a number, and the whole run is all or nothing.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

import yaml

from digest.authoring.inbox import link_url, markdown_text, read_inbox_file
from digest.config import CONTENT_DIR, load_config
from digest.content.frontmatter import normalize_text, split_front_matter
from digest.content.markdown import make_markdown
from digest.content.parse import decode, parse_issue, read_issue
from digest.content.sources import INBOX_DIR, ISSUES_DIR, issue_paths
from digest.errors import DigestError, Problem
from digest.model import Issue, SiteConfig
from digest.text.slug import slugify
from digest.text.urls import url_problem
from digest.text.yamltext import load_yaml

INBOX_HEADING = "Inbox"
USED_INBOX = Path(".digest") / "inbox-used"
JOURNAL = Path(".digest") / "new-from-inbox.json"
"""What a `digest new --from-inbox` is doing: the issue it writes and the candidate files
it moves, so that a run killed half-way is finished (or undone) by the next."""


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
    finished = finish_interrupted(config)
    if finished is not None and from_inbox:  # the run that was killed is done now
        return finished
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
    created = NewIssue(path, number, when, len(candidates))
    write_issue(config, created, text, [candidate.path for candidate in candidates])
    return created


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
            text = normalize_text(decode(read_inbox_file(path, config.root), path))
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
        except OSError as error:
            problems.append(Problem(path, None, f"cannot read the file: {error.strerror}"))
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
    """The candidate as a list entry: its one link, then its summary (Markdown already)
    as a paragraph of the entry. A list, not `### [title](url)` headings: a linked
    heading over nothing, or over a sentence ending in ':', heads a group of items."""
    lines = [f"- [{markdown_text(candidate.title)}](<{link_url(candidate.url)}>)", ""]
    if candidate.summary:
        lines += [f"  {line}" if line.strip() else "" for line in candidate.summary.split("\n")]
        lines.append("")
    return lines


# -- writing the issue and moving the candidates, all or nothing ------------------------


def write_issue(config: SiteConfig, created: NewIssue, text: str, taken: list[Path]) -> None:
    """Write the issue file (never over another) and move the `taken` inbox files into
    .digest/inbox-used/ (a name used there before gets a number: nothing is overwritten).

    All or nothing, even when killed: the issue is written aside, the plan is saved in
    .digest/new-from-inbox.json, and the issue appearing under its name is the commit.
    Killed before it, the next `digest new` removes what was written aside; after it,
    the next one finishes the moves (`finish_interrupted`).
    """
    path = created.path
    path.parent.mkdir(parents=True, exist_ok=True)
    if not taken:
        with path.open("x", encoding="utf-8") as handle:  # "x": never overwrite
            handle.write(text)
        return
    root = config.root
    used = root / USED_INBOX
    used.mkdir(parents=True, exist_ok=True)
    aside = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    with aside.open("w", encoding="utf-8") as handle:
        handle.write(text)
        handle.flush()
        os.fsync(handle.fileno())
    chosen: set[str] = set()
    moves = []
    for source in taken:
        target = _free_name(used, source.name, chosen)
        chosen.add(target.name)
        moves.append([_relative(source, root), _relative(target, root)])
    plan = {
        "issue": _relative(path, root),
        "aside": _relative(aside, root),
        "number": created.number,
        "date": created.date.isoformat(),
        "moves": moves,
    }
    _save_journal(root / JOURNAL, plan)
    try:
        _commit(aside, path)
    except DigestError:  # the name is taken: nothing was done
        aside.unlink(missing_ok=True)
        (root / JOURNAL).unlink()
        raise
    _finish(root, plan)


def finish_interrupted(config: SiteConfig) -> NewIssue | None:
    """Finish a `digest new --from-inbox` that was killed after writing its issue (the
    candidates it placed leave the inbox) and return that issue; undo one killed before
    (the issue written aside is removed, the inbox stays as it was) and return None."""
    root = config.root
    journal = root / JOURNAL
    try:
        plan = json.loads(journal.read_text(encoding="utf-8"))
        issue, aside = _inside(root, plan["issue"]), _inside(root, plan["aside"])
        for pair in plan["moves"]:
            _inside(root, pair[0]), _inside(root, pair[1])
        finished = NewIssue(issue, int(plan["number"]), date.fromisoformat(plan["date"]), 0)
    except FileNotFoundError:
        return None
    except (OSError, ValueError, KeyError, TypeError, IndexError):
        raise DigestError(
            Problem(
                journal,
                None,
                "an interrupted `digest new --from-inbox` left this file, and it cannot be "
                "read; check content/inbox/ and content/issues/, then delete it",
            )
        ) from None
    if not os.path.lexists(issue):
        aside.unlink(missing_ok=True)
        journal.unlink()
        return None
    _finish(root, plan)
    return NewIssue(finished.path, finished.number, finished.date, len(plan["moves"]))


def _finish(root: Path, plan: dict) -> None:
    """Move every candidate of the plan that is still in the inbox; then forget the plan.
    Each step can be done again, so a run killed here is finished by the next."""
    (root / plan["aside"]).unlink(missing_ok=True)
    for source_name, target_name in plan["moves"]:
        source, target = root / source_name, root / target_name
        if not os.path.lexists(source):
            continue  # moved already
        if os.path.lexists(target) and not _same_file(source, target):
            target = _free_name(target.parent, target.name, set())
        _move(source, target)
    (root / JOURNAL).unlink()


def _commit(aside: Path, path: Path) -> None:
    """Give the issue written aside its name, never replacing a file of that name."""
    try:
        os.link(aside, path)
    except FileExistsError:
        raise DigestError(
            Problem(path, None, "already exists; pass another --title, or edit that file")
        ) from None
    except OSError:  # a file system without hard links
        if os.path.lexists(path):
            raise DigestError(
                Problem(path, None, "already exists; pass another --title, or edit that file")
            ) from None
        os.replace(aside, path)
        return
    aside.unlink()


def _move(source: Path, target: Path) -> None:
    """Move a file without ever replacing one: a hard link, then the old name removed."""
    target.parent.mkdir(parents=True, exist_ok=True)
    try:
        if not os.path.lexists(target):
            os.link(source, target, follow_symlinks=False)
    except FileExistsError:
        _move(source, _free_name(target.parent, target.name, set()))
        return
    except OSError:  # a file system without hard links
        os.replace(source, target)
        return
    source.unlink()


def _same_file(one: Path, other: Path) -> bool:
    try:
        a, b = os.lstat(one), os.lstat(other)
    except OSError:
        return False
    return (a.st_dev, a.st_ino) == (b.st_dev, b.st_ino)


def _free_name(folder: Path, name: str, taken: set[str]) -> Path:
    """`name` in `folder`, or 'name-2.md', 'name-3.md'… when it is used (or in `taken`)."""
    stem, suffix = os.path.splitext(name)
    for number in range(1, 1_000_000):
        candidate = name if number == 1 else f"{stem}-{number}{suffix}"
        if candidate not in taken and not os.path.lexists(folder / candidate):
            return folder / candidate
    raise DigestError(Problem(folder, None, f"no free name for {name} here; tidy the folder"))


def _save_journal(path: Path, plan: dict) -> None:
    """Written whole, synced and renamed into place: read back whole or not at all."""
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    with temporary.open("w", encoding="utf-8") as handle:
        json.dump(plan, handle, ensure_ascii=False, indent=1)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(temporary, path)


def _relative(path: Path, root: Path) -> str:
    return path.relative_to(root).as_posix()


def _inside(root: Path, relative: object) -> Path:
    """A path of the journal, refused unless it stays inside the site."""
    if not isinstance(relative, str) or relative.startswith("/") or ".." in relative.split("/"):
        raise ValueError(relative)
    return root / relative


def today_in(config: SiteConfig) -> date:
    """Today's date where the author lives (site.yaml timezone)."""
    return datetime.now(ZoneInfo(config.timezone)).date()
