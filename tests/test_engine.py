"""The build engine: a build that reuses the last one's output, a preview that rebuilds
after each save, or a build on several processes, writes exactly what a clean serial
build writes; and only the pages a change shows on are rendered again."""

from __future__ import annotations

import os
import shutil
import sys
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import pytest

from digest.build import engine
from digest.build.engine import Engine, Settings
from digest.build.output import LiveSink
from digest.build.pipeline import BuildOptions, BuildResult, build
from digest.errors import DigestError
from digest.search import index as search

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "bench"))
from corpus import generate

NOW = datetime(2026, 11, 23, tzinfo=UTC)
ISSUES = "content/issues"


def tree(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in root.rglob("*") if p.is_file()}


def clean_build(site: Path, scratch: Path) -> dict[str, bytes]:
    """A serial build of a copy of `site` with nothing to reuse."""
    shutil.rmtree(scratch, ignore_errors=True)
    shutil.copytree(site, scratch, ignore=shutil.ignore_patterns(".digest", "_site"))
    build(BuildOptions(site_dir=scratch, now=NOW, jobs=1, force=True))
    return tree(scratch / "_site")


def cached_build(site: Path, jobs: int = 1) -> BuildResult:
    return build(BuildOptions(site_dir=site, now=NOW, jobs=jobs))


def inode(site: Path, relative: str) -> int:
    return (site / "_site" / relative).stat().st_ino


def append(path: Path, text: str) -> None:
    path.write_text(path.read_text(encoding="utf-8") + text, encoding="utf-8")


@pytest.fixture
def site(tmp_path: Path) -> Path:
    return generate(24, tmp_path / "site")


@pytest.fixture
def rendered(count_renders) -> list[str]:
    """The paths of the pages the builds render, in order."""
    return count_renders(engine)


def edit(site: Path) -> None:
    append(site / ISSUES / "0005-weekly.md", "\nOne more paragraph.\n")


def add(site: Path) -> None:
    text = (site / ISSUES / "0024-weekly.md").read_text(encoding="utf-8")
    text = text.replace("number: 24", "number: 25").replace("2025-12-29", "2026-01-05")
    (site / ISSUES / "0025-weekly.md").write_text(text, encoding="utf-8")


def rename(site: Path) -> None:
    (site / ISSUES / "0010-weekly.md").rename(site / ISSUES / "0010-renamed.md")


def delete(site: Path) -> None:
    (site / ISSUES / "0012-weekly.md").unlink()


def redate(site: Path) -> None:
    path = site / ISSUES / "0003-weekly.md"
    text = path.read_text(encoding="utf-8")
    date = next(line for line in text.splitlines() if line.startswith("date:"))
    path.write_text(text.replace(date, "date: 2025-12-30"), encoding="utf-8")


def template(site: Path) -> None:
    theme = Path(__file__).resolve().parents[1] / "templates" / "partials" / "footer.html"
    (site / "templates" / "partials").mkdir(parents=True, exist_ok=True)
    text = theme.read_text(encoding="utf-8").replace("</footer>", "<p>Thanks!</p></footer>")
    (site / "templates" / "partials" / "footer.html").write_text(text, encoding="utf-8")


def static(site: Path) -> None:
    (site / "static").mkdir(exist_ok=True)
    (site / "static" / "extra.css").write_text("body { color: black }\n", encoding="utf-8")


def config(site: Path) -> None:
    append(site / "site.yaml", "description: A description added later\n")


def tamper(site: Path) -> None:
    """Someone edits a built file by hand: it must not be reused."""
    page = site / "_site" / "issues" / "2" / "index.html"
    page.write_bytes(page.read_bytes().replace(b"</body>", b"<p>tampered</p></body>"))


STEPS: list[Callable[[Path], None]] = [edit, add, rename, delete, redate, template, static, config]


@pytest.mark.slow
def test_every_cached_build_equals_a_clean_build(site: Path, tmp_path: Path, monkeypatch):
    # Search shards of 4 issues: adding the 25th starts a shard, and the 24th page, whose
    # "newer" link changes, keeps its shard (its article did not change).
    monkeypatch.setattr(search, "SHARD_SIZE", 4)
    cached_build(site)
    assert tree(site / "_site") == clean_build(site, tmp_path / "clean")
    for step in [*STEPS, tamper]:
        step(site)
        cached_build(site)
        assert tree(site / "_site") == clean_build(site, tmp_path / "clean"), step.__name__


@pytest.mark.slow
def test_cached_builds_of_the_sample_site_equal_clean_builds(tmp_path: Path, monkeypatch):
    """The project's own sample site (two languages, images, a draft) through an edit, a
    draft published, a rename, a changed image and a deletion."""
    monkeypatch.setattr(search, "SHARD_SIZE", 2)
    root = Path(__file__).resolve().parents[1]
    sample = tmp_path / "sample"
    shutil.copytree(root / "content", sample / "content")
    shutil.copy(root / "site.yaml", sample / "site.yaml")
    issues = sample / ISSUES

    def publish(site: Path) -> None:
        path = issues / "6-next-week.md"
        path.write_text(path.read_text(encoding="utf-8").replace("draft: true", "draft: false"))

    def image(site: Path) -> None:
        append(sample / "content" / "images" / "speed.svg", "<!-- redrawn -->\n")

    steps: list[Callable[[Path], None]] = [
        lambda site: append(issues / "3-rust-and-ai.md", "\n又一段。\n"),
        publish,
        lambda site: (issues / "2-slow-queries.md").rename(issues / "2-slower-queries.md"),
        image,
        lambda site: (issues / "5-terminal-joys.md").unlink(),
    ]
    cached_build(sample)
    assert tree(sample / "_site") == clean_build(sample, tmp_path / "clean")
    for number, step in enumerate(steps):
        step(sample)
        cached_build(sample)
        assert tree(sample / "_site") == clean_build(sample, tmp_path / "clean"), number


@pytest.mark.slow
def test_an_index_that_fails_leaves_the_last_site_whole(site: Path, tmp_path: Path, monkeypatch):
    """Pagefind fails after an edit: the build is an error, the output is the last
    build's, its index included, and the next build makes the clean tree."""
    monkeypatch.setattr(search, "SHARD_SIZE", 4)
    cached_build(site)
    before = tree(site / "_site")
    edit(site)

    def crash(*args: object) -> None:
        raise RuntimeError("Pagefind crashed")

    with monkeypatch.context() as failing:
        failing.setattr(search, "_index", crash)
        with pytest.raises(DigestError) as caught:
            cached_build(site)
    assert "Pagefind failed: Pagefind crashed" in str(caught.value)
    assert tree(site / "_site") == before
    cached_build(site)
    assert tree(site / "_site") == clean_build(site, tmp_path / "clean")


def test_an_edit_renders_only_the_pages_that_show_it(site: Path, rendered: list[str]):
    cached_build(site)
    untouched = inode(site, "issues/20/index.html")
    edited = inode(site, "issues/5/index.html")
    asset = inode(site, "css/style.css")
    rendered.clear()
    edit(site)
    cached_build(site)
    assert "issues/5/index.html" in rendered
    assert "issues/20/index.html" not in rendered
    assert len(rendered) < 40, rendered
    assert inode(site, "issues/20/index.html") == untouched  # linked, not copied
    assert inode(site, "css/style.css") == asset
    assert inode(site, "issues/5/index.html") != edited


def stamps(site: Path) -> dict[str, tuple[int, int]]:
    out = site / "_site"
    return {
        p.relative_to(out).as_posix(): (p.stat().st_ino, p.stat().st_mtime_ns)
        for p in out.rglob("*")
        if p.is_file()
    }


def test_a_page_rendered_to_the_same_bytes_keeps_its_file(site: Path, rendered: list[str]):
    """Editing an issue's intro renders the section pages that list its items again, but
    they show none of the intro: their files are left as they were, not rewritten."""
    cached_build(site)
    before, old = stamps(site), tree(site / "_site")
    rendered.clear()
    path = site / ISSUES / "0005-weekly.md"
    text = path.read_text(encoding="utf-8")
    first = next(line for line in text.split("\n---\n", 1)[1].splitlines() if line.strip())
    path.write_text(text.replace(first, first + " An intro edited.", 1), encoding="utf-8")
    cached_build(site)
    after, new = stamps(site), tree(site / "_site")
    same = [page for page in rendered if new[page] == old[page]]
    assert same, rendered  # some pages were rendered again to the same bytes
    assert all(after[page] == before[page] for page in same)
    assert after[".nojekyll"] == before[".nojekyll"]  # generated files too
    assert new["issues/5/index.html"] != old["issues/5/index.html"]


def test_a_new_tree_links_the_pages_that_render_the_same(site: Path):
    """A template change renders every page into a new tree; a page whose bytes did not
    change is the old file, linked."""
    cached_build(site)
    before = stamps(site)
    theme = Path(__file__).resolve().parents[1] / "templates" / "partials" / "footer.html"
    (site / "templates" / "partials").mkdir(parents=True)
    text = "{# a comment changes the template, not the page #}\n" + theme.read_text("utf-8")
    (site / "templates" / "partials" / "footer.html").write_text(text, encoding="utf-8")
    cached_build(site)
    after = stamps(site)
    pages = [path for path in before if path.endswith(".html")]
    assert pages and all(after[path][0] == before[path][0] for path in pages)


def test_a_template_touched_but_not_changed_renders_nothing(site: Path, rendered: list[str]):
    """A checkout or a branch switch gives templates new times, not new content."""
    template(site)
    cached_build(site)
    before = stamps(site)
    override = site / "templates" / "partials" / "footer.html"
    os.utime(override, ns=(1, 1))
    rendered.clear()
    cached_build(site)
    assert rendered == []
    pages = {path: found for path, found in before.items() if not path.startswith("pagefind/")}
    assert {path: stamps(site)[path] for path in pages} == pages  # not rewritten either


@pytest.mark.slow
def test_force_reuses_nothing(site: Path):
    cached_build(site)
    before = inode(site, "issues/20/index.html")
    build(BuildOptions(site_dir=site, now=NOW, force=True))
    assert inode(site, "issues/20/index.html") != before


@pytest.mark.slow
def test_another_output_folder_reuses_nothing_by_mistake(site: Path, tmp_path: Path):
    cached_build(site)
    build(BuildOptions(site_dir=site, out_dir=tmp_path / "elsewhere", now=NOW))
    edit(site)
    cached_build(site)
    assert tree(site / "_site") == clean_build(site, tmp_path / "clean")


@pytest.mark.slow
def test_parallel_rendering_equals_serial(site: Path, tmp_path: Path, monkeypatch):
    monkeypatch.setattr(engine, "PARALLEL_PAGES", 1)
    build(BuildOptions(site_dir=site, now=NOW, jobs=2, force=True))
    assert tree(site / "_site") == clean_build(site, tmp_path / "clean")
    edit(site)
    add(site)
    build(BuildOptions(site_dir=site, now=NOW, jobs=2))
    assert tree(site / "_site") == clean_build(site, tmp_path / "clean")


@pytest.mark.slow
def test_parallel_rendering_after_a_config_change(site: Path, tmp_path: Path, monkeypatch):
    """Nothing kept: the render workers are forked while the new tree is being linked."""
    monkeypatch.setattr(engine, "PARALLEL_PAGES", 1)
    build(BuildOptions(site_dir=site, now=NOW, jobs=2))
    config(site)
    build(BuildOptions(site_dir=site, now=NOW, jobs=2))
    assert tree(site / "_site") == clean_build(site, tmp_path / "clean")


def test_parallel_rendering_reports_the_same_problems(site: Path, monkeypatch):
    monkeypatch.setattr(engine, "PARALLEL_PAGES", 1)
    (site / "templates").mkdir()
    (site / "templates" / "issue.html").write_text(
        '{% extends "theme/issue.html" %}{% block content %}{{ issue.nope.deeper }}{% endblock %}',
        encoding="utf-8",
    )
    reports = []
    for jobs in (1, 2):
        with pytest.raises(DigestError) as caught:
            build(BuildOptions(site_dir=site, now=NOW, jobs=jobs, force=True))
        reports.append([str(problem) for problem in caught.value.problems])
    assert reports[0] == reports[1]
    assert len(reports[0]) == 1 and "issue.html" in reports[0][0]


@pytest.mark.slow
def test_a_new_issue_reindexes_only_its_own_search_shard(site: Path, monkeypatch):
    monkeypatch.setattr(search, "SHARD_SIZE", 4)
    cached_build(site)
    shards = sorted((site / "_site/pagefind").glob("shard-*/pagefind-entry.json"))
    assert len(shards) == 5
    before = {path: path.stat().st_ino for path in shards}
    add(site)  # the 25th issue: a new shard; the 24th page changes only its "newer" link
    cached_build(site)
    assert {path: path.stat().st_ino for path in shards} == before
    assert (site / "_site/pagefind/shard-6/pagefind-entry.json").is_file()


@pytest.mark.slow
def test_an_index_restored_without_its_pages_is_taken_over(site: Path, tmp_path: Path, monkeypatch):
    """CI keeps .digest/ and _site/pagefind/ between runs, not the pages: the manifest's
    marks of what each page put in the index tell which shards still hold."""
    monkeypatch.setattr(search, "SHARD_SIZE", 4)
    cached_build(site)
    for path in (site / "_site").iterdir():
        if path.name != "pagefind":
            shutil.rmtree(path) if path.is_dir() else path.unlink()
    for path in (site / "content").rglob("*.md"):
        path.touch()  # a fresh checkout: new times, same text
    edit(site)  # the push: one issue changed (the 5th, in the second shard)
    indexed: list[list[str]] = []
    index = search._index

    def counting(binary, out_dir, bundle, pages):
        indexed.append(sorted(pages))
        return index(binary, out_dir, bundle, pages)

    monkeypatch.setattr(search, "_index", counting)
    cached_build(site)
    assert indexed == [[f"issues/{number}/index.html" for number in range(5, 9)]]
    assert tree(site / "_site") == clean_build(site, tmp_path / "clean")


def rebuild(live: Engine, changed: list[Path] | None, folder: Path) -> engine.Update:
    """What `digest serve` does after each save."""
    with LiveSink(folder, live.last) as sink:
        update = live.update(changed, sink)
        sink.commit()
    return update


def files_of(site: Path) -> dict[Path, tuple[int, int]]:
    """The site's own files (not its outputs) with their times and sizes."""
    return {
        path.absolute(): (path.stat().st_mtime_ns, path.stat().st_size)
        for path in site.rglob("*")
        if path.is_file() and not {"_site", ".digest"} & set(path.relative_to(site).parts)
    }


def test_a_preview_through_a_series_of_edits_equals_a_build(site: Path, tmp_path: Path):
    """`digest serve`'s engine, handed each save, leaves its folder byte for byte what
    `digest build` writes for the same files."""
    preview = tmp_path / "preview"
    preview.mkdir()
    live = Engine(Settings(site, clock=lambda: NOW, cache=False))
    rebuild(live, None, preview)
    options = BuildOptions(site_dir=site, out_dir=tmp_path / "built", now=NOW, search=False)
    build(options)
    assert tree(preview) == tree(tmp_path / "built")
    for step in STEPS:
        before = files_of(site)
        step(site)
        after = files_of(site)
        changed = [
            path for path in before.keys() | after.keys() if before.get(path) != after.get(path)
        ]
        rebuild(live, changed, preview)
        build(options)
        assert tree(preview) == tree(tmp_path / "built"), step.__name__


def test_a_preview_renders_only_the_pages_that_show_an_edit(site: Path, rendered: list[str]):
    preview = site / "preview"
    preview.mkdir()
    live = Engine(Settings(site, clock=lambda: NOW, cache=False))
    rebuild(live, None, preview)
    rendered.clear()
    edit(site)
    update = rebuild(live, [site / ISSUES / "0005-weekly.md"], preview)
    assert "issues/5/index.html" in rendered
    assert "issues/20/index.html" not in rendered
    assert len(rendered) < 40, rendered
    assert "issues/5/index.html" in update.changed
    assert "issues/20/index.html" not in update.changed


def test_a_preview_after_a_template_change_renders_only_the_pages_using_it(
    site: Path, rendered: list[str]
):
    preview = site / "preview"
    preview.mkdir()
    live = Engine(Settings(site, clock=lambda: NOW, cache=False))
    rebuild(live, None, preview)
    rendered.clear()
    (site / "templates").mkdir()
    archive = site / "templates" / "archive.html"
    archive.write_text('{% extends "theme/archive.html" %}', encoding="utf-8")
    rebuild(live, [archive], preview)
    assert rendered == ["archive/index.html"]


def test_a_broken_edit_raises_and_the_fix_recovers(site: Path, tmp_path: Path):
    preview = tmp_path / "preview"
    preview.mkdir()
    live = Engine(Settings(site, clock=lambda: NOW, cache=False))
    rebuild(live, None, preview)
    served = tree(preview)
    issue = site / ISSUES / "0003-weekly.md"
    text = issue.read_text(encoding="utf-8")
    issue.write_text(text.replace("title:", "title: [broken", 1), encoding="utf-8")
    with pytest.raises(DigestError) as caught:
        rebuild(live, [issue], preview)
    assert caught.value.problems[0].path == issue
    assert tree(preview) == served  # the last good build is still what is served
    issue.write_text(text.replace("title:", "title: Fixed", 1), encoding="utf-8")
    rebuild(live, [issue], preview)
    build(BuildOptions(site_dir=site, out_dir=tmp_path / "built", now=NOW, search=False))
    assert tree(preview) == tree(tmp_path / "built")
