"""A site build that remembers what it made, so the next one redoes only what changed.

`digest build` runs it once; `digest serve` keeps one alive and feeds it the
paths the author saved. Each page of the plan gets a fingerprint of exactly
what it shows (the issues by content hash, the listing entries, the page
numbers); a page is rendered again only when its fingerprint or one of its
templates changed. A site.yaml change, or anything unexpected, rebuilds all.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

import jinja2
from jinja2 import meta

from digest.build.cache import cached_parse
from digest.build.fingerprint import Tokens, page_fingerprint
from digest.build.parallel import parse_encoded, parse_file, parse_files
from digest.config import load_config
from digest.content.markdown import make_markdown, pygments_css
from digest.content.sources import asset_sources, classify, issue_paths, misnamed
from digest.errors import DigestError, Problem
from digest.model import Issue, Site, SiteConfig
from digest.progress import Report, quiet
from digest.site.assemble import assemble
from digest.site.listings import REMEMBERED
from digest.site.plan import OutputPage, make_plan
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


@dataclass(slots=True)
class Output:
    """Everything a build produces: rendered files in memory, copied files by source."""

    site: Site
    files: dict[str, bytes]
    """Output path -> bytes, for every rendered page and generated file."""
    assets: dict[str, Path]
    """Output path -> source file, for static files and content assets."""
    stamps: dict[str, tuple[int, int]] = field(default_factory=dict)
    """Output path -> (mtime_ns, size) of its asset source when it was last copied."""
    changed: set[str] = field(default_factory=set)
    """Output paths that differ from the previous build (all of them after a full build)."""
    removed: set[str] = field(default_factory=set)
    notes: list[Problem] = field(default_factory=list)

    @property
    def paths(self) -> set[str]:
        return set(self.files) | set(self.assets)


class Builder:
    """Builds a site, then rebuilds it after edits, reusing every unchanged page."""

    def __init__(
        self,
        site_dir: Path,
        *,
        base_url: str | None = None,
        drafts: bool = False,
        future: bool = False,
        clock: Callable[[], datetime],
        jobs: int = 1,
        cache: bool = False,
        progress: Report = quiet,
    ) -> None:
        self.site_dir = site_dir
        self.cache = cache
        """Keep parsed issues under .digest/ for the next process (`digest build`)."""
        self.progress = progress
        self.base_url = base_url
        self.drafts = drafts
        self.future = future
        self.clock = clock
        self.jobs = jobs
        self.theme = theme_dir()
        self.config: SiteConfig | None = None
        self.env: jinja2.Environment | None = None
        self.parsed: dict[Path, Issue | list[Problem]] = {}
        self.fingerprints: dict[str, str] = {}
        self.template_closure: dict[str, frozenset[str]] = {}
        self.tokens = Tokens()
        self.output: Output | None = None

    # -- full build -------------------------------------------------------------------

    def build(self) -> Output:
        """Everything from scratch; raises DigestError with every problem found."""
        self.env = None
        self.template_closure = {}
        self.fingerprints = {}
        self.parse_all()
        return self._render(None, None)

    def forget(self) -> None:
        """Drop the parsed site and everything made from it (a one-off build is done with
        them); the next build() starts afresh."""
        self.parsed = {}
        self.env = None
        self.output = None
        self.template_closure = {}
        self.fingerprints = {}
        self.tokens = Tokens()
        REMEMBERED.clear()

    def parse_all(self) -> None:
        """Parse every issue, from the parse cache where it has them."""
        config = load_config(self.site_dir, self.base_url)
        self.config = config
        paths = issue_paths(config)
        refused = {path: [problem] for path in paths if (problem := misnamed(path))}
        paths = [path for path in paths if path not in refused]
        if self.cache:
            self.parsed = cached_parse(
                paths,
                config,
                lambda missing: parse_encoded(missing, config, self.jobs, self.progress),
            )
        else:
            self.parsed = parse_files(paths, config, self.jobs, self.progress)
        self.parsed.update(refused)

    # -- incremental build ------------------------------------------------------------

    def update(self, changed: Iterable[Path]) -> Output:
        """Rebuild after the files in `changed` were saved, created or deleted."""
        if self.output is None or self.config is None:
            return self.build()
        root = self.config.root
        dirty_templates: set[str] = set()
        assets_dirty = False
        md = None
        for path in {Path(p).absolute() for p in changed}:
            kind, name = classify(path, root, self.theme)
            if kind == "config":
                return self.build()
            if kind == "template":
                dirty_templates.add(name)
            elif kind == "asset":
                assets_dirty = True
            elif kind == "issue":
                md = md or make_markdown(self.config.markdown)
                if (problem := misnamed(path)) is not None:
                    self.parsed[path] = [problem]
                elif path.is_file():
                    self.parsed[path] = parse_file(path, self.config, md)
                else:
                    self.parsed.pop(path, None)
        if dirty_templates:
            self.env = None  # a new file may now shadow a theme template: resolve names afresh
            self.template_closure = {}
        return self._render(self.output, dirty_templates, assets_dirty)

    # -- shared -----------------------------------------------------------------------

    def plan(self) -> tuple[Site, tuple[OutputPage, ...]]:
        """The site and its pages from what is parsed; raises DigestError with every problem."""
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
            config, issues, self.clock(), drafts=self.drafts, future=self.future
        )
        if problems or clashes:
            raise DigestError(sorted(problems, key=_problem_order) + clashes)
        pages, collisions = make_plan(site)
        if collisions:
            raise DigestError(collisions)
        if self.env is None:
            self.env = make_environment(
                site,
                template_dirs(config.root, self.theme),
                config.root / TEMPLATE_CACHE_DIR if self.cache else None,
            )
        else:
            self.env.globals["site"] = config
        return site, pages

    def generated(self) -> dict[str, bytes]:
        """The files made by code rather than templates."""
        assert self.config is not None
        style = self.config.markdown
        return {
            PYGMENTS_CSS: pygments_css(style.highlight_style, style.highlight_style_dark).encode(),
            ".nojekyll": b"",
        }

    def _render(
        self,
        previous: Output | None,
        dirty_templates: set[str] | None,
        assets_dirty: bool = True,
    ) -> Output:
        config = self.config
        assert config is not None
        site, pages = self.plan()
        env = self.env
        assert env is not None  # plan() made it
        files: dict[str, bytes] = {}
        fingerprints: dict[str, str] = {}
        changed: set[str] = set()
        render_problems: dict[tuple, Problem] = {}
        self.tokens.rotate()
        for page in pages:
            fingerprint = page_fingerprint(page, self.tokens)
            fingerprints[page.path] = fingerprint
            reuse = (
                previous is not None
                and dirty_templates is not None
                and self.fingerprints.get(page.path) == fingerprint
                and page.path in previous.files
                and not (dirty_templates and self._closure(page.template) & dirty_templates)
            )
            if reuse:
                assert previous is not None
                files[page.path] = previous.files[page.path]
                continue
            try:
                data = render_page(env, page)
            except DigestError as error:
                for problem in error.problems:
                    render_problems.setdefault((problem.path, problem.line), problem)
                if isinstance(error, RenderTimedOut):
                    break  # the next pages would likely wait out the limit too
                continue
            files[page.path] = data
            if previous is None or previous.files.get(page.path) != data:
                changed.add(page.path)
        if render_problems:
            raise DigestError(list(render_problems.values()))

        for path, data in self.generated().items():
            files[path] = data
            if previous is None or previous.files.get(path) != data:
                changed.add(path)

        if previous is not None and not assets_dirty:
            assets, stamps = previous.assets, previous.stamps
        else:
            assets = asset_sources(config, self.theme)
            stamps = {path: _stamp(source) for path, source in assets.items()}
        for path, source in assets.items():
            if previous is None or (previous.assets.get(path), previous.stamps.get(path)) != (
                source,
                stamps[path],
            ):
                changed.add(path)
        removed = previous.paths - set(files) - set(assets) if previous else set()
        self.fingerprints = fingerprints
        self.output = Output(site, files, assets, stamps, changed, removed)
        return self.output

    def _closure(self, template: str) -> frozenset[str]:
        """Names of the templates `template` extends or includes, itself included."""
        if template not in self.template_closure:
            assert self.env is not None
            self.template_closure[template] = _referenced(self.env, template)
        return self.template_closure[template]


def _stamp(path: Path) -> tuple[int, int]:
    try:
        status = path.stat()
    except OSError:
        return (0, 0)
    return (status.st_mtime_ns, status.st_size)


def _problem_order(problem: Problem) -> str:
    """Files in name order; within a file, the order the parser found them in."""
    return str(problem.path)


def _referenced(env: jinja2.Environment, name: str) -> frozenset[str]:
    seen: set[str] = set()
    pending = [name]
    while pending:
        current = pending.pop()
        if current in seen:
            continue
        seen.add(current)
        try:
            source, _, _ = env.loader.get_source(env, current)  # type: ignore[union-attr]
            ast = env.parse(source)
        except jinja2.TemplateError:
            continue
        if "issue_content(" in source:
            pending.append(ISSUE_CONTENT_TEMPLATE)
        for referenced in meta.find_referenced_templates(ast):
            if referenced is None:  # a computed name: depend on every template
                return frozenset({"*"})
            pending.append(referenced.removeprefix("theme/"))
    return frozenset(seen)
