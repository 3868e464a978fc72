"""The "RSS" link opens the feeds page, whose copy buttons put a feed's address on the
clipboard."""

from __future__ import annotations

from .served import Served
from .test_reader import OpenTab, no_problems, settled


def test_rss_opens_the_feeds_page_and_copy_copies(site: Served, open_tab: OpenTab) -> None:
    tab = open_tab(site)
    page = tab.visit(site.url(""))
    page.context.grant_permissions(["clipboard-read", "clipboard-write"])
    page.locator("header nav a", has_text="RSS").click()
    page.wait_for_url(site.url("feeds/"))
    assert page.locator("h1").inner_text() == "订阅源"
    button = page.locator("[data-copy]").first
    address = button.get_attribute("data-copy")
    assert address == f"{site.base_url}feed.xml"
    button.click()
    settled(page, "document.querySelector('[data-copy]').textContent.includes('已复制')", "no ack")
    assert page.evaluate("navigator.clipboard.readText()") == address
    no_problems(tab)
