"""Search: the Pagefind index of the issue pages, and finding issues in real Chromium.

The fixture site is Chinese (`language: zh-CN`) with one English issue (`lang: en`), built
for a sub-path base URL and served under it, so one run checks the mixed-language index,
the search box on pages of both languages and every URL's base path.

The shard tests use a second, generated site of SHARDED issues indexed SHARD_SIZE at a time:
its variants (one issue edited, one added, one deleted) are built once, and each test indexes
copies, comparing a shard's files with the previous build's by inode to see which were
taken over, and every result with a from-scratch index of the same pages.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import os
import re
import shutil
import sys
import textwrap
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
from external_tools import CHROMIUM_ARGS, chromium, missing_tool

from digest.build.pipeline import BuildOptions, BuildResult, build
from digest.config import load_config
from digest.errors import Problem
from digest.model import SiteConfig
from digest.search import index as search_module
from digest.search.index import (
    BUNDLE_DIR,
    MANIFEST,
    RECORD,
    SHARD_PREFIX,
    cut,
    plan_index,
    write_index,
)

pytestmark = pytest.mark.slow  # Pagefind indexes every site these tests build

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Locator, Page

NOW = datetime(2026, 11, 23, tzinfo=UTC)
PREFIX = "/weekly/"
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


def index_site(
    out_dir: Path,
    config: SiteConfig,
    progress: Callable[[int, int], None] | None = None,
    **options: Any,
) -> list[Problem]:
    """Both stages of search indexing, as a build runs them."""
    return write_index(plan_index(out_dir, config, **options), progress)


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


def fragments(out: Path, shard: str = "") -> list[dict[str, Any]]:
    """Every page of one shard as Pagefind stored it (gzip, a signature, then JSON)."""
    pages = []
    for path in sorted((out / BUNDLE_DIR / shard / "fragment").iterdir()):
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


def test_index_holds_issue_pages_of_both_languages_in_one_index(site_out: Path) -> None:
    languages = entry(site_out)["languages"]
    assert languages == {"en": {"hash": languages["en"]["hash"], "wasm": "en", "page_count": 3}}
    pages = {page["url"]: page for page in fragments(site_out)}
    assert sorted(pages) == ["/issues/1/", "/issues/2/", "/issues/3/"]  # no home or list pages
    assert pages["/issues/2/"]["meta"]["title"] == "Issue 2: Airships"
    assert pages["/issues/2/"]["meta"]["lang"] == "en"
    assert pages["/issues/1/"]["meta"]["lang"] == "zh-CN"
    # Chinese is indexed a character a word (digest.search.index.split_cjk).
    zh_text = pages["/issues/1/"]["content"]
    assert " ".join(ZH_TERM) in zh_text
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


# ---- Shards ----

SHARD_SIZE = 3
SHARDED = {
    1: ("zh", "这一期的主角是拓扑排序。"),
    2: ("en", "A zeppelin company plans cargo flights."),
    3: ("zh", "从排序讲到 B 树。"),
    4: ("zh", "聊聊编译器的寄存器分配。"),
    5: ("en", "Grandma's marmalade recipe, as a state machine."),
    6: ("zh", "一个终端里的电子表格。"),
    7: ("zh", "布隆过滤器为什么会误判。"),
    8: ("zh", "第八期：新来的一期。"),
}
"""Issue number: its language and the one item's summary, each with a word no other has.
Issues 1-7 are the site; 8 is the one added."""
SHARD_TERMS = {
    "zh-shard-0": ("拓扑排序", 1),
    "en-shard-0": ("zeppelin", 2),
    "en-shard-1": ("marmalade", 5),
    "zh-shard-2": ("误判", 7),
}


def write_sharded(root: Path, numbers: list[int], edited: int | None = None) -> Path:
    """The sharded site with the issues `numbers`, one a week; `edited` gets another summary."""
    root.mkdir(parents=True, exist_ok=True)
    (root / "site.yaml").write_text(SITE_YAML, encoding="utf-8")
    folder = root / "content" / "issues"
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    for number in numbers:
        language, summary = SHARDED[number]
        if number == edited:
            summary += " Edited: a postscript."
        title = f"Issue {number}" if language == "en" else f"第 {number} 期"
        lang = "lang: en\n" if language == "en" else ""
        date = (datetime(2026, 1, 5) + timedelta(weeks=number)).date()
        (folder / f"{number}-issue.md").write_text(
            f"---\ntitle: {title}\ndate: {date}\n{lang}---\n\n## Links\n\n"
            f"### [Item {number}](https://example.com/{number})\n\n{summary}\n",
            encoding="utf-8",
        )
    return root


def issue_pages(numbers: list[int]) -> list[str]:
    return [f"issues/{number}/index.html" for number in numbers]


def index_shards(out: Path, numbers: list[int], **reuse: Any) -> list[str]:
    """Index the issues `numbers` of `out` SHARD_SIZE at a time; returns the shard folders."""
    config = load_config(out.parent / "site")
    pages = issue_pages(numbers)
    assert index_site(out, config, pages=pages, shard_size=SHARD_SIZE, **reuse) == []
    manifest = json.loads((out / BUNDLE_DIR / MANIFEST).read_text(encoding="utf-8"))
    return [shard["path"] for shard in manifest["shards"]]


def changed_between(old: Path, new: Path) -> set[str]:
    """Site-relative paths whose bytes differ, outside the index: what a build passes."""
    before, after = digest_of(old), digest_of(new)
    return {
        path
        for path in before.keys() | after.keys()
        if before.get(path) != after.get(path) and not path.startswith(f"{BUNDLE_DIR}/")
    }


def taken_over(previous: Path, out: Path, shards: list[str]) -> list[str]:
    """The shards of `out` whose every file is the same file (inode) as in `previous`."""
    same = []
    for shard in shards:
        folder = out / BUNDLE_DIR / shard
        record = json.loads((folder / RECORD).read_text(encoding="utf-8"))
        old = previous / BUNDLE_DIR / shard
        if all(
            (old / name).is_file() and os.path.samefile(folder / name, old / name)
            for name in record["files"]
        ):
            same.append(shard)
    return same


@pytest.fixture(scope="module")
def sharded(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Built outputs of the sharded site's variants, by name; "base" is also indexed."""
    require_pagefind()
    variants = {
        "base": ([1, 2, 3, 4, 5, 6, 7], None),
        "edited": ([1, 2, 3, 4, 5, 6, 7], 5),
        "added": ([1, 2, 3, 4, 5, 6, 7, 8], None),
        "deleted": ([1, 2, 3, 4, 6, 7], None),
    }
    outputs = {}
    for name, (numbers, edited) in variants.items():
        root = write_sharded(tmp_path_factory.mktemp(name) / "site", numbers, edited)
        out = root.parent / "_site"
        build(BuildOptions(site_dir=root, out_dir=out, now=NOW))
        outputs[name] = out
    index_shards(outputs["base"], variants["base"][0])
    return outputs


def copy_out(out: Path, into: Path) -> Path:
    """A copy of a built output (and its site.yaml) at `into`/_site, for a test to index."""
    (into / "site").mkdir(parents=True)
    shutil.copy(out.parent / "site" / "site.yaml", into / "site" / "site.yaml")
    shutil.copytree(out, into / "_site")
    return into / "_site"


def from_scratch(out: Path, numbers: list[int], into: Path) -> dict[str, str]:
    """The index files a build with no previous one would write for the same pages."""
    fresh = copy_out(out, into)
    shutil.rmtree(fresh / BUNDLE_DIR)
    index_shards(fresh, numbers)
    return digest_of(fresh / BUNDLE_DIR)


def test_shards_hold_the_pages_oldest_first(sharded: dict[str, Path]) -> None:
    out = sharded["base"]
    manifest = json.loads((out / BUNDLE_DIR / MANIFEST).read_text(encoding="utf-8"))
    assert manifest == {
        "shards": [
            {"path": "", "languages": {"en": 3}},  # one index for all (FORCE_LANGUAGE)
            {"path": "shard-1/", "languages": {"en": 3}},
            {"path": "shard-2/", "languages": {"en": 1}},
        ]
    }
    for shard, numbers in [("", [1, 2, 3]), ("shard-1/", [4, 5, 6]), ("shard-2/", [7])]:
        urls = sorted(page["url"] for page in fragments(out, shard))
        assert urls == [f"/issues/{number}/" for number in numbers]
        record = json.loads((out / BUNDLE_DIR / shard / RECORD).read_text(encoding="utf-8"))
        assert record["pages"] == issue_pages(numbers)
    # Shard 0 is a whole Pagefind bundle; the others only the data search.js merges into it.
    assert (out / BUNDLE_DIR / "pagefind.js").is_file()
    shard = out / BUNDLE_DIR / "shard-1"
    names = sorted(re.sub(r"_\w+\.", "_<hash>.", path.name) for path in shard.iterdir())
    assert names == [
        RECORD,
        "fragment",
        "index",
        "pagefind-entry.json",
        "pagefind.en_<hash>.pf_meta",
    ]


def test_editing_an_issue_indexes_only_its_shard_again(
    sharded: dict[str, Path], tmp_path: Path
) -> None:
    previous = sharded["base"]
    out = copy_out(sharded["edited"], tmp_path / "new")
    changed = changed_between(previous, out)
    assert {path for path in changed if path.startswith("issues/")} == {"issues/5/index.html"}
    shards = index_shards(out, [1, 2, 3, 4, 5, 6, 7], previous=previous, changed=changed)
    assert taken_over(previous, out, shards) == ["", "shard-2/"]
    assert "postscript" in json.dumps(fragments(out, "shard-1/"))
    expected = from_scratch(sharded["edited"], [1, 2, 3, 4, 5, 6, 7], tmp_path / "scratch")
    assert digest_of(out / BUNDLE_DIR) == expected


@pytest.mark.parametrize(
    ("variant", "numbers", "shards", "taken"),
    [
        ("added", [1, 2, 3, 4, 5, 6, 7, 8], ["", "shard-1/", "shard-2/"], ["", "shard-1/"]),
        ("deleted", [1, 2, 3, 4, 6, 7], ["", "shard-1/"], [""]),
    ],
)
def test_adding_or_deleting_an_issue_indexes_only_the_shards_that_change(
    sharded: dict[str, Path],
    tmp_path: Path,
    variant: str,
    numbers: list[int],
    shards: list[str],
    taken: list[str],
) -> None:
    """A new issue re-indexes only the last shard; a deleted one, the shards after it,
    which shift, and a shard left with no pages is gone."""
    previous = sharded["base"]
    out = copy_out(sharded[variant], tmp_path / "new")
    found = index_shards(out, numbers, previous=previous, changed=changed_between(previous, out))
    assert found == shards
    assert taken_over(previous, out, found) == taken
    folders = sorted(path.name + "/" for path in (out / BUNDLE_DIR).glob(f"{SHARD_PREFIX}*"))
    assert folders == [shard for shard in shards if shard]
    expected = from_scratch(sharded[variant], numbers, tmp_path / "scratch")
    assert digest_of(out / BUNDLE_DIR) == expected


@pytest.mark.parametrize("damage", ["changed", "missing", "record", "program"])
def test_a_damaged_shard_of_the_previous_build_is_not_taken_over(
    sharded: dict[str, Path], tmp_path: Path, damage: str
) -> None:
    previous = copy_out(sharded["base"], tmp_path / "previous")
    shard = previous / BUNDLE_DIR / "shard-1"
    fragment = sorted((shard / "fragment").iterdir())[0]
    if damage == "changed":
        fragment.write_bytes(fragment.read_bytes()[:-1])
    elif damage == "missing":
        fragment.unlink()
    elif damage == "record":
        (shard / RECORD).write_text("{", encoding="utf-8")
    else:  # made by another Pagefind: its index may differ
        record = json.loads((shard / RECORD).read_text(encoding="utf-8"))
        record["pagefind"]["program"] = "pagefind 0.9.0"
        (shard / RECORD).write_text(json.dumps(record), encoding="utf-8")
    out = copy_out(sharded["base"], tmp_path / "new")
    numbers = [1, 2, 3, 4, 5, 6, 7]
    shards = index_shards(out, numbers, previous=previous, changed=set())
    assert taken_over(previous, out, shards) == ["", "shard-2/"]
    assert digest_of(out / BUNDLE_DIR) == digest_of(sharded["base"] / BUNDLE_DIR)


def test_files_the_last_build_vouches_for_are_not_hashed_again(
    sharded: dict[str, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A build vouches for the files its manifest says are untouched; the others, here a
    damaged shard's, are still checked against their SHA-256."""
    previous = copy_out(sharded["base"], tmp_path / "previous")
    fragment = sorted((previous / BUNDLE_DIR / "shard-1" / "fragment").iterdir())[0]
    fragment.write_bytes(fragment.read_bytes()[:-1])
    checked: set[str] = set()
    real = search_module._intact

    def intact(folder: Path, name: str, digest: str) -> bool:
        checked.add(folder.name)
        return real(folder, name, digest)

    monkeypatch.setattr(search_module, "_intact", intact)
    out = copy_out(sharded["base"], tmp_path / "new")
    shards = index_shards(
        out,
        [1, 2, 3, 4, 5, 6, 7],
        previous=previous,
        changed=set(),
        untouched=lambda path: not path.startswith(f"{BUNDLE_DIR}/shard-1/"),
    )
    assert checked == {"shard-1"}
    assert taken_over(previous, out, shards) == ["", "shard-2/"]
    assert digest_of(out / BUNDLE_DIR) == digest_of(sharded["base"] / BUNDLE_DIR)


def test_shards_indexed_two_at_a_time_are_the_same_files(
    sharded: dict[str, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With two cores, two Pagefind processes run at once; the bundle is the same, and the
    progress line hears each shard."""
    running, most = [0], [0]
    lock = threading.Lock()
    real = search_module._index

    def index(*args: Any) -> None:
        with lock:
            running[0] += 1
            most[0] = max(most[0], running[0])
        try:
            real(*args)
        finally:
            with lock:
                running[0] -= 1

    monkeypatch.setattr(search_module, "_index", index)
    out = copy_out(sharded["base"], tmp_path / "site")
    shutil.rmtree(out / BUNDLE_DIR)
    heard: list[tuple[int, int]] = []
    shards = index_shards(out, [1, 2, 3, 4, 5, 6, 7], jobs=2, progress=lambda *at: heard.append(at))
    assert most[0] == 2
    assert heard == [(done, len(shards)) for done in range(1, len(shards) + 1)]
    assert digest_of(out / BUNDLE_DIR) == digest_of(sharded["base"] / BUNDLE_DIR)
    assert not list(out.glob(f".{BUNDLE_DIR}-new*")), "a shard's own folder was left behind"


def test_indexing_in_place_takes_every_unchanged_shard_over(
    sharded: dict[str, Path], tmp_path: Path
) -> None:
    """As `digest serve` may: its output folder is both the previous build and the new one."""
    out = copy_out(sharded["base"], tmp_path / "site")
    before = digest_of(out / BUNDLE_DIR)
    data = list((out / BUNDLE_DIR).rglob("*.pf_*"))
    inodes = [path.stat().st_ino for path in data]
    index_shards(out, [1, 2, 3, 4, 5, 6, 7], previous=out, changed={"index.html"})
    assert [path.stat().st_ino for path in data] == inodes
    assert digest_of(out / BUNDLE_DIR) == before


def test_without_the_changed_pages_every_shard_is_indexed_again(
    sharded: dict[str, Path], tmp_path: Path
) -> None:
    previous = sharded["base"]
    out = copy_out(previous, tmp_path / "new")
    shards = index_shards(out, [1, 2, 3, 4, 5, 6, 7], previous=previous, changed=None)
    assert taken_over(previous, out, shards) == []
    assert digest_of(out / BUNDLE_DIR) == digest_of(previous / BUNDLE_DIR)


def test_pages_without_the_issue_article_give_an_empty_index_warning(tmp_path: Path) -> None:
    require_pagefind()
    out = tmp_path / "_site"
    (out / "issues" / "1").mkdir(parents=True)
    (out / "issues" / "1" / "index.html").write_text(
        '<!doctype html><html lang="en"><title>1</title><main>No article here</main></html>',
        encoding="utf-8",
    )
    config = load_config(write_site(tmp_path / "site"))
    [warning] = index_site(out, config)
    assert warning.level == "warning" and "the search index is empty" in warning.message


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


def serve_under_prefix(out: Path) -> Iterator[str]:
    """Serve the built site `out` under PREFIX; yields the origin."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), partial(_Handler, directory=str(out)))
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    host, port = server.server_address[:2]
    yield f"http://{host}:{port}"
    server.shutdown()
    server.server_close()
    thread.join(timeout=5)


@pytest.fixture(scope="module")
def origin(site_out: Path) -> Iterator[str]:
    yield from serve_under_prefix(site_out)


@pytest.fixture(scope="module")
def sharded_origin(sharded: dict[str, Path]) -> Iterator[str]:
    """The sharded site's first variant, indexed SHARD_SIZE issues a shard."""
    yield from serve_under_prefix(sharded["base"])


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
    launched = Chromium(chromium())
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


@pytest.mark.parametrize("start", ["issues/1/", "issues/5/"], ids=["zh", "en"])
@pytest.mark.parametrize(("term", "number"), SHARD_TERMS.values(), ids=SHARD_TERMS.keys())
def test_search_finds_issues_in_every_shard(
    browser_thread: Chromium, sharded_origin: str, start: str, term: str, number: int
) -> None:
    from playwright.sync_api import Response, expect

    def steps(page: Page) -> None:
        failed: list[str] = []

        def check(response: Response) -> None:
            if response.status >= 400:
                failed.append(f"HTTP {response.status} for {response.url}")

        page.on("response", check)
        page.goto(f"{sharded_origin}{PREFIX}{start}")
        search(page, term)
        expect(results(page)).to_have_count(1)
        expect(results(page)).to_have_attribute("href", f"{PREFIX}issues/{number}/")
        # A word every Chinese issue's title has: found in all three shards at once.
        page.locator("#site-search-q").fill("期")
        expect(results(page)).to_have_count(5)
        found = sorted(results(page).evaluate_all("links => links.map(link => link.pathname)"))
        assert found == sorted(f"{PREFIX}issues/{n}/" for n in (1, 3, 4, 6, 7))
        assert not failed, failed

    browser_thread.run(steps)


def test_cut_keeps_full_shards_and_splits_the_newest_by_powers_of_two() -> None:
    pages = [f"issues/{n}/index.html" for n in range(1, 501)]
    shards = cut(pages, 200)
    assert [len(shard) for shard in shards] == [200, 200, 64, 32, 4]
    assert [page for shard in shards for page in shard] == pages
    assert [len(shard) for shard in cut(pages[:199], 200)] == [128, 64, 7]
    # The newest page, the one being written, is never in a full shard.
    assert [len(shard) for shard in cut(pages[:200], 200)] == [128, 64, 8]
    assert [len(shard) for shard in cut(pages[:400], 200)] == [200, 128, 64, 8]
    assert [len(shard) for shard in cut(pages[:201], 200)] == [200, 1]
    assert [len(shard) for shard in cut(pages[:15], 200)] == [15]  # a small site: one shard
    assert cut([], 200) == []


def test_cut_a_new_page_touches_few_pages() -> None:
    """Pages in shards that did not exist before the page was added: what is re-indexed."""
    pages = [f"issues/{n}/index.html" for n in range(1, 1001)]
    touched = []
    for count in range(1, len(pages)):
        before = {tuple(shard) for shard in cut(pages[:count], 200)}
        after = cut(pages[: count + 1], 200)
        touched.append(sum(len(shard) for shard in after if tuple(shard) not in before))
    assert max(touched) <= 201  # a full shard forms once every 200 pages, with the new page's
    assert sum(touched) / len(touched) < 12  # measured: 10.6
