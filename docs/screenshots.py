"""Make the README's screenshots of the sample site, light and dark, in Debian's Chromium.

python docs/screenshots.py
"""

from __future__ import annotations

import tempfile
import threading
from datetime import UTC, datetime
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from playwright.sync_api import sync_playwright

from digest.build.pipeline import BuildOptions, build

ROOT = Path(__file__).resolve().parents[1]
NOW = datetime(2026, 11, 23, tzinfo=UTC)
PAGES = {"home": "/", "issue": "/issues/3/"}
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


class QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        """No request log: the script prints nothing when all is well."""


def main() -> None:
    with tempfile.TemporaryDirectory() as temp:
        out = Path(temp) / "_site"
        build(BuildOptions(site_dir=ROOT, out_dir=out, now=NOW))
        handler = partial(QuietHandler, directory=str(out))
        server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        origin = f"http://127.0.0.1:{server.server_address[1]}"
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path="/usr/bin/chromium", args=ARGS)
            for scheme in ("light", "dark"):
                context = browser.new_context(
                    viewport={"width": 1100, "height": 1300}, color_scheme=scheme
                )
                page = context.new_page()
                for name, path in PAGES.items():
                    page.goto(origin + path, wait_until="load")
                    page.screenshot(path=str(ROOT / "docs" / f"screenshot-{name}-{scheme}.png"))
                context.close()
            browser.close()
        server.shutdown()


if __name__ == "__main__":
    main()
