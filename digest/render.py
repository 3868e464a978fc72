"""The Jinja environment and page rendering.

A site's own templates/ is searched before the theme's, so overriding one
template needs one file; `{% extends "theme/base.html" %}` reaches the original.
Autoescaping is on for HTML and XML, and undefined variables are errors.
"""

from __future__ import annotations

import functools
import re
import traceback
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from types import SimpleNamespace
from urllib.parse import urljoin, urlsplit

import jinja2

from digest import __version__
from digest.errors import DigestError, Problem
from digest.links import absolutize, joiner
from digest.listings import tag_slug
from digest.model import Issue, Site
from digest.plan import OutputPage
from digest.slug import url_quote

ISSUE_CONTENT_TEMPLATE = "partials/issue_content.html"
"""Rendered by the `issue_content()` global, so feeds depend on it without including it."""
TEMPLATE_SUFFIXES = (".html", ".xml", ".txt", ".json")
_KEPT_CONTENTS = 256
"""Feed contents kept per environment, oldest dropped first: more than any feed holds."""
# Characters XML 1.0 forbids even escaped; a pasted control character must not break a feed.
_XML_INVALID = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


@dataclass(frozen=True, slots=True)
class PageInfo:
    path: str
    title: str


def make_environment(
    site: Site, template_dirs: list[Path], bytecode_dir: Path | None = None
) -> jinja2.Environment:
    """`template_dirs` in priority order: the site's own first, the theme's last.

    With `bytecode_dir`, compiled templates are kept there (checked against each
    template's source), so a quick rebuild does not compile them again.
    """
    theme = jinja2.FileSystemLoader(str(template_dirs[-1]))
    loader = jinja2.ChoiceLoader(
        [
            *(jinja2.FileSystemLoader(str(folder)) for folder in template_dirs),
            jinja2.PrefixLoader({"theme": theme}),
        ]
    )
    env = jinja2.Environment(
        loader=loader,
        autoescape=jinja2.select_autoescape(["html", "xml"], default_for_string=True),
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        # A build renders with one set of templates: checking each file's time on every
        # include was a sixth of the rendering. Serve makes a new environment on edits.
        auto_reload=False,
        bytecode_cache=_bytecode_cache(bytecode_dir) if bytecode_dir is not None else None,
    )
    config = site.config

    @functools.lru_cache(maxsize=65536)
    def url(path: str = "") -> str:
        return url_quote(config.base_path + path.lstrip("/"))

    join = joiner(config.base_url)

    def abs_url(path: str = "") -> str:
        return join(url(path))

    contents: dict[Path, tuple[Issue, str]] = {}

    def issue_content(issue: Issue) -> str:
        """The issue's full content with absolute links, for feeds.

        Kept for the issues last asked for: the RSS, Atom and JSON feeds each carry the
        same newest issues. Issues are frozen, and the templates are this environment's.
        Kept by file, so that an edited issue's new object replaces the old one (serve
        would otherwise hold every version it rendered, up to the bound).
        """
        key = issue.source.path
        found = contents.get(key)
        if found is not None and found[0] is issue:
            return found[1]
        html = env.get_template(ISSUE_CONTENT_TEMPLATE).render(issue=issue)
        html = absolutize(html, abs_url(issue.url_path))
        contents.pop(key, None)
        if len(contents) >= _KEPT_CONTENTS:
            del contents[next(iter(contents))]
        contents[key] = (issue, html)
        return html

    env.globals.update(
        site=config,
        url=url,
        abs_url=abs_url,
        issue_content=issue_content,
        build=SimpleNamespace(time=site.build_time, generator=f"digest {__version__}"),
    )
    env.filters.update(
        date_display=lambda moment, language=None: date_display(
            moment, language or config.language
        ),
        isodate=lambda moment: moment.strftime("%Y-%m-%d"),
        isodatetime=lambda moment: moment.isoformat(timespec="seconds"),
        rfc822=rfc822,
        absolute=lambda link: urljoin(config.base_url, link),
        host=url_host,
        tag_slug=tag_slug,
        # A plain str, like issue_content(): a feed carries HTML as escaped text, and raw
        # markup in an XML element (an author's <br>) would break the feed.
        absolutize=lambda html, issue: absolutize(str(html), abs_url(issue.url_path)),
    )
    return env


def _bytecode_cache(folder: Path) -> jinja2.BytecodeCache | None:
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError:  # a read-only site: compile every time
        return None
    return jinja2.FileSystemBytecodeCache(str(folder))


def render_page(env: jinja2.Environment, page: OutputPage) -> bytes:
    """Render one planned page; template mistakes become a Problem with file and line."""
    try:
        template = env.get_template(page.template)
        text = template.render(page=PageInfo(page.url_path, page.title), **page.context)
    except jinja2.TemplateSyntaxError as exc:
        path = Path(exc.filename) if exc.filename else Path(exc.name or page.template)
        raise DigestError(
            Problem(path, exc.lineno, f"template syntax error: {exc.message}")
        ) from None
    except jinja2.TemplateNotFound as exc:
        raise DigestError(
            Problem(
                None,
                None,
                f"template '{exc.name}' not found (needed for {page.path}); "
                "add it to templates/ or remove the reference",
            )
        ) from None
    except Exception as exc:  # any error raised while a template runs
        raise DigestError(_runtime_problem(exc, page)) from None
    if page.template.endswith(".xml"):
        text = _XML_INVALID.sub("", text)
    return text.encode("utf-8")


def _runtime_problem(exc: Exception, page: OutputPage) -> Problem:
    """Point at the innermost template line that was running when `exc` was raised."""
    frames = [
        frame
        for frame in traceback.extract_tb(exc.__traceback__)
        if frame.filename.endswith(TEMPLATE_SUFFIXES)
    ]
    message = str(exc) if not isinstance(exc, DigestError) else exc.problems[0].message
    what = f"template error while rendering {page.path}: {message}"
    if frames:
        return Problem(Path(frames[-1].filename), frames[-1].lineno, what)
    return Problem(None, None, what)


_MONTHS = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)


def date_display(moment: datetime, language: str) -> str:
    """'2026年11月2日' for Chinese sites, '2 November 2026' otherwise."""
    if language.lower().startswith(("zh", "ja")):
        return f"{moment.year}年{moment.month}月{moment.day}日"
    return f"{moment.day} {_MONTHS[moment.month - 1]} {moment.year}"


@functools.lru_cache(maxsize=65536)
def url_host(link: str | None) -> str:
    """'https://www.github.com/x' -> 'github.com': shown beside an item so readers know where
    a link goes."""
    if not link or "://" not in link:
        return ""
    host = urlsplit(link).hostname or ""
    return host.removeprefix("www.")


def rfc822(moment: datetime) -> str:
    """RSS dates: 'Mon, 23 Nov 2026 09:00:00 +0800', in English whatever the locale."""
    days = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
    offset = moment.strftime("%z") or "+0000"
    return (
        f"{days[moment.weekday()]}, {moment.day:02d} {_MONTHS[moment.month - 1][:3]} "
        f"{moment.year} {moment:%H:%M:%S} {offset}"
    )


def template_dirs(site_root: Path, theme_root: Path) -> list[Path]:
    own = site_root / "templates"
    dirs = [own] if own.is_dir() and own.resolve() != (theme_root / "templates").resolve() else []
    return [*dirs, theme_root / "templates"]
