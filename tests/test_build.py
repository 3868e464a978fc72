"""End-to-end builds of fixture sites: pages, feed, base URLs, overrides, failures."""

from __future__ import annotations

import os
import re
import shutil
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import unquote

import feedparser
import pytest

from digest import memory
from digest.build.output import SPARE_DIR
from digest.build.pipeline import BuildOptions, build
from digest.errors import DigestError
from digest.search import index as search

SITES = Path(__file__).parent / "sites"
NOW = datetime(2026, 11, 23, tzinfo=UTC)


@pytest.fixture
def basic(tmp_path: Path) -> Path:
    site = tmp_path / "basic"
    shutil.copytree(SITES / "basic", site)
    return site


def run(site: Path, **options) -> Path:
    build(BuildOptions(site_dir=site, now=NOW, **options))
    return site / "_site"


def tree(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in root.rglob("*") if p.is_file()}


def test_pages_of_the_basic_site(basic):
    out = run(basic)
    files = set(tree(out))
    assert {
        "index.html",
        "page/1/index.html",
        "issues/1/index.html",
        "issues/2/index.html",
        "issues/3/index.html",
        "404.html",
        "feed.xml",
        ".nojekyll",
        "pygments.css",
        "css/style.css",
        "images/dot.svg",
    } <= files
    assert "issues/4/index.html" not in files  # draft
    assert "issues/5/index.html" not in files  # future
    assert not any(name.endswith(".md") for name in files)
    issue = (out / "issues/2/index.html").read_text()
    assert "第二期：数据库" in issue
    assert 'href="https://www.sqlite.org/eqp.html"' in issue
    assert '<span class="k">EXPLAIN</span>' in issue
    css = (out / "pygments.css").read_text()
    assert ".highlight .k" in css and "prefers-color-scheme: dark" in css


def test_home_page_is_newest_first_and_paginated(basic):
    out = run(basic)
    home = (out / "index.html").read_text()
    assert home.index("Third issue") < home.index("第二期")
    assert "First issue" not in home
    assert "First issue" in (out / "page/1/index.html").read_text()


def test_previous_and_next_links(basic):
    out = run(basic)
    middle = (out / "issues/2/index.html").read_text()
    assert 'href="/issues/1/"' in middle and 'href="/issues/3/"' in middle


def test_drafts_and_future_issues_on_request(basic):
    out = run(basic, drafts=True, future=True)
    assert (out / "issues/4/index.html").is_file()
    assert (out / "issues/5/index.html").is_file()


def test_feed_reads_back_with_absolute_links(basic):
    out = run(basic)
    feed = feedparser.parse((out / "feed.xml").read_bytes())
    assert feed.bozo == 0, feed.get("bozo_exception")
    assert feed.version == "rss20"
    assert [entry.link for entry in feed.entries] == [
        "https://example.org/issues/3/",
        "https://example.org/issues/2/",
        "https://example.org/issues/1/",
    ]
    first = feed.entries[2]
    assert first.title == "First issue: hello"
    assert first.published_parsed[:3] == (2026, 10, 4)  # midnight in Shanghai is the 4th in UTC
    content = first.content[0].value
    assert 'src="https://example.org/images/dot.svg"' in content
    assert 'href="https://example.org/issues/2/"' in content
    assert not re.search(r'(href|src)="/', content)
    assert [tag.term for tag in first.tags] == ["python", "数据库"]


def internal_urls(html: str) -> list[str]:
    return [
        url
        for url in re.findall(r'(?:href|src)="([^"]*)"', html)
        if not url.startswith(("http://", "https://", "#", "mailto:"))
    ]


def test_sub_path_base_url(basic):
    out = run(basic, base_url="https://user.github.io/weekly/")
    for name in ["index.html", "issues/1/index.html", "404.html", "page/1/index.html"]:
        urls = internal_urls((out / name).read_text())
        assert urls, name
        bad = [url for url in urls if not url.startswith("/weekly/")]
        assert not bad, (name, bad)
        for url in urls:  # every internal link resolves to a file of the output
            target = out / unquote(url.removeprefix("/weekly/").split("#")[0])
            assert target.is_file() or (target / "index.html").is_file(), (name, url)
    feed = feedparser.parse((out / "feed.xml").read_bytes())
    assert all(
        entry.link.startswith("https://user.github.io/weekly/issues/") for entry in feed.entries
    )
    assert 'src="https://user.github.io/weekly/images/dot.svg"' in feed.entries[2].content[0].value


def test_site_templates_override_and_extend_the_theme(basic):
    (basic / "templates/partials").mkdir(parents=True)
    (basic / "templates/partials/item.html").write_text(
        '<p class="my-item">{{ item.title }}</p>\n', encoding="utf-8"
    )
    (basic / "templates/base.html").write_text(
        '{% extends "theme/base.html" %}\n'
        '{% block footer %}{{ super() }}<p class="x-custom">custom</p>{% endblock %}\n',
        encoding="utf-8",
    )
    out = run(basic)
    page = (out / "issues/1/index.html").read_text()
    assert '<p class="my-item">uv</p>' in page
    assert '<p class="x-custom">custom</p>' in page
    assert "Built with digest" in page  # super() kept the theme's footer
    assert "First issue: hello" in page  # the rest still comes from the theme


def test_site_static_files_layer_over_the_theme(basic):
    (basic / "static/css").mkdir(parents=True)
    (basic / "static/css/style.css").write_text("body{color:red}", encoding="utf-8")
    (basic / "static/favicon.svg").write_text("<svg/>", encoding="utf-8")
    out = run(basic)
    assert (out / "css/style.css").read_text() == "body{color:red}"
    assert (out / "favicon.svg").is_file()


def test_failed_build_leaves_the_previous_site_exactly(basic):
    out = run(basic)
    (out / "marker.txt").write_text("kept", encoding="utf-8")
    before = tree(out)
    (basic / "content/issues/9-broken.md").write_text("---\ntitle: [\n---\n", encoding="utf-8")
    with pytest.raises(DigestError):
        run(basic)
    assert tree(out) == before
    assert [p.name for p in basic.iterdir() if p.name.startswith(".digest-tmp")] == []


def test_successful_rebuild_replaces_the_site(basic):
    out = run(basic)
    (out / "stale.html").write_text("old", encoding="utf-8")
    run(basic)
    assert not (out / "stale.html").exists()
    assert [p.name for p in basic.iterdir() if p.name.startswith(".digest-tmp")] == []


def test_a_rebuild_from_a_spoilt_spare_tree_is_exactly_a_fresh_build(basic, tmp_path):
    """The tree a build replaces is kept as the spare the next build starts from; every
    way a file in it can be wrong is put right, and nothing of it is left over."""
    out = run(basic)
    issue = basic / "content/issues/2-second.md"
    issue.write_text(issue.read_text(encoding="utf-8") + "\nOne more line.\n", encoding="utf-8")
    run(basic)
    [spare] = (basic / SPARE_DIR).iterdir()
    (spare / "stray.html").write_text("no build made this", encoding="utf-8")
    (spare / "empty/deeper").mkdir(parents=True)
    (spare / "issues/1/index.html").unlink()
    same_size = spare / "issues/3/index.html"  # its own inode, its size and time as before
    status = same_size.stat()
    same_size.unlink()
    same_size.write_bytes(b"x" * status.st_size)
    os.utime(same_size, ns=(status.st_atime_ns, status.st_mtime_ns))
    linked = spare / "index.html"  # a link to the very file the output holds
    linked.unlink()
    linked.symlink_to(out / "index.html")
    issue.write_text(issue.read_text(encoding="utf-8") + "\nAnd another.\n", encoding="utf-8")
    run(basic)
    run(basic, out_dir=tmp_path / "fresh", force=True)

    def everything(root: Path) -> dict[str, bytes | None]:
        return {
            path.relative_to(root).as_posix(): None if path.is_dir() else path.read_bytes()
            for path in root.rglob("*")
        }

    assert not [path for path in out.rglob("*") if path.is_symlink()]
    assert everything(out) == everything(tmp_path / "fresh")


def test_a_forced_build_keeps_the_tree_it_replaces_as_the_spare(basic):
    """--force reuses nothing, so the spare is not taken; the one it finds is deleted in
    the background, and the tree the build replaces takes its place all the same."""
    run(basic)
    run(basic)
    [spare] = (basic / SPARE_DIR).iterdir()
    run(basic, force=True, detach_cleanup=True)
    assert spare.is_dir() and (spare / "index.html").is_file()
    assert spare.stat().st_ino != (basic / "_site").stat().st_ino


def test_an_output_file_changed_since_is_rendered_again(basic, tmp_path):
    """A page of the output written over by hand (in place: the spare shares its inode)
    is not kept by the next build, though its page did not change."""
    out = run(basic)
    issue = basic / "content/issues/2-second.md"
    issue.write_text(issue.read_text(encoding="utf-8") + "\nOne more line.\n", encoding="utf-8")
    run(basic)
    with (out / "issues/1/index.html").open("w", encoding="utf-8") as page:
        page.write("damaged by hand")
    (out / "css/style.css").write_text("damaged too", encoding="utf-8")
    issue.write_text(issue.read_text(encoding="utf-8") + "\nAnd another.\n", encoding="utf-8")
    run(basic)
    run(basic, out_dir=tmp_path / "fresh", force=True)
    assert tree(out) == tree(tmp_path / "fresh")


def test_refuses_to_replace_the_sources(basic):
    with pytest.raises(DigestError) as caught:
        run(basic, out_dir=basic)
    assert "would replace the site's sources" in str(caught.value)


def test_notes_for_unknown_sections_and_missing_images(basic):
    for name, date in (("6-more.md", "2026-10-20"), ("7-again.md", "2026-10-27")):
        (basic / "content/issues" / name).write_text(
            f"---\ntitle: {name}\ndate: {date}\n---\n## 本周金句\n\ntext\n\n## Podcasts\n\n"
            f"- [p](https://p.example/{name})\n\n## 一篇随笔\n\nAn essay.\n\n## News\n\n"
            "### [x](https://x.example/)\n\n![](/images/missing.png)\n",
            encoding="utf-8",
        )
    (basic / "content/issues/8-once.md").write_text(
        "---\ntitle: Once\ndate: 2026-11-03\n---\n## Special\n\n- [s](https://s.example/)\n",
        encoding="utf-8",
    )
    result = build(BuildOptions(site_dir=basic, now=NOW))
    notes = [(Path(n.path).name, n.line, n.message) for n in result.notes]
    # Prose sections (a quote, an essay) are no news; headings with items are.
    assert [n for n in notes if "matches no configured section" in n[2]] == [
        (
            "6-more.md",
            9,
            "section 'Podcasts' matches no configured section and is a section of its own "
            "(in 2 issues). To group it with one, add it to that section's aliases in site.yaml",
        ),
        (
            "8-once.md",
            5,
            "section 'Special' matches no configured section and is in one issue only, so its "
            "items are listed on no section page. To group it with one, add it to that "
            "section's aliases in site.yaml",
        ),
    ]
    assert (
        "6-more.md",
        19,
        "image /images/missing.png not found; put it in content/ or static/",
    ) in notes


def test_site_without_templates_uses_the_packaged_theme(make_site, tmp_path):
    site = make_site({"content/issues/1-a.md": "---\ntitle: A\ndate: 2026-01-05\n---\nHi.\n"})
    out = run(site)
    assert "<!doctype html>" in (out / "issues/1/index.html").read_text().lower()
    assert (out / "css/style.css").is_file()


def test_chinese_slugs_get_working_percent_encoded_urls(make_site):
    site = make_site(
        {"content/issues/数据库-周刊.md": "---\ntitle: 数据库周刊\ndate: 2026-01-05\n---\n正文。\n"}
    )
    out = run(site)
    assert (out / "issues/数据库-周刊/index.html").is_file()
    home = (out / "index.html").read_text()
    assert 'href="/issues/%E6%95%B0%E6%8D%AE%E5%BA%93-%E5%91%A8%E5%88%8A/"' in home
    feed = feedparser.parse((out / "feed.xml").read_bytes())
    assert (
        feed.entries[0].link
        == "https://example.org/issues/%E6%95%B0%E6%8D%AE%E5%BA%93-%E5%91%A8%E5%88%8A/"
    )


def test_raw_html_can_be_turned_off(make_site):
    from tests.conftest import SITE_YAML

    issue = {"content/issues/1-a.md": "---\ntitle: A\ndate: 2026-01-05\n---\nPress <kbd>K</kbd>.\n"}
    out = run(make_site(issue, SITE_YAML + "markdown:\n  raw_html: false\n"))
    assert "Press &lt;kbd&gt;K&lt;/kbd&gt;." in (out / "issues/1/index.html").read_text()


def test_the_parsed_site_is_freed_before_a_large_search_index_only(basic, monkeypatch):
    """Pagefind runs beside the parsed site when it indexes a few pages; before it
    indexes many, the site's memory is returned (all processes stay under 300 MB)."""
    released = []
    monkeypatch.setattr(memory, "release", lambda: released.append("released"))
    run(basic)  # a few issue pages, one Pagefind process
    assert released == []
    assert (basic / "_site/pagefind/pagefind.js").is_file()
    monkeypatch.setattr(search, "LIGHT_INDEX", 2)
    run(basic, force=True)
    assert released == ["released"]


BUNDLE_ISSUE = """\
---
title: Bundle
date: 2026-11-16
cover: cover.jpg
---
![](./assets/intro.png)

## News

### [A](https://a.example/)

![](./assets/a.png)

### [B](https://b.example/)

<img src="assets/b.png" alt="B">

### [C](https://c.example/)

Read the [slides](assets/c.pdf).
"""

JEKYLL_ISSUE = """\
---
title: Jekyll
date: 2026-11-09
header-img: img/bg.jpg
---
Intro.

## News

### [D](https://d.example/)

Summary.
"""


def _local_images(page: Path, out: Path, base_path: str) -> list[str]:
    """Every local <img src> of a built page, each checked to be a file of the output."""
    srcs = re.findall(r'<img\b[^>]*\ssrc="([^"]+)"', page.read_text(encoding="utf-8"))
    local = [src for src in srcs if not src.startswith(("http:", "https:", "data:"))]
    for src in local:
        assert src.startswith(base_path), src
        assert (out / unquote(src[len(base_path) :])).is_file(), src
    return local


@pytest.mark.parametrize("base_url", ["https://example.org/", "https://x.github.io/weekly/"])
def test_relative_images_are_published_and_linked(make_site, base_url):
    site = make_site(
        {
            "content/issues/101-bundle.md": BUNDLE_ISSUE,
            "content/issues/100-jekyll.md": JEKYLL_ISSUE,
            "content/issues/cover.jpg": b"jpg",
            "content/issues/assets/intro.png": b"png",
            "content/issues/assets/a.png": b"png",
            "content/issues/assets/b.png": b"png",
            "content/issues/assets/c.pdf": b"pdf",
            "content/img/bg.jpg": b"jpg",
        },
        site_yaml=f"title: W\nbase_url: {base_url}\ntimezone: UTC\n",
    )
    out = site / "_site"
    result = build(BuildOptions(site_dir=site, now=NOW, search=False))
    assert [n for n in result.notes if "image" in n.message] == []
    base = "/weekly/" if "weekly" in base_url else "/"
    bundle = _local_images(out / "issues/101/index.html", out, base)
    assert {f"{base}issues/{name}" for name in ("cover.jpg", "assets/intro.png")} <= set(bundle)
    assert {f"{base}issues/assets/{name}" for name in ("a.png", "b.png")} <= set(bundle)
    html = (out / "issues/101/index.html").read_text(encoding="utf-8")
    assert f'href="{base}issues/assets/c.pdf"' in html
    assert (out / "issues/assets/c.pdf").is_file()
    assert f"{base}img/bg.jpg" in _local_images(out / "issues/100/index.html", out, base)


def test_missing_relative_images_are_noted_at_their_line_as_written(make_site):
    site = make_site(
        {
            "content/issues/2024/7-gone.md": (
                "---\ntitle: Gone\ndate: 2026-11-16\ncover: cover.jpg\n---\n"  # cover: 4
                "Intro.\n\n![](../../../outside.png)\n\n"  # 8
                "## News\n\n"
                "### [A](https://a.example/)\n\n"  # 12
                "![](./assets/a.png)\n\n"
                "<img src='../img/b.png'>\n"  # 16
            ),
        },
    )
    result = build(BuildOptions(site_dir=site, now=NOW, search=False))
    notes = [(n.line, n.message) for n in result.notes if "image" in n.message]
    assert notes == [
        (
            4,
            "image cover.jpg not found at content/issues/2024/cover.jpg or content/cover.jpg; "
            "put it in one of them",
        ),
        (
            8,
            "image ../../../outside.png not found: it points outside content/; put the image "
            "in content/ and give its path from the issue's folder or the site root",
        ),
        (12, "image ./assets/a.png not found at content/issues/2024/assets/a.png; put it there"),
        (12, "image ../img/b.png not found at content/issues/img/b.png; put it there"),
    ]
    assert all(n.level == "note" for n in result.notes if "image" in n.message)
    assert {str(n.path) for n in result.notes} == {str(site / "content/issues/2024/7-gone.md")}


@pytest.mark.parametrize("name", ["archive-docusaurus-zh", "archive-hugo-toml"])
def test_archive_images_are_found(tmp_path, name):
    site = tmp_path / name
    shutil.copytree(SITES / name, site, ignore=shutil.ignore_patterns(".digest"))
    result = build(BuildOptions(site_dir=site, now=NOW, search=False))
    assert [n for n in result.notes if "image" in n.message] == []
    out = site / "_site"
    found = [
        src for page in out.glob("issues/*/index.html") for src in _local_images(page, out, "/")
    ]
    assert len(found) >= 1
