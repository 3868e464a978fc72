"""Session fixtures: the repository's own sample site, built once, served over HTTP, in Chromium.

The repository root is a site (site.yaml + content/). It is built once per session into a
temporary folder with the clock at SOURCE_DATE_EPOCH=1795392000 (2026-11-23), so which sample
issues are "future" never changes, and a second time with a sub-path base URL to prove every
link honours it. One Chromium serves every browser test; each test gets a fresh context.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Literal

import pytest
from external_tools import CHROMIUM_ARGS, ROOT, chromium

from digest.build.pipeline import BuildOptions, build

from .served import Served, serve

if TYPE_CHECKING:
    from playwright.sync_api import Browser, ConsoleMessage, Page, Request, Response, Route

EPOCH = 1795392000
NOW = datetime.fromtimestamp(EPOCH, tz=UTC)
SUBPATH = "/weekly/"
SUBPATH_BASE_URL = "https://example.org/weekly/"
Scheme = Literal["light", "dark"]


def build_sample(out: Path, base_url: str | None = None) -> str:
    """Build the repository's sample site into ``out``; returns the base URL it was built for."""
    with pytest.MonkeyPatch.context() as env:
        env.setenv("SOURCE_DATE_EPOCH", str(EPOCH))
        result = build(BuildOptions(site_dir=ROOT, out_dir=out, base_url=base_url, now=NOW))
    return result.config.base_url


@pytest.fixture(scope="session")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    """The sample site as configured (base URL at a domain root), served at ``/``."""
    out = tmp_path_factory.mktemp("sample") / "_site"
    base_url = build_sample(out)
    yield from serve(out, "/", base_url)


@pytest.fixture(scope="session")
def subpath_site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    """The sample site built for https://example.org/weekly/ and served under ``/weekly/``."""
    out = tmp_path_factory.mktemp("sample-weekly") / "_site"
    base_url = build_sample(out, SUBPATH_BASE_URL)
    yield from serve(out, SUBPATH, base_url)


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    """Debian's Chromium driven by Playwright; never Playwright's own browser download."""
    executable = chromium()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        launched = p.chromium.launch(executable_path=str(executable), args=CHROMIUM_ARGS)
        yield launched
        launched.close()


@dataclass
class Tab:
    """A page that records everything a reader's browser would complain about.

    Console errors, uncaught exceptions, failed or 4xx/5xx requests of the site, and any request
    to another host (the theme must work offline and not call third parties): ``problems``.
    """

    page: Page
    origin: str
    problems: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.page.on("console", self._console)
        self.page.on("pageerror", lambda error: self._note(f"uncaught exception: {error}"))
        self.page.on("requestfailed", self._request_failed)
        self.page.on("response", self._response)
        self.page.route("**/*", self._route)

    def _note(self, problem: str) -> None:
        self.problems.append(f"{self.page.url}: {problem}")

    def _console(self, message: ConsoleMessage) -> None:
        if message.type == "error":
            where = message.location
            self._note(
                f"console error: {message.text} ({where.get('url')}:{where.get('lineNumber')})"
            )

    def _request_failed(self, request: Request) -> None:
        # ERR_ABORTED is the browser dropping a load because the test moved on to the next page
        # (lazy images); a blocked request to another host is noted by _route.
        if request.failure not in ("net::ERR_ABORTED", "net::ERR_BLOCKED_BY_CLIENT"):
            self._note(f"request failed: {request.url} {request.failure}")

    def _response(self, response: Response) -> None:
        if response.status >= 400 and response.url.startswith(self.origin):
            self._note(f"HTTP {response.status} for {response.url}")

    def _route(self, route: Route) -> None:
        url = route.request.url
        if url.startswith((self.origin + "/", "data:", "blob:")):
            route.continue_()
        else:
            self._note(f"request to another host: {url}")
            route.abort("blockedbyclient")

    def visit(self, url: str) -> Page:
        """Open ``url`` and wait for it to load; the page must answer 200."""
        response = self.page.goto(url, wait_until="load")
        assert response is not None and response.status == 200, (
            f"{url} answered {response.status if response else 'nothing'}"
        )
        return self.page


@pytest.fixture
def open_tab(browser: Browser) -> Iterator[Callable[..., Tab]]:
    """Make a Tab in a fresh context: ``open_tab(served, width=360, scheme="dark")``."""
    contexts = []

    def make(served: Served, width: int = 1280, height: int = 800, scheme: Scheme = "light") -> Tab:
        context = browser.new_context(
            viewport={"width": width, "height": height},
            color_scheme=scheme,
            reduced_motion="reduce",
            locale="zh-CN",
            timezone_id="Asia/Shanghai",
        )
        context.set_default_timeout(10_000)
        contexts.append(context)
        return Tab(context.new_page(), served.origin)

    yield make
    for context in contexts:
        context.close()
