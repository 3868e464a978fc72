"""`digest init`: a new site that builds, previews and publishes as it is.

It writes site.yaml, a first draft issue in the site's language, .gitignore, a
requirements.txt pinning the digest that made it, the GitHub Pages workflow this
repository uses and a short README, and never overwrites anything: every clash is
reported and nothing is written.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from importlib.resources import files
from pathlib import Path
from zoneinfo import ZoneInfo

from digest import __version__
from digest.authoring.scaffold import next_publication_day
from digest.config import CONTENT_DIR, parse_config
from digest.content.sources import ISSUES_DIR
from digest.errors import DigestError, Problem
from digest.text.slug import slugify

DISTRIBUTION = "digest-weekly"
"""The name digest is installed by (`digest` on the package index is another project)."""
WEEKDAY_NAMES = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
SCHEDULE_TIME = time(6, 17)
"""When the weekly Pages run starts, on the publication day in the site's time zone."""


@dataclass(frozen=True, slots=True)
class SiteAnswers:
    """What `digest init` asks; each has a default, so `--yes` needs none of them."""

    title: str = "My Weekly"
    base_url: str = "https://example.com/"
    language: str = "en"
    timezone: str = "UTC"
    weekday: str = "monday"

    @property
    def chinese(self) -> bool:
        return self.language.lower().startswith("zh")


QUESTIONS = (
    ("title", "Title"),
    ("base_url", "Base URL (where the site will be published)"),
    ("language", "Language (en, zh-CN, …)"),
    ("timezone", "Time zone"),
    ("weekday", "Publication weekday"),
)


def local_timezone() -> str:
    """This machine's IANA time zone name, or UTC when it cannot be told."""
    name = os.environ.get("TZ", "").lstrip(":")
    if not name:
        try:
            name = os.readlink("/etc/localtime").split("zoneinfo/", 1)[-1]
        except OSError:
            name = ""
    try:
        ZoneInfo(name)
    except (ValueError, KeyError, OSError):  # ZoneInfoNotFoundError is a KeyError
        return "UTC"
    return name or "UTC"


def init_site(directory: Path, answers: SiteAnswers, today: date | None = None) -> list[Path]:
    """Write a new site into `directory` (made if missing); returns the files written."""
    site_yaml = directory / "site.yaml"
    config = parse_config(site_text(answers), site_yaml)  # bad answers fail before any write
    weekday = config.weekday if config.weekday is not None else 0
    today = today or datetime.now(ZoneInfo(config.timezone)).date()
    first = next_publication_day(today, weekday)
    title = "第 1 期：你好" if answers.chinese else "Issue 1: Hello"
    contents = {
        site_yaml: site_text(answers),
        directory / CONTENT_DIR / ISSUES_DIR / f"1-{slugify(title)}.md": issue_text(
            answers, title, first
        ),
        directory / ".gitignore": "_site/\n.digest/\n",
        directory / "requirements.txt": f"{DISTRIBUTION}=={__version__}\n",
        directory / ".github" / "workflows" / "pages.yml": workflow_text(
            "pip install -r requirements.txt", weekday, config.timezone
        ),
        directory / "README.md": readme_text(answers),
    }
    clashes = [path for path in contents if path.exists() or path.is_symlink()]
    if clashes:
        raise DigestError(
            [
                Problem(path, None, "already exists; digest init never overwrites a file")
                for path in clashes
            ]
            + [Problem(directory, None, "choose an empty folder: nothing was written")]
        )
    for path, text in contents.items():
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("x", encoding="utf-8", newline="\n") as handle:
            handle.write(text)
    return list(contents)


def workflow_text(install: str, weekday: int, timezone: str) -> str:
    """The Pages workflow, run weekly at SCHEDULE_TIME on `weekday` where the author lives."""
    zone = ZoneInfo(timezone)
    monday = date(2024, 1, 1)  # any Monday: the offset of a normal week is what counts
    local = datetime.combine(monday + timedelta(days=weekday), SCHEDULE_TIME, zone)
    utc = local.astimezone(ZoneInfo("UTC"))
    when = f"{WEEKDAY_NAMES[weekday].title()}s, {SCHEDULE_TIME:%H:%M} UTC"
    if utc.replace(tzinfo=None) != local.replace(tzinfo=None):
        when = (
            f"{WEEKDAY_NAMES[weekday].title()}s, {SCHEDULE_TIME:%H:%M} {timezone} "
            f"({WEEKDAY_NAMES[utc.weekday()].title()}s {utc:%H:%M} UTC)"
        )
    cron = f"{utc.minute} {utc.hour} * * {(utc.weekday() + 1) % 7}"
    template = (
        files("digest.authoring").joinpath("starter", "pages.yml").read_text(encoding="utf-8")
    )
    return template.replace("@CRON@", cron).replace("@WHEN@", when).replace("@INSTALL@", install)


def site_text(answers: SiteAnswers) -> str:
    sections = (
        "业界资讯, 技术博客, 开源项目, 工具推荐, 学习资源"
        if answers.chinese
        else "News, Blogs, Open source, Tools, Resources"
    )
    return f"""\
# The site's settings; digest's README lists every key.
title: {_yaml_string(answers.title)}
# A line for the home page and the feed.
description: ""
# Where the site is published; the Pages workflow passes its own address.
base_url: {_yaml_string(answers.base_url)}
# zh-CN titles the default sections in Chinese.
language: {_yaml_string(answers.language)}
# Dates without a zone are read in this time zone.
timezone: {_yaml_string(answers.timezone)}
# The publication day: `digest new` dates the next issue on it.
weekday: {answers.weekday}
author: ""
# Issues per home page.
paginate: 10
# The default sections are {sections}. To list your own:
# sections:
#   - key: news
#     title: News
#     aliases: [Headlines]   # other headings that mean this section
# Feeds `digest fetch` collects links from:
# sources:
#   - https://blog.example.com/feed.xml
"""


def _yaml_string(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def issue_text(answers: SiteAnswers, title: str, when: date) -> str:
    if answers.chinese:
        body = """\
这是第一期的草稿：`digest serve` 会显示草稿，`digest build` 不会。写好后把
`draft: true` 改成 `draft: false`。每个二级标题是一个栏目，每个链接是一条条目。

## 业界资讯

### [Python 官方博客](https://blog.python.org/)

标题下面写一两句摘要。

## 工具推荐

- [ripgrep](https://github.com/BurntSushi/ripgrep)：更快的 grep。
"""
    else:
        body = """\
This is the first issue, a draft: `digest serve` shows drafts, `digest build` leaves
them out. When it is ready, change `draft: true` to `draft: false`. Each `##` heading
is a section, and each link under it an item.

## News

### [Python Insider](https://blog.python.org/)

A sentence or two of summary goes under the title.

## Tools

- [ripgrep](https://github.com/BurntSushi/ripgrep) — grep, but fast.
"""
    return f"""\
---
title: "{title}"
date: {when.isoformat()}
number: 1
draft: true
tags: []
---
{body}"""


def readme_text(answers: SiteAnswers) -> str:
    return f"""\
# {answers.title}

A weekly digest built with digest (`pip install {DISTRIBUTION}`).

- `digest serve` previews the site at http://127.0.0.1:8000/ and rebuilds on every save
  (opening `_site/index.html` from disk shows an unstyled page: links start with `/`).
- `digest new` starts the next issue in `content/issues/`; `digest check` lints them.
- `digest build` writes the site into `_site/`; drafts and issues dated in the future
  are left out.
- Publishing: push to GitHub and set Pages' source to "GitHub Actions" in the
  repository settings; `.github/workflows/pages.yml` builds and deploys on every push
  to `main` and weekly on the publication day. `requirements.txt` says which digest
  it installs.
"""
