"""Issue numbers from titles, and numbers, dates and slugs from file names."""

from __future__ import annotations

from datetime import date

import pytest

from digest.content.numbering import number_from_title, stem_parts


@pytest.mark.parametrize(
    ("title", "number"),
    [
        ("科技爱好者周刊（第 350 期）：一个标题", 350),
        ("第35期", 35),
        ("第 007 期：开篇", 7),
        ("This Week in Rust 632", 632),
        ("These Weeks in Rust 20", 20),
        ("This Week in Widgets 12: a quiet week", 12),
        ("Weekly 45", 45),
        ("Go Weekly 45 – generics", 45),
        ("科技爱好者周刊350", 350),
        ("Issue #12", 12),
        ("Issue 12: Fast pages", 12),
        ("Issue No. 8", 8),
        ("No. 7", 7),
        ("Nº 9", 9),
        ("№ 10", 10),
        ("Vol. 3", 3),
        ("Volume 4", 4),
        ("Vol. 3, No. 7", 7),
        ("#123", 123),
        ("Widget news #5, the summer one", 5),
        ("Episode 5: guests", 5),
        ("EP05", 5),
        ("＃１２ 全角", 12),
        # Not issue numbers.
        ("Best of 2025", None),
        ("Weekly news 2025", None),
        ("What's new in Python 3", None),
        ("Weekly news: Python 3", None),
        ("Weekly roundup: 5 tools", None),
        ("C# 12 is out", None),
        ("Rust 1.80 released", None),
        ("Top 10 tools", None),
        ("No 1 fan", None),
        ("Step 3 of the migration", None),
        ("第二期：数据库", None),
        ("First issue: hello", None),
        ("", None),
    ],
)
def test_number_from_title(title, number):
    assert number_from_title(title) == number


@pytest.mark.parametrize(
    ("stem", "folders", "expected"),
    [
        (
            "2025-12-31-this-week-in-rust",
            (),
            (date(2025, 12, 31), None, "2025-12-31-this-week-in-rust"),
        ),
        ("2025-5-3-x", (), (date(2025, 5, 3), None, "2025-05-03-x")),
        ("2025-05-03", (), (date(2025, 5, 3), None, "2025-05-03")),
        ("2026-02-30-x", (), (None, None, "2026-02-30-x")),
        ("12-slow-queries", (), (None, 12, "slow-queries")),
        ("99-自驾回家", (), (None, 99, "自驾回家")),
        ("0012", (), (None, 12, "")),
        ("issue-350", (), (None, 350, "issue-350")),
        ("weekly45", (), (None, 45, "weekly45")),
        ("rust-2024", (), (None, None, "rust-2024")),
        ("数据库-周刊", (), (None, None, "数据库-周刊")),
        ("12", ("2024",), (None, None, "2024-12")),
        ("12-slow", ("2024", "q4"), (None, None, "2024-q4-12-slow")),
        ("2024-05-03-notes", ("2024",), (date(2024, 5, 3), None, "2024-05-03-notes")),
    ],
)
def test_stem_parts(stem, folders, expected):
    parts = stem_parts(stem, folders)
    assert (parts.date, parts.number, parts.slug) == expected


def test_a_number_in_a_plain_folder_counts_and_in_a_year_folder_does_not():
    assert stem_parts("#98-潮流建筑", ("md",)).number == 98
    assert stem_parts("issue-350", ("docs",)).number == 350
    assert stem_parts("12", ("2024",)).number is None
    assert stem_parts("12", ("2024",)).slug == "2024-12"
