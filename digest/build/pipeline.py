"""The build pipeline: config -> read -> parse -> assemble -> plan -> render -> write.

This is the one place that sequences the stages; each stage is a function of
its inputs, so the order here is the whole story of a build.

The modules that parse, render and index are imported only once a build has
something to do: a build that finds nothing changed answers in a tenth of a second,
and importing Jinja, markdown-it and Pygments alone took more than that.
"""

from __future__ import annotations

import functools
import gc
import os
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from digest.build import manifest
from digest.build.output import restore_parked
from digest.config import CONTENT_DIR, load_config
from digest.errors import DigestError, Problem
from digest.lock import site_lock
from digest.model import Issue, SiteConfig
from digest.progress import Report, quiet
from digest.theme import theme_dir

if TYPE_CHECKING:
    from digest.build.builder import Builder
    from digest.build.writer import Written


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
    config = load_config(options.site_dir, options.base_url)
    theme = theme_dir()
    out_dir = (options.out_dir or config.root / "_site").resolve()
    _check_out_dir(config, out_dir)
    restore_parked(out_dir)  # a build killed mid-swap parked the last good site aside
    rendering = {  # what the pages depend on; search only adds the index beside them
        "base_url": config.base_url,
        "drafts": options.drafts,
        "future": options.future,
        "out": str(out_dir),
    }
    key = manifest.options_key({**rendering, "search": options.search})
    sources = manifest.inputs(config.root, theme)
    if options.skip_unchanged:
        summary = manifest.up_to_date(config.root, key, sources, out_dir, now)
        if summary is not None:
            seconds = time.perf_counter() - started
            return BuildResult(
                config,
                out_dir,
                summary.issues,
                summary.items,
                summary.pages,
                seconds,
                up_to_date=True,
            )
    from digest import memory
    from digest.build.builder import Builder
    from digest.build.output import writing
    from digest.build.parallel import default_jobs
    from digest.build.writer import write_site
    from digest.search.index import BUNDLE_DIR, LIGHT_INDEX
    from digest.site.notes import build_image_notes, parse_notes, section_notes

    jobs = options.jobs or default_jobs()
    builder = Builder(
        options.site_dir,
        base_url=options.base_url,
        drafts=options.drafts,
        future=options.future,
        clock=lambda: now,
        jobs=jobs,
        cache=not options.force,
        progress=options.progress,
    )
    render_key = manifest.render_key(
        manifest.options_key(rendering),
        config,
        sources,
        [theme / "templates", config.root / "templates"],
    )
    last = None if options.force else manifest.last_build(config.root, out_dir)
    # A rebuild moves its changed files into the output; a first or forced one, or one
    # after a template or config change, writes a whole new tree and swaps it in.
    in_place = last is not None and last.key == render_key and out_dir.is_dir()
    # The parsed site lives until the pages are written: no need to scan it, not even once
    # when collection resumes after parsing (50 ms at 2,000 issues).
    with memory.gc_paused():
        builder.parse_all()
        gc.freeze()
    try:
        with writing(out_dir, in_place, detach=options.detach_cleanup) as patch:
            site, written = write_site(
                builder, patch.stage, last, render_key, jobs, options.progress, in_place
            )
            notes = (
                parse_notes(list(reversed(site.issues)))
                + section_notes(site)
                + build_image_notes(site, patch.stage, written.files)
            )
            summary = manifest.Summary(
                issues=len(site.issues),
                items=sum(len(issue.items) for issue in site.issues),
                pages=written.pages,
            )
            next_due = _next_due(builder, now)
            issue_pages = [issue.url_path + "index.html" for issue in reversed(site.issues)]
            del site
            patch.keep = set(written.files)
            patch.spare = (BUNDLE_DIR,) if options.search else ()
            if options.search:
                options.progress("indexing for search", 0, 0)

                def make_room(pages: int, processes: int) -> None:
                    """Pagefind runs next, in processes of their own: free the parsed site
                    first, unless the indexing is small enough to run beside it."""
                    if pages > LIGHT_INDEX or processes > 1:
                        builder.forget()
                        gc.unfreeze()
                        memory.release()

                index = functools.partial(
                    _index,
                    config,
                    issue_pages,
                    out_dir,
                    last,
                    written,
                    jobs,
                    options.progress,
                    make_room,
                )
                if in_place:  # once the pages are in place, before the update is final
                    patch.finish = lambda spares: notes.extend(
                        index(out_dir, spares / BUNDLE_DIR if spares is not None else None)
                    )
                else:
                    notes += index(patch.stage, None)
        reuse: dict[str, object] = {
            "key": render_key,
            "fingerprints": written.fingerprints,
            "sources": written.sources,
            "marks": written.marks,
        }
        manifest.remember(
            config.root,
            key,
            sources,
            out_dir,
            now,
            next_due,
            summary,
            reuse,
            written.files,
            [out_dir / BUNDLE_DIR],
        )
    finally:  # thawed at the very end: thawed, the next collection would scan it all
        gc.unfreeze()
    seconds = time.perf_counter() - started
    return BuildResult(
        config, out_dir, summary.issues, summary.items, summary.pages, seconds, notes
    )


def _index(
    config: SiteConfig,
    issue_pages: list[str],
    out_dir: Path,
    last: manifest.LastBuild | None,
    written: Written,
    jobs: int,
    progress: Report,
    make_room: Callable[[int, int], None],
    folder: Path,
    retire: Path | None,
) -> list[Problem]:
    """Index the pages written into `folder`, taking over the shards of the last build's
    output (`out_dir`) whose pages did not change; the index replaced goes to `retire`
    when given (see search.index_site)."""
    from digest.search.index import index_site

    def untouched(path: str) -> bool:
        return last is not None and last.intact(path) is not None

    return index_site(
        folder,
        config,
        pages=issue_pages,
        previous=out_dir if last is not None else None,
        changed=written.reindex,
        untouched=untouched if last is not None else None,
        jobs=jobs,
        progress=lambda done, total: progress("indexing for search", done, total),
        retire=retire,
        make_room=make_room,
    )


def _next_due(builder: Builder, now: datetime) -> datetime | None:
    """When the earliest issue left out for its future date becomes due."""
    if builder.future:
        return None
    waiting = [
        parsed.date
        for parsed in builder.parsed.values()
        if isinstance(parsed, Issue) and parsed.date > now and (builder.drafts or not parsed.draft)
    ]
    return min(waiting, default=None)


def build_clock() -> datetime:
    """SOURCE_DATE_EPOCH (the reproducible-builds convention) or now."""
    epoch = os.environ.get("SOURCE_DATE_EPOCH")
    if epoch and epoch.strip().isdigit():
        return datetime.fromtimestamp(int(epoch), tz=UTC)
    return datetime.now(tz=UTC)


def _check_out_dir(config: SiteConfig, out_dir: Path) -> None:
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
    if _written_by_digest(config, out_dir):
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


def _written_by_digest(config: SiteConfig, out_dir: Path) -> bool:
    """Digest's marker is there; or, for an output of a digest before the marker, the
    manifest records files there, or the two files every digest build wrote are there."""
    from digest.build.writer import OUTPUT_MARKER

    if (out_dir / OUTPUT_MARKER).is_file():
        return True
    last = manifest.last_build(config.root, out_dir)
    if last is not None and last.files:
        return True
    return (out_dir / ".nojekyll").is_file() and (out_dir / "pygments.css").is_file()
