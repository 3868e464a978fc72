"""Front matter: split it off an issue and turn its fields into typed values.

Authors bring front matter from Jekyll, Hugo, Zola, Pelican and Docusaurus: YAML
between '---' lines, TOML between '+++' lines, a `Key: value` header up to the first
blank line, or none at all (the title is then the body's `# Title`). Fields with a
meaning here are mapped, the rest are kept in `extra`, and none is fatal; a key that
is a near miss of a known one ('titel', 'drafts') is a warning.
"""

from __future__ import annotations

import difflib
import re
import tomllib
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta, timezone, tzinfo
from pathlib import Path
from typing import Any

from digest.config import LANGUAGE_TAG
from digest.errors import DigestError, Problem
from digest.text.slug import tag_slug
from digest.model import Note
from digest.text.slug import unsafe_segment_reason
from digest.text.yamltext import load_yaml

_FENCE = re.compile(r"^---[ \t]*$")
_TOML_FENCE = re.compile(r"^\+\+\+[ \t]*$")
_TOML_ERROR_AT = re.compile(r"\s*\(at (?:line (\d+), column \d+|end of document)\)")
_TOML_TABLE = re.compile(r"^\s*\[\[?([^\[\]=]+)\]\]?\s*(?:#.*)?$")
_TOML_KEY = re.compile(
    r"""^\s*(?:"([^"]*)"|'([^']*)'|([A-Za-z0-9_-]+(?:\s*\.\s*[A-Za-z0-9_-]+)*))\s*="""
)
_HEADER_LINE = re.compile(r"^([A-Za-z][A-Za-z0-9_-]{0,29}):(?:[ \t]+(.*))?$")
"""A Pelican / MultiMarkdown header line: a one-word key, a colon, then the value."""
_BOOLEAN_WORDS = {"true": True, "yes": True, "false": False, "no": False}
_LOOSE_DATE = re.compile(
    r"^(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})"
    r"(?:(?:[Tt]|[ \t]+)(\d{1,2}):(\d{2})(?::(\d{2})(?:[.,](\d{1,6})\d*)?)?)?"
    r"[ \t]*(Z|UTC|GMT|[+-]\d{2}(?::?\d{2})?)?$",
    re.IGNORECASE,
)
"""Dates fromisoformat refuses: 2025-5-3, 2022/10/17, '2013-06-07 18:46:00 +0800'."""
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
    "category": "categories",
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
_HEADER_KEYS = _KNOWN | set(_ALIASES) | {"status", "modified"}
"""Keys that make `Key: value` lines at the top of a file a header, not a body."""
_NEAR_MISS_TARGETS = sorted(_KNOWN | set(_ALIASES))


@dataclass(frozen=True, slots=True)
class Split:
    """An issue's text cut in two; `body_line` is the file line where the body starts."""

    front_matter: str
    body: str
    body_line: int
    dialect: str = "yaml"
    """'yaml' (---), 'toml' (+++), 'header' (`Key: value` lines) or 'none'."""
    front_line: int = 2
    """The file line where `front_matter` starts."""


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
    """Cut the front matter off the text, in whichever dialect it is written.

    YAML between '---' lines, TOML between '+++' lines, a `Key: value` header up to
    the first blank line; a text with none of them is all body (dialect 'none').
    Only an empty file and an unclosed fence are problems here.
    """
    lines = text.split("\n")
    first = next((i for i, line in enumerate(lines) if line.strip()), None)
    if first is None:
        return Problem(path, 1, "the file is empty; an issue needs front matter and a body")
    if _FENCE.match(lines[first]):
        dialect, closing, closer = "yaml", _CLOSE, "---"
    elif _TOML_FENCE.match(lines[first]):
        dialect, closing, closer = "toml", _TOML_FENCE, "+++"
    else:
        end = _header_end(lines, first)
        if end is None:
            return Split("", text, 1, "none", 1)
        # The blank line after the header belongs to the body, so body_line holds.
        header, body = "\n".join(lines[first:end]), "\n".join(lines[end:])
        return Split(header, body, end + 1, "header", first + 1)
    for index in range(first + 1, len(lines)):
        if closing.match(lines[index]):
            return Split(
                "\n".join(lines[first + 1 : index]),
                "\n".join(lines[index + 1 :]),
                index + 2,
                dialect,
                first + 2,
            )
    return Problem(
        path,
        first + 1,
        f"the front matter that starts here is never closed; add a '{closer}' line after it",
    )


def _header_end(lines: list[str], first: int) -> int | None:
    """The index of the blank line (or the end) closing a `Key: value` header that starts
    at `first`, or None when those lines are no header: every line must be `Key: value`
    (or indented, continuing the value above), and one key must be a known one, so a
    body that opens with "Note: this week…" stays a body."""
    known = False
    for index in range(first, len(lines)):
        line = lines[index]
        if not line.strip():
            return index if known else None
        match = _HEADER_LINE.match(line)
        if match:
            known = known or match.group(1).lower() in _HEADER_KEYS
        elif index == first or not line[:1].isspace():
            return None
    return len(lines) if known else None


@dataclass(frozen=True, slots=True)
class _Loaded:
    """Front matter as loaded from any dialect: its top-level data, the line of each key
    (dotted for keys in tables), and the tables whose entries are extras (TOML)."""

    data: Any
    lines: dict[str, int]
    tables: dict[str, dict[str, Any]] = field(default_factory=dict)


def _load(split: Split, path: Path) -> _Loaded:
    if split.dialect == "none":
        return _Loaded({}, {})
    if split.dialect == "header":
        return _load_header(split.front_matter, split.front_line)
    if split.dialect == "toml":
        return _load_toml(split.front_matter, path, split.front_line)
    doc = load_yaml(split.front_matter, path, first_line=split.front_line)
    data = doc.data if doc.data is not None else {}
    keys = data if isinstance(data, dict) else {}
    return _Loaded(data, {str(key): doc.line(str(key)) for key in keys})


def _load_header(text: str, first_line: int) -> _Loaded:
    """`Key: value` lines; keys in any case, indented lines continue the value above."""
    data: dict[str, Any] = {}
    lines: dict[str, int] = {}
    key: str | None = None
    for number, line in enumerate(text.split("\n"), first_line):
        match = _HEADER_LINE.match(line)
        if match:
            key = match.group(1).lower()
            if key in data:
                key = None  # given twice: the first one counts
                continue
            data[key] = (match.group(2) or "").strip()
            lines[key] = number
        elif key is not None:  # an indented line continues the value above
            data[key] = f"{data[key]} {line.strip()}".strip()
    status = data.pop("status", None)
    if status is not None:
        if status.lower() == "draft":
            data.setdefault("draft", True)
            lines.setdefault("draft", lines["status"])
        elif status.lower() not in {"published", "publish"}:
            data["status"] = status  # 'hidden' and the like: the templates' business
    if isinstance(data.get("draft"), str):
        data["draft"] = _BOOLEAN_WORDS.get(data["draft"].lower(), data["draft"])
    return _Loaded(data, lines)


def _load_toml(text: str, path: Path, first_line: int) -> _Loaded:
    """TOML (Hugo, Zola); Zola's `[taxonomies]` give tags and categories, `[extra]` and
    Hugo's `[params]` give extras (and known fields not given at the top)."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        message = str(error)
        at = _TOML_ERROR_AT.search(message)
        error_line = first_line + int(at.group(1)) - 1 if at else first_line
        what = _TOML_ERROR_AT.sub("", message).strip() or "cannot be read"
        raise DigestError(
            Problem(
                path,
                error_line,
                f"invalid TOML: {what}; write `key = value` lines, texts in quotes "
                '(title = "Weekly 12"), dates bare (date = 2026-11-23)',
            )
        ) from None
    lines: dict[str, int] = {}
    table = ""
    for number, line in enumerate(text.split("\n"), first_line):
        header = _TOML_TABLE.match(line)
        if header:
            table = re.sub(r"\s+", "", header.group(1)).replace('"', "").replace("'", "")
            lines.setdefault(table, number)
            continue
        key = _TOML_KEY.match(line)
        if key:
            name = re.sub(r"\s+", "", next(group for group in key.groups() if group is not None))
            lines.setdefault(f"{table}.{name}" if table else name, number)
    tables: dict[str, dict[str, Any]] = {}
    for name in ("taxonomies", "extra", "params"):
        if isinstance(data.get(name), dict):
            tables[name] = data.pop(name)
    taxonomies = tables.pop("taxonomies", {})
    for name in ("tags", "categories"):
        if name in taxonomies and name not in data:
            data[name] = taxonomies.pop(name)
            lines[name] = lines.get(f"taxonomies.{name}", lines.get("taxonomies", first_line))
    if taxonomies:
        data.setdefault("taxonomies", taxonomies)
        lines.setdefault("taxonomies", first_line)
    return _Loaded(data, lines, tables)


def read_front_matter(
    split: Split,
    path: Path,
    zone: tzinfo,
    problems: list[Problem],
    notes: list[Note] | None = None,
) -> FrontMatter:
    """Type-check the fields; problems (and warnings, as notes) are appended, never raised."""
    loaded = _load(split, path)
    data = loaded.data
    meta = FrontMatter()
    if not isinstance(data, dict):
        problems.append(
            Problem(
                path,
                split.front_line,
                "front matter must be `key: value` lines, e.g. `title: Weekly #1`",
            )
        )
        return meta
    fields: dict[str, Any] = {}
    for key, value in data.items():
        name = _ALIASES.get(str(key), str(key))
        if name not in _KNOWN:
            meta.extra[str(key)] = value
            _near_miss(str(key), loaded.lines.get(str(key), split.front_line), notes)
            continue
        if name in fields and value is not None:
            continue  # the field's own name, listed first, wins over an alias
        fields[name] = value
        meta.lines[name] = loaded.lines.get(str(key), split.front_line)
    for table, entries in loaded.tables.items():
        for key, value in entries.items():
            name = _ALIASES.get(str(key), str(key))
            meta.extra.setdefault(str(key), value)
            if name in _KNOWN and name not in fields:  # Zola's [extra], Hugo's [params]
                fields[name] = value
                meta.lines[name] = loaded.lines.get(f"{table}.{key}", split.front_line)

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
    meta.date = _date(fields.get("date"), path, meta, zone, problems)
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
    """A date as authors write it: YYYY-MM-DD, 2025-5-3, 2022/10/17, ISO with or without
    a time and zone, '2013-06-07 18:46:00 +0800', or a TOML date. Naive values are read
    in the site's time zone; an impossible date (2026-02-30) is None."""
    moment: datetime | None
    if isinstance(value, datetime):
        moment = value
    elif isinstance(value, date):
        moment = datetime.combine(value, time())
    elif isinstance(value, str):
        moment = _date_from_text(value.strip())
        if moment is None:
            return None
    else:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=zone)


def _date_from_text(text: str) -> datetime | None:
    try:
        return datetime.fromisoformat(text)
    except ValueError:
        pass
    match = _LOOSE_DATE.match(text)
    if not match:
        return None
    year, month, day, hour, minute, second, fraction, offset = match.groups()
    try:
        zone: tzinfo | None = None
        if offset:
            zone = _offset_zone(offset)
        return datetime(
            int(year),
            int(month),
            int(day),
            int(hour or 0),
            int(minute or 0),
            int(second or 0),
            int((fraction or "0").ljust(6, "0")),
            tzinfo=zone,
        )
    except ValueError:
        return None


def _offset_zone(offset: str) -> tzinfo:
    """'Z', 'UTC', '+0800', '+08:00' or '-05' as a fixed zone; ValueError past a day."""
    if offset.upper() in {"Z", "UTC", "GMT"}:
        return UTC
    digits = offset[1:].replace(":", "")
    minutes = int(digits[:2]) * 60 + int(digits[2:] or 0)
    return timezone(timedelta(minutes=-minutes if offset[0] == "-" else minutes))


def _date(
    value: Any, path: Path, meta: FrontMatter, zone: tzinfo, problems: list[Problem]
) -> datetime | None:
    if value is None:
        # An empty `date:` is no date: the parse looks for one elsewhere (the file name,
        # git) and says so when it finds none, as for a missing `date:`.
        meta.lines.pop("date", None)
        return None
    moment = parse_date(value, zone)
    if moment is None:
        problems.append(
            Problem(
                path,
                meta.lines["date"],
                f"'{_shown(value)}' is not a valid date; write it as YYYY-MM-DD (e.g. 2026-11-23) "
                "or an ISO date and time (2026-11-23T09:00:00+08:00)",
            )
        )
    return moment


def _near_miss(key: str, line: int, notes: list[Note] | None) -> None:
    """A warning for an unknown key that looks like a known one misspelt ('titel', 'drafts',
    'Title'): it would silently stay an extra, and the issue lack its title or be published."""
    if notes is None:
        return
    matches = difflib.get_close_matches(key.lower(), _NEAR_MISS_TARGETS, n=1, cutoff=0.8)
    if matches:
        notes.append(
            Note(
                line,
                f"unknown key '{_shown(key)}'; did you mean '{matches[0]}'? Rename it, or it "
                "stays a free field that only templates see",
                "warning",
            )
        )


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
