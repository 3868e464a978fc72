"""`digest export`: one issue rendered for where its readers are.

An email (HTML with every style inline, a plain-text alternative, a .eml ready to
import or send), a paste for the WeChat Official Accounts editor, and Markdown for
newsletter services that take it. Each is rendered from the parsed issue through
templates in templates/email/ and templates/wechat/, which a site overrides as it
overrides the others; every link and image in them is absolute.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import jinja2

from digest.config import CONTENT_DIR
from digest.content.markdown import make_markdown
from digest.content.parse import parse_issue, read_issue
from digest.content.sources import issue_paths
from digest.errors import DigestError, Level, Problem
from digest.model import Issue, Site, SiteConfig
from digest.site.plan import OutputPage
from digest.site.render import make_environment, render_page, template_dirs
from digest.text.links import joiner
from digest.text.slug import url_quote
from digest.theme import theme_dir

EXPORT_DIR = "_export"
"""Where exports are written by default, below the site folder (beside _site/)."""


@dataclass
class Export:
    """An issue prepared for exporting: the site, the issue and where it lives on the web."""

    config: SiteConfig
    issue: Issue
    env: jinja2.Environment
    notes: list[Problem] = field(default_factory=list)
    """What the author should know about the result (an image mail clients will not show)."""

    def note(self, message: str, level: Level = "note") -> None:
        self.notes.append(Problem(self.issue.source.path, None, message, level))

    @property
    def web_url(self) -> str:
        """The issue page's absolute URL: every relative link is resolved against it."""
        config = self.config
        return joiner(config.base_url)(url_quote(config.base_path + self.issue.url_path))

    @property
    def chinese(self) -> bool:
        """Whether the words the templates add (\"View in your browser\") are Chinese."""
        return (self.issue.lang or self.config.language).lower().startswith(("zh", "ja"))

    @property
    def name(self) -> str:
        """The issue's part of an export's file name: its number, or its slug."""
        issue = self.issue
        return str(issue.number) if issue.number is not None else issue.slug

    def render(self, template: str, **context: Any) -> str:
        """A template of the site or the theme, with the issue and the export's words."""
        page = OutputPage(
            path=f"{EXPORT_DIR}/{self.name}/{template}",
            template=template,
            title=self.issue.title,
            context={"issue": self.issue, "web_url": self.web_url, "zh": self.chinese, **context},
        )
        return render_page(self.env, page).decode("utf-8")


def prepare(config: SiteConfig, which: str | None, now: datetime) -> Export:
    """The issue `which` names (a number, a slug or a file path; None for the newest
    published one), ready to be rendered."""
    issue = find_issue(config, which, now)
    site = Site(config=config, issues=(issue,), build_time=now)
    env = make_environment(site, template_dirs(config.root, theme_dir()))
    export = Export(config, issue, env)
    if issue.draft:
        export.note(
            f"issue {export.name} is a draft: its web version ({export.web_url}) is not "
            "published yet"
        )
    return export


def find_issue(config: SiteConfig, which: str | None, now: datetime) -> Issue:
    md = make_markdown(config.markdown)
    if which is not None:
        path = Path(which)
        if path.suffix.lower() in (".md", ".markdown") or path.is_file():
            return _parse(path, config, md)
    issues: list[Issue] = []
    for path in issue_paths(config):
        try:
            issues.append(_parse(path, config, md))
        except DigestError:
            continue  # another issue's mistake is `digest check`'s business
    if which is None:
        published = [issue for issue in issues if not issue.draft and issue.date <= now]
        if not published:
            raise DigestError(
                Problem(
                    config.root / CONTENT_DIR / "issues",
                    None,
                    "no published issue to export; name one: digest export email NUMBER",
                )
            )
        return max(published, key=lambda issue: (issue.date, issue.number or 0))
    wanted = which.strip().strip("/").removeprefix("issues/")
    for issue in issues:
        if wanted in (str(issue.number), issue.slug) or issue.source.path.stem == wanted:
            return issue
    known = ", ".join(sorted({str(i.number) if i.number is not None else i.slug for i in issues}))
    raise DigestError(
        Problem(None, None, f"no issue '{which}'; give a number, a slug or a path ({known})")
    )


def _parse(path: Path, config: SiteConfig, md: Any) -> Issue:
    try:
        text = read_issue(path)
    except OSError as exc:
        raise DigestError(Problem(path, None, f"cannot read the file: {exc.strerror}")) from None
    return parse_issue(text, path, config, md)


def output_path(export: Export, out: Path | None, suffix: str) -> Path:
    """`out` as given, or _export/<number><suffix> in the site folder."""
    return out if out is not None else export.config.root / EXPORT_DIR / f"{export.name}{suffix}"


def write_text(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


_SPACE_RUNS = re.compile(r"\n{3,}")


def tidy_lines(text: str) -> str:
    """Trailing spaces gone, no more than one blank line in a row, one final newline."""
    lines = [line.rstrip() for line in text.splitlines()]
    return _SPACE_RUNS.sub("\n\n", "\n".join(lines)).strip("\n") + "\n"
