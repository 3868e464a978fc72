"""The build pipeline, in order: config, sources, parse, assemble, plan, render, write,
index for search, commit.

This is the one place that sequences the stages of `digest build`. The engine
(engine.Engine.update, shared with `digest serve` and `digest check`) runs parse to
write, into a new tree beside the output (output.TreeSink); search indexes that tree;
commit swaps it in with one rename, so the output is always one whole build.

The modules that parse, render and index are imported only once a build has
something to do: a build that finds nothing changed answers in a tenth of a second,
and importing Jinja, markdown-it and Pygments alone took more than that.
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from digest.build import manifest
from digest.build.output import OUTPUT_MARKER
from digest.config import CONTENT_DIR, load_config
from digest.errors import DigestError, Problem
from digest.lock import site_lock
from digest.model import SiteConfig
from digest.progress import Report, quiet
from digest.theme import theme_dir


@dataclass(frozen=True, slots=True)
class BuildOptions:
    site_dir: Path
    out_dir: Path | None = None
    base_url: str | None = None
    drafts: bool = False
    future: bool = False
    now: datetime | None = None
    """The build clock; defaults to SOURCE_DATE_EPOCH, else the current time."""
    jobs: int | None = 1
    """Processes for parsing and rendering (None: every core); the output is the same
    for any number."""
    skip_unchanged: bool = False
    """Do nothing when no input changed since the last build and its output is intact."""
    search: bool = True
    """Build the search index (a preview or a link check can go without)."""
    force: bool = False
    """Reuse nothing from the last build: parse and render every page again."""
    detach_cleanup: bool = False
    """Leave deleting the replaced output to a background process (the command line)."""
    progress: Report = quiet
    """Hears how far parsing, rendering and indexing have got (digest.progress)."""


@dataclass(slots=True)
class BuildResult:
    config: SiteConfig
    out_dir: Path
    issues: int
    items: int
    pages: int
    seconds: float
    notes: list[Problem] = field(default_factory=list)
    up_to_date: bool = False
    """True when nothing changed and nothing was written."""


def build(options: BuildOptions) -> BuildResult:
    """Build the site; raises DigestError with every problem found, leaving old output alone.
    One command at a time writes a site (digest.lock)."""
    with site_lock(Path(options.site_dir), "digest build"):
        return _build(options)


def _build(options: BuildOptions) -> BuildResult:
    started = time.perf_counter()
    now = options.now or build_clock()
    # config
    config = load_config(options.site_dir, options.base_url)
    out_dir = (options.out_dir or config.root / "_site").resolve()
    saved = manifest.read(config.root)
    _check_out_dir(config, out_dir, saved)
    # sources: nothing changed and the output is as the last build left it -> done
    key = manifest.options_key(
        {
            "base_url": config.base_url,
            "drafts": options.drafts,
            "future": options.future,
            "out": str(out_dir),
            "search": options.search,
        }
    )
    sources = manifest.inputs(config.root, theme_dir())
    if options.skip_unchanged:
        done = manifest.up_to_date(saved, key, sources, out_dir, now)
        if done is not None:
            seconds = time.perf_counter() - started
            return BuildResult(
                config, out_dir, done.issues, done.items, done.pages, seconds, up_to_date=True
            )
    from digest import memory
    from digest.build.engine import Engine, Settings
    from digest.build.output import TreeSink, spare_for
    from digest.build.parallel import default_jobs
    from digest.search.index import BUNDLE_DIR, LIGHT_INDEX, plan_index, write_index
    from digest.site.notes import build_image_notes

    jobs = options.jobs or default_jobs()
    last = None if options.force else manifest.last_build(saved, out_dir)
    settings = Settings(
        options.site_dir,
        options.base_url,
        options.drafts,
        options.future,
        lambda: now,
        jobs,
        cache=not options.force,
        progress=options.progress,
    )
    engine = Engine(settings, last)
    spare = spare_for(config.root, out_dir)
    with (
        memory.one_off() as free,
        TreeSink(out_dir, last, options.detach_cleanup, spare) as sink,
    ):
        assert sink.folder is not None
        # parse, assemble, plan, render, write: into a new tree beside the output
        update = engine.update(None, sink)
        record, reindex = update.record, update.reindex
        summary = manifest.Summary(len(update.site.issues), update.items, update.pages)
        notes = update.notes + build_image_notes(update.site, sink.folder, record.files)
        issue_pages = [issue.url_path + "index.html" for issue in reversed(update.site.issues)]
        next_due = engine.next_due()
        del update  # from here on only the engine holds the parsed site
        # index for search: the new tree's pages, taking over the last tree's unchanged shards
        files = dict(record.files)
        if options.search:
            options.progress("indexing for search", 0, 0)
            index = plan_index(
                sink.folder,
                config,
                pages=issue_pages,
                previous=out_dir if last is not None else None,
                changed=reindex,
                untouched=(lambda path: last.intact(path) is not None) if last else None,
                jobs=jobs,
            )
            if index.indexed > LIGHT_INDEX or index.processes > 1:
                free(engine.forget)  # Pagefind's processes need the memory more
            notes += write_index(
                index,
                lambda done, total: options.progress("indexing for search", done, total),
                failure="error",
            )
            files.update(manifest.snapshot_relative(sink.folder, BUNDLE_DIR))
        if failed := [note for note in notes if note.level == "error"]:
            raise DigestError(failed)
        # commit: the new tree replaces the output in one rename, then the record of it
        sink.commit()
        # Still inside one_off: once the parsed site is thawed, the first full collection
        # scans all of it (60 ms at 2,000 issues, in the middle of writing the record).
        manifest.remember(config.root, key, sources, out_dir, now, next_due, summary, record, files)
    seconds = time.perf_counter() - started
    return BuildResult(
        config, out_dir, summary.issues, summary.items, summary.pages, seconds, notes
    )


def build_clock() -> datetime:
    """SOURCE_DATE_EPOCH (the reproducible-builds convention) or now."""
    epoch = os.environ.get("SOURCE_DATE_EPOCH")
    if epoch and epoch.strip().isdigit():
        return datetime.fromtimestamp(int(epoch), tz=UTC)
    return datetime.now(tz=UTC)


def _check_out_dir(config: SiteConfig, out_dir: Path, saved: dict[str, Any]) -> None:
    """Swapping the output replaces the folder whole: never let that be the sources, nor
    any folder holding files digest did not write (`--out templates` emptied it)."""
    if (
        out_dir == config.root
        or config.root.is_relative_to(out_dir)
        or out_dir == config.root / CONTENT_DIR
    ):
        raise DigestError(
            Problem(
                None,
                None,
                f"the output folder {out_dir} would replace the site's sources; "
                "choose another --out, such as _site",
            )
        )
    if out_dir.is_symlink() or not out_dir.exists():
        return
    if not out_dir.is_dir():
        raise DigestError(
            Problem(None, None, f"the output folder {out_dir} is a file; choose another --out")
        )
    if _written_by_digest(out_dir, saved):
        return
    try:
        empty = next(os.scandir(out_dir), None) is None
    except OSError:
        empty = False
    if not empty:
        raise DigestError(
            Problem(
                None,
                None,
                f"the output folder {out_dir} holds files digest did not write, and a build "
                "replaces everything in it; choose an empty or new folder for --out, or "
                "empty this one yourself",
            )
        )


def _written_by_digest(out_dir: Path, saved: dict[str, Any]) -> bool:
    """Digest's marker is there; or, for an output of a digest before the marker, the
    manifest records files there, or the two files every digest build wrote are there."""
    if (out_dir / OUTPUT_MARKER).is_file():
        return True
    last = manifest.last_build(saved, out_dir)
    if last is not None and last.files:
        return True
    return (out_dir / ".nojekyll").is_file() and (out_dir / "pygments.css").is_file()
