"""site.yaml: read, validate every key, and report all mistakes at once."""

from __future__ import annotations

import difflib
import re
import string
import zoneinfo
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from pygments.styles import get_all_styles

from digest.errors import DigestError, Problem
from digest.model import (
    EmailConfig,
    FeedSource,
    MarkdownConfig,
    SectionSpec,
    SiteConfig,
    SmtpConfig,
    SubscribeConfig,
)
from digest.text.slug import fit_segment, slugify, unsafe_segment_reason
from digest.text.urls import url_problem as http_url_problem
from digest.text.yamltext import YamlDoc, load_yaml

CONTENT_DIR = "content"
"""Issues, their images and the inbox, below the site folder."""
CONFIG_NAME = "site.yaml"

DEFAULT_SECTIONS: tuple[SectionSpec, ...] = (
    SectionSpec(
        "news",
        "News",
        ("industry news", "headlines", "业界资讯", "科技新闻", "科技动态", "资讯", "新闻", "动态"),
    ),
    SectionSpec(
        "blogs",
        "Blogs",
        ("blog", "articles", "reading", "posts", "技术博客", "博客", "佳文共赏", "文章", "博文"),
    ),
    SectionSpec(
        "open-source",
        "Open source",
        ("opensource", "projects", "开源项目", "开源", "项目"),
    ),
    SectionSpec("tools", "Tools", ("tool", "工具推荐", "工具", "软件")),
    SectionSpec(
        "resources",
        "Resources",
        ("resource", "learning", "学习资源", "资源推荐", "资源", "教程"),
    ),
)

_CHINESE_TITLES = {
    "news": "业界资讯",
    "blogs": "技术博客",
    "open-source": "开源项目",
    "tools": "工具推荐",
    "resources": "学习资源",
}


LANGUAGE_TAG = re.compile(r"^[A-Za-z]{1,8}(?:[-_][A-Za-z0-9]{1,8})*$")
"""A BCP 47 tag such as zh-CN or zh-Hans-CN (zh_CN too, as Jekyll sites write it): it goes
into lang="…" and is handed to the search indexer, so nothing else is let through."""


def default_sections(language: str) -> tuple[SectionSpec, ...]:
    """The five standard sections, titled in Chinese for a Chinese site."""
    if not language.lower().startswith("zh"):
        return DEFAULT_SECTIONS
    return tuple(
        SectionSpec(spec.key, _CHINESE_TITLES[spec.key], (spec.title, *spec.aliases))
        for spec in DEFAULT_SECTIONS
    )


_TOP_KEYS = (
    "title",
    "base_url",
    "description",
    "language",
    "timezone",
    "author",
    "paginate",
    "items_per_page",
    "feed_limit",
    "weekday",
    "sections",
    "markdown",
    "extra",
    "sources",
    "opml",
    "fetch_limit",
    "render_timeout",
    "email",
    "smtp",
    "subscribe",
    "discuss",
)
_SECTION_KEYS = ("key", "title", "aliases")
_SOURCE_KEYS = ("url", "name", "section")
_EMAIL_KEYS = ("unsubscribe",)
_SMTP_KEYS = ("host", "port", "from", "security")
_SUBSCRIBE_KEYS = ("email", "email_field", "wechat", "wechat_qr", "feeds")
DISCUSS_FIELDS = ("number", "slug", "title", "url")
"""What a `discuss:` URL pattern may fill in: `{number}`…"""
_MARKDOWN_KEYS = ("raw_html", "highlight_style", "highlight_style_dark")
_SYNONYMS = {
    "url": "base_url",
    "baseurl": "base_url",
    "site_url": "base_url",
    "lang": "language",
    "languagecode": "language",
    "locale": "language",
    "tz": "timezone",
    "name": "title",
    "params": "extra",
    "per_page": "paginate",
}


def load_config(site_dir: Path, base_url: str | None = None) -> SiteConfig:
    """Read `site_dir/site.yaml`; `base_url` (from the command line) wins over the file's."""
    path = site_dir / CONFIG_NAME
    try:
        text = path.read_bytes().decode("utf-8-sig")
    except FileNotFoundError:
        raise DigestError(
            Problem(
                path,
                None,
                f"no {CONFIG_NAME} here; run digest in the site folder or pass --site DIR",
            )
        ) from None
    except UnicodeDecodeError:
        raise DigestError(Problem(path, 1, "not valid UTF-8; save it as UTF-8")) from None
    return parse_config(text, path, base_url)


def parse_config(text: str, path: Path, base_url: str | None = None) -> SiteConfig:
    """Validate site.yaml text; every problem is collected before raising."""
    doc = load_yaml(text.replace("\r\n", "\n"), path)
    data = doc.data if doc.data is not None else {}
    if not isinstance(data, dict):
        raise DigestError(Problem(path, 1, "site.yaml must be a mapping of keys to values"))
    problems: list[Problem] = []
    _check_keys(data, _TOP_KEYS, (), doc, problems)

    def get(key: str, kind: type, default: Any, check: Callable[[Any], str | None] | None = None):
        return _typed(data, key, kind, default, doc, problems, check)

    title = get("title", str, "")
    if not title:
        problems.append(Problem(path, 1, "title is missing; add `title: My Weekly`"))
    url = base_url if base_url is not None else get("base_url", str, "")
    url_problem = _base_url_problem(url)
    if url_problem:
        problems.append(Problem(path, doc.line("base_url"), url_problem))
    timezone = get("timezone", str, "UTC", _timezone_problem)
    language = get("language", str, "en", _language_problem)
    sections = _sections(data, doc, problems) or default_sections(language)
    config = SiteConfig(
        root=path.parent.resolve(),
        title=title,
        base_url=url.rstrip("/") + "/",
        description=get("description", str, ""),
        language=language,
        timezone=timezone,
        author=get("author", str, ""),
        sections=sections,
        paginate=get("paginate", int, 10, _positive),
        items_per_page=get("items_per_page", int, 30, _positive),
        feed_limit=get("feed_limit", int, 20, _positive),
        weekday=_weekday(data, doc, problems),
        markdown=_markdown(data, doc, problems),
        extra=get("extra", dict, {}),
        sources=_sources(data, doc, problems, sections),
        opml=get("opml", str, "").strip() or None,
        fetch_limit=get("fetch_limit", int, 50, _positive),
        render_timeout=_render_timeout(data, doc, problems),
        email=_email(data, doc, problems),
        smtp=_smtp(data, doc, problems),
        subscribe=_subscribe(data, doc, problems),
        discuss=get("discuss", str, "", _discuss_problem).strip(),
    )
    if problems:
        raise DigestError(sorted(problems, key=lambda problem: problem.line or 0))
    return config


def _check_keys(
    mapping: dict, allowed: tuple[str, ...], where: tuple, doc: YamlDoc, problems: list[Problem]
) -> None:
    for key in mapping:
        if key in allowed:
            continue
        name = ".".join(str(part) for part in (*where, key))
        guess = _SYNONYMS.get(str(key).lower().replace("-", "_")) if not where else None
        if guess is None:
            close = difflib.get_close_matches(str(key), allowed, n=1, cutoff=0.6)
            guess = close[0] if close else None
        hint = f"did you mean '{guess}'?" if guess else f"known keys: {', '.join(allowed)}"
        problems.append(Problem(doc.path, doc.line(*where, key), f"unknown key '{name}'; {hint}"))


def _typed(
    data: dict,
    key: str,
    kind: type,
    default: Any,
    doc: YamlDoc,
    problems: list[Problem],
    check: Callable[[Any], str | None] | None = None,
    where: tuple = (),
) -> Any:
    if key not in data or data[key] is None:
        return default
    value = data[key]
    if kind is str and isinstance(value, int | float) and not isinstance(value, bool):
        value = str(value)
    ok = isinstance(value, kind) and not (kind is int and isinstance(value, bool))
    if not ok:
        name = ".".join(str(part) for part in (*where, key))
        expected = {str: "a text", int: "a whole number", bool: "true or false", dict: "a mapping"}
        problems.append(
            Problem(doc.path, doc.line(*where, key), f"'{name}' must be {expected[kind]}")
        )
        return default
    problem = check(value) if check else None
    if problem:
        problems.append(Problem(doc.path, doc.line(*where, key), f"'{key}' {problem}"))
        return default
    return value


def _positive(value: int) -> str | None:
    return None if value >= 1 else "must be 1 or more"


def _render_timeout(data: dict, doc: YamlDoc, problems: list[Problem]) -> float:
    """Seconds a page may take to render: a number above 0 (30 when not given)."""
    value = data.get("render_timeout")
    if value is None:
        return 30.0
    if isinstance(value, bool) or not isinstance(value, int | float) or not 0 < value < 1e6:
        problems.append(
            Problem(
                doc.path,
                doc.line("render_timeout"),
                "'render_timeout' must be a number of seconds above 0, e.g. 30",
            )
        )
        return 30.0
    return float(value)


def _language_problem(tag: str) -> str | None:
    if LANGUAGE_TAG.match(tag):
        return None
    return "is not a language tag; write one such as zh-CN or en"


def _timezone_problem(name: str) -> str | None:
    try:
        zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return f"'{name}' is not a known time zone; use a name such as Asia/Shanghai or UTC"
    return None


def _base_url_problem(url: str) -> str | None:
    if not url:
        return (
            "base_url is missing; set it to the address the site is published at, "
            "e.g. `base_url: https://you.github.io/weekly/`, or pass --base-url"
        )
    if not url.startswith(("http://", "https://")) or "://" not in url or url.endswith("://"):
        return f"base_url '{url}' must be an absolute http(s) URL, e.g. https://example.com/weekly/"
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - raises on a port that is not a number
    except ValueError:
        parts = None
    if parts is None or not parts.hostname:
        return f"base_url '{url}' has no host name; write one, e.g. https://example.com/weekly/"
    if parts.query or parts.fragment or "?" in url or "#" in url:
        return (
            f"base_url '{url}' has a query (?...) or a fragment (#...), which every link "
            "would be cut at; write the address without them, e.g. "
            f"{parts.scheme}://{parts.netloc}{parts.path or '/'}"
        )
    return None


def _sections(data: dict, doc: YamlDoc, problems: list[Problem]) -> tuple[SectionSpec, ...]:
    """The configured sections, or () to use the defaults."""
    raw = data.get("sections")
    if raw is None:
        return ()
    if not isinstance(raw, list) or not raw:
        problems.append(
            Problem(doc.path, doc.line("sections"), "'sections' must be a list of {key, title}")
        )
        return ()
    specs: list[SectionSpec] = []
    keys: set[str] = set()
    for index, entry in enumerate(raw):
        line = doc.line("sections", index)
        if isinstance(entry, str):
            entry = {"key": slugify(entry), "title": entry}
        if not isinstance(entry, dict):
            problems.append(Problem(doc.path, line, "a section must be a mapping {key, title}"))
            continue
        _check_keys(entry, _SECTION_KEYS, ("sections", index), doc, problems)
        key = str(entry.get("key") or "")
        title = str(entry.get("title") or key)
        aliases = entry.get("aliases") or []
        reason = unsafe_segment_reason(key) if key else "it is missing"
        if reason or key != slugify(key):
            problems.append(
                Problem(
                    doc.path,
                    line,
                    f"section key '{key}' cannot be used ({reason or 'not a slug'}); "
                    "use lower-case words joined by hyphens, e.g. "
                    f"'{fit_segment(slugify(title), 'section') or 'news'}'",
                )
            )
            continue
        if key in keys:
            problems.append(Problem(doc.path, line, f"section key '{key}' is listed twice"))
            continue
        if not isinstance(aliases, list) or not all(isinstance(a, str) for a in aliases):
            problems.append(
                Problem(doc.path, doc.line("sections", index, "aliases"), "aliases must be a list")
            )
            aliases = []
        keys.add(key)
        specs.append(SectionSpec(key, title, tuple(aliases)))
    return tuple(specs)


def _sources(
    data: dict, doc: YamlDoc, problems: list[Problem], sections: tuple[SectionSpec, ...]
) -> tuple[FeedSource, ...]:
    """The feeds for `digest fetch`: URLs or local paths, each optionally named and sectioned."""
    raw = data.get("sources")
    if raw is None:
        return ()
    if not isinstance(raw, list):
        problems.append(
            Problem(
                doc.path,
                doc.line("sources"),
                "'sources' must be a list of feed URLs or {url, name, section} mappings",
            )
        )
        return ()
    section_keys = [spec.key for spec in sections]
    sources: list[FeedSource] = []
    for index, entry in enumerate(raw):
        where = ("sources", index)
        if isinstance(entry, str):
            entry = {"url": entry}
        if not isinstance(entry, dict):
            problems.append(
                Problem(doc.path, doc.line(*where), "a source must be a feed URL or {url, name}")
            )
            continue
        _check_keys(entry, _SOURCE_KEYS, where, doc, problems)
        url = _typed(entry, "url", str, "", doc, problems, where=where).strip()
        name = _typed(entry, "name", str, "", doc, problems, where=where).strip()
        section = _typed(entry, "section", str, "", doc, problems, where=where).strip() or None
        problem = _source_problem(url, [source.url for source in sources])
        if problem:
            problems.append(Problem(doc.path, doc.line(*where, "url"), problem))
            continue
        if section is not None and section not in section_keys:
            close = difflib.get_close_matches(section, section_keys, n=1)
            known = ", ".join(section_keys)
            hint = f"did you mean '{close[0]}'?" if close else f"use one of {known}"
            problems.append(
                Problem(
                    doc.path,
                    doc.line(*where, "section"),
                    f"section '{section}' is not a configured section key; {hint}",
                )
            )
            section = None
        sources.append(FeedSource(url, name, section))
    return tuple(sources)


def _source_problem(url: str, earlier: list[str]) -> str | None:
    if not url:
        return "the source has no url; give the feed's address, e.g. https://example.com/feed.xml"
    if url in earlier:
        return f"the source '{url}' is listed twice"
    scheme = url.split(":", 1)[0].lower() if ":" in url else ""
    if scheme in ("http", "https"):
        return http_url_problem(url)
    if len(scheme) > 1 and not url.startswith(("/", ".")):
        return f"'{url}' is neither an http(s) URL nor a file path; write https://... or a path"
    return None


def _mapping(
    data: dict, name: str, keys: tuple[str, ...], doc: YamlDoc, problems: list[Problem]
) -> dict | None:
    """An optional nested mapping of site.yaml (`markdown:`, `smtp:`…) with its keys
    checked; None when it is absent or not a mapping (which is a problem)."""
    raw = data.get(name)
    if raw is None:
        return None
    if not isinstance(raw, dict):
        problems.append(Problem(doc.path, doc.line(name), f"'{name}' must be a mapping"))
        return None
    _check_keys(raw, keys, (name,), doc, problems)
    return raw


def _markdown(data: dict, doc: YamlDoc, problems: list[Problem]) -> MarkdownConfig:
    raw = _mapping(data, "markdown", _MARKDOWN_KEYS, doc, problems)
    if raw is None:
        return MarkdownConfig()
    defaults = MarkdownConfig()
    where = ("markdown",)
    return MarkdownConfig(
        raw_html=_typed(raw, "raw_html", bool, defaults.raw_html, doc, problems, where=where),
        highlight_style=_typed(
            raw, "highlight_style", str, defaults.highlight_style, doc, problems, _style, where
        ),
        highlight_style_dark=_typed(
            raw,
            "highlight_style_dark",
            str,
            defaults.highlight_style_dark,
            doc,
            problems,
            _style,
            where,
        ),
    )


def _email(data: dict, doc: YamlDoc, problems: list[Problem]) -> EmailConfig:
    raw = _mapping(data, "email", _EMAIL_KEYS, doc, problems)
    if raw is None:
        return EmailConfig()
    return EmailConfig(
        unsubscribe=_typed(raw, "unsubscribe", str, "", doc, problems, where=("email",)).strip()
    )


def _subscribe(data: dict, doc: YamlDoc, problems: list[Problem]) -> SubscribeConfig:
    """Where readers follow the digest: an email form's action, a WeChat account, feeds."""
    raw = _mapping(data, "subscribe", _SUBSCRIBE_KEYS, doc, problems)
    if raw is None:
        return SubscribeConfig()
    where = ("subscribe",)
    email = _typed(raw, "email", str, "", doc, problems, _web_url_problem, where).strip()
    qr = _typed(raw, "wechat_qr", str, "", doc, problems, _image_problem, where).strip()
    return SubscribeConfig(
        email=email,
        email_field=_typed(raw, "email_field", str, "email", doc, problems, where=where).strip()
        or "email",
        wechat=_typed(raw, "wechat", str, "", doc, problems, where=where).strip(),
        wechat_qr=qr,
        feeds=_typed(raw, "feeds", bool, True, doc, problems, where=where),
    )


def _web_url_problem(url: str) -> str | None:
    parts = urlsplit(url.strip())
    if parts.scheme not in ("http", "https") or not parts.netloc:
        return f"is '{url}'; give the sign-up form's address, starting with https://"
    return None


def _image_problem(link: str) -> str | None:
    parts = urlsplit(link.strip())
    if (parts.scheme in ("http", "https") and parts.netloc) or (
        not parts.scheme and link[:1] == "/"
    ):
        return None
    return (
        f"is '{link}'; give an image URL (https://…) or a path from the site root (/images/qr.png)"
    )


def _discuss_problem(pattern: str) -> str | None:
    if _web_url_problem(pattern.replace("{", "").replace("}", "")):
        return f"is '{pattern}'; give an address starting with https://, e.g. https://github.com/you/weekly/discussions?discussions_q={{title}}"
    try:
        names = [name for _, name, _, _ in string.Formatter().parse(pattern) if name is not None]
    except ValueError:
        return f"is '{pattern}', whose braces do not pair; write {{number}}, {{slug}}, {{title}}…"
    unknown = [name for name in names if name not in DISCUSS_FIELDS]
    if unknown:
        return f"has {{{unknown[0]}}}; it may hold {{number}}, {{slug}}, {{title}} or {{url}}"
    return None


def _smtp(data: dict, doc: YamlDoc, problems: list[Problem]) -> SmtpConfig | None:
    """The server for test sends; its user name and password only from the environment."""
    raw = _mapping(data, "smtp", _SMTP_KEYS, doc, problems)
    if raw is None:
        return None
    where = ("smtp",)
    host = _typed(raw, "host", str, "", doc, problems, where=where).strip()
    if not host:
        problems.append(
            Problem(
                doc.path, doc.line("smtp"), "'smtp' needs a host, e.g. `host: smtp.example.com`"
            )
        )
    security = _typed(raw, "security", str, "starttls", doc, problems, where=where)
    if security not in ("starttls", "ssl", "none"):
        problems.append(
            Problem(
                doc.path,
                doc.line("smtp", "security"),
                f"'smtp.security' is '{security}'; write starttls, ssl or none",
            )
        )
    default_port = 465 if security == "ssl" else 587
    port = _typed(raw, "port", int, default_port, doc, problems, _port, where)
    sender = _typed(raw, "from", str, "", doc, problems, where=where).strip()
    return SmtpConfig(host=host, port=port, sender=sender, security=security)


def _port(value: int) -> str | None:
    return None if 0 < value < 65536 else "must be a port number, 1 to 65535"


def _style(name: str) -> str | None:
    styles = sorted(get_all_styles())
    if name in styles:
        return None
    close = difflib.get_close_matches(name, styles, n=1)
    hint = f"did you mean '{close[0]}'?" if close else f"choose one of {', '.join(styles)}"
    return f"'{name}' is not a Pygments style; {hint}"


_WEEKDAYS = {
    name: index
    for index, names in enumerate(
        [
            ("monday", "mon", "周一", "星期一", "礼拜一"),
            ("tuesday", "tue", "周二", "星期二", "礼拜二"),
            ("wednesday", "wed", "周三", "星期三", "礼拜三"),
            ("thursday", "thu", "周四", "星期四", "礼拜四"),
            ("friday", "fri", "周五", "星期五", "礼拜五"),
            ("saturday", "sat", "周六", "星期六", "礼拜六"),
            ("sunday", "sun", "周日", "星期日", "周天", "星期天", "礼拜天"),
        ]
    )
    for name in names
}


def _weekday(data: dict, doc: YamlDoc, problems: list[Problem]) -> int | None:
    """'monday', 'Mon', '周一' or 1-7 (ISO, Monday = 1) -> 0-6."""
    value = data.get("weekday")
    if value is None:
        return None
    if isinstance(value, int) and not isinstance(value, bool) and 1 <= value <= 7:
        return value - 1
    if isinstance(value, str) and value.strip().lower() in _WEEKDAYS:
        return _WEEKDAYS[value.strip().lower()]
    problems.append(
        Problem(
            doc.path,
            doc.line("weekday"),
            f"weekday '{value}' is not a day of the week; write e.g. monday, 周一 or 1 (Monday)",
        )
    )
    return None
