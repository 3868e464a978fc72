"""Front matter: split it off an issue and turn its fields into typed values.

Authors bring front matter from Jekyll, Hugo and Docusaurus; fields with a
meaning here are mapped, the rest are kept in `extra`, and none is fatal.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime, time, tzinfo
from pathlib import Path
from typing import Any

from digest.errors import Problem
from digest.listings import tag_slug
from digest.slug import unsafe_segment_reason
from digest.yamltext import YamlDoc, load_yaml

_FENCE = re.compile(r"^---[ \t]*$")
LANGUAGE_TAG = re.compile(r"^[A-Za-z]{1,8}(?:[-_][A-Za-z0-9]{1,8})*$")
"""A BCP 47 tag such as zh-CN or zh-Hans-CN (zh_CN too, as Jekyll sites write it): it goes
into lang="…" and is handed to the search indexer, so nothing else is let through."""
# Browsers ignore whitespace and control characters inside a scheme ("java\tscript:").
_SCRIPT_URL = re.compile(r"(?:javascript|vbscript|data(?!:image/)):", re.IGNORECASE)
_CLOSE = re.compile(r"^(?:---|\.\.\.)[ \t]*$")

# Field names from other generators -> ours.
_ALIASES = {
    "header-img": "cover",
    "header_img": "cover",
    "image": "cover",
    "featured_image": "cover",
    "description": "summary",
    "excerpt": "summary",
    "author": "authors",
    "issue": "number",
    "language": "lang",
}
MAX_NUMBER_DIGITS = 18
"""An issue number is a folder name and a sort key; no digest reaches a quintillion."""
_NUMBER_LIMIT = 10**MAX_NUMBER_DIGITS
_KNOWN = {
    "title",
    "date",
    "number",
    "summary",
    "cover",
    "tags",
    "categories",
    "draft",
    "slug",
    "subtitle",
    "authors",
    "lang",
}


@dataclass(frozen=True, slots=True)
class Split:
    """An issue's text cut in two; `body_line` is the file line where the body starts."""

    front_matter: str
    body: str
    body_line: int


@dataclass(slots=True)
class FrontMatter:
    """Typed front matter; None where the author gave nothing."""

    title: str | None = None
    date: datetime | None = None
    number: int | None = None
    summary: str = ""
    cover: str | None = None
    tags: tuple[str, ...] = ()
    draft: bool = False
    slug: str | None = None
    subtitle: str = ""
    authors: tuple[str, ...] = ()
    lang: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)
    lines: dict[str, int] = field(default_factory=dict)


def normalize_text(text: str) -> str:
    """Drop a BOM and turn CRLF/CR line ends into LF: both are fine, neither is an error."""
    return text.removeprefix("\ufeff").replace("\r\n", "\n").replace("\r", "\n")


def split_front_matter(text: str, path: Path) -> Split | Problem:
    """Cut the YAML block between the opening and closing '---' lines off the text."""
    lines = text.split("\n")
    first = next((i for i, line in enumerate(lines) if line.strip()), None)
    if first is None:
        return Problem(path, 1, "the file is empty; an issue needs front matter and a body")
    if lines[first].strip() == "+++":
        return Problem(
            path,
            first + 1,
            "TOML front matter (+++) is not supported; use YAML between '---' lines",
        )
    if not _FENCE.match(lines[first]):
        return Problem(
            path,
            first + 1,
            "no front matter found; an issue starts with a '---' line, then `title:` and "
            "`date:` lines, then a closing '---' line. Did you forget the '---' lines?",
        )
    for index in range(first + 1, len(lines)):
        if _CLOSE.match(lines[index]):
            return Split(
                "\n".join(lines[first + 1 : index]),
                "\n".join(lines[index + 1 :]),
                index + 2,
            )
    return Problem(
        path,
        first + 1,
        "the front matter that starts here is never closed; add a '---' line after it",
    )


def read_front_matter(
    split: Split, path: Path, zone: tzinfo, problems: list[Problem]
) -> FrontMatter:
    """Type-check the fields; problems are appended, never raised."""
    doc = load_yaml(split.front_matter, path, first_line=2)
    data = doc.data if doc.data is not None else {}
    meta = FrontMatter()
    if not isinstance(data, dict):
        problems.append(
            Problem(path, 2, "front matter must be `key: value` lines, e.g. `title: Weekly #1`")
        )
        return meta
    fields: dict[str, Any] = {}
    for key, value in data.items():
        name = _ALIASES.get(str(key), str(key))
        if name not in _KNOWN:
            meta.extra[str(key)] = value
            continue
        if name in fields and value is not None:
            continue  # the field's own name, listed first, wins over an alias
        fields[name] = value
        meta.lines[name] = doc.line(key)

    def text(name: str) -> str | None:
        value = fields.get(name)
        if value is None:
            return None
        if isinstance(value, str | int | float) and not isinstance(value, bool):
            return str(value).strip()
        problems.append(Problem(path, meta.lines[name], f"'{name}' must be a text"))
        return None

    meta.title = text("title") or None
    meta.summary = text("summary") or ""
    meta.cover = text("cover") or None
    if meta.cover and _SCRIPT_URL.match(re.sub(r"[\x00-\x20]", "", meta.cover)):
        problems.append(
            Problem(
                path,
                meta.lines["cover"],
                f"cover '{_shown(meta.cover)}' is a script, not an image; give the image's "
                "path (/images/cover.png) or URL",
            )
        )
        meta.cover = None
    meta.slug = text("slug") or None
    meta.subtitle = text("subtitle") or ""
    meta.lang = text("lang") or None
    if meta.lang and not LANGUAGE_TAG.match(meta.lang):
        problems.append(
            Problem(
                path,
                meta.lines["lang"],
                f"lang '{_shown(meta.lang)}' is not a language tag; write one such as zh-CN or en",
            )
        )
        meta.lang = None
    meta.date = _date(fields.get("date"), doc, meta, zone, problems)
    meta.number = _number(fields.get("number"), path, meta, problems)
    meta.draft = _flag(fields.get("draft"), path, meta, problems)
    tags = _words("tags", fields, path, meta, problems)
    categories = _words("categories", fields, path, meta, problems)
    meta.tags = tags + tuple(tag for tag in categories if tag not in tags)
    for name, words in (("tags", tags), ("categories", categories)):
        for word in words:
            folder = tag_slug(word)
            reason = unsafe_segment_reason(folder)
            if reason:
                problems.append(
                    Problem(
                        path,
                        meta.lines[name],
                        f"tag '{_shown(word)}' would be the folder tags/{_shown(folder)}/, "
                        f"which cannot be ({reason}); shorten or rename the tag",
                    )
                )
    meta.authors = _words("authors", fields, path, meta, problems)
    return meta


def parse_date(value: Any, zone: tzinfo) -> datetime | None:
    """YYYY-MM-DD or an ISO datetime; naive values are read in the site's time zone."""
    if isinstance(value, datetime):
        moment = value
    elif isinstance(value, date):
        moment = datetime.combine(value, time())
    elif isinstance(value, str):
        try:
            moment = datetime.fromisoformat(value.strip())
        except ValueError:
            return None
    else:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=zone)


def _date(
    value: Any, doc: YamlDoc, meta: FrontMatter, zone: tzinfo, problems: list[Problem]
) -> datetime | None:
    if value is None:
        return None
    moment = parse_date(value, zone)
    if moment is None:
        problems.append(
            Problem(
                doc.path,
                meta.lines["date"],
                f"'{value}' is not a valid date; write it as YYYY-MM-DD (e.g. 2026-11-23) "
                "or an ISO date and time (2026-11-23T09:00:00+08:00)",
            )
        )
    return moment


def _number(value: Any, path: Path, meta: FrontMatter, problems: list[Problem]) -> int | None:
    if value is None:
        return None
    digits = value.strip() if isinstance(value, str) else ""
    if digits.isdecimal() and len(digits) <= MAX_NUMBER_DIGITS:  # not isdigit: '²' is one
        value = int(digits)
    if isinstance(value, int) and not isinstance(value, bool) and 0 <= value < _NUMBER_LIMIT:
        return value
    too_big = digits.isdecimal() or (isinstance(value, int) and value >= _NUMBER_LIMIT)
    problems.append(
        Problem(
            path,
            meta.lines["number"],
            f"number '{_shown(value)}' must be a whole number, e.g. 35"
            + (f", of at most {MAX_NUMBER_DIGITS} digits" if too_big else ""),
        )
    )
    return None


def _shown(value: Any) -> str:
    """A value as the author wrote it, cut short: an error message is no place for a page."""
    text = value if isinstance(value, str) else repr(value)
    return text if len(text) <= 40 else text[:39] + "…"


def _flag(value: Any, path: Path, meta: FrontMatter, problems: list[Problem]) -> bool:
    if value is None:
        return False
    if isinstance(value, bool):
        return value
    problems.append(Problem(path, meta.lines["draft"], "'draft' must be true or false"))
    return False


def _words(
    name: str, fields: dict[str, Any], path: Path, meta: FrontMatter, problems: list[Problem]
) -> tuple[str, ...]:
    """A list of short texts; a single text (comma-separated) is accepted too."""
    value = fields.get(name)
    if value is None:
        return ()
    if isinstance(value, str):
        value = [part for part in re.split(r"[,，]", value)]
    if not isinstance(value, list) or not all(
        isinstance(word, str | int | float) and not isinstance(word, bool) for word in value
    ):
        problems.append(
            Problem(
                path, meta.lines[name], f"'{name}' must be a list of texts, e.g. [rust, 数据库]"
            )
        )
        return ()
    words: list[str] = []
    for word in value:
        word = str(word).strip()
        if word and word not in words:
            words.append(word)
    return tuple(words)
