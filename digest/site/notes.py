"""What a build and `digest check` both tell the author about a site: the parse's notes,
headings that match no section, images that no file provides."""

from __future__ import annotations

import re
from collections.abc import Callable, Collection, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote

from digest.config import CONTENT_DIR
from digest.errors import Problem
from digest.model import Issue, Section, Site, SiteConfig
from digest.site.listings import recurring_sections
from digest.text.links import from_folder, is_local, is_relative, site_path


@dataclass(frozen=True, slots=True)
class MissingImage:
    """An image of an issue that no file provides."""

    issue: Issue
    line: int
    src: str
    """As the page has it ('/weekly/issues/assets/x.png')."""
    written: str
    """As the author wrote it ('./assets/x.png'), when that differs and can be found."""
    places: tuple[str, ...]
    """Where it was looked for, below the site root ('issues/assets/x.png'); () for an
    image that points outside content/."""

    def message(self, plain: str) -> str:
        """What to say: `plain` ends the message for an image given from the site root
        ('not found in content/ or static/'); relative ones say where it was looked for."""
        if not self.places:
            return (
                f"image {self.written} not found: it points outside content/; put the image "
                "in content/ and give its path from the issue's folder or the site root"
            )
        if self.written == self.src:
            return f"image {self.src} {plain}"
        looked = " or ".join(f"content/{place}" for place in self.places)
        there = "there" if len(self.places) == 1 else "in one of them"
        return f"image {self.written} not found at {looked}; put it {there}"


def missing_images(
    issues: Iterable[Issue], config: SiteConfig, exists: Callable[[str], bool]
) -> Iterator[MissingImage]:
    """Each local cover or image of an issue (an item's, or one in its text) for which
    `exists(path below the site root)` is false, with the spelling and line the author
    wrote it at where that can be found. Shared by build (its notes) and check."""
    content = config.root / CONTENT_DIR
    for issue in issues:
        seen: set[tuple[int, str]] = set()
        source: _Source | None = None
        for src, line, exact, cover in issue.images:
            if not src or not is_local(src) or src.startswith("?") or (line, src) in seen:
                continue
            seen.add((line, src))
            path = site_path(src, config.base_path)
            if path is not None and exists(path):
                continue
            if source is None:
                source = _Source(issue.source.path, content)
            places: tuple[str, ...] = ()
            written, found_line = src, None
            if path is not None:
                places = (path,)
            where = source.find(path, src, line, cover)
            if where is not None:
                found_line, written, places = where
            if not exact and found_line is not None:
                line = found_line
            yield MissingImage(issue, line, src, written, places)


_WORD = re.compile(r"[^\s\"'()<>\[\]=,]+")


class _Source:
    """An issue file's lines, read only when one of its images is missing, to say the
    image as the author wrote it and where."""

    def __init__(self, path: Path, content: Path) -> None:
        try:
            self.lines = path.read_text(encoding="utf-8-sig", errors="replace").splitlines()
            self.folder: str | None = path.relative_to(content).parent.as_posix()
        except (OSError, ValueError):
            self.lines, self.folder = [], None

    def find(
        self, path: str | None, src: str, line: int, cover: bool
    ) -> tuple[int, str, tuple[str, ...]] | None:
        """(line, spelling, places looked at) of the first relative URL at or after `line`
        (then before it) that names `path`, the file below the site root; for no path (an
        image left as written), of `src` itself."""
        if self.folder is None:
            return None
        name = unquote(path.rsplit("/", 1)[-1] if path is not None else src)
        start = max(line - 1, 0)
        for number in [*range(start, len(self.lines)), *range(start)]:
            text = self.lines[number]
            if name not in unquote(text):
                continue
            for word in _WORD.findall(text):
                if not is_relative(word):
                    continue
                if path is None:
                    if unquote(word) == unquote(src):
                        return number + 1, word, ()
                    continue
                places = [from_folder(word, self.folder)]
                if cover:  # beside the issue, else from the site root
                    places.append(from_folder(word, ""))
                below = [p for place in places if place and (p := site_path(place, "/"))]
                if path in below:
                    return number + 1, word, tuple(dict.fromkeys(below))
        return None


def parse_notes(issues: list[Issue], config: SiteConfig | None = None) -> list[Problem]:
    """What the parse noted in each issue (a dropped link, a near-miss key); the build
    prints the same."""
    return [
        Problem(issue.source.path, note.line, note.message, note.level)  # type: ignore[arg-type]
        for issue in issues
        for note in issue.notes
    ]


def section_notes(site: Site) -> list[Problem]:
    """One note per heading with items that matched no configured section: where it
    recurs it became a section of its own, else its items are in its issue only."""
    recurring = recurring_sections(site.issues)
    first: dict[str, Section] = {}
    for issue in reversed(site.issues):
        for section in issue.sections:
            if not section.known and section.items:
                first.setdefault(section.key, section)
    notes = []
    for key, section in first.items():
        if key in recurring:
            what = f"is a section of its own (in {recurring[key]} issues)"
        else:
            what = "is in one issue only, so its items are listed on no section page"
        notes.append(
            Problem(
                section.source.path,
                section.source.line,
                f"section '{section.heading}' matches no configured section and {what}. "
                "To group it with one, add it to that section's aliases in site.yaml",
                "note",
            )
        )
    return notes


def build_image_notes(site: Site, stage: Path, outputs: Collection[str]) -> list[Problem]:
    """Local images that no file of the built site provides (`outputs`: its files)."""
    return [
        Problem(
            missing.issue.source.path,
            missing.line,
            missing.message("not found; put it in content/ or static/"),
            "note",
        )
        for missing in missing_images(
            site.issues,
            site.config,
            lambda relative: relative in outputs or (stage / relative).is_file(),
        )
    ]
