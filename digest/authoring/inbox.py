"""The inbox: candidate links waiting for the author, one Markdown file each.

`digest fetch` only ever adds files here. A file the author edited stays as it is,
one they deleted is not written again (the fetch cache remembers every URL it ever
wrote), and a name already taken gets a number instead of being overwritten.
A link already published in an issue, or already waiting here, is not added.
"""

from __future__ import annotations

import itertools
import os
import re
import stat
import unicodedata
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from urllib.parse import urlsplit

import yaml

from digest.authoring.plaintext import clean_text, shorten, to_text
from digest.config import CONTENT_DIR
from digest.content.frontmatter import normalize_text, split_front_matter
from digest.content.markdown import make_markdown
from digest.content.parse import MAX_ISSUE_BYTES, parse_issue, read_issue
from digest.content.sources import INBOX_DIR, MARKDOWN_SUFFIXES, issue_paths
from digest.errors import DigestError, Problem
from digest.model import Issue, SiteConfig
from digest.text.slug import slugify
from digest.text.urls import normalize_url, strip_tracking, url_problem
from digest.text.yamltext import load_yaml

SLUG_CHARS = 60

# Characters that start Markdown inline syntax: emphasis, code, links and images, raw
# HTML and autolinks, strikethrough, table cells; and '&' where it would start an entity.
_INLINE_SYNTAX = re.compile(r"[\\`*_\[\]<~|]|&(?=#?\w+;)")
# What makes a line something else than a paragraph: a heading, quote, list item,
# thematic break or setext underline ('*', '_', '`', '~', '<' and '|' are escaped anyway).
_BLOCK_START = re.compile(r"[#>+=-]|[0-9]{1,9}(?=[.)])")
# Link characters that end or change a `<...>` destination, and anything invisible.
_URL_UNSAFE = re.compile(r"""[\x00-\x20"<>\\^`{|}\x7f]|[^\x00-\x7f]""")


@dataclass(frozen=True, slots=True)
class FeedEntry:
    """One entry as a feed gave it: untrusted, its title and summary possibly HTML."""

    title: str
    title_is_html: bool
    link: str
    published: datetime | None
    """Aware; None when the feed gave no date it could read."""
    summary: str
    summary_is_html: bool


@dataclass(frozen=True, slots=True)
class Candidate:
    """A link for the author to consider: what its inbox file says, all plain text."""

    title: str
    url: str
    """Without tracking parameters."""
    source: str
    """The feed's name, as the author knows it."""
    date: date | None
    """Publication day in the site's time zone."""
    fetch_date: datetime
    section: str | None
    summary: str


def inbox_dir(config: SiteConfig) -> Path:
    return config.root / CONTENT_DIR / INBOX_DIR


def make_candidate(
    entry: FeedEntry, *, source: str, section: str | None, fetch_date: datetime
) -> Candidate | None:
    """The entry as a candidate, or None when it has no usable http(s) link."""
    url = link_url(strip_tracking(entry.link.strip()))
    if urlsplit(url).scheme.lower() not in ("http", "https") or url_problem(url):
        return None
    title = to_text(entry.title, entry.title_is_html) or url
    summary = shorten(to_text(entry.summary, entry.summary_is_html))
    zone = fetch_date.tzinfo
    day = entry.published.astimezone(zone).date() if entry.published else None
    return Candidate(
        title=title,
        url=url,
        source=clean_text(source),
        date=day,
        fetch_date=fetch_date,
        section=section,
        summary="" if summary == title else summary,
    )


def markdown_text(text: str) -> str:
    """Markdown that shows exactly `text` (plain text from a feed) and nothing else: every
    character that could start inline syntax is backslash-escaped, and so is a start
    that would make the line a heading, quote, list item or rule. Line breaks become
    spaces, so the text stays one paragraph, or one heading's text."""
    text = text.replace("\r", " ").replace("\n", " ")
    text = _INLINE_SYNTAX.sub(lambda match: "\\" + match.group(), text)
    start = _BLOCK_START.match(text)
    if start:
        end = start.end()
        text = text[:end] + "\\" + text[end:] if text[:1].isdigit() else "\\" + text
    return text


def link_url(url: str) -> str:
    """`url` with what would end or bend a Markdown link destination (spaces, '<', '>',
    quotes, backslashes, control and invisible characters) percent-encoded, so the
    link is written whole; letters of any script are kept as they are."""

    def encode(match: re.Match[str]) -> str:
        return "".join(f"%{byte:02X}" for byte in match.group().encode("utf-8", "surrogatepass"))

    return _URL_UNSAFE.sub(
        lambda match: match.group() if _visible(match.group()) else encode(match), url
    )


def _visible(character: str) -> bool:
    """A non-ASCII character a URL may hold as it is (a Chinese path): not a space, not a
    control, format or unassigned character."""
    return (
        not character.isascii()
        and not character.isspace()
        and unicodedata.category(character)[0] not in "CZ"
    )


def candidate_text(candidate: Candidate) -> str:
    """The inbox file: YAML front matter (safe_dump, so no title can break out), then the
    summary as Markdown that shows exactly the plain text (`markdown_text`)."""
    front: dict[str, object] = {
        "title": candidate.title,
        "url": candidate.url,
        "source": candidate.source,
    }
    if candidate.date is not None:
        front["date"] = candidate.date
    front["fetch_date"] = candidate.fetch_date
    if candidate.section:
        front["section"] = candidate.section
    header = yaml.safe_dump(front, allow_unicode=True, sort_keys=False, width=1_000_000)
    body = markdown_text(candidate.summary)
    return f"---\n{header}---\n{body}\n" if body else f"---\n{header}---\n"


def file_stem(candidate: Candidate) -> str:
    """'2026-01-12-数据库周刊': the day, then the title's slug (the URL's when it has none)."""
    day = candidate.date or candidate.fetch_date.date()
    path_words = urlsplit(candidate.url).path.replace("/", " ")
    slug = _short(slugify(candidate.title)) or _short(slugify(path_words)) or "link"
    return f"{day.isoformat()}-{slug}"


def _short(slug: str) -> str:
    if len(slug) <= SLUG_CHARS:
        return slug
    cut = slug[:SLUG_CHARS]
    hyphen = cut.rfind("-")
    return cut[:hyphen] if hyphen >= SLUG_CHARS // 2 else cut


def write_candidate(inbox: Path, candidate: Candidate) -> Path:
    """Write a new file, never replacing one: a taken name gets '-2', '-3', ..."""
    inbox.mkdir(parents=True, exist_ok=True)
    data = candidate_text(candidate).encode("utf-8")
    stem = file_stem(candidate)
    for number in itertools.count(1):
        path = inbox / (f"{stem}.md" if number == 1 else f"{stem}-{number}.md")
        try:
            with path.open("xb") as file:
                file.write(data)
        except FileExistsError:
            continue
        return path
    raise AssertionError("unreachable")


def read_inbox_file(path: Path, root: Path) -> bytes:
    """The bytes of an inbox file, which may be anything someone saved there: only a
    regular file, never through a symbolic link that leaves `root` (the site), and never
    more than an issue may hold. A named pipe or a device is refused without waiting on
    it. Raises DigestError naming the file; OSError is the caller's."""
    try:
        real = path.resolve()
    except RuntimeError:  # a symbolic link loop
        raise DigestError(Problem(path, None, "a symbolic link that loops; remove it")) from None
    if not real.is_relative_to(root.resolve()):
        raise DigestError(
            Problem(
                path,
                None,
                "a symbolic link to a file outside the site; not read. Copy the file into "
                "content/inbox/ instead",
            )
        )
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOFOLLOW", 0)
    flags |= getattr(os, "O_BINARY", 0)
    descriptor = os.open(real, flags)  # O_NONBLOCK: opening a named pipe does not wait
    with os.fdopen(descriptor, "rb") as file:
        status = os.fstat(file.fileno())
        if not stat.S_ISREG(status.st_mode):
            raise DigestError(
                Problem(
                    path,
                    None,
                    f"not a regular file (a {_file_kind(status.st_mode)}); not read. "
                    "Remove it from the inbox",
                )
            )
        if status.st_size > MAX_ISSUE_BYTES:
            raise DigestError(_too_large(path, status.st_size))
        data = file.read(MAX_ISSUE_BYTES + 1)
    if len(data) > MAX_ISSUE_BYTES:  # it grew meanwhile
        raise DigestError(_too_large(path, len(data)))
    return data


def _file_kind(mode: int) -> str:
    if stat.S_ISFIFO(mode):
        return "named pipe"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "device"
    if stat.S_ISSOCK(mode):
        return "socket"
    return "folder" if stat.S_ISDIR(mode) else "special file"


def _too_large(path: Path, size: int) -> Problem:
    limit = MAX_ISSUE_BYTES // 1024 // 1024
    return Problem(
        path,
        None,
        f"the file is {size / 1024 / 1024:.1f} MB, over the {limit} MB an inbox candidate "
        "(like an issue) may have; not read",
    )


def inbox_urls(inbox: Path, root: Path | None = None) -> set[str]:
    """Normalized `url`s of the files in the inbox, whoever wrote them; files without
    readable front matter (or that are no regular file inside `root`, the site, which is
    the inbox itself by default) are passed over."""
    urls: set[str] = set()
    if not inbox.is_dir():
        return urls
    root = root or inbox
    for folder, folders, names in os.walk(inbox):  # symbolic links to folders not followed
        folders[:] = sorted(name for name in folders if not name.startswith("."))
        for name in sorted(names):
            path = Path(folder) / name
            if name.startswith(".") or path.suffix.lower() not in MARKDOWN_SUFFIXES:
                continue
            url = _front_matter_url(path, root)
            if url:
                urls.add(normalize_url(url))
    return urls


def _front_matter_url(path: Path, root: Path) -> str | None:
    """The `url` of an inbox file, or None. The file may be anything an author saved there,
    so it is read with `read_inbox_file`'s guards, and its YAML loaded with the guards."""
    try:
        data = read_inbox_file(path, root)
    except (OSError, DigestError):
        return None
    text = normalize_text(data.decode("utf-8-sig", errors="replace"))
    split = split_front_matter(text, path)
    if isinstance(split, Problem) or split.dialect != "yaml":
        return None
    try:
        front = load_yaml(split.front_matter, path).data
    except DigestError:
        return None
    url = front.get("url") if isinstance(front, dict) else None
    return url.strip() if isinstance(url, str) and url.strip() else None


def read_issues(config: SiteConfig) -> list[Issue]:
    """Every issue that parses, drafts included; one that does not is skipped here (the
    build reports it), so a typo in an old issue never stops a fetch."""
    markdown = make_markdown(config.markdown)
    issues: list[Issue] = []
    for path in issue_paths(config):
        try:
            issues.append(parse_issue(read_issue(path), path, config, markdown))
        except (DigestError, OSError):
            continue
    return issues


def published_urls(issues: list[Issue]) -> set[str]:
    """Normalized URLs of every item of every issue."""
    return {normalize_url(item.url) for issue in issues for item in issue.items if item.url}
