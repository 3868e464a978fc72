"""Search: the Pagefind index of the issue pages, and finding issues in real Chromium.

The fixture site is Chinese (`language: zh-CN`) with one English issue (`lang: en`), built
for a sub-path base URL and served under it, so one run checks the mixed-language index,
the search box on pages of both languages and every URL's base path.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import re
import sys
import textwrap
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
from external_tools import chromium, missing_tool

from digest.build import BuildOptions, BuildResult, build
from digest.config import load_config
from digest.search import BUNDLE_DIR, index_site

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Locator, Page

NOW = datetime(2026, 11, 23, tzinfo=UTC)
PREFIX = "/weekly/"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
SEARCH_JS_BUDGET = 10_000
"""Bytes of search.js, the only search code a page loads before the reader searches."""

ZH_TERM = "拓扑排序"
"""In one item's summary of issue 1, and nowhere else (issue 3 says 排序 alone)."""
EN_TERM = "zeppelin"
"""In one item's summary of the English issue 2, and nowhere else."""

SITE_YAML = """\
title: 测试周刊
base_url: https://example.org/weekly/
language: zh-CN
timezone: Asia/Shanghai
"""

ISSUES = {
    "content/issues/1-graphs.md": """\
        ---
        title: 第 1 期：图
        date: 2026-01-05
        ---
        这一期聊图算法。

        ## 开源项目

        ### [graphlib](https://example.com/graphlib)

        一个小巧的图算法库，内置拓扑排序和最短路径，适合做任务调度。

        ### [networkx](https://example.com/networkx)

        老牌的网络分析库，文档很全。
        """,
    "content/issues/2-airships.md": """\
        ---
        title: "Issue 2: Airships"
        date: 2026-01-12
        lang: en
        ---
        Flying things this week.

        ## News

        ### [Airships return](https://example.com/airships)

        A zeppelin company plans cargo flights over the Alps.

        ### [Safe HTML](https://example.com/sanitizer)

        The sanitizer turns `<img src=x onerror="window.pwned=1">` into harmless text.
        """,
    "content/issues/3-sorting.md": """\
        ---
        title: 第 3 期：数据库
        date: 2026-01-19
        ---
        这一期聊数据库。

        ## 技术博客

        ### [索引是怎样工作的](https://example.com/index)

        从排序讲到 B 树，再讲到查询计划。
        """,
}
ZH_ISSUE = f"{PREFIX}issues/1/"
EN_ISSUE = f"{PREFIX}issues/2/"


def write_site(root: Path) -> Path:
    """The fixture site: site.yaml and the three issues."""
    root.mkdir(parents=True, exist_ok=True)
    (root / "site.yaml").write_text(SITE_YAML, encoding="utf-8")
    for relative, text in ISSUES.items():
        path = root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text), encoding="utf-8")
    return root


def require_pagefind() -> None:
    """Pagefind is a dependency; without it these tests skip locally and fail under CI."""
    try:
        from pagefind.service import get_executable
    except ImportError:
        missing_tool("Pagefind is not installed; install it with: pip install 'pagefind[extended]'")
    if get_executable() is None:
        missing_tool("Pagefind's program is missing; reinstall 'pagefind[extended]'")


def build_and_index(root: Path) -> Path:
    """Build the site and (again, if the build already did) index it; returns the output."""
    require_pagefind()
    out = root / "_site"
    build(BuildOptions(site_dir=root, out_dir=out, now=NOW))
    assert index_site(out, load_config(root)) == []
    return out


def block_pagefind(monkeypatch: pytest.MonkeyPatch) -> None:
    """Make `import pagefind...` fail, as when it is not installed."""
    for name in ("pagefind", "pagefind.index", "pagefind.service"):
        monkeypatch.setitem(sys.modules, name, None)


def entry(out: Path) -> dict[str, Any]:
    return json.loads((out / BUNDLE_DIR / "pagefind-entry.json").read_text(encoding="utf-8"))


def fragments(out: Path) -> list[dict[str, Any]]:
    """Every indexed page as Pagefind stored it (gzip, a signature, then JSON)."""
    pages = []
    for path in sorted((out / BUNDLE_DIR / "fragment").iterdir()):
        data = gzip.decompress(path.read_bytes())
        assert data.startswith(b"pagefind_dcd")
        pages.append(json.loads(data[len(b"pagefind_dcd") :]))
    return pages


def digest_of(folder: Path) -> dict[str, str]:
    return {
        path.relative_to(folder).as_posix(): hashlib.sha256(path.read_bytes()).hexdigest()
        for path in sorted(folder.rglob("*"))
        if path.is_file()
    }


@pytest.fixture(scope="module")
def site_out(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_and_index(write_site(tmp_path_factory.mktemp("search") / "site"))


# ---- The index ----


def test_index_holds_issue_pages_in_both_languages(site_out: Path) -> None:
    languages = entry(site_out)["languages"]
    assert list(languages) == ["en", "zh-cn"]
    assert languages["en"]["page_count"] == 1
    assert languages["zh-cn"]["page_count"] == 2
    pages = {page["url"]: page for page in fragments(site_out)}
    assert sorted(pages) == ["/issues/1/", "/issues/2/", "/issues/3/"]  # no home or list pages
    assert pages["/issues/2/"]["meta"]["title"] == "Issue 2: Airships"
    # The extended build splits Chinese into words, marking the splits with zero-width spaces.
    zh_text = pages["/issues/1/"]["content"]
    assert "\u200b" in zh_text
    assert ZH_TERM in zh_text.replace("\u200b", "")
    assert EN_TERM in pages["/issues/2/"]["content"]
    # Only the issue's own article: not the header, nor the older/newer links to other issues.
    assert "测试周刊" not in pages["/issues/2/"]["content"]
    assert "第 1 期" not in pages["/issues/2/"]["content"]


def test_indexing_again_gives_identical_files(site_out: Path) -> None:
    before = digest_of(site_out / BUNDLE_DIR)
    assert index_site(site_out, load_config(site_out.parent)) == []
    assert digest_of(site_out / BUNDLE_DIR) == before


def test_build_indexes_the_site(tmp_path: Path) -> None:
    require_pagefind()
    root = write_site(tmp_path / "site")
    result = build(BuildOptions(site_dir=root, now=NOW))
    assert (result.out_dir / BUNDLE_DIR / "pagefind.js").is_file()
    assert not [note for note in result.notes if "search" in note.message]


def test_without_pagefind_the_build_succeeds_with_a_note(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    block_pagefind(monkeypatch)
    root = write_site(tmp_path / "site")
    result: BuildResult = build(BuildOptions(site_dir=root, now=NOW))
    assert (result.out_dir / "issues/2/index.html").is_file()
    assert not (result.out_dir / BUNDLE_DIR).exists()
    notes = [note for note in result.notes if "Pagefind is not installed" in note.message]
    assert len(notes) == 1
    assert (notes[0].level, notes[0].path, notes[0].line) == ("note", None, None)
    assert "pip install 'pagefind[extended]'" in notes[0].message


def test_index_site_without_pagefind_is_a_note(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    block_pagefind(monkeypatch)
    out = tmp_path / "out"
    out.mkdir()
    config = load_config(write_site(tmp_path / "site"))
    [note] = index_site(out, config)
    assert note.level == "note" and "not installed" in note.message
    assert list(out.iterdir()) == []


def test_a_site_folder_named_pagefind_is_left_alone(tmp_path: Path) -> None:
    require_pagefind()
    root = write_site(tmp_path / "site")
    (root / "static" / BUNDLE_DIR).mkdir(parents=True)
    (root / "static" / BUNDLE_DIR / "mine.txt").write_text("mine", encoding="utf-8")
    out = root / "_site"
    build(BuildOptions(site_dir=root, out_dir=out, now=NOW))
    [warning] = index_site(out, load_config(root))
    assert warning.level == "warning" and "rename that folder" in warning.message
    assert (out / BUNDLE_DIR / "mine.txt").read_text(encoding="utf-8") == "mine"


# ---- In Chromium ----


class _Handler(SimpleHTTPRequestHandler):
    """The built site under PREFIX, as GitHub Pages serves a project site; 404 elsewhere."""

    extensions_map = {  # noqa: RUF012 (the base class's own attribute)
        **SimpleHTTPRequestHandler.extensions_map,
        ".js": "text/javascript",
        ".json": "application/json",
    }

    def send_head(self) -> Any:
        if not self.path.startswith(PREFIX):
            self.send_error(404)
            return None
        return super().send_head()

    def translate_path(self, path: str) -> str:
        return super().translate_path("/" + path[len(PREFIX) :])

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet: pytest output is for failures."""


@pytest.fixture(scope="module")
def origin(site_out: Path) -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), partial(_Handler, directory=str(site_out)))
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    host, port = server.server_address[:2]
    yield f"http://{host}:{port}"
    server.shutdown()
    server.server_close()
    thread.join(timeout=5)


class Chromium:
    """Debian's Chromium, driven by Playwright's sync API on a thread of its own.

    The sync API will not start on a thread where another instance runs (tests/browser/
    keeps one open on the main thread for the session), so this one lives on its own
    thread, and each test's steps run there: `chromium.run(steps)`.
    """

    def __init__(self, executable: Path) -> None:
        from playwright.sync_api import sync_playwright

        self._thread = ThreadPoolExecutor(max_workers=1, thread_name_prefix="chromium")
        self._playwright = self._call(lambda: sync_playwright().start())
        self._browser: Browser = self._call(
            lambda: self._playwright.chromium.launch(
                executable_path=str(executable), args=CHROMIUM_ARGS
            )
        )

    def _call(self, function: Callable[[], Any]) -> Any:
        return self._thread.submit(function).result()

    def run(self, steps: Callable[[Page], None], javascript: bool = True) -> None:
        """Run `steps` on a new page of a fresh context; uncaught page errors fail the test."""

        def go() -> None:
            context = self._browser.new_context(locale="zh-CN", java_script_enabled=javascript)
            context.set_default_timeout(15_000)
            page = context.new_page()
            errors: list[str] = []
            page.on("pageerror", lambda error: errors.append(str(error)))
            try:
                steps(page)
            finally:
                context.close()
            assert not errors, f"uncaught exceptions: {errors}"

        self._call(go)

    def close(self) -> None:
        self._call(self._browser.close)
        self._call(self._playwright.stop)
        self._thread.shutdown()


@pytest.fixture(scope="module")
def browser_thread() -> Iterator[Chromium]:
    executable = chromium()
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        missing_tool("Playwright is not installed; install it with: pip install -e '.[test]'")
    launched = Chromium(executable)
    yield launched
    launched.close()


def search(page: Page, term: str) -> None:
    """Type `term` into the header's search box, as a reader would."""
    box = page.locator("#site-search-q")
    box.click()
    box.press_sequentially(term)


def results(page: Page, form: str = ".search-box") -> Locator:
    return page.locator(f"{form} .search-result-title")


@pytest.mark.parametrize("start", ["", "issues/1/", "issues/2/"], ids=["home", "zh", "en"])
@pytest.mark.parametrize(
    ("term", "found"), [(ZH_TERM, ZH_ISSUE), (EN_TERM, EN_ISSUE)], ids=["zh-term", "en-term"]
)
def test_search_box_finds_issues_of_both_languages(
    browser_thread: Chromium, origin: str, start: str, term: str, found: str
) -> None:
    from playwright.sync_api import expect

    def steps(page: Page) -> None:
        requested: list[str] = []
        page.on("request", lambda request: requested.append(request.url))
        page.goto(f"{origin}{PREFIX}{start}")
        expected_lang = "en" if start == "issues/2/" else "zh-CN"
        assert page.evaluate("document.documentElement.lang") == expected_lang
        assert not [url for url in requested if "/pagefind/" in url], "Pagefind loaded early"

        search(page, term)
        expect(results(page)).to_have_count(1)
        expect(results(page)).to_have_attribute("href", found)
        expect(page.locator(".search-box .search-result-excerpt mark").first).to_be_visible()
        # The aria-live announcement, in the site's language.
        expect(page.locator(".search-box [data-search-status]")).to_have_text("找到 1 条结果")
        outside = [url for url in requested if not url.startswith(f"{origin}{PREFIX}")]
        assert not outside, f"requests that ignore the base path: {outside}"

    browser_thread.run(steps)


def test_keyboard_moves_through_results_and_escape_closes(
    browser_thread: Chromium, origin: str
) -> None:
    from playwright.sync_api import expect

    def steps(page: Page) -> None:
        page.goto(f"{origin}{PREFIX}issues/1/")
        search(page, "期")  # the two Chinese issues' titles
        expect(results(page)).to_have_count(2)
        box = page.locator("#site-search-q")
        panel = page.locator(".search-box [data-search-results]")
        box.press("ArrowDown")
        expect(results(page).nth(0)).to_be_focused()
        page.keyboard.press("Tab")
        expect(results(page).nth(1)).to_be_focused()
        page.keyboard.press("ArrowUp")
        expect(results(page).nth(0)).to_be_focused()
        page.keyboard.press("ArrowDown")
        expect(results(page).nth(1)).to_be_focused()
        page.keyboard.press("Escape")
        expect(box).to_be_focused()
        expect(panel).to_be_hidden()
        box.press("ArrowDown")  # reopens
        expect(results(page).nth(0)).to_be_focused()
        page.keyboard.press("ArrowUp")
        expect(box).to_be_focused()
        box.press("Escape")
        expect(panel).to_be_hidden()

    browser_thread.run(steps)


def test_excerpts_show_markup_in_the_text_as_text(browser_thread: Chromium, origin: str) -> None:
    from playwright.sync_api import expect

    def steps(page: Page) -> None:
        page.goto(f"{origin}{PREFIX}issues/2/")
        search(page, "harmless")
        excerpt = page.locator(".search-box .search-result-excerpt")
        # (src=x may come back quoted: the build rewrites URL attributes, even in code text.)
        expect(excerpt).to_contain_text(re.compile(r'<img src=\S+ onerror="window\.pwned=1">'))
        assert page.locator(".search-box .search-results img").count() == 0
        assert page.evaluate("window.pwned") is None

    browser_thread.run(steps)


def test_search_page_runs_the_query_in_the_url(browser_thread: Chromium, origin: str) -> None:
    from playwright.sync_api import expect

    def steps(page: Page) -> None:
        page.goto(f"{origin}{PREFIX}search/?q={EN_TERM}")
        expect(page.locator("#search-page-q")).to_have_value(EN_TERM)
        expect(results(page, ".search-page")).to_have_count(1)
        expect(results(page, ".search-page")).to_have_attribute("href", EN_ISSUE)

    browser_thread.run(steps)


def test_without_javascript_the_box_is_a_form_to_the_search_page(
    browser_thread: Chromium, origin: str
) -> None:
    def steps(page: Page) -> None:
        page.goto(f"{origin}{PREFIX}issues/2/")
        box = page.locator("#site-search-q")
        box.fill(EN_TERM)
        with page.expect_navigation():
            box.press("Enter")
        assert page.url == f"{origin}{PREFIX}search/?q={EN_TERM}"
        assert page.locator("noscript").count() == 1

    browser_thread.run(steps, javascript=False)


def test_search_script_is_small(site_out: Path) -> None:
    size = (site_out / "js" / "search.js").stat().st_size
    assert size < SEARCH_JS_BUDGET, f"search.js is {size} bytes; every page loads it"
