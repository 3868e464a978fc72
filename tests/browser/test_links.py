"""Crawl the served site from its home page: no broken internal link, no unreachable page.

Run on the site at a domain root and on the sub-path build served under /weekly/, where a link
that forgets the sub-path is a failure even if a file of that name exists at the root.
"""

from __future__ import annotations

import re
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from .crawl import Crawl, crawl
from .served import Served, serve

# Besides the home page, the crawl starts where a visitor or robot arrives without a link.
WELL_KNOWN = ("404.html", "robots.txt")
# Files that must be linked from somewhere: every page, feed and sitemap. Search-index files
# are fetched by the search script, not linked.
MUST_BE_LINKED = re.compile(r"(?!pagefind/).*\.(html|xml|json)")


def crawl_site(served: Served) -> Crawl:
    """Crawl from the home page and the well-known entry files that exist."""
    starts = ["", *(name for name in WELL_KNOWN if (served.out / name).is_file())]
    return crawl(served, starts)


def unreached(served: Served, result: Crawl) -> list[str]:
    """Output files the crawl never reached that a reader or feed reader needs to find."""
    files = {p.relative_to(served.out).as_posix() for p in served.out.rglob("*") if p.is_file()}
    wanted = {f for f in files if MUST_BE_LINKED.fullmatch(f)} - set(WELL_KNOWN)
    return sorted(wanted - result.reached_files())


@pytest.fixture(scope="module", params=["site", "subpath_site"])
def crawled(request: pytest.FixtureRequest) -> tuple[Served, Crawl]:
    served: Served = request.getfixturevalue(request.param)
    return served, crawl_site(served)


def test_no_broken_internal_links(crawled: tuple[Served, Crawl]) -> None:
    served, result = crawled
    assert len(result.fetched) > 10, f"the crawl of {served.url()} found almost nothing"
    if result.problems:
        pytest.fail(
            f"broken links on the site served at {served.url()}:\n" + "\n".join(result.problems),
            pytrace=False,
        )


def test_every_page_and_feed_is_linked(crawled: tuple[Served, Crawl]) -> None:
    served, result = crawled
    missing = unreached(served, result)
    assert not missing, f"no link leads to these files of {served.url()}: {missing}"


def spoil(path: Path, old: str, new: str) -> None:
    """Replace the first ``old`` in a built file, which must contain it."""
    text = path.read_text(encoding="utf-8")
    assert old in text, f"{path} has no {old!r} to spoil"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


@pytest.fixture
def broken_copy(site: Served, tmp_path: Path) -> Iterator[Served]:
    """A copy of the built site with one of each mistake the crawler must catch."""
    out = tmp_path / "_site"
    shutil.copytree(site.out, out)
    (out / "orphan").mkdir()
    (out / "orphan" / "index.html").write_text("<!doctype html><title>orphan</title>")
    spoil(
        out / "index.html",
        "</main>",
        '<a href="/no-such-page/">a</a> <a href="/issues/1">b</a> <a href="#nowhere">c</a>'
        '<img src="/images/missing.png" alt=""> <a href="https://digest.example.org/gone/">d</a>'
        "</main>",
    )
    spoil(out / "css" / "style.css", "}", "} .x { background: url(/fonts/missing.woff2) }")
    spoil(
        out / "feed.xml", "https://digest.example.org/issues/", "https://digest.example.org/isues/"
    )
    # In an item's HTML (an issue's "image" comes first, and is checked as absolute only).
    spoil(out / "feed.json", 'src=\\"https://digest.example.org/images/', 'src=\\"/images/')
    yield from serve(out, "/", site.base_url)


def test_the_crawler_flags_broken_links(broken_copy: Served) -> None:
    result = crawl_site(broken_copy)
    report = "\n".join(result.problems)
    assert "/no-such-page/ is broken (HTTP 404)" in report, report
    assert "/issues/1 redirects to /issues/1/" in report, report
    assert "points at #nowhere" in report, report
    assert "/images/missing.png is broken" in report, report
    assert "https://digest.example.org/gone/ is broken" in report, report
    assert "/fonts/missing.woff2 is broken (HTTP 404) — on /css/style.css" in report, report
    assert "https://digest.example.org/isues/" in report, report
    assert re.search(r"relative URL '/images/[^']+' in a feed.* — on /feed.json", report), report
    assert unreached(broken_copy, result) == ["orphan/index.html"]


@pytest.fixture
def broken_subpath_copy(subpath_site: Served, tmp_path: Path) -> Iterator[Served]:
    """A copy of the /weekly/ build with links that forget the sub-path."""
    out = tmp_path / "_site"
    shutil.copytree(subpath_site.out, out)
    home = out / "index.html"
    home.write_text(
        home.read_text(encoding="utf-8").replace(
            "</main>",
            '<a href="/issues/1/">a</a> <a href="https://example.org/issues/1/">b</a></main>',
        ),
        encoding="utf-8",
    )
    yield from serve(out, "/weekly/", subpath_site.base_url)


def test_the_crawler_flags_links_outside_the_sub_path(broken_subpath_copy: Served) -> None:
    report = "\n".join(crawl_site(broken_subpath_copy).problems)
    assert "/issues/1/ is outside the sub-path /weekly/" in report, report
    assert "https://example.org/issues/1/ is outside the site" in report, report
