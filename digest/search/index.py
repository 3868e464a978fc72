"""Full-text search: Pagefind indexes of the issue pages, written into the finished site.

Pagefind reads the HTML exactly as readers get it, so it runs on the output folder after
everything else is written; the browser then searches the index with no server.

Only issue pages are indexed, and only their `<article class="issue">`: the home, tag and
section pages repeat the issues' titles and summaries and would crowd the results, and
the header, the older/newer links and "past years" name other issues.

Chinese and Japanese are indexed a character a word (see `split_cjk`), in one index for
every language (FORCE_LANGUAGE): Pagefind's own segmenting, a dictionary's at indexing
(its extended build) and the browser's Intl.Segmenter for the query, disagree on what a
word is (开源 is one word in the index, 开|源 in the query; 电动|车 in the index, 电|动|车 in
the query), and it matches each query word as the start of an indexed word, in any
order, so 开源 missed most issues that have it and 电动车 found issues with 电动 and 车
apart. static/js/search.js looks a run of Chinese up as an exact phrase of characters,
which finds exactly the issues that contain it, wherever it sits in a longer word.

Pagefind holds a whole bundle's index in memory while it writes it, so the issues are
split into shards of SHARD_SIZE pages, oldest first, and the newest remainder into
shards of falling powers of two (see `cut`), each its own bundle, indexed by as many
Pagefind processes at once as there are cores and memory for (one shard's ~200 MB
each): a new issue or an edit to a recent one changes a small shard. search.js merges
every shard's every language. The layout below the site root:

    pagefind/                shard 0: Pagefind's whole bundle (pagefind.js, the UI files…)
    pagefind/shards.json     MANIFEST: each shard's folder and languages, for search.js
    pagefind/digest-shard.json  RECORD: the shard's pages and its files' hashes
    pagefind/shard-1/        shard 1: its index data only (merged, never loaded alone)
    pagefind/shard-1/digest-shard.json
    …

A shard whose pages are the previous build's and unchanged is taken over from that
build's output (hard links) instead of indexed again; the files are the same either way.

Pagefind is optional: without it the site is built as usual, with a note saying search
is missing.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import subprocess
import threading
from collections.abc import Callable, Collection, Coroutine, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING, Any

from digest.errors import Level, Problem
from digest.files import link_or_copy, relative_files
from digest.model import SiteConfig

if TYPE_CHECKING:  # Pagefind's Python service is imported only where it is used
    from pagefind.index import IndexConfig

BUNDLE_DIR = "pagefind"
"""Where the index goes below the site root; search.js loads `<base>pagefind/pagefind.js`."""
ENTRY = "pagefind-entry.json"
"""A bundle's table of contents: its languages, and a file no site of its own would have."""
MANIFEST = "shards.json"
"""In BUNDLE_DIR: `{"shards": [{"path": "shard-1/", "languages": {"en": 3}}, …]}`, the
shards in order, each's folder below BUNDLE_DIR and its pages per language."""
RECORD = "digest-shard.json"
"""In each shard's folder: what was indexed, how, and its files' SHA-256, so a later build
knows whether it may take the shard over."""
SHARD_PREFIX = "shard-"
SHARD_SIZE = 200
"""Issue pages per shard. Pagefind's memory grows by ~0.7 MB a page over ~55 MB (measured
on bench/corpus.py issues: 100 pages 127 MB, 200 198 MB, 250 233 MB, 300 271 MB), and
each shard adds ~0.2 s of start-up and one more index for the browser to merge."""
PAGEFIND_MEMORY = 400 * 2**20
"""Memory to allow one Pagefind process indexing a full shard (it peaks near 200 MB)."""
LIGHT_INDEX = 64
"""Pages one Pagefind process indexes in ~100 MB: a build that indexes no more than this
may keep its parsed site (~190 MB at 2,000 issues) while it runs, rather than free it
first (0.2 s at 2,000 issues, for the edit to this week's issue that indexes a dozen)."""
SMALLEST_SHARD = 16
"""Below this many pages, the newest issues share one shard: starting Pagefind costs
more than indexing a few pages."""
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
FORCE_LANGUAGE = "en"
"""The one index every page goes into: its English stemmer leaves the characters of
`split_cjk` alone, and no language of Pagefind's segments them again."""
_RECORD_FORMAT = 2
_CJK_LETTER = re.compile(
    "([\u3005\u3007\u3041-\u3096\u309d-\u309f\u30a1-\u30fa\u30fc-\u30ff"
    "\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7a3\uf900-\ufaff\U00020000-\U0003134f])"
)
"""A letter of a script written without spaces between words: kana, ideographs, hangul
(search.js has the same list)."""
_TAG_OR_CJK = re.compile("(<[^>]*>)|" + _CJK_LETTER.pattern)
_ARTICLE_TAG = re.compile(r'<article class="issue"')
_HTML_LANG = re.compile(r'<html[^>]*\slang="([^"]*)"')
_WRITE_WAIT_STEP = 0.01
_WRITE_WAIT_STEPS = 3000
_GLOB_SPECIAL = re.compile(r"([?*$:<>\[\]{},()])")
"""Characters Pagefind's globs (the wax crate) read as syntax unless escaped."""
_SHARD_DATA = re.compile(r"[^/]+\.pf_meta|(fragment|index|filter)/.+")
"""What a shard after the first needs besides ENTRY: search.js merges it into shard 0's
Pagefind, which brings the scripts and WebAssembly."""


def search_mark(html: bytes) -> str:
    """A digest of what of an issue page reaches the index: its <html lang> and the issue
    article (all of a page of a site's own making that has no such article).

    Two pages with equal marks index alike, whatever their links to other issues say.
    The manifest keeps each page's mark, so a build knows whether a shard of the last
    one still holds without the last one's pages (a CI run that restored only the index).
    """
    head = html.find(b"<head")
    start = html.find(b'<article class="issue"')
    end = html.rfind(b"</article>")
    if head < 0 or start < 0 or end < start:
        return hashlib.blake2b(html, digest_size=16).hexdigest()
    digest = hashlib.blake2b(html[:head], digest_size=16)
    digest.update(html[start:end])
    return digest.hexdigest()


@dataclass(slots=True)
class IndexPlan:
    """What indexing a built site takes: which shards are indexed again, which taken
    over from the last build, by how many Pagefind processes at once."""

    out_dir: Path
    problems: list[Problem]
    """Why there is nothing to index (no Pagefind...): then nothing else is set."""
    binary: Path | None = None
    pages: Sequence[str] = ()
    shards: list[Sequence[str]] = field(default_factory=list)
    kept: list[dict[str, str] | None] = field(default_factory=list)
    """Per shard: the files of the last build's same shard to take over, or None."""
    reusable: _Reusable | None = None
    workers: int = 1
    how: dict[str, Any] = field(default_factory=dict)

    @property
    def indexed(self) -> int:
        """Pages Pagefind reads."""
        shards = zip(self.shards, self.kept, strict=True)
        return sum(len(pages) for pages, kept in shards if kept is None)

    @property
    def processes(self) -> int:
        """Pagefind processes running at once, at most."""
        return min(self.workers, sum(kept is None for kept in self.kept))

    def records(self) -> list[dict[str, Any]]:
        return [
            {"format": _RECORD_FORMAT, "pagefind": self.how, "pages": list(pages)}
            for pages in self.shards
        ]


def plan_index(
    out_dir: Path,
    config: SiteConfig,
    *,
    pages: Sequence[str] | None = None,
    previous: Path | None = None,
    changed: Collection[str] | None = None,
    shard_size: int | None = None,
    untouched: Callable[[str], bool] | None = None,
    jobs: int = 1,
) -> IndexPlan:
    """`pages` are the issue pages' site-relative paths, oldest first (None: every page
    ISSUE_GLOB finds, in natural order). `previous` is the last build's output folder and
    `changed` the pages whose searchable part differs from what it indexed (see
    search_mark); with both, a shard whose pages are those of `previous`'s same shard,
    none changed, is taken over from it, once its files are checked against their
    SHA-256 (unless `untouched` vouches for them). Up to `jobs` shards are indexed at
    once, as memory allows.

    Search is an extra: a site without Pagefind is built as usual, with a note.
    """
    del config  # every page is indexed as FORCE_LANGUAGE, whatever the site's language
    try:
        from pagefind.service import get_executable
    except ImportError:
        return IndexPlan(
            out_dir,
            [_note(f"no search index was built because Pagefind is not installed; {INSTALL_HINT}")],
        )
    binary = get_executable()
    if binary is None or not binary.is_file():
        return IndexPlan(
            out_dir,
            [_note(f"no search index was built: Pagefind's program was not found; {INSTALL_HINT}")],
        )
    bundle = out_dir / BUNDLE_DIR
    if bundle.exists() and not (bundle / ENTRY).is_file():
        return IndexPlan(
            out_dir,
            [
                _warning(
                    f"no search index was built: the site's own files include {BUNDLE_DIR}/, "
                    "where the index goes; rename that folder in static/ or content/"
                )
            ],
        )
    if pages is None:
        pages = sorted(
            (path.relative_to(out_dir).as_posix() for path in out_dir.glob(ISSUE_GLOB)),
            key=_natural_key,
        )
    reusable = None
    if previous is not None and changed is not None:
        reusable = _Reusable(
            previous / BUNDLE_DIR, frozenset(changed), untouched or _unknown_untouched
        )
    plan = IndexPlan(out_dir, [], binary, pages, cut(pages, shard_size or SHARD_SIZE) or [[]])
    plan.how = {"program": _version(binary), **_options()}
    plan.reusable = reusable
    plan.workers = _workers(jobs)
    folders = _folders(len(plan.shards))
    plan.kept = [
        reusable.files(folder, record) if reusable is not None else None
        for folder, record in zip(folders, plan.records(), strict=True)
    ]
    return plan


def write_index(
    plan: IndexPlan,
    progress: Callable[[int, int], None] | None = None,
    failure: Level = "warning",
) -> list[Problem]:
    """Write the index `plan` tells into its site; `progress(done, total)` hears each
    shard indexed. The index is written beside the old one and put in its place whole,
    so a live preview never serves a half-written one; when it cannot be written, the
    problem says so at level `failure` (a build makes it an error)."""
    if plan.binary is None:
        return plan.problems
    bundle = plan.out_dir / BUNDLE_DIR
    fresh = plan.out_dir / f".{BUNDLE_DIR}-new"
    shutil.rmtree(fresh, ignore_errors=True)
    try:
        manifest = _write_bundle(plan, fresh, progress)
        _swap(fresh, bundle)
    except (TimeoutError, subprocess.TimeoutExpired):
        _drop(fresh, bundle)
        return [
            Problem(
                None,
                None,
                f"no search index was built: Pagefind took over {TIMEOUT_SECONDS} s",
                failure,
            )
        ]
    except Exception as exc:  # a crash of the indexer must not lose the rest of the site
        _drop(fresh, bundle)
        return [
            Problem(
                None, None, f"no search index was built: Pagefind failed: {_describe(exc)}", failure
            )
        ]
    problems: list[Problem] = []
    if plan.pages and not any(sum(shard["languages"].values()) for shard in manifest):
        problems.append(
            _warning(
                f"the search index is empty: no issue page has an <{ROOT_SELECTOR}> element; "
                "a site's own issue.html must keep it for search to find issues"
            )
        )
    return problems


def cut(pages: Sequence[str], size: int, smallest: int = SMALLEST_SHARD) -> list[Sequence[str]]:
    """Shards of `pages` (oldest first): full shards of `size`, then the newest remainder
    in shards of falling powers of two down to `smallest`, then one last shard of the
    fewer pages left (100 = 64 + 32 + 4).

    The newest issues, the ones being written and added, sit in the smallest shards, so
    an edit to this week's issue or a new one re-indexes a handful of pages; like a
    binary counter, a new page merges only the smallest shards, and a full shard forms
    once every `size` issues. The newest page is never in a full shard: the 200th page
    of 200 is in a shard of 8, and the full shard forms with the 201st. A site of fewer
    than `smallest` pages is one shard.
    """
    full = (len(pages) - 1) // size * size if pages else 0
    shards = [pages[start : start + size] for start in range(0, full, size)]
    start, rest = full, len(pages) - full
    while rest >= smallest:
        step = 1 << (rest.bit_length() - 1)
        shards.append(pages[start : start + step])
        start, rest = start + step, rest - step
    if rest:
        shards.append(pages[start:])
    return shards


def _unknown_untouched(path: str) -> bool:
    return False


@dataclass(frozen=True, slots=True)
class _Reusable:
    """The previous build's bundle, and which pages changed since it was written."""

    bundle: Path
    changed: frozenset[str]
    untouched: Callable[[str], bool]
    """True for a site-relative path whose file the last build wrote and nothing has
    touched since (by size, time and inode): its SHA-256 need not be checked again."""

    def files(self, folder: str, record: dict[str, Any]) -> dict[str, str] | None:
        """The previous build's shard in `folder` (its files' SHA-256 by name), if it was
        made from the same pages, the same way, none changed, and its files are as it
        recorded; None when it cannot be taken over."""
        if self.changed.intersection(record["pages"]):
            return None
        source = self.bundle / folder
        try:
            old = json.loads((source / RECORD).read_text(encoding="utf-8"))
            files = old.pop("files")
            prefix = f"{BUNDLE_DIR}/{folder}"
            if old != record or not all(
                self.untouched(prefix + name) or _intact(source, name, files[name])
                for name in files
            ):
                return None
        except (OSError, ValueError, TypeError, AttributeError, KeyError):
            return None  # no shard there, or not one this version wrote
        return files

    def take_over(
        self, folder: str, record: dict[str, Any], files: dict[str, str], target: Path
    ) -> None:
        """Link the shard's files into `target`; nothing writes into them after, so the
        previous build stays as it was."""
        source = self.bundle / folder
        for name in files:
            link_or_copy(source / name, target / name)
        _write_json(target / RECORD, {**record, "files": dict(sorted(files.items()))})


def _folders(count: int) -> list[str]:
    """Each shard's folder below BUNDLE_DIR: shard 0 is the bundle itself."""
    return [f"{SHARD_PREFIX}{number}/" if number else "" for number in range(count)]


def _write_bundle(
    plan: IndexPlan, fresh: Path, progress: Callable[[int, int], None] | None = None
) -> list[dict[str, Any]]:
    """Write every shard into `fresh`, then the manifest; returns the manifest's shards.

    The shards to index again are indexed up to `plan.workers` at a time, each into a
    folder of its own beside `fresh`; then the bundle is put together in order: shard 0
    becomes `fresh` itself, which the later shards nest in.
    """
    assert plan.binary is not None
    binary, shards, kept, records = plan.binary, plan.shards, plan.kept, plan.records()
    folders = _folders(len(shards))
    parts = {
        number: fresh.with_name(f"{fresh.name}-{number}")
        for number, files in enumerate(kept)
        if files is None
    }

    def index(number: int) -> None:
        part = parts[number]
        shutil.rmtree(part, ignore_errors=True)
        _index(binary, plan.out_dir, part, shards[number])
        _sort_entry(part)
        if number:
            _keep_data_only(part)
        files = {name: _sha256(part / name) for name in _files(part)}
        _write_json(part / RECORD, {**records[number], "files": files})
        with lock:  # the progress line is drawn from one thread at a time
            done.append(number)
            if progress is not None:
                progress(len(done), len(parts))

    lock = threading.Lock()
    done: list[int] = []
    try:
        if plan.workers > 1 and len(parts) > 1:
            with ThreadPoolExecutor(max_workers=plan.workers) as pool:
                list(pool.map(index, parts))  # threads only wait for Pagefind's processes
        else:
            for number in parts:
                index(number)
        manifest = []
        for number, folder in enumerate(folders):
            target = fresh / folder
            files = kept[number]
            if files is None:
                if number:
                    target.parent.mkdir(parents=True, exist_ok=True)
                os.replace(parts[number], target)
            else:
                assert plan.reusable is not None
                plan.reusable.take_over(folder, records[number], files, target)
            manifest.append({"path": folder, "languages": _languages(target)})
    finally:
        for part in parts.values():
            shutil.rmtree(part, ignore_errors=True)
    _write_json(fresh / MANIFEST, {"shards": manifest})
    return manifest


def _workers(jobs: int) -> int:
    """Pagefind processes to run at once: `jobs`, but no more than the memory available
    holds (a shard of SHARD_SIZE pages needs about PAGEFIND_MEMORY)."""
    if jobs <= 1:
        return 1
    try:
        with open("/proc/meminfo", encoding="ascii") as meminfo:
            fields = dict(line.split(":", 1) for line in meminfo)
        available = int(fields["MemAvailable"].split()[0]) * 1024
    except (OSError, KeyError, ValueError):
        return 1  # not Linux, or not telling: one at a time is always safe
    return max(1, min(jobs, available // PAGEFIND_MEMORY))


def _options() -> IndexConfig:
    return {
        "root_selector": ROOT_SELECTOR,
        "exclude_selectors": list(EXCLUDE_SELECTORS),
        "force_language": FORCE_LANGUAGE,
    }


def split_cjk(html: str) -> str:
    """The page as Pagefind indexes it: every kana, ideograph and hangul letter of its text
    a word of its own (spaces around it), and its language in the article's metadata.

    Pagefind splits the text of a language it does not segment at white space, so
    开源项目 becomes the words 开 源 项 目, and the phrase "开 源" finds it. The tags and
    their attributes are left as they are. The copy is only indexed; readers get `html`.
    """
    text = _TAG_OR_CJK.sub(lambda match: match[1] or f" {match[2]} ", html)
    found = _HTML_LANG.search(html)
    if found is None:
        return text
    return _ARTICLE_TAG.sub(
        f'<article class="issue" data-pagefind-meta="lang:{found[1]}"', text, count=1
    )


def _write_copies(out_dir: Path, pages: Sequence[str], site: Path) -> None:
    """Write the copies of `pages` Pagefind indexes (split_cjk) into `site`, at the
    same paths, so the index has the pages' URLs."""
    for page in pages:
        target = site / page
        target.parent.mkdir(parents=True, exist_ok=True)
        html = (out_dir / page).read_text(encoding="utf-8", errors="replace")
        target.write_text(split_cjk(html), encoding="utf-8")


def _index(binary: Path, out_dir: Path, bundle: Path, pages: Sequence[str]) -> None:
    """Index `pages` (paths below `out_dir`) into the bundle folder `bundle`, with a Pagefind
    process of its own, so its memory is returned when the shard is written.

    Pagefind's command line does it: it exits once its files are written. Its Python
    service, the same indexer, polls for each answer every 0.1 s (a third of a small
    shard's time) and answers "written" before the files have landed; it is used only
    where the command refuses, for a bundle with no pages.
    """
    if pages:
        site = bundle.with_name(f"{bundle.name}-pages")
        shutil.rmtree(site, ignore_errors=True)
        _write_copies(out_dir, pages, site)
        command = [str(binary), "--site", str(site), "--output-path", str(bundle)]
        command += ["--silent", "--root-selector", ROOT_SELECTOR]
        command += ["--force-language", FORCE_LANGUAGE]
        for selector in EXCLUDE_SELECTORS:
            command += ["--exclude-selectors", selector]
        command += ["--glob", "{" + ",".join(_GLOB_SPECIAL.sub(r"\\\1", p) for p in pages) + "}"]
        try:
            result = subprocess.run(
                command, capture_output=True, text=True, timeout=TIMEOUT_SECONDS, check=False
            )
        finally:
            shutil.rmtree(site, ignore_errors=True)
        if result.returncode == 0 and (bundle / ENTRY).is_file():
            return
        shutil.rmtree(bundle, ignore_errors=True)
        if "not able to build an index" not in result.stdout + result.stderr:
            raise RuntimeError((result.stderr or result.stdout).strip() or "no index written")
    _run(lambda: _empty_bundle(bundle))  # no page had anything to index


def _run(make: Callable[[], Coroutine[Any, Any, Any]]) -> Any:
    """Run the coroutine `make()` returns, with a time limit.

    A thread that is already running an event loop (an async caller, or Playwright's sync
    API) cannot start another, so then the coroutine gets a thread of its own.
    """
    import asyncio  # only for an empty bundle: 14 ms of every build's start-up otherwise

    def run() -> Any:
        return asyncio.run(asyncio.wait_for(make(), TIMEOUT_SECONDS))

    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return run()
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(run).result()


async def _empty_bundle(bundle: Path) -> None:
    """A bundle of no pages (the search page still loads its scripts), by the service."""
    from pagefind.service import PagefindService

    async with PagefindService() as service:
        index = await service.create_index(_options())
        await index.write_files(str(bundle))
        await _written(bundle)


async def _written(bundle: Path) -> None:
    """Wait until no file of `bundle` is empty.

    Pagefind answers "written" once it has created every file and queued its bytes (Tokio's
    files write in the background), and the service is stopped right after, so a file could
    be left empty. Pagefind writes no empty file, and writes each of its (small) files in a
    single write, so a file with bytes is whole.
    """
    import asyncio

    for _ in range(_WRITE_WAIT_STEPS):
        empty = [name for name in relative_files(bundle) if (bundle / name).stat().st_size == 0]
        if not empty:
            return
        await asyncio.sleep(_WRITE_WAIT_STEP)
    raise RuntimeError(f"Pagefind did not finish writing {empty[0]}")


def _version(binary: Path) -> str:
    """The program's name and version: a shard made by another one is indexed again."""
    result = subprocess.run(
        [str(binary), "--version"], capture_output=True, text=True, timeout=60, check=True
    )
    return f"{binary.name} {result.stdout.strip()}"


def _sort_entry(bundle: Path) -> None:
    """Rewrite pagefind-entry.json with its languages in order, so equal sites give equal
    files (Pagefind writes them in hash-map order)."""
    entry_path = bundle / ENTRY
    entry = json.loads(entry_path.read_text(encoding="utf-8"))
    languages = entry.get("languages") or {}
    entry["languages"] = {key: languages[key] for key in sorted(languages)}
    _write_json(entry_path, entry)


def _languages(bundle: Path) -> dict[str, int]:
    """The bundle's languages and how many pages each has."""
    entry = json.loads((bundle / ENTRY).read_text(encoding="utf-8"))
    return {key: value["page_count"] for key, value in entry["languages"].items()}


def _keep_data_only(bundle: Path) -> None:
    """Remove what a merged shard never serves: Pagefind's scripts, styles and WebAssembly."""
    for name in _files(bundle):
        if name != ENTRY and not _SHARD_DATA.fullmatch(name):
            (bundle / name).unlink()


def _files(folder: Path) -> list[str]:
    """Every file below `folder` as a sorted '/'-separated path."""
    return sorted(relative_files(folder))


def _intact(folder: Path, name: str, digest: str) -> bool:
    """Whether `folder`/`name` is a file inside `folder` with the SHA-256 `digest`."""
    relative = PurePosixPath(name)
    if relative.is_absolute() or ".." in relative.parts:
        return False
    path = folder / relative
    return path.is_file() and not path.is_symlink() and _sha256(path) == digest


def _sha256(path: Path) -> str:
    with path.open("rb") as file:
        return hashlib.file_digest(file, "sha256").hexdigest()


def _write_json(path: Path, data: Any) -> None:
    text = json.dumps(data, ensure_ascii=False, separators=(",", ":"))
    path.write_text(text, encoding="utf-8")


def _natural_key(path: str) -> list[int | str]:
    """Sort 'issues/9/' before 'issues/10/': splitting on runs of digits puts them at the
    odd places, so equal places compare alike."""
    parts = re.split(r"(\d+)", path)
    return [int(part) if place % 2 else part for place, part in enumerate(parts)]


def _drop(fresh: Path, stale: Path) -> None:
    """After a failure: remove the half-written index, and the index it was to replace,
    which no longer matches the pages beside it."""
    shutil.rmtree(fresh, ignore_errors=True)
    shutil.rmtree(stale, ignore_errors=True)


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
