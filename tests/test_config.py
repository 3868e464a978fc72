"""site.yaml validation: every mistake reported, with a line and a fix."""

from __future__ import annotations

from pathlib import Path

import pytest

from digest.config import DEFAULT_SECTIONS, load_config, parse_config
from digest.errors import DigestError

PATH = Path("site.yaml")
BASE = "title: W\nbase_url: https://example.org/weekly\n"


def problems_of(text: str) -> list[str]:
    with pytest.raises(DigestError) as caught:
        parse_config(text, PATH)
    return [f"{p.line}: {p.message}" for p in caught.value.problems]


def test_minimal_config_gets_defaults():
    config = parse_config(BASE, PATH)
    assert config.base_url == "https://example.org/weekly/"
    assert config.base_path == "/weekly/"
    assert config.sections == DEFAULT_SECTIONS
    assert (config.language, config.timezone, config.paginate) == ("en", "UTC", 10)


def test_chinese_site_gets_chinese_section_titles():
    config = parse_config(BASE + "language: zh-CN\n", PATH)
    assert [s.title for s in config.sections] == [
        "业界资讯",
        "技术博客",
        "开源项目",
        "工具推荐",
        "学习资源",
    ]
    assert "News" in config.sections[0].aliases


def test_unknown_keys_suggest_the_right_one():
    assert problems_of(BASE + "timezne: UTC\nbaseURL: x\nfoo: 1\n") == [
        "3: unknown key 'timezne'; did you mean 'timezone'?",
        "4: unknown key 'baseURL'; did you mean 'base_url'?",
        "5: unknown key 'foo'; known keys: title, base_url, description, language, timezone, "
        "author, paginate, items_per_page, feed_limit, weekday, sections, markdown, extra, "
        "sources, opml, fetch_limit, render_timeout, email, smtp, subscribe, discuss",
    ]


def test_render_timeout_is_seconds_above_zero():
    assert parse_config(BASE, PATH).render_timeout == 30.0
    assert parse_config(BASE + "render_timeout: 2.5\n", PATH).render_timeout == 2.5
    for value in ("0", "-1", "x", "true", ".inf"):
        assert problems_of(BASE + f"render_timeout: {value}\n") == [
            "3: 'render_timeout' must be a number of seconds above 0, e.g. 30"
        ], value


def test_nested_keys_and_types_are_checked():
    text = BASE + "paginate: many\nmarkdown:\n  raw_htm: false\n  highlight_style: monokia\n"
    assert problems_of(text) == [
        "3: 'paginate' must be a whole number",
        "5: unknown key 'markdown.raw_htm'; did you mean 'raw_html'?",
        "6: 'highlight_style' 'monokia' is not a Pygments style; did you mean 'monokai'?",
    ]


def test_bad_timezone_and_base_url():
    assert problems_of("title: W\nbase_url: example.org\ntimezone: Mars/Olympus\n") == [
        "2: base_url 'example.org' must be an absolute http(s) URL, e.g. https://example.com/weekly/",
        "3: 'timezone' 'Mars/Olympus' is not a known time zone; use a name such as Asia/Shanghai "
        "or UTC",
    ]


def test_missing_base_url_can_come_from_the_command_line():
    assert problems_of("title: W\n")[0].startswith("1: base_url is missing")
    assert parse_config("title: W\n", PATH, "https://x.example").base_url == "https://x.example/"


def test_custom_sections():
    config = parse_config(
        BASE
        + "sections:\n  - key: papers\n    title: 论文\n"
        + "    aliases: [Papers, 论文推荐]\n  - Jobs\n",
        PATH,
    )
    assert [(s.key, s.title, s.aliases) for s in config.sections] == [
        ("papers", "论文", ("Papers", "论文推荐")),
        ("jobs", "Jobs", ()),
    ]


def test_bad_sections():
    text = (
        BASE
        + "sections:\n  - key: News Items\n  - key: a\n  - key: a\n  - key: b\n    alias: [x]\n"
    )
    assert problems_of(text) == [
        "4: section key 'News Items' cannot be used (not a slug); use lower-case words joined by "
        "hyphens, e.g. 'news-items'",
        "6: section key 'a' is listed twice",
        "8: unknown key 'sections.3.alias'; did you mean 'aliases'?",
    ]


def test_invalid_yaml_and_missing_file(tmp_path):
    assert problems_of("title: [W\n")[0].startswith("2: invalid YAML")
    with pytest.raises(DigestError) as caught:
        load_config(tmp_path)
    assert "no site.yaml here" in caught.value.problems[0].message


def test_feed_sources_and_opml():
    from digest.model import FeedSource

    config = parse_config(
        BASE
        + "opml: feeds/reading-list.opml\n"
        + "sources:\n"
        + "  - https://blog.example.org/feed.xml\n"
        + "  - url: https://news.example.com/rss\n    name: 新闻\n    section: news\n"
        + "  - feeds/local.xml\n",
        PATH,
    )
    assert config.opml == "feeds/reading-list.opml"
    assert config.sources == (
        FeedSource("https://blog.example.org/feed.xml"),
        FeedSource("https://news.example.com/rss", "新闻", "news"),
        FeedSource("feeds/local.xml"),
    )
    assert (parse_config(BASE, PATH).sources, parse_config(BASE, PATH).opml) == ((), None)


def test_bad_feed_sources():
    text = (
        BASE
        + "sources:\n"
        + "  - url: https://a.example.org/feed\n    sectoin: news\n"
        + "  - url: https://b.example.org/feed\n    section: newz\n"
        + "  - feed://c.example.org/x\n"
        + "  - url: https://a.example.org/feed\n"
        + "  - {name: no url}\n"
        + "  - [1]\n"
        + "opml: [a.opml]\n"
    )
    assert problems_of(text) == [
        "5: unknown key 'sources.0.sectoin'; did you mean 'section'?",
        "7: section 'newz' is not a configured section key; did you mean 'news'?",
        "8: 'feed://c.example.org/x' is neither an http(s) URL nor a file path; "
        "write https://... or a path",
        "9: the source 'https://a.example.org/feed' is listed twice",
        "10: the source has no url; give the feed's address, e.g. https://example.com/feed.xml",
        "11: a source must be a feed URL or {url, name}",
        "12: 'opml' must be a text",
    ]


def test_feed_source_sections_are_the_configured_ones():
    text = (
        BASE
        + "sections:\n  - key: papers\n    title: 论文\n"
        + "sources:\n  - url: https://a.example.org/feed\n    section: news\n"
        + "  - url: https://b.example.org/feed\n    section: papers\n"
    )
    assert problems_of(text) == [
        "8: section 'news' is not a configured section key; use one of papers",
    ]
    assert problems_of(BASE + "sources: https://a.example.org/feed\n") == [
        "3: 'sources' must be a list of feed URLs or {url, name, section} mappings",
    ]


def test_base_url_with_a_query_a_fragment_or_no_host_is_refused_at_its_line():
    """`?q=1#frag` made every internal link lead home; `https:///nohost/` reached feeds."""
    for url in ("https://x.example/w/?q=1#frag", "https://x.example/w/?", "https://x.example/#top"):
        (problem,) = problems_of(f"title: W\nbase_url: '{url}'\n")
        assert problem.startswith(f"2: base_url '{url}' has a query (?...) or a fragment"), problem
    (problem,) = problems_of("title: W\nbase_url: https:///nohost/\n")
    assert problem == (
        "2: base_url 'https:///nohost/' has no host name; write one, e.g. "
        "https://example.com/weekly/"
    )
    assert parse_config("title: W\nbase_url: http://localhost:8000/w\n", PATH).base_path == "/w/"
