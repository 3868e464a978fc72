"""Pathological issues: each is built (or refused with `path:line: error:`) in a process of
its own, under a 2 GB address-space limit and a generous timeout. Nothing here asserts
a time: a hang fails by the timeout, a blow-up by MemoryError, a segfault by its status.
The measured costs are in docs/robustness.md (`python tests/robustness_cases.py measure`).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from robustness_cases import ISSUE_NAME, run_isolated, write_site

TIMEOUT = 120.0
ISSUE = f"content/issues/{ISSUE_NAME}"
NESTING = "error: quotes and lists nest more than 19 levels deep here"
YAML_NESTING = "error: invalid YAML: lists and mappings nest more than 50 levels deep here"


def assert_clean_refusal(result, where: str, message: str) -> None:
    """Exit status 1 (a segfault would be -11), the problem at its place, no traceback."""
    assert result.returncode == 1, (result.returncode, result.stderr[-2000:])
    assert f"{ISSUE}:{where}: {message}" in result.stderr, result.stderr[-2000:]
    assert "Traceback" not in result.stderr
    assert "internal error" not in result.stderr


@pytest.mark.parametrize(
    ("case", "where", "message"),
    [
        # markdown-it stops at 20 levels and silently drops the rest: a hole, now an error.
        ("quotes-50000", "10", NESTING),
        ("lists-50000", "10", NESTING),
        ("lists-indented-1400", "19", NESTING),
        ("issue-10mb", "1", "error: the file is 10.1 MB, over the 2 MB an issue may have"),
        # libyaml used to segfault (block) or take quadratic time (flow) on these.
        ("yaml-flow-1000000", "3", YAML_NESTING),
        ("yaml-block-100000", "4", YAML_NESTING),
        ("yaml-billion-laughs", "9", "error: invalid YAML: the aliases (*name) here expand"),
    ],
)
def test_pathological_issue_is_refused_at_its_line(
    case: str, where: str, message: str, tmp_path: Path
) -> None:
    write_site(case, tmp_path)
    result = run_isolated("build", tmp_path, TIMEOUT, cwd=tmp_path)
    assert_clean_refusal(result, where, message)
    assert not (tmp_path / "_site").exists()


def test_a_one_megabyte_line_is_built_whole(tmp_path: Path) -> None:
    write_site("line-1mb", tmp_path)
    result = run_isolated("build", tmp_path, TIMEOUT, cwd=tmp_path)
    assert result.returncode == 0, result.stderr[-2000:]
    page = (tmp_path / "_site/issues/1/index.html").read_text(encoding="utf-8")
    assert "a" * 1_000_000 in page
    assert "after the hostile part" in page  # nothing after it was lost


def test_emphasis_soup_is_built(tmp_path: Path) -> None:
    """200,000 unmatched emphasis markers: markdown-it's delimiter runs, no recursion."""
    write_site("emphasis-100000", tmp_path)
    result = run_isolated("build", tmp_path, TIMEOUT, cwd=tmp_path)
    assert result.returncode == 0, result.stderr[-2000:]
    page = (tmp_path / "_site/issues/1/index.html").read_text(encoding="utf-8")
    assert "after the hostile part" in page


@pytest.mark.slow
def test_a_hundred_thousand_items_are_all_read(tmp_path: Path) -> None:
    """Parsed only: the whole build takes ~30 s (measured in docs/robustness.md)."""
    issue = write_site("items-100000", tmp_path)
    result = run_isolated("parse", issue, TIMEOUT)
    assert result.returncode == 0, result.stderr[-2000:]
    assert json.loads(result.stdout) == {"items": 100_000, "sections": 1}


def test_a_huge_sparse_issue_file_is_refused_without_reading_it(tmp_path: Path) -> None:
    """3 GB of holes: reading it whole would pass the 2 GB limit."""
    issue = write_site("line-1mb", tmp_path)
    with issue.open("r+b") as file:
        file.truncate(3 * 1024**3)
    result = run_isolated("build", tmp_path, TIMEOUT, cwd=tmp_path)
    assert_clean_refusal(result, "1", "error: the file is 3072.0 MB, over the 2 MB")


def test_read_issue_refuses_a_huge_file_before_reading_it(tmp_path: Path) -> None:
    """The bounded reader itself (used by fetch and check through inbox.read_issues)."""
    issue = write_site("line-1mb", tmp_path)
    with issue.open("r+b") as file:
        file.truncate(3 * 1024**3)
    result = run_isolated("parse", issue, TIMEOUT)
    assert result.returncode == 1
    assert f"{ISSUE_NAME}:1: error: the file is 3072.0 MB" in result.stderr
    assert "MemoryError" not in result.stderr
