"""Full-text search: a Pagefind index of the issue pages, written into the finished site.

Pagefind reads the HTML exactly as readers get it, so it runs on the output folder after
everything else is written; the browser then searches the index with no server.

Only issue pages are indexed, and only their `<article class="issue">`: the home, tag and
section pages repeat the issues' titles and summaries and would crowd the results, and
the header, the older/newer links and "past years" name other issues. Pagefind makes one
index per `<html lang>`; static/js/search.js merges them in the browser, so a Chinese
page finds English issues and the reverse.

Pagefind is optional: without it the site is built as usual, with a note saying search
is missing.
"""

from __future__ import annotations

import asyncio
import json
import os
import shutil
from collections.abc import Callable, Coroutine
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from digest.errors import Problem
from digest.model import SiteConfig

BUNDLE_DIR = "pagefind"
"""Where the index goes below the site root; search.js loads `<base>pagefind/pagefind.js`."""
ENTRY = "pagefind-entry.json"
"""The bundle's table of contents: its languages, and a file no site of its own would have."""
ISSUE_GLOB = "issues/**/index.html"
ROOT_SELECTOR = "article.issue"
EXCLUDE_SELECTORS = (
    ".issue-meta",  # date, authors, reading time: noise in excerpts
    ".toc",  # section titles again, plus hidden item counts
    ".filter",  # the type-to-filter box's label
    ".item-host",  # the link's host name, already in the URL
    ".visually-hidden",
    "[data-search-ignore]",
)
TIMEOUT_SECONDS = 600
INSTALL_HINT = "install it with: pip install 'pagefind[extended]'"
_SEGMENTED = ("zh", "ja", "th")
"""Languages whose words only Pagefind's extended build splits apart."""


def index_site(out_dir: Path, config: SiteConfig) -> list[Problem]:
    """Index the issue pages of the built site in `out_dir`; problems are notes or warnings.

    Search is an extra, so nothing here fails the build: a site without an index still
    works, and the search box says search is unavailable.
    """
    try:
        from pagefind.index import PagefindIndex
        from pagefind.service import get_executable
    except ImportError:
        return [
            _note(f"no search index was built because Pagefind is not installed; {INSTALL_HINT}")
        ]
    binary = get_executable()
    if binary is None or not binary.is_file():
        return [
            _note(f"no search index was built: Pagefind's program was not found; {INSTALL_HINT}")
        ]

    bundle = out_dir / BUNDLE_DIR
    if bundle.exists() and not (bundle / ENTRY).is_file():
        return [
            _warning(
                f"no search index was built: the site's own files include {BUNDLE_DIR}/, "
                "where the index goes; rename that folder in static/ or content/"
            )
        ]
    # Written beside the old index and swapped in whole, so a live preview never serves
    # a half-written one; an index from an earlier run is replaced, never mixed in.
    fresh = out_dir / f".{BUNDLE_DIR}-new"
    shutil.rmtree(fresh, ignore_errors=True)
    issue_pages = sum(1 for _ in out_dir.glob(ISSUE_GLOB))
    try:
        indexed = _run(lambda: _index(PagefindIndex, out_dir, fresh))
        languages = _sort_entry(fresh)
        _swap(fresh, bundle)
    except TimeoutError:
        shutil.rmtree(fresh, ignore_errors=True)
        return [_warning(f"no search index was built: Pagefind took over {TIMEOUT_SECONDS} s")]
    except Exception as exc:  # a crash of the indexer must not lose the rest of the site
        shutil.rmtree(fresh, ignore_errors=True)
        return [_warning(f"no search index was built: Pagefind failed: {_describe(exc)}")]

    problems: list[Problem] = []
    if issue_pages and not indexed:
        problems.append(
            _warning(
                f"the search index is empty: no issue page has an <{ROOT_SELECTOR}> element; "
                "a site's own issue.html must keep it for search to find issues"
            )
        )
    if "extended" not in binary.name and any(
        language.split("-")[0] in _SEGMENTED for language in [*languages, config.language.lower()]
    ):
        problems.append(
            _note(
                "Pagefind's standard build does not split Chinese or Japanese text into "
                f"words, so searching for a word inside a sentence finds nothing; {INSTALL_HINT}"
            )
        )
    return problems


def _run(make: Callable[[], Coroutine[Any, Any, int]]) -> int:
    """Run the coroutine `make()` returns, with a time limit.

    A thread that is already running an event loop (an async caller, or Playwright's sync
    API) cannot start another, so then the coroutine gets a thread of its own.
    """

    def run() -> int:
        return asyncio.run(asyncio.wait_for(make(), TIMEOUT_SECONDS))

    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return run()
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(run).result()


async def _index(index_class: type, out_dir: Path, bundle: Path) -> int:
    """Run Pagefind's indexing service over the issue pages; returns the pages indexed."""
    options = {
        "root_selector": ROOT_SELECTOR,
        "exclude_selectors": list(EXCLUDE_SELECTORS),
        "output_path": str(bundle),
    }
    async with index_class(config=options) as index:
        result = await index.add_directory(str(out_dir), glob=ISSUE_GLOB)
    return int(result.get("page_count", 0))


def _sort_entry(bundle: Path) -> list[str]:
    """Rewrite pagefind-entry.json with its languages in order, so equal sites give equal
    files (Pagefind writes them in hash-map order); returns the languages."""
    entry_path = bundle / ENTRY
    entry = json.loads(entry_path.read_text(encoding="utf-8"))
    languages = entry.get("languages") or {}
    entry["languages"] = {key: languages[key] for key in sorted(languages)}
    text = json.dumps(entry, ensure_ascii=False, separators=(",", ":"))
    entry_path.write_text(text, encoding="utf-8")
    return list(entry["languages"])


def _swap(fresh: Path, bundle: Path) -> None:
    """Put the folder `fresh` where `bundle` is, removing the old one after."""
    old = bundle.with_name(f".{BUNDLE_DIR}-old")
    shutil.rmtree(old, ignore_errors=True)
    if bundle.exists():
        os.replace(bundle, old)
    os.replace(fresh, bundle)
    shutil.rmtree(old, ignore_errors=True)


def _describe(exc: BaseException) -> str:
    """Pagefind's service errors carry the message as their first argument."""
    message = exc.args[0] if exc.args and isinstance(exc.args[0], str) else str(exc)
    return message.strip() or type(exc).__name__


def _note(message: str) -> Problem:
    return Problem(None, None, message, "note")


def _warning(message: str) -> Problem:
    return Problem(None, None, message, "warning")
