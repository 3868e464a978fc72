"""Reading time counts Chinese by characters and English by words."""

from __future__ import annotations

import pytest

from digest.reading import count_text, reading_minutes, text_of_html


@pytest.mark.parametrize(
    ("text", "counts"),
    [
        ("Hello, world! It's 2026.", (0, 4)),
        ("数据库周刊", (5, 0)),
        ("用 Rust 写一个 CLI 工具", (6, 2)),
        ("かなカナ 한국어", (7, 0)),
        ("", (0, 0)),
    ],
)
def test_count_text(text, counts):
    assert count_text(text) == counts


def test_minutes_add_both_scripts():
    assert reading_minutes("字" * 600) == 2
    assert reading_minutes("word " * 400) == 2
    assert reading_minutes("字" * 600 + " word" * 400) == 4
    assert reading_minutes("short") == 1


def test_html_is_reduced_to_text():
    assert text_of_html("<p>A &amp; B<br>数据</p>") == " A & B 数据 "


def test_issue_reading_time(parse):
    body = "## News\n\n- [x](https://x.example/) " + "字" * 900 + "\n"
    issue = parse("---\ntitle: T\ndate: 2026-01-05\n---\n" + body)
    assert issue.reading_minutes == 3
