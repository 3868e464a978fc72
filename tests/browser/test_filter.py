"""The filter box of an issue page matches headings and prose too, not only items.

A weekly whose title word ("Java") is in a section heading and in a paragraph but in no
item title must not be blanked by typing it: the filter hid every section that way.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from digest.build.pipeline import BuildOptions, build

from .conftest import NOW, Tab
from .served import Served, serve
from .test_reader import OpenTab, no_problems, settled

ISSUE = """\
---
title: "第 9 期：Java 三十周年"
date: 2026-11-16
---
本期一起回顾。

## 封面图

这张图拍的是海边的灯塔，摄影师来自青岛。

## Java 三十周年专题

### [Spring Boot 4 发布](https://spring.example.org/boot4)

新版本要求 Kotlin 2 以上。

### [GraalVM 原生镜像](https://graal.example.org/native)

启动时间缩短到毫秒级。

## 业界资讯

- [Rust 每六周发布一个稳定版](https://releases.example.org/)
- [Linux 内核里的 Rust](https://kernel.example.org/rust)

## 开源项目

### [ripgrep](https://github.com/BurntSushi/ripgrep)

grep, but fast.

### [fd](https://github.com/sharkdp/fd)

更友好的 find。
"""


@pytest.fixture(scope="module")
def filter_site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    root = tmp_path_factory.mktemp("filter-site")
    (root / "site.yaml").write_text(
        "title: Filter\nbase_url: https://example.org/\nlanguage: zh-CN\ntimezone: Asia/Shanghai\n",
        encoding="utf-8",
    )
    issues = root / "content" / "issues"
    issues.mkdir(parents=True)
    (issues / "9-java.md").write_text(ISSUE, encoding="utf-8")
    out = root / "_site"
    result = build(BuildOptions(site_dir=root, out_dir=out, now=NOW))
    yield from serve(out, "/", result.config.base_url)


def visible_sections(tab: Tab) -> list[str]:
    return [
        " ".join(text.split())
        for text in tab.page.locator("section.section:not([hidden]) h2").all_inner_texts()
    ]


def type_word(tab: Tab, word: str) -> None:
    box = tab.page.locator("input[type=search][data-filter]")
    box.wait_for(state="visible")
    box.fill("")
    box.press_sequentially(word, delay=20)
    settled(tab.page, "document.querySelector('section.section[hidden]')", f"{word!r} hid nothing")


@pytest.mark.parametrize(
    ("word", "section", "items"),
    [
        ("java", "Java 三十周年专题", ["Spring Boot 4 发布", "GraalVM 原生镜像"]),
        ("灯塔", "封面图", []),
        ("kotlin", "Java 三十周年专题", ["Spring Boot 4 发布"]),
    ],
    ids=["heading-only", "prose-only", "item"],
)
def test_the_filter_keeps_the_section_a_match_is_in(
    word: str, section: str, items: list[str], filter_site: Served, open_tab: OpenTab
) -> None:
    """A word only in a heading shows that section whole; one only in a section's prose
    shows that section; an item's word narrows its section to it. Other sections hide."""
    tab = open_tab(filter_site)
    tab.visit(filter_site.url("issues/9/"))
    type_word(tab, word)
    assert visible_sections(tab) == [section]
    shown = tab.page.locator(
        "section.section:not([hidden]) :is(article.item, li.link-item):not([hidden]) a"
    ).all_inner_texts()
    assert [" ".join(text.split()) for text in shown] == items
    status = tab.page.locator("[data-filter-status]").inner_text()
    assert f"显示 {len(items)} / 6 条" in status, status
    tab.page.keyboard.press("Escape")
    settled(tab.page, "!document.querySelector('section.section[hidden]')", "Escape hid sections")
    no_problems(tab)


def test_a_compact_list_is_filtered_too(filter_site: Served, open_tab: OpenTab) -> None:
    tab = open_tab(filter_site)
    tab.visit(filter_site.url("issues/9/"))
    type_word(tab, "内核")
    assert visible_sections(tab) == ["业界资讯"]
    links = tab.page.locator("li.link-item:not([hidden])").all_inner_texts()
    assert len(links) == 1 and "Linux 内核里的 Rust" in links[0]
    no_problems(tab)


def test_the_filter_box_is_in_the_page_from_the_start(filter_site: Served) -> None:
    """The box is in the page from the start (no shift when the script runs): shown by a
    class the head sets, not unhidden by the filter script."""
    page = (Path(filter_site.out) / "issues" / "9" / "index.html").read_text(encoding="utf-8")
    assert '<div class="filter" role="search">' in page
