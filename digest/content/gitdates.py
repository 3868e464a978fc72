"""The date a file was first committed to git: the date of an issue that gives none.

Hugo users know it as `:git` dates (enableGitInfo). One `git log` reads the whole
repository's history, once per process and only when an issue needs it; each file's
date is its oldest add, carried across renames (a file moved into a year folder keeps
its date). The author date is used: a rebase or a cherry-pick keeps it.

No git binary, a folder outside any repository, a file not committed: no date, and
the issue's error says how to give one.
"""

from __future__ import annotations

import os
import subprocess
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

_TIMEOUT = 120
"""Seconds one `git` call may take; a history larger than that is no history to us."""


@dataclass(slots=True)
class _Repository:
    top: Path
    git_dir: Path
    dates: dict[str, datetime] | None = None
    """Paths relative to `top` (POSIX) -> first add; None until a file asks."""
    seen: tuple[int, int] | None = None
    """logs/HEAD's (mtime, size) when `dates` was read: a commit since changes it."""


@dataclass(slots=True)
class _State:
    repositories: dict[Path, _Repository] = field(default_factory=dict)
    """Folder -> the repository it is in. A folder in none is asked again each time: only
    an issue that is an error without a date asks."""
    tops: dict[Path, _Repository] = field(default_factory=dict)
    """Each repository once, whichever folders of it are asked about."""
    log_calls: int = 0


_STATE = _State()


def first_commit_date(path: Path) -> datetime | None:
    """When `path` was first committed (its author date, with the author's offset), or
    None when it is not committed, not in a repository, or git is missing."""
    try:
        absolute = Path(os.path.realpath(path))
    except (OSError, ValueError):
        return None
    repository = _repository(absolute.parent)
    if repository is None:
        return None
    try:
        relative = absolute.relative_to(repository.top).as_posix()
    except ValueError:
        return None
    if repository.dates is None or (relative not in repository.dates and _head_moved(repository)):
        repository.seen = _head_stamp(repository)
        repository.dates = _read_log(repository.top)
    return repository.dates.get(relative)


def reset() -> None:
    """Forget what was read (for tests, and for a long-running process that must)."""
    _STATE.repositories.clear()
    _STATE.tops.clear()
    _STATE.log_calls = 0


def log_calls() -> int:
    """How many times this process read a repository's history."""
    return _STATE.log_calls


def _repository(folder: Path) -> _Repository | None:
    if folder in _STATE.repositories:
        return _STATE.repositories[folder]
    output = _git(folder, "rev-parse", "--show-toplevel", "--absolute-git-dir")
    repository = None
    if output is not None:
        lines = os.fsdecode(output).splitlines()
        if len(lines) >= 2 and lines[0]:
            top = Path(os.path.realpath(lines[0]))
            repository = _STATE.tops.setdefault(top, _Repository(top, Path(lines[1])))
    if repository is not None:  # none yet may change (git init); asked again, rarely
        _STATE.repositories[folder] = repository
    return repository


def _read_log(top: Path) -> dict[str, datetime]:
    """Every path's oldest add: `git log --reverse` lists commits oldest first, each as
    \\x01<author date>, then NUL-separated status and path(s) (-z: names as they are)."""
    _STATE.log_calls += 1
    output = _git(
        top,
        "log",
        "-z",
        "--reverse",
        "--format=%x01%aI",
        "--name-status",
        "--diff-filter=AR",
        "--find-renames",
    )
    dates: dict[str, datetime] = {}
    if not output:
        return dates
    tokens = output.split(b"\0")
    when: datetime | None = None
    index = 0
    while index < len(tokens):
        token = tokens[index].lstrip(b"\n")
        index += 1
        if token.startswith(b"\x01"):
            try:
                when = datetime.fromisoformat(token[1:].decode("ascii"))
            except ValueError:
                when = None
        elif token[:1] == b"A" and index < len(tokens):
            name = os.fsdecode(tokens[index])
            index += 1
            if when is not None and (name not in dates or when < dates[name]):
                dates[name] = when
        elif token[:1] in (b"R", b"C") and index + 1 < len(tokens):
            old, new = os.fsdecode(tokens[index]), os.fsdecode(tokens[index + 1])
            index += 2
            moved = dates.get(old, when)
            if moved is not None:
                dates.setdefault(new, moved)
    return dates


def _head_stamp(repository: _Repository) -> tuple[int, int] | None:
    try:
        status = (repository.git_dir / "logs" / "HEAD").stat()
    except OSError:
        return None
    return status.st_mtime_ns, status.st_size


def _head_moved(repository: _Repository) -> bool:
    """Whether a commit (or checkout) happened since the history was read: a file that
    was missing from it may be there now. A stat, not a git call."""
    stamp = _head_stamp(repository)
    return stamp is not None and stamp != repository.seen


def _git(folder: Path, *arguments: str) -> bytes | None:
    try:
        result = subprocess.run(
            ["git", "-C", str(folder), *arguments],
            capture_output=True,
            timeout=_TIMEOUT,
            check=False,
            env={**os.environ, "GIT_OPTIONAL_LOCKS": "0", "LC_ALL": "C"},
        )
    except (OSError, subprocess.SubprocessError):
        return None
    return result.stdout if result.returncode == 0 else None
