"""Turning one issue file into an Issue: pure, so it can be cached and run in parallel."""

from __future__ import annotations

import hashlib
import os
import zoneinfo
from datetime import datetime, time
from pathlib import Path

from markdown_it import MarkdownIt
from markupsafe import Markup

from digest.content.body import parse_body
from digest.config import CONTENT_DIR
from digest.errors import DigestError, Problem
from digest.content.frontmatter import normalize_text, read_front_matter, split_front_matter
from digest.content.gitdates import first_commit_date
from digest.text.links import from_folder, is_relative, site_path, under_base
from digest.model import Issue, Note, SiteConfig, SourceRef
from digest.content.prose import cover_of, images_of, sentences
from digest.content.numbering import number_from_title, stem_parts, title_from_stem
from digest.content.reading import reading_minutes, text_of_html
from digest.content.sections import section_index
from digest.text.slug import fit_segment, slugify, unsafe_segment_reason

SUMMARY_LENGTH = 160
MAX_ISSUE_BYTES = 2 * 1024 * 1024
"""About 60 times a long weekly issue. It bounds what one file can cost: the slowest
Markdown known to us parses at about 10 s per MB, and a build holds an issue's pages
in memory at about 250 times its size."""


def read_issue(path: Path) -> str:
    """An issue file's text. One too large to be an issue is refused before it is read,
    so a huge (or endless, or sparse) file costs no memory; OSError is the caller's."""
    with path.open("rb") as file:
        size = os.fstat(file.fileno()).st_size
        if size > MAX_ISSUE_BYTES:
            raise DigestError(_too_large(path, size))
        data = file.read(MAX_ISSUE_BYTES + 1)  # a file that grew meanwhile is refused below
    return decode(data, path)


def _too_large(path: Path, size: int) -> Problem:
    return Problem(
        path,
        1,
        f"the file is {size / 1024 / 1024:.1f} MB, over the {MAX_ISSUE_BYTES // 1024 // 1024} MB "
        "an issue may have; split it into several issues, or put large data (images, logs) "
        "in files under content/ and link them",
    )


def decode(data: bytes, path: Path) -> str:
    """UTF-8 (with or without BOM) or a problem naming the line of the first bad byte."""
    if len(data) > MAX_ISSUE_BYTES:
        raise DigestError(_too_large(path, len(data)))
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        raise DigestError(
            Problem(
                path,
                line,
                f"not valid UTF-8 (byte 0x{data[exc.start]:02x}); "
                "save the file as UTF-8 (it may be GBK or Latin-1)",
            )
        ) from None


def text_hash(text: str) -> str:
    """An issue text's Issue.source_hash: the parse cache finds a touched but unchanged
    file by it."""
    return hashlib.blake2b(text.encode("utf-8", "surrogatepass"), digest_size=16).hexdigest()


def parse_issue(text: str, path: Path, config: SiteConfig, md: MarkdownIt) -> Issue:
    """Parse an issue's text; raises DigestError with every problem found in it."""
    if len(text) > MAX_ISSUE_BYTES:  # characters: never fewer than the file's bytes
        raise DigestError(_too_large(path, len(text.encode("utf-8", "surrogatepass"))))
    source_hash = text_hash(text)
    text = normalize_text(text)
    split = split_front_matter(text, path)
    if isinstance(split, Problem):
        raise DigestError(split)
    problems: list[Problem] = []
    notes: list[Note] = []  # warnings that do not stop the build: front matter and body add
    zone = zoneinfo.ZoneInfo(config.timezone)
    meta = read_front_matter(split, path, zone, problems, notes)
    body = parse_body(
        md,
        split.body,
        path,
        split.body_line,
        section_index(config.sections),
        take_title=meta.title is None,
        base_path=config.base_path,
        folder=_content_folder(path, config),
    )
    problems.extend(body.problems)
    notes.extend(body.notes)
    stem = stem_parts(path.stem, _folders(path, config))
    title = meta.title or body.title
    if not title and body.sections:  # a weekly with sections but no title: its file name's
        title = title_from_stem(stem)
    if split.dialect == "none" and not title and stem.date is None:
        # No front matter, no `# Title`, no date in the name: not an issue at all (a saved
        # web page, a README); saying what an issue looks like helps more than the rest.
        raise DigestError(
            Problem(
                path,
                split.body_line,
                "no front matter found; an issue starts with a '---' line, then `title:` and "
                "`date:` lines, then a closing '---' line. Did you forget the '---' lines?",
            )
        )
    if not title:
        problems.append(
            Problem(
                path,
                1,
                "the issue has no title; add `title: …` to the front matter "
                "or start the body with a `# Title` line",
            )
        )
    date = meta.date
    if date is None and stem.date is not None:
        date = datetime.combine(stem.date, time(), zone)
    if date is None and "date" not in meta.lines:
        committed = first_commit_date(path)  # the last resort: one `git log` per process
        date = committed.astimezone(zone) if committed else None
    if date is None and "date" not in meta.lines:
        problems.append(
            Problem(
                path,
                1,
                "the issue has no date; add `date: YYYY-MM-DD` to the front matter, "
                "start the file name with the date (2026-11-23-my-issue.md), "
                "or commit it to git",
            )
        )
    number = meta.number
    if number is None and title:
        number = number_from_title(title)
    if number is None:
        number = stem.number
    derived = fit_segment(stem.slug or slugify(title or ""), "issue")
    slug = meta.slug or derived or path.stem
    reason = unsafe_segment_reason(slug)
    if reason:
        problems.append(
            Problem(
                path,
                meta.lines.get("slug", 1),
                f"slug '{slug}' cannot be a folder name ({reason}); use words and hyphens only",
            )
        )
    if problems or title is None or date is None:
        raise DigestError(problems)
    summary = meta.summary or _shorten(body.intro_text, SUMMARY_LENGTH)
    cover = _cover(meta.cover, path, config)
    html_parts = [body.intro_html]
    for section in body.sections:
        html_parts += [section.heading, section.body_html]
        html_parts += [part for item in section.items for part in (item.title, item.body_html)]
        html_parts += [
            part
            for group in section.groups
            for part in (group.title, group.body_html, group.tail_html)
        ]
    return Issue(
        title=title,
        date=date,
        slug=slug,
        number=number,
        summary=summary,
        cover=cover,
        tags=meta.tags,
        draft=meta.draft,
        intro_html=Markup(body.intro_html),
        sections=body.sections,
        source=SourceRef(path, 1),
        subtitle=meta.subtitle,
        authors=meta.authors,
        lang=meta.lang,
        source_hash=source_hash,
        reading_minutes=reading_minutes(text_of_html(" ".join(html_parts))),
        extra=meta.extra,
        field_lines=meta.lines,
        notes=tuple(notes),
        intro_sentences=tuple(sentences([body.intro_html])),
        found_cover=cover_of(body.intro_html, body.sections),
        images=images_of(body.intro_html, body.sections, cover, meta.lines.get("cover")),
    )


def _content_folder(path: Path, config: SiteConfig) -> str | None:
    """The issue file's folder below content/ ('issues', 'issues/2024'): what relative
    images in it are written from. None for a file outside content/."""
    try:
        return path.relative_to(config.root / CONTENT_DIR).parent.as_posix()
    except ValueError:
        return None


def _cover(cover: str | None, path: Path, config: SiteConfig) -> str | None:
    """The cover as a URL from the site root (under the base path). A relative one is the
    file beside the issue when there is one (a Hugo or Docusaurus page bundle: `cover.jpg`),
    else a path from the root of the site (Jekyll: `header-img: img/bg.jpg` is
    content/img/bg.jpg). One climbing out of content/ stays as written."""
    if not cover:
        return None
    folder = _content_folder(path, config)
    if folder is not None and is_relative(cover):
        beside = from_folder(cover, folder)
        found = beside and site_path(beside, "/")
        # The one look at the disk in a parse: which of the two places holds the file.
        if beside and found and (config.root / CONTENT_DIR / found).is_file():
            cover = beside
        else:
            cover = from_folder(cover, "") or cover
    return under_base(cover, config.base_path)


def _folders(path: Path, config: SiteConfig) -> tuple[str, ...]:
    """The folders between content/issues and the file ('2024' for 2024/12.md)."""
    try:
        relative = path.relative_to(config.root / CONTENT_DIR / "issues")
    except ValueError:
        return ()
    return relative.parts[:-1]


def _shorten(text: str, limit: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"
