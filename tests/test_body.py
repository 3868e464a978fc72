"""The section and item parser, on every form authors use."""

from __future__ import annotations

import pytest

FRONT = "---\ntitle: T\ndate: 2026-11-02\n---\n"


def shape(issue) -> list[tuple[str, list[tuple[str, str | None]]]]:
    return [
        (section.key, [(item.title, item.url) for item in section.items])
        for section in issue.sections
    ]


def test_heading_items_with_and_without_links(parse):
    issue = parse(
        FRONT + "Intro text.\n\n## News\n\n### [Rust 2.0 plans](https://example.com/rust)\n\n"
        "Summary one.\n\n### A heading without a link\n\nSummary two.\n\n### With its URL\n\n"
        "<https://example.com/url>\n\nSummary three.\n"
    )
    # A heading without a link, and no URL under it, is a sub-heading over prose.
    assert shape(issue) == [
        (
            "news",
            [
                ("Rust 2.0 plans", "https://example.com/rust"),
                ("With its URL", "https://example.com/url"),
            ],
        )
    ]
    assert "Intro text." in issue.intro_html
    first, second = issue.sections[0].items
    assert first.body_html.strip() == "<p>Summary one.</p>"
    assert second.body_html.strip() == "<p>Summary three.</p>"
    assert (first.source.line, second.source.line) == (9, 17)
    prose = issue.sections[0].groups[1]
    assert (prose.title, prose.size, prose.body_html.strip()) == (
        "A heading without a link",
        0,
        "<p>Summary two.</p>",
    )


def test_list_items_beginning_with_links(parse):
    issue = parse(
        FRONT + "## Tools\n\n"
        "- [ripgrep](https://github.com/BurntSushi/ripgrep) — fast grep, *really*.\n"
        "- **[fd](https://github.com/sharkdp/fd)**: a friendly find.\n"
        "- a note that is not an item\n"
    )
    assert shape(issue) == [
        (
            "tools",
            [
                ("ripgrep", "https://github.com/BurntSushi/ripgrep"),
                ("fd", "https://github.com/sharkdp/fd"),
            ],
        )
    ]
    ripgrep, fd = issue.sections[0].items
    assert ripgrep.body_html.strip() == "<p>fast grep, <em>really</em>.</p>"
    assert fd.body_html.startswith("<p>a friendly find.</p>")
    assert "a note that is not an item" in fd.body_html


def test_ordered_list_with_chinese_colon(parse):
    issue = parse(
        FRONT + "## 一、开源项目\n\n1. [Zola](https://www.getzola.org/)：静态网站生成器。\n"
    )
    (section,) = issue.sections
    assert (section.key, section.heading) == ("open-source", "一、开源项目")
    assert section.items[0].body_html.strip() == "<p>静态网站生成器。</p>"


def test_paragraph_item_takes_following_paragraphs(parse):
    issue = parse(
        FRONT + "## Blogs\n\n[A post](https://a.example/) on caching.\n\nMore about it.\n\n"
        "[Another](https://b.example/) post.\n"
    )
    first, second = issue.sections[0].items
    assert "on caching." in first.body_html and "More about it." in first.body_html
    assert "More about it." not in second.body_html


@pytest.mark.parametrize(
    ("heading", "key"),
    [
        ("业界资讯", "news"),
        ("📰 科技新闻", "news"),
        ("1. News", "news"),
        ("技术博客", "blogs"),
        ("佳文共赏", "blogs"),
        ("(2) 开源项目", "open-source"),
        ("Open Source 🚀", "open-source"),
        ("三、工具推荐", "tools"),
        ("学习资源", "resources"),
        ("资源推荐", "resources"),
        ("  RESOURCES  ", "resources"),
    ],
)
def test_section_aliases(parse, heading, key):
    issue = parse(FRONT + f"## {heading}\n\n- [x](https://x.example/) y\n")
    assert issue.sections[0].key == key
    assert issue.sections[0].known


def test_unknown_heading_kept_in_place_with_its_slug(parse):
    issue = parse(FRONT + "## News\n\ntext\n\n## 本周金句\n\n> 引言\n\n## Tools\n\ntext\n")
    assert [(s.key, s.title, s.known) for s in issue.sections] == [
        ("news", "News", True),
        ("本周金句", "本周金句", False),
        ("tools", "Tools", True),
    ]
    assert "引言" in issue.sections[1].body_html


def test_heading_in_blockquote_is_not_an_item(parse):
    issue = parse(FRONT + "## News\n\n> ### [Quoted](https://q.example/)\n> text\n")
    (section,) = issue.sections
    assert section.items == ()
    assert "<blockquote>" in section.body_html


def test_h1_sections_when_there_is_no_h2(parse):
    issue = parse(
        "---\ndate: 2026-11-02\n---\n# The title\n\nIntro.\n\n# 资讯\n\n## [Item](https://i.example/)\n"
        "\ntext\n\n# 工具\n\n- [t](https://t.example/) tool\n"
    )
    assert issue.title == "The title"
    assert shape(issue) == [
        ("news", [("Item", "https://i.example/")]),
        ("tools", [("t", "https://t.example/")]),
    ]


def test_title_from_leading_h1_is_not_repeated_in_the_intro(parse):
    issue = parse("---\ndate: 2026-11-02\n---\n\n# 第 3 期：数据库\n\n开场白。\n\n## 新闻\n")
    assert issue.title == "第 3 期：数据库"
    assert "第 3 期" not in issue.intro_html
    assert "开场白" in issue.intro_html


def test_first_image_becomes_the_item_image(parse):
    issue = parse(
        FRONT + "## News\n\n### [A](https://a.example/)\n\n![diagram](/images/a.png)\n\nText "
        "with ![inline](/images/b.png) image.\n"
    )
    item = issue.sections[0].items[0]
    assert (item.image, item.image_alt) == ("/images/a.png", "diagram")
    assert "/images/a.png" not in item.body_html
    assert "/images/b.png" in item.body_html


def test_raw_html_image_becomes_the_item_image(parse):
    issue = parse(
        FRONT
        + '## News\n\n### [A](https://a.example/)\n\n<img src="https://c.example/x.png" alt="x">\n'
    )
    assert issue.sections[0].items[0].image == "https://c.example/x.png"


def test_section_text_before_items_is_the_section_body(parse):
    issue = parse(FRONT + "## News\n\nA quiet week.\n\n### [A](https://a.example/)\n\nsummary\n")
    section = issue.sections[0]
    assert "A quiet week." in section.body_html
    assert len(section.items) == 1


def test_code_is_highlighted_with_pygments_classes(parse):
    issue = parse(FRONT + "## Tools\n\n### Tip\n\n```python\nprint('hi')\n```\n")
    body = issue.sections[0].groups[0].body_html
    assert '<pre class="highlight"><code class="language-python">' in body
    assert '<span class="nb">print</span>' in body


def test_unknown_code_language_is_plain_escaped(parse):
    issue = parse(FRONT + "## Tools\n\n### Tip\n\n```nosuchlang\n<b>\n```\n")
    assert "&lt;b&gt;" in issue.sections[0].groups[0].body_html


def test_raw_html_is_kept(parse):
    issue = parse(FRONT + "Press <kbd>Ctrl</kbd><br>now.\n")
    assert "<kbd>Ctrl</kbd><br>" in issue.intro_html


def test_item_anchors_are_unique(parse):
    issue = parse(
        FRONT
        + "## News\n\n### [Same](https://a.example/)\n\nOne.\n\n### [Same](https://b.example/)\n\n"
        "Two.\n"
    )
    assert [item.anchor for item in issue.items] == ["same", "same-2"]


def test_crlf_and_bom_are_fine(parse):
    issue = parse(
        "\ufeff---\r\ntitle: T\r\ndate: 2026-11-02\r\n---\r\n"
        "## News\r\n\r\n- [a](https://a.example/) b\r\n"
    )
    assert shape(issue) == [("news", [("a", "https://a.example/")])]


def items_of(issue) -> list[tuple[str, str, str | None, str, str]]:
    """(section heading, group, url, label, title) of every item."""
    return [
        (section.heading, item.group, item.url, item.label, item.title)
        for section in issue.sections
        for item in section.items
    ]


def test_stray_heading_above_the_section_level_is_a_section(parse):
    issue = parse(
        FRONT + "Intro.\n\n## News\n\n- [a](https://a.example/)\n\n## Events\n\n"
        "- [e](https://e.example/)\n\n# Quote of the Week\n\n> Wise words.\n\n"
        "## Jobs\n\n- [j](https://j.example/)\n"
    )
    assert [s.heading for s in issue.sections] == ["News", "Events", "Quote of the Week", "Jobs"]
    assert [len(s.items) for s in issue.sections] == [1, 1, 0, 1]
    assert "Intro." in issue.intro_html


def test_sub_headings_over_links_are_groups_with_their_prose(parse):
    issue = parse(
        FRONT + "## Updates from the Community\n\nA busy week.\n\n### Official\n\n"
        "- [Release 2.0](https://o.example/2)\n\n### Project Updates\n\nSome say hi.\n\n"
        "- [video] [A talk](https://v.example/t)\n- [ZH] [一篇文章](https://zh.example/a)\n\n"
        "[Please submit your suggestions!](https://submit.example/)\n\n"
        "### New Contributors\n\n- Alice\n- Bob\n"
    )
    (section,) = issue.sections
    assert items_of(issue) == [
        ("Updates from the Community", "Official", "https://o.example/2", "", "Release 2.0"),
        ("Updates from the Community", "Project Updates", "https://v.example/t", "video", "A talk"),
        ("Updates from the Community", "Project Updates", "https://zh.example/a", "ZH", "一篇文章"),
    ]
    assert "A busy week." in section.body_html
    official, updates, contributors = section.groups
    assert (official.title, official.size, official.depth) == ("Official", 1, 1)
    assert (updates.title, updates.size) == ("Project Updates", 2)
    assert "Some say hi." in updates.body_html
    assert "Please submit" in updates.tail_html  # a call to action, not an item
    assert (contributors.title, contributors.size) == ("New Contributors", 0)
    assert "Alice" in contributors.body_html


def test_a_linked_heading_over_a_list_groups_it_and_over_text_is_an_item(parse):
    issue = parse(
        FRONT + "## Updates\n\n### Final Comment Period\n\n#### [RFCs](https://rfcs.example/q)\n\n"
        "* [disposition: merge] [Stabilize it](https://rfcs.example/1)\n\n"
        "#### [PRs](https://prs.example/q)\n\n* *None this week.*\n\n"
        "## 文章\n\n### [一篇好文](https://a.example/1)\n\n摘要。\n\n"
        "1. [另一篇](https://a.example/2)：也好。\n"
    )
    assert items_of(issue) == [
        ("Updates", "RFCs", "https://rfcs.example/1", "disposition: merge", "Stabilize it"),
        ("文章", "", "https://a.example/1", "", "一篇好文"),
        ("文章", "", "https://a.example/2", "", "另一篇"),
    ]
    assert [(g.title, g.depth) for g in issue.sections[0].groups] == [
        ("Final Comment Period", 1),
        ("RFCs", 2),
        ("PRs", 2),
    ]


def test_numbered_paragraph_items_own_their_image_and_summary(parse):
    issue = parse(
        FRONT
        + "## 文章\n\n1、[一篇长文](https://a.example/1)（英文）\n\n![](https://img.example/1.png)\n\n"
        "介绍了很多东西。\n\n**2、[第二篇](https://a.example/2)**\n\n也不错。\n"
    )
    first, second = issue.sections[0].items
    assert (first.title, first.url, first.image) == (
        "一篇长文",
        "https://a.example/1",
        "https://img.example/1.png",
    )
    assert "（英文）" in first.body_html and "介绍了很多东西" in first.body_html
    assert (second.title, second.url) == ("第二篇", "https://a.example/2")
    assert "也不错" in second.body_html


def test_numbered_news_sentence_is_an_item_with_its_inline_link(parse):
    issue = parse(
        FRONT + "## 动态\n\n（1）某公司发布了[新芯片](https://n.example/1)，性能提升一倍。\n\n"
        "（2）另一家公司宣布开源其[数据库](https://n.example/2)。\n"
    )
    assert [(item.title, item.url) for item in issue.items] == [
        ("某公司发布了新芯片，性能提升一倍。", "https://n.example/1"),
        ("另一家公司宣布开源其数据库。", "https://n.example/2"),
    ]


def test_bold_title_then_url_on_the_next_line_or_paragraph(parse):
    issue = parse(
        FRONT + "## Tools\n\n**Fast grep**  \n<https://grep.example/>\nSearches quickly.\n\n"
        "**Tiny editor**\nhttps://edit.example/ \n\n**Lonely title**\n\n<https://lonely.example/>\n"
        "\nIts summary.\n"
    )
    assert [(item.title, item.url) for item in issue.items] == [
        ("Fast grep", "https://grep.example/"),
        ("Tiny editor", "https://edit.example/"),
        ("Lonely title", "https://lonely.example/"),
    ]
    assert "Searches quickly." in issue.items[0].body_html
    assert "Its summary." in issue.items[2].body_html
    assert "lonely.example" not in issue.items[2].body_html


def test_event_entries_with_the_link_inside_and_a_nested_list(parse):
    issue = parse(
        FRONT + "## Upcoming Events\n\n### Virtual\n\n"
        "* 2025-01-05 | Virtual | [Byte Meetup](https://m.example/1)\n"
        "    * [**A talk**](https://m.example/1/talk)\n"
        "* 2025-01-08 | Virtual (Berlin) | [Hack and Learn](https://m.example/2)\n"
    )
    assert [(item.title, item.url, item.group) for item in issue.items] == [
        ("2025-01-05 | Virtual | Byte Meetup", "https://m.example/1", "Virtual"),
        ("2025-01-08 | Virtual (Berlin) | Hack and Learn", "https://m.example/2", "Virtual"),
    ]
    assert "A talk" in issue.items[0].body_html


def test_reference_links_are_items(parse):
    issue = parse(
        FRONT + "## News\n\n* [First][1]\n* [Second][two], with words.\n\n"
        "[1]: https://r.example/1\n[two]: https://r.example/2\n"
    )
    assert [item.url for item in issue.items] == ["https://r.example/1", "https://r.example/2"]


def test_prose_sections_keep_their_links_as_text(parse):
    issue = parse(
        FRONT
        + "## 封面图\n\n![](https://img.example/c.png)\n\n城市夜景（[via](https://via.example/)）\n\n"
        "## 慢下来的一周\n\n[某位作者](https://who.example/)说过，慢就是快。\n\n第二段。\n\n"
        "## 往年回顾\n\n[旧的一期](https://me.example/50.html)（#50）\n\n"
        "[更旧的一期](https://me.example/10.html)（#10）\n"
    )
    assert [len(s.items) for s in issue.sections] == [0, 0, 0]
    assert "慢就是快" in issue.sections[1].body_html
    assert "#50" in issue.sections[2].body_html


def test_a_sentence_beginning_with_a_link_is_an_item_only_in_a_configured_section(parse):
    text = "## {}\n\n[A post](https://a.example/) on caching, and why.\n"
    assert len(parse(FRONT + text.format("Blogs")).items) == 1
    assert len(parse(FRONT + text.format("Thoughts on caching")).items) == 0
    assert len(parse(FRONT + "## Thoughts\n\n[A post](https://a.example/) — why.\n").items) == 1


def test_heading_item_takes_a_url_written_under_it(parse):
    issue = parse(FRONT + "## Tools\n\n### Fast grep\n\n<https://grep.example/>\n\nQuick.\n")
    (item,) = issue.items
    assert (item.title, item.url) == ("Fast grep", "https://grep.example/")
    assert item.body_html.strip() == "<p>Quick.</p>"


def test_a_link_with_a_space_in_its_url_is_a_warning_at_its_line(parse):
    issue = parse(
        FRONT + "## News\n\n- [ok](https://a.example/)\n- [lost](https://a.example/x y)\n"
    )
    assert [(note.line, note.level) for note in issue.notes] == [(8, "warning")]
    assert "has a space in its URL" in issue.notes[0].message
    assert len(issue.items) == 1


def test_numbered_paragraphs_without_links_are_noted(parse):
    issue = parse(
        FRONT + "## 工具\n\n1、[有链接](https://a.example/)\n\n2、没有链接的工具\n\n3、另一个\n"
    )
    assert len(issue.items) == 1
    (note,) = issue.notes
    assert (note.line, note.level) == (9, "note")
    assert note.message.startswith("2 paragraphs here look like items but have no link")


def test_an_issue_of_links_without_items_is_noted_once(parse):
    links = " ".join(f"[l{n}](https://l.example/{n}) and" for n in range(5))
    issue = parse(FRONT + f"## Essay\n\nThoughts: {links} so on.\n\n## More\n\nText.\n")
    assert issue.items == ()
    (note,) = issue.notes
    assert (note.line, note.level) == (5, "note")
    assert note.message.startswith("no items found in this issue, though its sections hold 5")
    assert parse(FRONT + "## Essay\n\nOne [link](https://l.example/) only.\n").notes == ()


def test_linked_headings_over_nothing_a_list_or_a_lead_in_are_groups(parse):
    issue = parse(
        FRONT + "## Calls for Testing\n\nSome text.\n\n### [RFCs](https://r.example/q)\n\n"
        "### [Rust](https://rust.example/q)\n\n<!-- nothing this week -->\n\n"
        "## Project\n\n### [Approved RFCs](https://r.example/merged)\n\n"
        "These were approved this week:\n\n* [An RFC](https://r.example/1)\n"
    )
    assert [(item.group, item.url) for item in issue.items] == [
        ("Approved RFCs", "https://r.example/1")
    ]


def test_a_list_of_credits_is_not_items(parse):
    issue = parse(
        FRONT + "## Jobs\n\n- [A job](https://jobs.example/1)\n\nThis issue was edited by:\n\n"
        "* [alice](https://people.example/alice)\n* [bob](https://people.example/bob)\n"
    )
    assert [item.url for item in issue.items] == ["https://jobs.example/1"]
    assert "alice" in issue.sections[0].groups[0].tail_html


def test_a_list_set_off_in_a_quote_is_items_and_a_quoted_paragraph_is_not(parse):
    issue = parse(
        FRONT + "## 动态\n\n1、[一条新闻](https://n.example/1)\n\n摘要。\n\n2、**一句话消息**\n\n"
        "> - [某公司](https://n.example/2)发布了新产品。\n\n> - [另一家](https://n.example/3)也是。\n\n"
        "> [引用的链接](https://n.example/4) 不是条目。\n"
    )
    assert [item.url for item in issue.items] == [
        "https://n.example/1",
        "https://n.example/2",
        "https://n.example/3",
    ]
    assert issue.notes == ()  # one numbered paragraph without a link is not worth a note


def test_list_entries_whose_link_comes_later_in_the_sentence(parse):
    issue = parse(
        FRONT + "## Notable changes\n\n- Ben added the `x` function as part of the\n"
        "  overall work covered by [6045][a].\n- James landed a better pipeline in [6881][b],\n"
        "  fixing a bunch of problems.\n- Someone fixed the docs, with no link.\n\n"
        "[a]: https://r.example/6045\n[b]: https://r.example/6881\n"
    )
    assert [(item.title, item.url) for item in issue.items] == [
        (
            "Ben added the x function as part of the overall work covered by 6045.",
            "https://r.example/6045",
        ),
        ("James landed a better pipeline in 6881,", "https://r.example/6881"),
    ]


def test_a_linked_heading_whose_summary_ends_in_a_colon_before_code_is_an_item(parse):
    issue = parse(
        FRONT + "## Tools\n\n### [clap](https://c.example/)\n\nParse arguments like this:\n\n"
        "```rust\nlet args = Args::parse();\n```\n"
    )
    assert [(item.title, item.url) for item in issue.items] == [("clap", "https://c.example/")]
    assert "language-rust" in issue.items[0].body_html


def test_a_section_runs_its_groups_with_their_items(parse):
    issue = parse(
        FRONT
        + "## Updates\n\n- [a](https://a.example/)\n\n### Links\n\n- [b](https://b.example/)\n"
        "- [c](https://c.example/)\n\n### Cards\n\n### [d](https://d.example/)\n\nWith words.\n\n"
        "### Empty\n"
    )
    runs = [
        (run.group.title, [item.title for item in run.items], run.compact, run.group.shown)
        for run in issue.sections[0].runs
    ]
    assert runs == [
        ("", ["a"], True, False),
        ("Links", ["b", "c"], True, True),
        ("Cards", [], False, False),
        ("", ["d"], False, False),
        ("Empty", [], False, False),
    ]
