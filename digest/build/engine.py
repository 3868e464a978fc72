"""The build engine: a site's parsed state, and one way to bring an output up to date.

`digest build` makes one in a fresh process, from the last build's record (manifest.py)
and the parse cache; `digest serve` keeps one alive and hands it the paths the author
saved; `digest check` renders into memory. All three run `Engine.update`, which reads as
the stages in order: config, sources, parse, assemble, plan, render and write.

One rule says what a page depends on: its fingerprint (what it shows, see
fingerprint.page_fingerprint) and the text of the templates it uses. A page whose
dependencies equal the last output's, and whose file there is untouched since, is kept
instead of rendered (output.Sink.keep). A config or option change renders everything.
"""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import jinja2
from jinja2 import meta

from digest import __version__, memory
from digest.build.cache import cached_parse
from digest.build.fingerprint import Tokens, page_fingerprint
from digest.build.manifest import LastBuild, Stamp
from digest.build.output import MARKER_TEXT, OUTPUT_MARKER, Sink
from digest.build.parallel import can_fork, map_forked, parse_encoded, parse_files
from digest.config import load_config
from digest.content.markdown import pygments_css
from digest.content.sources import asset_sources, classify, issue_paths, misnamed
from digest.errors import DigestError, Problem
from digest.model import Issue, Site, SiteConfig
from digest.progress import Report, quiet
from digest.search.index import search_mark
from digest.site.assemble import assemble
from digest.site.listings import REMEMBERED
from digest.site.notes import parse_notes, section_notes
from digest.site.plan import ISSUE_TEMPLATE, OutputPage, make_plan
from digest.site.render import (
    ISSUE_CONTENT_TEMPLATE,
    RenderTimedOut,
    make_environment,
    render_page,
    template_dirs,
)
from digest.theme import theme_dir

PYGMENTS_CSS = "pygments.css"
TEMPLATE_CACHE_DIR = Path(".digest") / "cache" / "templates"
PARALLEL_PAGES = 400
"""Below this many pages to render, starting workers costs more than it saves."""
SHARES_PER_WORKER = 8
"""Pages are handed out in this many shares per worker, so progress moves."""


@dataclass(frozen=True, slots=True)
class Settings:
    """What a build is asked for, besides the site's own files."""

    site_dir: Path
    base_url: str | None = None
    drafts: bool = False
    future: bool = False
    clock: Callable[[], datetime] = field(default=datetime.now)
    jobs: int = 1
    """Processes for parsing and rendering; the output is the same for any number."""
    cache: bool = True
    """Keep parsed issues and compiled templates under .digest/ for the next process."""
    progress: Report = quiet


@dataclass(slots=True)
class Update:
    """What one `Engine.update` made."""

    site: Site
    record: LastBuild
    """The output now: every file's stamp, every page's dependencies (the next update's
    `last`)."""
    changed: set[str]
    """Files whose bytes differ from the last output's (all of them the first time)."""
    removed: set[str]
    """Files of the last output that the site no longer has."""
    reindex: set[str]
    """Issue pages whose searchable part differs from the last output's."""
    pages: int
    """Rendered and generated files (HTML, feeds, sitemap...), assets not counted."""
    notes: list[Problem]

    @property
    def items(self) -> int:
        return sum(len(section.items) for issue in self.site.issues for section in issue.sections)


class Engine:
    """A site's parsed state, kept from one update to the next."""

    def __init__(self, settings: Settings, last: LastBuild | None = None) -> None:
        self.settings = settings
        self.last = last
        """The output as the last update left it (None: nothing to reuse)."""
        self.theme = theme_dir()
        self.config: SiteConfig | None = None
        self.parsed: dict[Path, Issue | list[Problem]] = {}
        self.env: jinja2.Environment | None = None
        self.tokens = Tokens()
        self._templates: dict[str, str] = {}
        """Template name -> a hash of its text and the texts of those it uses."""
        self.references: dict[str, tuple[str, list[str]]] = dict(last.templates) if last else {}
        """Template name -> (a hash of its text, the templates that text names)."""

    # -- the stages, in order -------------------------------------------------------------

    def update(self, changed: Iterable[Path] | None, sink: Sink) -> Update:
        """Bring `sink` up to date after the files in `changed` were saved, created or
        deleted (None: anything may have changed). Raises DigestError with every problem
        found; the sink's output is then as the last update left it."""
        issues = self._configure(changed)
        self._parse(issues)
        site = self._assemble()
        pages = self._plan(site)
        update = self._render(site, pages, sink)
        self.last = update.record
        return update

    def _configure(self, changed: Iterable[Path] | None) -> list[Path] | None:
        """Load the config when anything may have changed (or it did); forget compiled
        templates when one changed. Returns the issue files to parse again (None: all)."""
        if changed is None or self.config is None:
            self._reset(load_config(self.settings.site_dir, self.settings.base_url))
            return None
        issues: list[Path] = []
        for path in {Path(p).absolute() for p in changed}:
            kind, _ = classify(path, self.config.root, self.theme)
            if kind == "config":
                self._reset(load_config(self.settings.site_dir, self.settings.base_url))
                return None
            if kind == "template":
                self.env = None  # a new file may shadow a theme template: resolve afresh
                self._templates = {}
            elif kind == "issue":
                issues.append(path)
        return issues

    def _reset(self, config: SiteConfig) -> None:
        self.config = config
        self.env = None
        self._templates = {}

    def _parse(self, changed: list[Path] | None) -> None:
        """Parse the issue files (all, or those changed), from the parse cache where it
        has them; a file whose name cannot be read is a problem of its own."""
        config = self.config
        assert config is not None
        if changed is None:
            paths = issue_paths(config)
            self.parsed = {}
        else:
            paths = [path for path in changed if path.is_file()]
            for path in changed:
                self.parsed.pop(path, None)
        refused = {path: [problem] for path in paths if (problem := misnamed(path))}
        paths = [path for path in paths if path not in refused]
        jobs, progress = self.settings.jobs, self.settings.progress
        with memory.gc_paused():  # the parsed site lives on: collections would only scan it
            if self.settings.cache:
                parsed = cached_parse(
                    paths, config, lambda missing: parse_encoded(missing, config, jobs, progress)
                )
            else:
                parsed = parse_files(paths, config, jobs, progress)
            self.parsed.update(parsed)
            self.parsed.update(refused)
            if changed is None:
                memory.settle()  # before collections resume, which would scan it once more

    def _assemble(self) -> Site:
        """The site from what is parsed; raises DigestError with every problem."""
        config = self.config
        assert config is not None
        problems = [
            problem
            for parsed in self.parsed.values()
            if isinstance(parsed, list)
            for problem in parsed
        ]
        issues = [parsed for parsed in self.parsed.values() if isinstance(parsed, Issue)]
        site, clashes = assemble(
            config,
            issues,
            self.settings.clock(),
            drafts=self.settings.drafts,
            future=self.settings.future,
        )
        if problems or clashes:
            raise DigestError(sorted(problems, key=_problem_order) + clashes)
        return site

    def _plan(self, site: Site) -> tuple[OutputPage, ...]:
        pages, collisions = make_plan(site)
        if collisions:
            raise DigestError(collisions)
        config = site.config
        if self.env is None:
            cache = config.root / TEMPLATE_CACHE_DIR if self.settings.cache else None
            self.env = make_environment(site, template_dirs(config.root, self.theme), cache)
        else:
            self.env.globals["site"] = config
        return pages

    def _render(self, site: Site, pages: tuple[OutputPage, ...], sink: Sink) -> Update:
        """Keep or render every page into `sink`, then the generated files and assets."""
        config = site.config
        key = self.key(config)
        # With no issues, the feeds show the build time itself, which no fingerprint covers.
        last = self.last if self.last is not None and self.last.key == key else None
        usable = last if site.issues else None
        self.tokens.rotate()
        fingerprints = {
            page.path: f"{page_fingerprint(page, self.tokens)}:{self._template_hash(page)}"
            for page in pages
        }
        generated = self.generated(config)
        assets: dict[str, Path] = {}
        sources: dict[str, Stamp] = {}
        for path, source in asset_sources(config, self.theme).items():
            try:
                status = source.stat()
            except OSError:
                continue
            assets[path], sources[path] = source, [status.st_mtime_ns, status.st_size]
        sink.prepare()
        # The pages and assets the site no longer has go first: a folder may have become
        # a file, or the reverse.
        removed = set()
        if self.last is not None:
            removed = (self.last.fingerprints.keys() | self.last.sources.keys()) - (
                fingerprints.keys() | sources.keys()
            )
        for path in sorted(removed, reverse=True):
            sink.remove(path)

        files: dict[str, Stamp | None] = {}
        marks: dict[str, str] = {}
        todo: list[OutputPage] = []
        for page in pages:
            kept: Stamp | bool | None = False
            if usable is not None and usable.fingerprints.get(page.path) == fingerprints[page.path]:
                kept = sink.keep(page.path)
            if kept is False:
                todo.append(page)
                continue
            files[page.path] = kept  # type: ignore[assignment]
            if page.path in usable.marks:  # type: ignore[union-attr]
                marks[page.path] = usable.marks[page.path]  # type: ignore[union-attr]
        rendered, rendered_marks, changed = _render_all(
            self.env, todo, sink, self.settings.jobs, self.settings.progress
        )
        files.update(rendered)
        marks.update(rendered_marks)
        sink.changed |= changed

        for path, data in {**generated, OUTPUT_MARKER: MARKER_TEXT}.items():
            files[path] = sink.write(path, data)
        for path, source in assets.items():
            kept = False
            if last is not None and last.sources.get(path) == sources[path]:
                kept = sink.keep(path)
            files[path] = sink.copy(path, source) if kept is False else kept  # type: ignore[assignment]

        known = last.marks if last is not None else {}
        record = LastBuild(
            sink.home, key, fingerprints, files, sources, marks, dict(self.references)
        )
        return Update(
            site,
            record,
            set(sink.changed),
            removed,
            {path for path, mark in marks.items() if known.get(path) != mark},
            len(pages) + len(generated),
            parse_notes(list(reversed(site.issues))) + section_notes(site),
        )

    # -- what the stages share ------------------------------------------------------------

    def key(self, config: SiteConfig) -> str:
        """What every page depends on besides what it shows and its templates."""
        options = {
            "version": __version__,
            "base_url": config.base_url,
            "drafts": self.settings.drafts,
            "future": self.settings.future,
            "config": repr(config),
        }
        return json.dumps(options, sort_keys=True, default=str)

    def generated(self, config: SiteConfig) -> dict[str, bytes]:
        """The files made by code rather than templates."""
        style = config.markdown
        return {
            PYGMENTS_CSS: pygments_css(style.highlight_style, style.highlight_style_dark).encode(),
            ".nojekyll": b"",
        }

    def next_due(self) -> datetime | None:
        """When the earliest issue left out for its future date becomes due."""
        if self.settings.future:
            return None
        now = self.settings.clock()
        waiting = [
            parsed.date
            for parsed in self.parsed.values()
            if isinstance(parsed, Issue)
            and parsed.date > now
            and (self.settings.drafts or not parsed.draft)
        ]
        return min(waiting, default=None)

    def forget(self) -> None:
        """Drop the parsed site and everything made from it: a one-off build is done with
        them, and the search indexer wants the memory."""
        self.parsed = {}
        self.env = None
        self.tokens = Tokens()
        self._templates = {}
        REMEMBERED.clear()

    def _template_hash(self, page: OutputPage) -> str:
        """A hash of the texts of the templates `page` is rendered with."""
        name = page.template
        if name not in self._templates:
            assert self.env is not None
            texts = hashlib.blake2b(digest_size=8)
            for used, text in sorted(self._closure(self.env, name).items()):
                texts.update(f"{used}\0{text}\0".encode())
            self._templates[name] = texts.hexdigest()
        return self._templates[name]

    def _closure(self, env: jinja2.Environment, name: str) -> dict[str, str]:
        """The templates `name` extends, includes or imports, itself included, each with a
        hash of its text; every template when one of them computes a name."""
        found: dict[str, str] = {}
        pending = [name]
        while pending:
            current = pending.pop()
            if current in found:
                continue
            text, refs = self._references(env, current)
            found[current] = text
            if "*" in refs:
                return {each: self._references(env, each)[0] for each in env.list_templates()}
            pending += refs
        return found

    def _references(self, env: jinja2.Environment, name: str) -> tuple[str, list[str]]:
        """A hash of the template's text, and the templates it names. What a text names
        is kept by its hash (in the build's record too): parsing every template again
        took 0.3 s of a one-edit build."""
        source = _source(env, name)
        text = hashlib.blake2b(source.encode(), digest_size=8).hexdigest()
        known = self.references.get(name)
        if known is None or known[0] != text:
            known = self.references[name] = (text, _referenced(env, source))
        return known[0], list(known[1])


def _source(env: jinja2.Environment, name: str) -> str:
    try:
        source, _, _ = env.loader.get_source(env, name)  # type: ignore[union-attr]
    except jinja2.TemplateError:
        return ""
    return source


def _referenced(env: jinja2.Environment, source: str) -> list[str]:
    """The templates a template's text names ("*": one it computes)."""
    try:
        ast = env.parse(source)
    except jinja2.TemplateError:
        return []
    found = [ISSUE_CONTENT_TEMPLATE] if "issue_content(" in source else []
    for referenced in meta.find_referenced_templates(ast):
        found.append("*" if referenced is None else referenced.removeprefix("theme/"))
    return found


def _problem_order(problem: Problem) -> str:
    """Files in name order; within a file, the order the parser found them in."""
    return str(problem.path)


# -- rendering, on every core when there is a lot of it ---------------------------------


@dataclass(frozen=True, slots=True)
class _Job:
    """The rendering to share out: set just before the workers are forked, which read it
    from their copy of this process."""

    env: jinja2.Environment
    pages: list[OutputPage]
    order: list[int]
    """Indexes into `pages`, in the order the shares cut them."""
    sink: Sink
    shares: int
    workers: int
    stopped: Any
    """`.value` is set once a page ran out of time, so that every share stops rendering
    (see RenderTimedOut): a byte in memory shared with the workers when there are any."""


_job: _Job | None = None
_Share = tuple[dict[str, Stamp | None], dict[str, str], set[str], list[tuple[int, Problem]]]
"""What rendering a share gives back: the files' stamps, the issue pages' marks, the
pages whose bytes changed, and problems."""


def _render_all(
    env: jinja2.Environment | None,
    pages: list[OutputPage],
    sink: Sink,
    jobs: int,
    progress: Report,
) -> tuple[dict[str, Stamp | None], dict[str, str], set[str]]:
    """Render `pages` into `sink`, each worker writing its pages itself so that no process
    holds the whole site's pages in memory; raises DigestError with every problem."""
    global _job
    assert env is not None
    parallel = jobs > 1 and len(pages) >= PARALLEL_PAGES and sink.folder is not None and can_fork()
    order = list(range(len(pages)))
    if parallel:
        # The workers share the parsed site with this process until they touch it, and
        # touching (a reference count) copies the memory page. A worker that renders the
        # pages of one stretch of time touches that stretch's issues, not every issue:
        # all processes together took 286 MB at 2,000 issues, against 339 MB.
        order.sort(key=lambda index: _when(pages[index]))
    shares = min(len(pages), jobs * SHARES_PER_WORKER) if parallel else max(1, len(pages))
    stopped = _shared_flag() if parallel else SimpleNamespace(value=0)
    _job = _Job(env, pages, order, sink, shares, jobs if parallel else 1, stopped)
    total = len(pages)

    def done(count: int) -> None:
        progress("rendering pages", total * count // shares, total)

    try:
        if parallel:
            results = map_forked(_render_task, shares, jobs, done)
        else:
            results = []
            for share in range(shares):
                results.append(_render_share(share))
                done(share + 1)
    finally:
        _job = None
    files: dict[str, Stamp | None] = {}
    marks: dict[str, str] = {}
    changed: set[str] = set()
    problems: dict[tuple, tuple[int, Problem]] = {}
    for share_files, share_marks, share_changed, share_problems in results:
        files.update(share_files)
        marks.update(share_marks)
        changed |= share_changed
        for index, problem in share_problems:
            key = (problem.path, problem.line)
            if key not in problems or index < problems[key][0]:
                problems[key] = (index, problem)
    if problems:
        raise DigestError([problem for _, problem in sorted(problems.values(), key=_first)])
    return files, marks, changed


def _shared_flag() -> Any:
    """A byte the forked workers share with this process."""
    from multiprocessing.sharedctypes import RawValue

    return RawValue("b", 0)


def _first(entry: tuple[int, Problem]) -> int:
    return entry[0]


def _when(page: OutputPage) -> float:
    """When a page's content is from, for ordering; pages of no date go last."""
    return page.lastmod.timestamp() if page.lastmod is not None else math.inf


def _render_task(task: int) -> _Share:
    """The pool hands its tasks out in turn, so with `workers` equally fast, task t goes
    to worker t % workers: it renders that worker's next share of consecutive ones."""
    assert _job is not None
    shares, workers = _job.shares, _job.workers
    per, rest = divmod(shares, workers)
    return _render_share(task if rest else (task % workers) * per + task // workers)


def _render_share(share: int) -> _Share:
    """Render the `share`-th of `shares` runs of pages in `order` into the sink; problems
    carry the page's place in the plan."""
    job = _job
    assert job is not None
    files: dict[str, Stamp | None] = {}
    marks: dict[str, str] = {}
    problems: list[tuple[int, Problem]] = []
    changed: set[str] = set()
    count = len(job.pages)
    for index in job.order[share * count // job.shares : (share + 1) * count // job.shares]:
        page = job.pages[index]
        if job.stopped.value:
            break
        try:
            data = render_page(job.env, page)
        except RenderTimedOut as error:
            problems += [(index, problem) for problem in error.problems]
            job.stopped.value = 1
            break
        except DigestError as error:
            problems += [(index, problem) for problem in error.problems]
            continue
        if page.template == ISSUE_TEMPLATE:
            marks[page.path] = search_mark(data)
        files[page.path] = job.sink.write(page.path, data)
        if page.path in job.sink.changed:
            changed.add(page.path)
    return files, marks, changed, problems
