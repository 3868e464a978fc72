"""Dates from git: the first commit of an issue that gives no date of its own."""

from __future__ import annotations

import os
import shutil
import subprocess
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest

from digest.cli import main
from digest.content import gitdates

pytestmark = pytest.mark.skipif(shutil.which("git") is None, reason="needs git")

EIGHT = timezone(timedelta(hours=8))


@pytest.fixture(autouse=True)
def fresh_state(monkeypatch):
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1795392000")  # 2026-11-23
    for name in ("GIT_DIR", "GIT_WORK_TREE", "GIT_INDEX_FILE"):
        monkeypatch.delenv(name, raising=False)
    gitdates.reset()
    yield
    gitdates.reset()


def git(root: Path, *arguments: str, when: str | None = None) -> None:
    env = {
        **os.environ,
        "GIT_AUTHOR_NAME": "Ann",
        "GIT_AUTHOR_EMAIL": "ann@example.org",
        "GIT_COMMITTER_NAME": "Ann",
        "GIT_COMMITTER_EMAIL": "ann@example.org",
        "GIT_CONFIG_GLOBAL": os.devnull,
        "GIT_CONFIG_NOSYSTEM": "1",
    }
    if when:
        env |= {"GIT_AUTHOR_DATE": when, "GIT_COMMITTER_DATE": when}
    subprocess.run(["git", "-C", str(root), *arguments], check=True, env=env, capture_output=True)


def commit(root: Path, message: str, when: str) -> None:
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", message, when=when)


def test_first_commit_date_is_the_oldest_add_and_survives_a_move(tmp_path):
    root = tmp_path / "repo"
    (root / "issues").mkdir(parents=True)
    git(root, "init", "-q")
    first = root / "issues" / "周刊 1.md"  # a space and non-ASCII: -z keeps them whole
    first.write_text("# 周刊 1\n", encoding="utf-8")
    commit(root, "one", "2024-03-04T05:06:07+08:00")
    first.write_text("# 周刊 1\n\nedited\n", encoding="utf-8")
    (root / "issues" / "two.md").write_text("# Two\n", encoding="utf-8")
    commit(root, "two", "2024-04-01T00:00:00+00:00")
    (root / "issues" / "2024").mkdir()
    git(root, "mv", "issues/周刊 1.md", "issues/2024/1.md")
    commit(root, "move", "2024-05-01T00:00:00+00:00")
    (root / "issues" / "new.md").write_text("# New\n", encoding="utf-8")

    moved = root / "issues" / "2024" / "1.md"
    assert gitdates.first_commit_date(moved) == datetime(2024, 3, 4, 5, 6, 7, tzinfo=EIGHT)
    assert gitdates.first_commit_date(root / "issues" / "two.md") == datetime(
        2024, 4, 1, tzinfo=UTC
    )
    assert gitdates.first_commit_date(root / "issues" / "new.md") is None  # not committed
    assert gitdates.log_calls() == 1

    commit(root, "three", "2024-06-01T00:00:00+00:00")  # committed since: read again
    assert gitdates.first_commit_date(root / "issues" / "new.md") == datetime(
        2024, 6, 1, tzinfo=UTC
    )


def test_no_repository_no_date(tmp_path):
    path = tmp_path / "x.md"
    path.write_text("# X\n", encoding="utf-8")
    assert gitdates.first_commit_date(path) is None
    assert gitdates.log_calls() == 0


def test_no_git_binary_no_date(tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", str(tmp_path / "nowhere"))
    assert gitdates.first_commit_date(Path(__file__)) is None


ISSUE_WITHOUT_DATE = """\
# This Week in Widgets 7

Hello.

## News

- [A link](https://example.org/a): why it matters.
"""


def test_build_dates_an_undated_issue_by_its_first_commit(tmp_path, monkeypatch, capsys):
    site = tmp_path / "site"
    issues = site / "content" / "issues"
    issues.mkdir(parents=True)
    (site / "site.yaml").write_text(
        "title: W\nbase_url: https://example.org/\ntimezone: Asia/Shanghai\n", encoding="utf-8"
    )
    (issues / "widgets.md").write_text(ISSUE_WITHOUT_DATE, encoding="utf-8")
    monkeypatch.chdir(site)

    assert main(["build", "--no-search"]) == 1  # not committed yet: the error says what to do
    assert capsys.readouterr().err.startswith(
        "content/issues/widgets.md:1: error: the issue has no date; add `date: YYYY-MM-DD` to "
        "the front matter, start the file name with the date (2026-11-23-my-issue.md), "
        "or commit it to git\n"
    )

    git(site, "init", "-q")
    commit(site, "first issue", "2026-05-04T10:00:00+00:00")
    assert main(["build", "--no-search"]) == 0
    page = (site / "_site" / "issues" / "7" / "index.html").read_text(encoding="utf-8")
    assert "This Week in Widgets 7" in page
    assert "2026-05-04" in page
    assert main(["show", "content/issues/widgets.md", "--json"]) == 0
    shown = capsys.readouterr().out
    assert '"date": "2026-05-04T18:00:00+08:00"' in shown
