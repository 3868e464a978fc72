"""`digest serve` in a real browser: an open page reloads itself after a save."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from dev_server import start

SITES = Path(__file__).resolve().parents[1] / "sites"


@pytest.fixture
def dev_server(tmp_path: Path):
    site = tmp_path / "site"
    shutil.copytree(SITES / "basic", site)
    server = start(site, tmp_path)
    yield server
    server.stop()


def test_open_page_reloads_after_an_edit_and_shows_errors(browser, dev_server):
    context = browser.new_context()
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    base = f"http://127.0.0.1:{dev_server.port}"
    page.goto(f"{base}/issues/3/", wait_until="load")
    page.wait_for_function("() => document.title.includes('Third issue')")
    # Mark this document: a real reload replaces it, and the mark disappears.
    page.evaluate("() => { window.__digestMark = true; }")

    issue = dev_server.site / "content/issues/3-third.md"
    good = issue.read_text(encoding="utf-8")
    issue.write_text(good.replace("Short one.", "Edited in the browser test."), encoding="utf-8")
    page.wait_for_function(
        "() => !window.__digestMark"
        " && document.body.innerText.includes('Edited in the browser test.')",
        timeout=15_000,
    )

    issue.write_text(good.replace("title: Third issue", "title: [broken"), encoding="utf-8")
    overlay = page.locator("#digest-error")
    overlay.wait_for(state="visible", timeout=15_000)
    assert "3-third.md:3: error: invalid YAML" in overlay.inner_text()

    page.evaluate("() => { window.__digestMark = true; }")
    issue.write_text(good, encoding="utf-8")
    page.wait_for_function(
        "() => !window.__digestMark && !document.getElementById('digest-error')", timeout=15_000
    )
    assert errors == []
    context.close()
