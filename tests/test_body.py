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
        "Summary one.\n\n### A heading without a link\n\nSummary two.\n"
    )
    assert shape(issue) == [
        (
            "news",
            [("Rust 2.0 plans", "https://example.com/rust"), ("A heading without a link", None)],
        )
    ]
    assert "Intro text." in issue.intro_html
    first, second = issue.sections[0].items
    assert first.body_html.strip() == "<p>Summary one.</p>"
    assert second.body_html.strip() == "<p>Summary two.</p>"
    assert (first.source.line, second.source.line) == (9, 13)


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
    body = issue.sections[0].items[0].body_html
    assert '<pre class="highlight"><code class="language-python">' in body
    assert '<span class="nb">print</span>' in body


def test_unknown_code_language_is_plain_escaped(parse):
    issue = parse(FRONT + "## Tools\n\n### Tip\n\n```nosuchlang\n<b>\n```\n")
    assert "&lt;b&gt;" in issue.sections[0].items[0].body_html


def test_raw_html_is_kept(parse):
    issue = parse(FRONT + "Press <kbd>Ctrl</kbd><br>now.\n")
    assert "<kbd>Ctrl</kbd><br>" in issue.intro_html


def test_item_anchors_are_unique(parse):
    issue = parse(
        FRONT + "## News\n\n### [Same](https://a.example/)\n\n### [Same](https://b.example/)\n"
    )
    assert [item.anchor for item in issue.items] == ["same", "same-2"]


def test_crlf_and_bom_are_fine(parse):
    issue = parse(
        "\ufeff---\r\ntitle: T\r\ndate: 2026-11-02\r\n---\r\n"
        "## News\r\n\r\n- [a](https://a.example/) b\r\n"
    )
    assert shape(issue) == [("news", [("a", "https://a.example/")])]
