"""Every feed reads back: RSS, Atom, JSON Feed, per-section RSS; sitemap and robots."""

from __future__ import annotations

import json
import shutil
import xml.etree.ElementTree as ET
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import unquote

import feedparser
import pytest

from digest.build.pipeline import BuildOptions, build

SITES = Path(__file__).parent / "sites"
NOW = datetime(2026, 11, 23, tzinfo=UTC)


@pytest.fixture(scope="module", params=["https://example.org/", "https://user.github.io/weekly/"])
def out(request, tmp_path_factory) -> Path:
    site = tmp_path_factory.mktemp("feeds") / "basic"
    shutil.copytree(SITES / "basic", site)
    build(BuildOptions(site_dir=site, now=NOW, base_url=request.param))
    return site / "_site"


def base(out: Path) -> str:
    return json.loads((out / "feed.json").read_text())["home_page_url"]


def test_rss_and_atom(out):
    for name, version in [("feed.xml", "rss20"), ("atom.xml", "atom10")]:
        feed = feedparser.parse((out / name).read_bytes())
        assert feed.bozo == 0, (name, feed.get("bozo_exception"))
        assert feed.version == version
        assert len(feed.entries) == 3
        for entry in feed.entries:
            assert entry.link.startswith(base(out) + "issues/")
            assert entry.published_parsed
            content = entry.content[0].value
            assert 'href="/' not in content and 'src="/' not in content
    atom = feedparser.parse((out / "atom.xml").read_bytes())
    assert atom.entries[1].title == "第二期：数据库"


def test_json_feed(out):
    feed = json.loads((out / "feed.json").read_text(encoding="utf-8"))
    assert feed["version"] == "https://jsonfeed.org/version/1.1"
    assert feed["title"] == "Fixture Weekly"
    assert feed["feed_url"] == base(out) + "feed.json"
    assert len(feed["items"]) == 3
    for item in feed["items"]:
        assert {"id", "url", "title", "content_html", "date_published"} <= item.keys()
        assert item["url"].startswith(base(out))
        datetime.fromisoformat(item["date_published"])
    assert feed["items"][2]["image"] == base(out) + "images/dot.svg"
    assert "数据库" in feed["items"][2]["tags"]


def test_section_feeds(out):
    feed = feedparser.parse((out / "sections/tools/feed.xml").read_bytes())
    assert feed.bozo == 0, feed.get("bozo_exception")
    assert [entry.title for entry in feed.entries] == ["uv", "ruff"]
    assert feed.entries[0].link == "https://github.com/astral-sh/uv"
    assert feed.entries[0].id == base(out) + "issues/1/#uv"
    # A quote of the week is prose in its issue, not a section with a feed.
    assert not (out / "sections/本周金句").exists()


def test_autodiscovery_in_every_page(out):
    for page in out.rglob("*.html"):
        html = page.read_text(encoding="utf-8")
        for kind in ["application/rss+xml", "application/atom+xml", "application/feed+json"]:
            assert f'<link rel="alternate" type="{kind}"' in html, (page, kind)
    section = (out / "sections/tools/index.html").read_text(encoding="utf-8")
    assert "sections/tools/feed.xml" in section


def test_sitemap_lists_every_page_with_lastmod(out):
    ns = {"s": "http://www.sitemaps.org/schemas/sitemap/0.9"}
    root = ET.parse(out / "sitemap.xml").getroot()
    urls = {
        u.findtext("s:loc", namespaces=ns): u.findtext("s:lastmod", namespaces=ns) for u in root
    }
    pages = {
        base(out) + p.relative_to(out).as_posix().removesuffix("index.html")
        for p in out.rglob("index.html")
        if not p.is_relative_to(out / "search")  # a results page, not worth indexing
    }
    assert {unquote(url) for url in urls} == pages
    assert urls[base(out) + "issues/1/"] == "2026-10-05"
    assert all(urls.values())
    robots = (out / "robots.txt").read_text()
    assert f"Sitemap: {base(out)}sitemap.xml" in robots
