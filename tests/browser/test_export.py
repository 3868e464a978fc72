"""The exported email in Chromium: one column that fits 600 and 375 px, styled inline.

The email's images are on the sample site's domain; requests for them are answered from
content/, so the layout is tested with the images mail clients would load.
"""

from __future__ import annotations

import mimetypes
from datetime import UTC, datetime

import pytest
from external_tools import ROOT

from digest.config import load_config
from digest.export import prepare
from digest.export.email import render_email

NOW = datetime(2026, 11, 23, tzinfo=UTC)
ISSUES = ["1", "2", "3", "4", "5"]

OVERFLOWS = """() => {
  const width = document.documentElement.clientWidth;
  const wide = [];
  for (const element of document.body.querySelectorAll('*')) {
    const box = element.getBoundingClientRect();
    if (box.width === 0 && box.height === 0) continue;  // not shown (the preheader)
    if (box.right > width + 0.5 || box.left < -0.5)
      wide.push(`${element.tagName} ${Math.round(box.left)}..${Math.round(box.right)}`);
  }
  return {scroll: document.documentElement.scrollWidth, width, wide};
}"""

COMPUTED = """() => Array.from(document.body.querySelectorAll('*'), element => {
  const style = getComputedStyle(element);
  const pairs = Array.from(style, name => name + ':' + style.getPropertyValue(name));
  return element.tagName + ' ' + pairs.join(';');
})"""


@pytest.fixture(scope="module")
def emails() -> dict[str, str]:
    config = load_config(ROOT)
    return {number: render_email(prepare(config, number, NOW)).html for number in ISSUES}


def open_email(browser, html: str, width: int, scheme: str = "light"):
    context = browser.new_context(viewport={"width": width, "height": 900}, color_scheme=scheme)
    page = context.new_page()

    def answer(route):
        url = route.request.url
        prefix = "https://digest.example.org/"
        path = ROOT / "content" / url.removeprefix(prefix) if url.startswith(prefix) else None
        if path is not None and path.is_file():
            kind = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
            route.fulfill(body=path.read_bytes(), content_type=kind)
        else:
            route.abort()

    page.route("**/*", answer)
    page.set_content(html, wait_until="load")
    return context, page


@pytest.mark.parametrize("number", ISSUES)
@pytest.mark.parametrize("width", [600, 375])
def test_email_fits_the_width_without_overflow(browser, emails, number, width):
    context, page = open_email(browser, emails[number], width)
    try:
        found = page.evaluate(OVERFLOWS)
        assert found["scroll"] <= found["width"], found
        assert found["wide"] == []
        images = page.evaluate(
            "() => Array.from(document.images, i => [i.src, i.naturalWidth, i.width])"
        )
        for src, natural, shown in images:
            assert natural > 0, f"{src} did not load"
            assert shown <= width
    finally:
        context.close()


@pytest.mark.parametrize("number", ISSUES)
@pytest.mark.parametrize("width", [600, 375])
def test_no_element_depends_on_a_stylesheet(browser, emails, number, width):
    """Every computed style is the same with the document's <style> removed: what shows
    comes from the inline styles alone (the <style> holds only the dark-mode rules)."""
    context, page = open_email(browser, emails[number], width)
    try:
        with_sheets = page.evaluate(COMPUTED)
        removed = page.evaluate(
            "() => { const s = document.querySelectorAll('style, link');"
            " s.forEach(e => e.remove()); return s.length; }"
        )
        assert removed == 1
        without = page.evaluate(COMPUTED)
        assert len(with_sheets) == len(without)
        changed = [(a, b) for a, b in zip(with_sheets, without, strict=True) if a != b]
        assert changed == []
        unstyled = page.evaluate(
            "() => Array.from(document.body.querySelectorAll('*'))"
            ".filter(e => !e.hasAttribute('style') && !['BR', 'TBODY', 'TR'].includes(e.tagName))"
            ".map(e => e.tagName)"
        )
        # Every element carries its own style but words set off in a line, which inherit.
        assert set(unstyled) <= {"SPAN", "EM", "I", "KBD", "S", "DEL", "SUP", "SUB", "MARK"}
    finally:
        context.close()


def test_dark_mode_changes_the_colours(browser, emails):
    context, page = open_email(browser, emails["3"], 600, scheme="dark")
    try:
        colour = page.evaluate("() => getComputedStyle(document.querySelector('h1')).color")
        background = page.evaluate("() => getComputedStyle(document.body).backgroundColor")
        assert colour == "rgb(230, 237, 243)" and background == "rgb(13, 17, 23)"
        found = page.evaluate(OVERFLOWS)
        assert found["wide"] == []
    finally:
        context.close()
