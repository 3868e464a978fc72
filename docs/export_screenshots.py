"""Make the README's screenshots of the exports of sample issue 3, in Debian's Chromium.

python docs/export_screenshots.py

The email at 600 px, the WeChat paste at a phone's 375 px, and the Markdown as text.
Images on the sample site's domain are answered from content/.
"""

from __future__ import annotations

import html
import mimetypes
from datetime import UTC, datetime
from pathlib import Path

from playwright.sync_api import Route, sync_playwright

from digest.config import load_config
from digest.export import prepare
from digest.export.email import render_email
from digest.export.markdown import render_markdown
from digest.export.wechat import render_wechat

ROOT = Path(__file__).resolve().parents[1]
NOW = datetime(2026, 11, 23, tzinfo=UTC)
ISSUE = "3"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--no-first-run"]
SITE = "https://digest.example.org/"


def answer(route: Route) -> None:
    url = route.request.url
    path = ROOT / "content" / url.removeprefix(SITE) if url.startswith(SITE) else None
    if path is not None and path.is_file():
        kind = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
        route.fulfill(body=path.read_bytes(), content_type=kind)
    else:
        route.abort()


def main() -> None:
    config = load_config(ROOT)
    markdown = render_markdown(prepare(config, ISSUE, NOW))
    shots = {
        "email": (render_email(prepare(config, ISSUE, NOW)).html, 600),
        "wechat": (render_wechat(prepare(config, ISSUE, NOW))[0], 375),
        "markdown": (
            '<pre style="margin:16px;font:13px/1.5 monospace;white-space:pre-wrap">'
            f"{html.escape(markdown)}</pre>",
            600,
        ),
    }
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path="/usr/bin/chromium", args=ARGS)
        for name, (page_html, width) in shots.items():
            context = browser.new_context(
                viewport={"width": width, "height": 1000}, device_scale_factor=1
            )
            page = context.new_page()
            page.route("**/*", answer)
            page.set_content(page_html, wait_until="load")
            page.screenshot(path=str(ROOT / "docs" / f"export-{name}.png"))
            context.close()
        browser.close()


if __name__ == "__main__":
    main()
