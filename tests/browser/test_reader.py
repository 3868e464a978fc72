"""A reader's visit in real Chromium: follow links, read on a phone, in dark mode, filter items.

Every page opened through a Tab also records console errors, uncaught exceptions, failed
requests and requests to other hosts; each test ends by asserting there were none.
"""

from __future__ import annotations

import io
import re
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import unquote, urlsplit

import pytest
from external_tools import missing_tool

from .conftest import Tab
from .served import Served

if TYPE_CHECKING:
    from PIL.Image import Image
    from playwright.sync_api import Page

PHONE_WIDTH = 360

OpenTab = Callable[..., Tab]


def no_problems(*tabs: Tab) -> None:
    """What the browser complained about on every page the tabs visited, one per line."""
    problems = [problem for tab in tabs for problem in tab.problems]
    if problems:
        pytest.fail("the browser reported problems:\n" + "\n".join(problems), pytrace=False)


def first(texts: list[str]) -> int:
    """The first link."""
    return 0


def first_non_ascii(texts: list[str]) -> int:
    """The first text with a non-ASCII character (a Chinese tag), else the first text."""
    return next((i for i, text in enumerate(texts) if not text.isascii()), 0)


def follow(
    tab: Tab, served: Served, section: str, choose: Callable[[list[str]], int] = first
) -> str:
    """Click a link in <main> into ``section`` (e.g. 'issues'), not the index; return its text.

    ``choose`` picks one of the candidate links by their texts.
    """
    page = tab.page
    prefix = f"{served.prefix}{section}/"
    links = page.locator(f'main a[href^="{prefix}"]:not([href="{prefix}"])')
    texts = [text.strip() for text in links.all_inner_texts()]
    assert texts, f"{page.url} has no link to a page under {prefix} in <main>"
    index = choose(texts)
    link = links.nth(index)
    href = link.get_attribute("href") or ""
    with page.expect_navigation(wait_until="load"):
        link.click()
    landed = unquote(urlsplit(page.url).path)
    assert landed == unquote(href.split("#", 1)[0]), f"clicked {href}, landed on {page.url}"
    assert re.fullmatch(rf"{re.escape(prefix)}[^/]+/", landed), f"not a {section} page: {landed}"
    return texts[index]


def heading(tab: Tab) -> str:
    """The page's one <h1>, whitespace-normalised."""
    h1 = tab.page.locator("h1")
    assert h1.count() == 1, f"{tab.page.url} has {h1.count()} <h1> elements, expected 1"
    return " ".join(h1.inner_text().split())


def open_issue_from_home(tab: Tab, served: Served) -> str:
    """Open the home page and click through to an issue; returns the issue's path."""
    tab.visit(served.url())
    follow(tab, served, "issues")
    assert tab.page.locator("main article.item").count() > 0, f"{tab.page.url} shows no items"
    return urlsplit(tab.page.url).path


def test_home_page_leads_to_an_issue(site: Served, open_tab: OpenTab) -> None:
    tab = open_tab(site)
    open_issue_from_home(tab, site)
    assert heading(tab)
    no_problems(tab)


def test_issue_leads_to_its_section_page(site: Served, open_tab: OpenTab) -> None:
    tab = open_tab(site)
    issue = open_issue_from_home(tab, site)
    # The issue shows the heading as its author wrote it ('📰 科技新闻'); the section
    # page is titled as configured ('业界资讯'), and lists the items checked below.
    follow(tab, site, "sections")
    assert heading(tab), f"{tab.page.url} has no heading"
    # The section page lists that section's items, linking back to the issue they are in.
    items = tab.page.locator("main article.item")
    assert items.count() > 0, f"{tab.page.url} lists no items"
    back = tab.page.locator(f'main a[href^="{issue}"]')
    assert back.count() > 0, f"{tab.page.url} does not link back to the issue {issue}"
    no_problems(tab)


def test_issue_leads_to_a_tag_page_even_a_chinese_one(site: Served, open_tab: OpenTab) -> None:
    tab = open_tab(site)
    issue = open_issue_from_home(tab, site)
    tag = follow(tab, site, "tags", choose=first_non_ascii)
    assert tag.lstrip("#") in heading(tab), f"{tab.page.url} is not about the tag {tag!r}"
    back = tab.page.locator(f'main a[href="{issue}"]')
    assert back.count() > 0, f"the tag page {tab.page.url} does not list the issue {issue}"
    no_problems(tab)


@pytest.mark.parametrize(
    ("start", "into", "choose"),
    [
        ("archive/", "issues", first),
        ("sections/", "sections", first),
        ("tags/", "tags", first_non_ascii),
    ],
    ids=["archive", "sections", "tags"],
)
def test_header_navigation_leads_to_listed_pages(
    start: str, into: str, choose: Callable[[list[str]], int], site: Served, open_tab: OpenTab
) -> None:
    """From home, the header's link to each index page, then a page it lists (a Chinese tag)."""
    tab = open_tab(site)
    tab.visit(site.url())
    nav = tab.page.locator(f'header a[href="{site.prefix}{start}"]')
    assert nav.count() > 0, f"the home page header has no link to {site.prefix}{start}"
    with tab.page.expect_navigation(wait_until="load"):
        nav.first.click()
    text = follow(tab, site, into, choose)
    if choose is first_non_ascii:
        assert not text.isascii(), f"{site.prefix}{start} lists no Chinese tag to follow"
    assert heading(tab)
    no_problems(tab)


@pytest.mark.parametrize("which", ["site", "subpath_site"])
def test_no_browser_problems_on_any_page(
    which: str, request: pytest.FixtureRequest, open_tab: OpenTab
) -> None:
    """Every generated page loads clean: no console error, exception or broken request."""
    served: Served = request.getfixturevalue(which)
    tab = open_tab(served)
    for relative in served.html_files():
        tab.visit(served.page_url(relative))
        if relative.startswith("search/"):
            tab.page.wait_for_load_state("networkidle")  # the search script loads its index
    no_problems(tab)


@pytest.mark.parametrize("which", ["site", "subpath_site"])
def test_a_missing_page_shows_the_404_page_with_its_styles(
    which: str, request: pytest.FixtureRequest, open_tab: OpenTab
) -> None:
    """404.html is served at any depth, so its stylesheet and links must not be relative."""
    served: Served = request.getfixturevalue(which)
    tab = open_tab(served)
    missing = served.url("no/such/page/")
    response = tab.page.goto(missing, wait_until="load")
    assert response is not None and response.status == 404
    # The page's own 404 status is expected; anything else the browser reports is not.
    expected = (f"HTTP 404 for {missing}", f"status of 404 (File not found) ({missing}:0)")
    tab.problems[:] = [p for p in tab.problems if not p.endswith(expected)]
    sheets = tab.page.evaluate("document.styleSheets.length")
    assert sheets > 0, "the 404 page has no stylesheet"
    home = tab.page.locator(f'main a[href="{served.prefix}"]')
    assert home.count() > 0, f"the 404 page has no link home ({served.prefix}) in <main>"
    no_problems(tab)


def test_no_horizontal_scroll_on_a_phone(site: Served, open_tab: OpenTab) -> None:
    """At 360 px nothing sticks out sideways: long URLs, code blocks, tables and images wrap."""
    tab = open_tab(site, width=PHONE_WIDTH, height=740)
    too_wide = []
    for relative in site.html_files():
        tab.visit(site.page_url(relative))
        width = tab.page.evaluate("document.scrollingElement.scrollWidth")
        if width > PHONE_WIDTH:
            too_wide.append(f"{relative}: {width} px, widest: {widest_elements(tab)}")
    assert not too_wide, f"pages wider than {PHONE_WIDTH} px:\n" + "\n".join(too_wide)
    no_problems(tab)


def widest_elements(tab: Tab) -> str:
    """The innermost elements reaching past the viewport's right edge, to say what to fix."""
    return tab.page.evaluate(
        """() => {
        const edge = document.documentElement.clientWidth;
        const scrolls = el => {  // inside a box that scrolls or clips: not the page's fault
            for (let up = el.parentElement; up && up !== document.body; up = up.parentElement) {
                if (getComputedStyle(up).overflowX !== "visible") return true;
            }
            return false;
        };
        const out = [...document.querySelectorAll("body *")].filter(el => {
            const r = el.getBoundingClientRect();
            return r.right > edge + 0.5 && r.width > 0 && !scrolls(el) &&
                ![...el.children].some(c => c.getBoundingClientRect().right > edge + 0.5);
        });
        return out.slice(0, 5).map(el => {
            const cls = el.className && typeof el.className === "string"
                ? "." + el.className.trim().split(/\\s+/).join(".") : "";
            return `${el.tagName.toLowerCase()}${cls} (right ${Math.round(
                el.getBoundingClientRect().right)} px)`;
        }).join(", ");
    }"""
    )


def luminance(rgb: tuple[int, ...]) -> float:
    """WCAG relative luminance of an sRGB colour: 0 is black, 1 is white."""

    def channel(value: int) -> float:
        c = value / 255
        return c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4

    r, g, b = (channel(v) for v in rgb[:3])
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def decode_png(png: bytes) -> Image:
    """A screenshot as a Pillow image (Pillow comes with the test extra)."""
    try:
        import PIL.Image
    except ImportError:
        missing_tool("Pillow is not installed; install it with: pip install -e '.[test]'")
    return PIL.Image.open(io.BytesIO(png))


def background_of(png: bytes, where: Path) -> float:
    """Check a screenshot shows something; return the luminance of its commonest colour.

    Saved to ``where`` so a failure can be looked at.
    """
    where.write_bytes(png)
    image = decode_png(png).convert("RGB")
    total = image.width * image.height
    colours = image.getcolors(maxcolors=total) or []
    count, background = max(colours)
    assert len(colours) >= 32, f"{where}: only {len(colours)} colours, the page looks blank"
    assert count / total < 0.98, f"{where}: {count / total:.1%} is one colour, the page is blank"
    return luminance(background)


@pytest.mark.parametrize("kind", ["home", "issue"])
def test_phone_screenshot_shows_the_page(
    kind: str, site: Served, open_tab: OpenTab, tmp_path: Path
) -> None:
    tab = open_tab(site, width=PHONE_WIDTH, height=740)
    tab.visit(site.page_url(site.kind(kind)))
    png = tab.page.screenshot(full_page=True)
    width, _ = decode_png(png).size
    assert width == PHONE_WIDTH, f"the page is {width} px wide at a {PHONE_WIDTH} px viewport"
    assert background_of(png, tmp_path / f"{kind}-phone.png") > 0.6, "light mode is not light"
    no_problems(tab)


@pytest.mark.parametrize("kind", ["home", "issue"])
def test_dark_mode_is_dark(kind: str, site: Served, open_tab: OpenTab, tmp_path: Path) -> None:
    """With the system in dark mode, the page background is dark; in light mode, light."""
    dark = open_tab(site, scheme="dark")
    dark.visit(site.page_url(site.kind(kind)))
    dark_bg = background_of(dark.page.screenshot(), tmp_path / f"{kind}-dark.png")
    light = open_tab(site, scheme="light")
    light.visit(site.page_url(site.kind(kind)))
    light_bg = background_of(light.page.screenshot(), tmp_path / f"{kind}-light.png")
    assert dark_bg < 0.1, f"dark mode background luminance is {dark_bg:.2f} ({tmp_path})"
    assert light_bg > 0.6, f"light mode background luminance is {light_bg:.2f} ({tmp_path})"
    no_problems(dark, light)


def filter_query(titles: list[str], ascii_word: bool) -> tuple[str, int]:
    """A word from item titles that some but not all titles contain; its first title's index.

    The rarest such word, so typing it narrows the list as much as possible.
    """
    pattern = r"[A-Za-z]{4,}" if ascii_word else r"[\u4e00-\u9fff]{2}"
    lowered = [title.lower() for title in titles]
    counts = Counter(word.lower() for title in titles for word in set(re.findall(pattern, title)))
    useful = [(n, w) for w, n in counts.items() if 0 < n < len(titles)]
    if not useful:
        pytest.fail(f"no {'ASCII' if ascii_word else 'Chinese'} word to filter by in {titles}")
    _, word = min(useful)
    return word, next(i for i, title in enumerate(lowered) if word in title)


def settled(page: Page, condition: str, failure: str) -> None:
    """Wait up to 5 s for a JavaScript condition; fail with ``failure`` if it never holds."""
    from playwright.sync_api import TimeoutError as PlaywrightTimeoutError

    try:
        page.wait_for_function(f"() => {condition}", timeout=5_000)
    except PlaywrightTimeoutError:
        pytest.fail(f"{page.url}: {failure} (waited 5 s for {condition})", pytrace=False)


def issue_with_titles(served: Served, ascii_word: bool) -> str:
    """The issue page with the most item titles in Latin letters, or in Chinese."""
    pattern = re.compile(r"[A-Za-z]{4,}" if ascii_word else r"[\u4e00-\u9fff]{2}")
    issues = [f for f in served.html_files() if re.fullmatch(r"issues/[^/]+/index\.html", f)]
    assert issues, f"the build has no issue pages: {served.html_files()}"

    def score(relative: str) -> int:
        source = (served.out / relative).read_text(encoding="utf-8")
        titles = re.findall(r"<h3[^>]*>(.*?)</h3>", source, re.S)
        return sum(bool(pattern.search(re.sub(r"<[^>]+>", "", t))) for t in titles)

    return max(issues, key=score)


@pytest.mark.parametrize("ascii_word", [True, False], ids=["latin", "chinese"])
def test_typing_in_the_filter_box_narrows_the_items(
    ascii_word: bool, site: Served, open_tab: OpenTab
) -> None:
    """input[type=search][data-filter] hides (the hidden attribute) the article.item not matching.

    Typing a word from one title keeps that item, hides items whose titles lack it, and every
    item left shown mentions it; clearing the box shows every item again. Case does not matter.
    """
    tab = open_tab(site)
    page = tab.visit(site.page_url(issue_with_titles(site, ascii_word)))
    box = page.locator("input[type=search][data-filter]")
    assert box.count() == 1, f"{page.url} has {box.count()} filter boxes, expected 1"
    box.wait_for(state="visible")
    items = page.locator("article.item")
    total = items.count()
    titles = [" ".join(t.split()) for t in page.locator("article.item h3").all_inner_texts()]
    assert len(titles) == total > 1, f"expected an <h3> title in each of {total} items"
    word, source = filter_query(titles, ascii_word)

    box.press_sequentially(word.upper() if ascii_word else word, delay=20)
    shown = page.locator("article.item:not([hidden])")
    hidden = page.locator("article.item[hidden]")
    settled(page, "document.querySelector('article.item[hidden]')", f"typing {word!r} hid no item")
    assert items.nth(source).is_visible(), f"typing {word!r} hid the item {titles[source]!r}"
    for text in shown.all_text_contents():
        assert word in text.lower(), f"typing {word!r} left shown: {' '.join(text.split())[:80]}"
    for index in range(hidden.count()):
        item = hidden.nth(index)
        assert not item.is_visible(), "an item with the hidden attribute is still displayed"
        title = " ".join(item.locator("h3").inner_text().split())
        assert word not in title.lower(), f"typing {word!r} hid {title!r}, which contains it"
    assert shown.count() < total

    box.fill("")
    box.dispatch_event("input")
    settled(page, "!document.querySelector('article.item[hidden]')", "clearing left items hidden")
    assert shown.count() == total
    no_problems(tab)
