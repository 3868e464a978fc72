"""Hostile text in every field an author or a copied title can fill: it must come out as
text on every page and in every feed, and the feeds must still parse.

Each output file is read with an HTML parser (and each feed's embedded HTML too), so a
payload counts only where it would run: a <script> element, an on* attribute, a
javascript: link. Escaped text that merely mentions them is what we want.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator
from html.parser import HTMLParser
from pathlib import Path
from xml.etree import ElementTree

import feedparser
import pytest

from digest.build.pipeline import BuildOptions, build
from digest.errors import DigestError

SCRIPT = "<script>alert(1)</script>"
BREAKOUT = '"><img src=x onerror=alert(1)>'
TEMPLATE = "{{ 7*7 }}"
RAW = "{% raw %}"
HOSTILE = f"{SCRIPT} {BREAKOUT} {TEMPLATE} {RAW}"
YAML_HOSTILE = json.dumps(HOSTILE)  # a JSON string is a YAML double-quoted scalar
MARKDOWN_HOSTILE = HOSTILE.replace("<", "\\<")  # Markdown that shows the text as written

SITE_YAML = f"""\
title: {YAML_HOSTILE}
base_url: https://example.org/weekly/
description: {YAML_HOSTILE}
author: {YAML_HOSTILE}
sections:
  - key: news
    title: {YAML_HOSTILE}
    aliases: [News]
extra:
  note: {YAML_HOSTILE}
"""
ISSUE = f"""\
---
title: {YAML_HOSTILE}
date: 2026-01-05
number: 1
summary: {YAML_HOSTILE}
subtitle: {YAML_HOSTILE}
tags: [{YAML_HOSTILE}, '{BREAKOUT}', '{TEMPLATE}']
categories: ['{RAW}']
authors: [{YAML_HOSTILE}]
cover_alt: {YAML_HOSTILE}
---
Intro: {MARKDOWN_HOSTILE}

## News

### [{MARKDOWN_HOSTILE}](https://example.org/item)

Summary: {MARKDOWN_HOSTILE}

## {MARKDOWN_HOSTILE}

- [{MARKDOWN_HOSTILE}](https://example.org/list-item) — {MARKDOWN_HOSTILE}

## Raw HTML in a heading <script>alert(1)</script><img src=x onerror=alert(1)>

### Item heading <script>alert(1)</script>

Text.
"""
SECOND = """\
---
title: Second
date: 2026-01-12
number: 2
---
## News

- [js](javascript:alert(1)) one
- [JS](JaVaScRiPt:alert(1)) two
- [entity](jav&#x61;script:alert(1)) three
- [vb](vbscript:msgbox(1)) four
- [data](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==) five
- [svg](data:image/svg+xml;base64,PHN2ZyBvbmxvYWQ9YWxlcnQoMSk+) six
- [tab](<java\tscript:alert(1)>) seven
- [control](<\x01javascript:alert(1)>) eight
- [fine](https://example.org/fine) nine

See <javascript:alert(2)> and [a reference][ref] and ![image](javascript:alert(3)).

[ref]: javascript:alert(4)

![a real data image](data:image/png;base64,iVBORw0KGgo=)
"""


class Elements(HTMLParser):
    """Every start tag with its attributes, and the text inside each <script>."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict[str, str]]] = []
        self.scripts: list[str] = []
        self.texts: list[str] = []
        """Text as a reader sees it, entities decoded, one entry per text node."""
        self._in_script = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, {name: value or "" for name, value in attrs}))
        self._in_script = tag == "script"
        if self._in_script:
            self.scripts.append("")

    def handle_endtag(self, tag: str) -> None:
        self._in_script = False

    def handle_data(self, data: str) -> None:
        if self._in_script:
            self.scripts[-1] += data
        else:
            self.texts.append(data)


def elements(markup: str) -> Elements:
    parser = Elements()
    parser.feed(markup)
    parser.close()
    return parser


C0_AND_SPACE = "".join(map(chr, range(0x21)))


def live_scheme(url: str) -> str:
    """The scheme a browser would see: it drops C0 controls and spaces at the ends and
    tabs and newlines anywhere, and compares case-insensitively."""
    url = re.sub(r"[\t\n\r]", "", url.strip(C0_AND_SPACE)).lower()
    match = re.match(r"^([a-z][a-z0-9+.\-]*):", url)
    return match.group(1) if match else ""


def dangerous(tag: str, name: str, value: str) -> bool:
    """An attribute that runs script, or a URL attribute with a scheme that can."""
    if name.startswith("on"):
        return True
    if name not in {"href", "src", "action", "formaction", "xlink:href", "poster"}:
        return False
    scheme = live_scheme(value)
    if scheme in {"javascript", "vbscript"}:
        return True
    return scheme == "data" and not (tag == "img" and value.lower().startswith("data:image/"))


def assert_inert(markup: str, where: str) -> None:
    found = elements(markup)
    payloads = [script for script in found.scripts if "alert" in script]
    assert not payloads, f"{where}: a live <script>: {payloads}"
    live = [
        (tag, name, value)
        for tag, attrs in found.tags
        for name, value in attrs.items()
        if dangerous(tag, name, value)
    ]
    assert not live, f"{where}: live attributes {live}"


def output_files(out: Path) -> Iterator[tuple[str, str]]:
    for path in sorted(out.rglob("*")):
        if path.suffix in {".html", ".xml", ".json", ".txt"}:
            yield path.relative_to(out).as_posix(), path.read_text(encoding="utf-8")


@pytest.fixture
def hostile_site(make_site: Callable[..., Path]) -> Path:
    site = make_site(
        {"content/issues/1-hostile.md": ISSUE, "content/issues/2-links.md": SECOND},
        site_yaml=SITE_YAML,
    )
    build(BuildOptions(site_dir=site, now=None, future=True))
    return site / "_site"


def test_hostile_text_is_text_in_every_page_and_feed(hostile_site: Path) -> None:
    files = dict(output_files(hostile_site))
    assert {"index.html", "issues/1/index.html", "feed.xml", "atom.xml", "feed.json"} <= set(files)
    for name, text in files.items():
        if name.endswith(".html"):
            assert_inert(text, name)
        assert SCRIPT not in text, f"{name} holds a raw {SCRIPT}"
        assert not re.search(r"<img[^<>]*onerror", text), name
    # Shown as written (title, subtitle, summary, headings, items, tags): the template
    # syntax was not run and the markup is text a reader sees.
    shown = elements(files["issues/1/index.html"])
    assert sum(HOSTILE in text for text in shown.texts) >= 6, shown.texts
    assert any(HOSTILE in value for _, attrs in shown.tags for value in attrs.values())
    for name in ("issues/1/index.html", "index.html", "feed.xml", "tags/index.html"):
        assert TEMPLATE in files[name] and ">49<" not in files[name], name
    assert RAW in files["issues/1/index.html"]


def xml_fields(data: bytes) -> dict[str, list[tuple[str, dict[str, str]]]]:
    """Each element's decoded text and attributes by local name, as a feed reader gets them."""
    fields: dict[str, list[tuple[str, dict[str, str]]]] = {}
    for element in ElementTree.fromstring(data).iter():
        name = element.tag.rsplit("}", 1)[-1]
        fields.setdefault(name, []).append((element.text or "", dict(element.attrib)))
    return fields


def test_feeds_read_back_with_the_text_intact(hostile_site: Path) -> None:
    """Feeds parse, plain-text fields hold the text exactly, HTML fields are inert."""
    for name in ["feed.xml", "atom.xml", "sections/news/feed.xml"]:
        feed = feedparser.parse((hostile_site / name).read_bytes())
        assert feed.bozo == 0, (name, feed.get("bozo_exception"))
        assert TEMPLATE in feed.feed.title
    atom = xml_fields((hostile_site / "atom.xml").read_bytes())
    assert HOSTILE in [text for text, _ in atom["title"]]
    assert HOSTILE in [text for text, attrs in atom["summary"] if "type" not in attrs]
    for text, attrs in atom["content"]:
        assert attrs.get("type") == "html"
        assert_inert(text, "atom.xml content")
    rss = xml_fields((hostile_site / "feed.xml").read_bytes())
    assert HOSTILE in [text for text, _ in rss["title"]]
    for text, _ in rss["encoded"]:
        assert_inert(text, "feed.xml content:encoded")
    section = xml_fields((hostile_site / "sections/news/feed.xml").read_bytes())
    assert HOSTILE in [text for text, _ in section["title"]]
    for text, _ in section["description"][1:]:  # the items' summaries, as HTML
        assert_inert(text, "sections/news/feed.xml description")

    data = json.loads((hostile_site / "feed.json").read_text(encoding="utf-8"))
    assert data["title"] == HOSTILE
    hostile_item = next(item for item in data["items"] if item["title"] == HOSTILE)
    assert hostile_item["summary"] == HOSTILE  # JSON Feed's summary is plain text
    for item in data["items"]:
        assert_inert(item.get("content_html", ""), f"feed.json: {item['title']}")


def test_rss_descriptions_are_html_so_plain_text_is_escaped_for_it(hostile_site: Path) -> None:
    for name in ["feed.xml", "sections/news/feed.xml"]:
        for text, _ in xml_fields((hostile_site / name).read_bytes())["description"]:
            assert_inert(text, f"{name} description")
            assert SCRIPT not in text, f"{name}: a <description> holds {text!r}"


def test_dangerous_link_schemes_never_become_live_links(hostile_site: Path) -> None:
    """markdown-it's validateLink refuses javascript:, vbscript:, file: and non-image data:
    in links, autolinks, references and images; the text stays, the link does not."""
    page = (hostile_site / "issues/2/index.html").read_text(encoding="utf-8")
    assert_inert(page, "issues/2/index.html")
    hrefs = [attrs.get("href", "") for tag, attrs in elements(page).tags if tag == "a"]
    assert "https://example.org/fine" in hrefs
    assert not any(live_scheme(href) in {"javascript", "vbscript", "data"} for href in hrefs)
    srcs = [attrs["src"] for tag, attrs in elements(page).tags if tag == "img" and "src" in attrs]
    assert "data:image/png;base64,iVBORw0KGgo=" in srcs  # images as data URLs are fine
    assert "[js](javascript:alert(1))" in page  # shown as the text it is


def test_items_never_carry_a_script_url(hostile_site: Path) -> None:
    """Only Markdown links make items, and those are validated: the list entries with
    script links are plain text, the one good link is the only item."""
    data = json.loads((hostile_site / "feed.json").read_text(encoding="utf-8"))
    second = next(item for item in data["items"] if item["url"].endswith("/issues/2/"))
    anchors = elements(second["content_html"]).tags
    links = [attrs["href"] for tag, attrs in anchors if tag == "a" and "href" in attrs]
    assert all(live_scheme(link) in {"https", "http", ""} for link in links), links


def test_a_language_that_is_not_a_language_tag_is_refused(
    make_site: Callable[..., Path],
) -> None:
    """`lang` goes into lang="…" and to the search indexer (which hung on this one)."""
    issue = "---\ntitle: T\ndate: 2026-01-05\nlang: 'en\"><script>alert(1)</script>'\n---\n"
    site = make_site({"content/issues/1-a.md": issue})
    with pytest.raises(DigestError) as caught:
        build(BuildOptions(site_dir=site))
    (problem,) = caught.value.problems
    assert problem.line == 4 and "is not a language tag" in problem.message


RAW_LINK = '<a href="javascript:alert(5)">raw link</a>'


@pytest.mark.parametrize("raw_html", [True, False])
def test_raw_html_is_trusted_author_input_and_can_be_turned_off(
    make_site: Callable[..., Path], raw_html: bool
) -> None:
    """Raw HTML is kept by design (authors embed <iframe>, <kbd>): it is the author's own
    page. `markdown.raw_html: false` turns every tag into text, for sites that paste."""
    site_yaml = f"title: T\nbase_url: https://example.org/\nmarkdown:\n  raw_html: {raw_html}\n"
    issue = f"---\ntitle: T\ndate: 2026-01-05\nnumber: 1\n---\nIntro {RAW_LINK}\n"
    site = make_site({"content/issues/1-a.md": issue}, site_yaml=site_yaml.lower())
    build(BuildOptions(site_dir=site))
    page = (site / "_site/issues/1/index.html").read_text(encoding="utf-8")
    if raw_html:
        assert RAW_LINK in page
    else:
        assert RAW_LINK not in page
        assert any(RAW_LINK in text for text in elements(page).texts)  # shown as text
        assert_inert(page, "issues/1/index.html")


def test_the_checker_sees_a_live_payload() -> None:
    """The helpers above must be able to fail: each of these is live."""
    for markup in [
        "<p><script>alert(1)</script></p>",
        '<img src="x" onerror="alert(1)">',
        '<a href=" JaVa\tScRiPt:alert(1)">x</a>',
        '<a href="data:text/html,x">x</a>',
        '<iframe src="vbscript:x"></iframe>',
    ]:
        with pytest.raises(AssertionError):
            assert_inert(markup, "sample")
    assert_inert("<p>&lt;script&gt;alert(1)&lt;/script&gt;</p><img src='data:image/png;x'>", "ok")
