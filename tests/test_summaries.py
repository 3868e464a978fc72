"""Summaries and covers told across the archive: boilerplate openings are skipped."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

from digest.build.pipeline import BuildOptions, build
from digest.model import Issue
from digest.site.summaries import with_summaries_and_covers

OPENING = "这里记录每周值得分享的科技内容，周五发布。本杂志开源，欢迎投稿。"
NOW = datetime(2030, 1, 1, tzinfo=UTC)
ONE_LINK = "## 资讯\n\n- [Link](https://example.org/x)\n"


def weekly(number: int, intro: str, sections: str = "", front: str = "") -> str:
    return (
        f"---\ntitle: 第 {number} 期\ndate: 2026-01-{number:02d}\n{front}---\n"
        f"{intro}\n\n{sections or ONE_LINK}"
    )


def test_an_opening_many_issues_share_is_skipped(parse: Callable[..., Issue]) -> None:
    issues = [
        parse(weekly(n, f"{OPENING}\n\n第 {n} 期想聊聊{topic}。"), f"{n}.md")
        for n, topic in [
            (1, "数据库"),
            (2, "编译器"),
            (3, "缓存"),
            (4, "排版"),
            (5, "终端"),
            (6, "测试"),
        ]
    ]
    assert all(issue.summary.startswith("这里记录") for issue in issues)  # as parsed
    derived = with_summaries_and_covers(issues)
    assert [issue.summary for issue in derived] == [
        "第 1 期想聊聊数据库。",
        "第 2 期想聊聊编译器。",
        "第 3 期想聊聊缓存。",
        "第 4 期想聊聊排版。",
        "第 5 期想聊聊终端。",
        "第 6 期想聊聊测试。",
    ]
    again = with_summaries_and_covers(issues)
    assert all(a is b for a, b in zip(again, derived, strict=True))  # one object per rebuild


def test_an_intro_of_boilerplate_only_falls_back_to_the_first_section(
    parse: Callable[..., Issue],
) -> None:
    sections = (
        "## 封面图\n\n![](/images/lake.png)\n\n湖边的日落。\n\n"
        "## 本周话题\n\n这周在想，为什么会议越来越多。\n\n"
        "## 资讯\n\n- [Link](https://example.org/x)\n"
    )
    issues = [parse(weekly(n, OPENING, sections), f"{n}.md") for n in (1, 2, 3)]
    summaries = {issue.summary for issue in with_summaries_and_covers(issues)}
    assert summaries == {"这周在想，为什么会议越来越多。"}


def test_a_summary_in_front_matter_is_kept(parse: Callable[..., Issue]) -> None:
    issues = [
        parse(weekly(n, OPENING, front="summary: 自己写的摘要。\n" if n == 1 else ""), f"{n}.md")
        for n in (1, 2, 3)
    ]
    derived = with_summaries_and_covers(issues)
    assert derived[0] is issues[0]
    assert derived[0].summary == "自己写的摘要。"


def test_the_cover_is_the_cover_sections_image_else_the_first(
    parse: Callable[..., Issue],
) -> None:
    cover_later = parse(
        weekly(
            1,
            "Intro.",
            "## 资讯\n\n### [A](https://example.org/a)\n\n![a](/images/a.png)\n\nText.\n\n"
            "## 一、封面图\n\n![](/images/cover.png)\n",
        )
    )
    assert cover_later.found_cover == "/images/cover.png"
    first = parse(
        weekly(
            1,
            "Intro.",
            "## 资讯\n\n### [A](https://example.org/a)\n\n![a](/images/a.png)\n\nText.\n",
        )
    )
    assert first.found_cover == "/images/a.png"
    assert with_summaries_and_covers([first])[0].cover == "/images/a.png"
    none = parse(weekly(1, "Intro ![x](data:image/png;base64,AAAA)."))
    assert none.found_cover is None
    chosen = parse(weekly(1, "Intro.", front="cover: /images/own.png\n"))
    assert with_summaries_and_covers([chosen])[0].cover == "/images/own.png"


def test_the_page_says_the_derived_summary_and_cover(make_site: Callable[..., Path]) -> None:
    files = {
        f"content/issues/{n}-w.md": weekly(
            n,
            f"{OPENING}\n\n本期主题是{'甲乙丙'[n - 1]}。",
            "## 资讯\n\n![图](/images/p.png)\n\n- [L](https://example.org/x)\n",
        )
        for n in (1, 2, 3)
    }
    root = make_site(files)
    build(BuildOptions(site_dir=root, out_dir=root / "_site", now=NOW))
    page = (root / "_site" / "issues" / "2" / "index.html").read_text(encoding="utf-8")
    assert '<meta name="description" content="本期主题是乙。">' in page
    assert '<meta property="og:image" content="https://example.org/images/p.png">' in page
    assert 'class="cover"' not in page  # the picture is in the body already
