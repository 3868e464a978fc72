"""The default theme as built for the sample site: weight, language, accessibility basics."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from html.parser import HTMLParser
from pathlib import Path

import pytest

from digest.build.pipeline import BuildOptions, build

ROOT = Path(__file__).resolve().parents[1]
NOW = datetime(2026, 11, 23, tzinfo=UTC)
HOME_BUDGET = 60 * 1024


@pytest.fixture(scope="module")
def out(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("theme") / "_site"
    build(BuildOptions(site_dir=ROOT, out_dir=folder, now=NOW))
    return folder


class Assets(HTMLParser):
    """Collects what a page loads at once: stylesheets, scripts, and <img> tags."""

    def __init__(self) -> None:
        super().__init__()
        self.loads: list[str] = []
        self.images: list[dict[str, str | None]] = []
        self.lang: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = dict(attrs)
        if tag == "html":
            self.lang = attributes.get("lang")
        if tag == "link" and attributes.get("rel") == "stylesheet":
            self.loads.append(str(attributes["href"]))
        if tag == "script" and attributes.get("src"):
            self.loads.append(str(attributes["src"]))
        if tag == "img":
            self.images.append(attributes)


def parsed(page: Path) -> Assets:
    assets = Assets()
    assets.feed(page.read_text(encoding="utf-8"))
    return assets


def test_home_page_weighs_under_60_kb_before_images(out):
    home = out / "index.html"
    assets = parsed(home)
    total = home.stat().st_size + sum(
        (out / src.lstrip("/")).stat().st_size for src in assets.loads
    )
    assert total < HOME_BUDGET, f"{total} bytes: {assets.loads}"


def test_every_page_has_a_language_and_images_have_alt_text(out):
    for page in out.rglob("*.html"):
        assets = parsed(page)
        assert assets.lang, page
        for image in assets.images:
            assert "alt" in image, (page, image)


def test_chinese_and_english_issue_pages_declare_their_language(out):
    assert parsed(out / "issues/2/index.html").lang == "zh-CN"
    assert parsed(out / "issues/1/index.html").lang == "en"


def test_images_past_the_first_are_lazy_and_every_one_is_sized(out):
    html = (out / "issues/1/index.html").read_text(encoding="utf-8")
    first, *later = re.findall(r"<img\b[^>]*>", html)
    assert later and all('loading="lazy"' in image for image in later)
    assert "loading=" not in first  # on the first screen: loaded at once
    for image in [first, *later]:
        assert re.search(r'width="\d+" height="\d+"', image) and 'decoding="async"' in image


def test_light_and_dark_styles(out):
    css = (out / "css/style.css").read_text(encoding="utf-8")
    assert "@media (prefers-color-scheme:dark)" in css  # minified
    assert ":focus-visible" in css
    pygments = (out / "pygments.css").read_text(encoding="utf-8")
    assert "@media (prefers-color-scheme: dark)" in pygments


def test_issue_page_shows_reading_time_toc_and_past_years(out):
    html = (out / "issues/5/index.html").read_text(encoding="utf-8")
    assert re.search(r"约 \d+ 分钟读完", html)
    assert 'class="toc"' in html
    assert "往年今日" in html and 'href="/issues/1/"' in html
