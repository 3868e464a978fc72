"""The build pipeline: config -> read -> parse -> assemble -> plan -> render -> write.

This is the one place that sequences the stages; each stage is a function of
its inputs, so the order here is the whole story of a build.
"""

from __future__ import annotations

import os
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from jinja2 import Environment

from digest.config import load_config
from digest.errors import DigestError, Problem
from digest.links import is_local
from digest.markdown import make_markdown, pygments_css
from digest.model import Issue, Site, SiteConfig
from digest.output import copy_tree, staging, write_file
from digest.parse import decode, parse_issue
from digest.plan import OutputPage, make_plan
from digest.render import make_environment, render_page, template_dirs
from digest.site import assemble
from digest.theme import theme_dir

CONTENT_DIR = "content"
ISSUES_DIR = "issues"
PYGMENTS_CSS = "pygments.css"


@dataclass(frozen=True, slots=True)
class BuildOptions:
    site_dir: Path
    out_dir: Path | None = None
    base_url: str | None = None
    drafts: bool = False
    future: bool = False
    now: datetime | None = None
    """The build clock; defaults to SOURCE_DATE_EPOCH, else the current time."""


@dataclass(slots=True)
class BuildResult:
    site: Site
    out_dir: Path
    pages: int
    seconds: float
    notes: list[Problem] = field(default_factory=list)

    @property
    def items(self) -> int:
        return sum(len(issue.items) for issue in self.site.issues)


def build(options: BuildOptions) -> BuildResult:
    """Build the site; raises DigestError with every problem found, leaving old output alone."""
    started = time.perf_counter()
    config = load_config(options.site_dir, options.base_url)
    out_dir = (options.out_dir or config.root / "_site").resolve()
    _check_out_dir(config, out_dir)
    now = options.now or build_clock()

    issues, problems = load_issues(config)
    site, clashes = assemble(config, issues, now, drafts=options.drafts, future=options.future)
    if problems or clashes:
        raise DigestError(problems + clashes)
    pages, collisions = make_plan(site)
    if collisions:
        raise DigestError(collisions)

    theme = theme_dir()
    env = make_environment(site, template_dirs(config.root, theme))
    rendered = render_all(env, pages)

    with staging(out_dir) as stage:
        copy_tree(theme / "static", stage)
        if (config.root / "static").resolve() != (theme / "static").resolve():
            copy_tree(config.root / "static", stage)
        copy_tree(
            config.root / CONTENT_DIR,
            stage,
            frozenset({"inbox"}),
            skip_suffixes=(".md", ".markdown"),
        )
        style = config.markdown
        write_file(
            stage,
            PYGMENTS_CSS,
            pygments_css(style.highlight_style, style.highlight_style_dark).encode(),
        )
        write_file(stage, ".nojekyll", b"")
        for path, data in rendered:
            write_file(stage, path, data)
        notes = _section_notes(site) + _missing_images(site, stage)
    return BuildResult(site, out_dir, len(pages), time.perf_counter() - started, notes)


def render_all(env: Environment, pages: tuple[OutputPage, ...]) -> list[tuple[str, bytes]]:
    """Render every page; a template mistake is reported once, not once per page."""
    rendered: list[tuple[str, bytes]] = []
    problems: dict[tuple, Problem] = {}
    for page in pages:
        try:
            rendered.append((page.path, render_page(env, page)))
        except DigestError as error:
            for problem in error.problems:
                problems.setdefault((problem.path, problem.line), problem)
    if problems:
        raise DigestError(list(problems.values()))
    return rendered


def build_clock() -> datetime:
    """SOURCE_DATE_EPOCH (the reproducible-builds convention) or now."""
    epoch = os.environ.get("SOURCE_DATE_EPOCH")
    if epoch and epoch.strip().isdigit():
        return datetime.fromtimestamp(int(epoch), tz=UTC)
    return datetime.now(tz=UTC)


def issue_paths(config: SiteConfig) -> list[Path]:
    """Markdown files under content/issues/, in a stable order; symlinks out of the site skipped."""
    folder = config.root / CONTENT_DIR / ISSUES_DIR
    if not folder.is_dir():
        return []
    return sorted(
        path
        for path in folder.rglob("*")
        if path.suffix.lower() in {".md", ".markdown"}
        and path.is_file()
        and not any(part.startswith(".") for part in path.relative_to(folder).parts)
        and path.resolve().is_relative_to(config.root)
    )


def load_issues(config: SiteConfig) -> tuple[list[Issue], list[Problem]]:
    """Read and parse every issue, collecting the problems of all files."""
    md = make_markdown(config.markdown)
    issues: list[Issue] = []
    problems: list[Problem] = []
    for path in issue_paths(config):
        try:
            issues.append(parse_issue(decode(path.read_bytes(), path), path, config, md))
        except DigestError as error:
            problems.extend(error.problems)
    return issues, problems


def _check_out_dir(config: SiteConfig, out_dir: Path) -> None:
    """Swapping the output replaces the folder whole: never let that be the sources."""
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


def _section_notes(site: Site) -> list[Problem]:
    """One note per heading that matched no configured section, however often it appears."""
    first: dict[str, Problem] = {}
    count: Counter[str] = Counter()
    for issue in reversed(site.issues):
        for section in issue.sections:
            if section.known:
                continue
            count[section.heading] += 1
            first.setdefault(
                section.heading,
                Problem(section.source.path, section.source.line, "", "note"),
            )
    return [
        Problem(
            note.path,
            note.line,
            f"section '{heading}' matches no configured section"
            + (f" (in {count[heading]} issues)" if count[heading] > 1 else "")
            + "; it is kept as its own section. To group it with one, add it to that "
            "section's aliases in site.yaml",
            "note",
        )
        for heading, note in first.items()
    ]


def _missing_images(site: Site, stage: Path) -> list[Problem]:
    """Local images that no file in content/ or static/ provides."""
    base = site.config.base_path
    notes: list[Problem] = []
    for issue in site.issues:
        wanted = [(issue.cover, issue.source.line)] + [
            (item.image, item.source.line) for item in issue.items
        ]
        for src, line in wanted:
            if not src or not is_local(src) or not src.startswith("/"):
                continue
            relative = src.split("?", 1)[0].split("#", 1)[0]
            relative = relative[len(base) :] if relative.startswith(base) else relative.lstrip("/")
            if not (stage / relative).is_file():
                notes.append(
                    Problem(
                        issue.source.path,
                        line,
                        f"image {src} not found; put it in content/ or static/",
                        "note",
                    )
                )
    return notes
