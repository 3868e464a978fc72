"""Reading time counts Chinese by characters and English by words."""

from __future__ import annotations

import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from digest.content.reading import _WORD, count_text, reading_minutes, text_of_html

_ONE_CJK = re.compile(
    r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uac00-\ud7af\U00020000-\U0002fa1f]"
)


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


@given(st.text(alphabet=st.sampled_from("ab9é.'’- 中文かカ한\U00020001\n,"), max_size=60))
def test_count_text_agrees_with_counting_character_by_character(text):
    """count_text splits at runs of CJK for speed; this is what it must still mean."""
    words = _WORD.findall(_ONE_CJK.sub(" ", text))
    assert count_text(text) == (len(_ONE_CJK.findall(text)), len(words))


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
