"""An issue body's structure: intro, sections and link items, from Markdown tokens.

Authors write items in whichever form they like: a `###` heading (usually a
link), or a paragraph or list item that begins with a link. Only top-level
blocks count, so a heading quoted inside a blockquote is never an item. Every
token carries its source line (`Token.map`), which is how items know theirs.
"""

from __future__ import annotations

import functools
import itertools
import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from markdown_it import MarkdownIt
from markdown_it.renderer import RendererHTML
from markdown_it.token import Token
from markupsafe import Markup

from digest.errors import Problem
from digest.text.links import from_folder, is_file_url, is_relative, relocate, under_base
from digest.model import Group, Item, Note, Section, SectionSpec, SourceRef
from digest.content.sections import is_prose_heading, match_section
from digest.text.slug import fit_segment, slugify

_IMG_TAG = re.compile(r"<img\b[^>]*?\bsrc\s*=\s*(?:\"([^\"]*)\"|'([^']*)'|([^\s>]+))", re.I)
_IMG_ALT = re.compile(r"\balt\s*=\s*(?:\"([^\"]*)\"|'([^']*)')", re.I)
_SEPARATOR = re.compile(r"^[\s:：\-—–|｜·,，]+")
_SEPARATED = re.compile(r"^\s*(?:$|[—–\-:：|｜·(（\[【,，;；.。!！?？/])")
_NUMBER = re.compile(r"^\s*(?:[（(]\s*\d{1,3}\s*[)）]|\d{1,3}\s*[、.．)）]|#\d{1,3}\b)\s*")
"""`1、`, `2.`, `（3）`, `(4)`, `5)`, `#6` before an item's title (a paragraph, not a list)."""
_LABEL = re.compile(r"^\s*(?:\[([^\[\]\n]{1,40})\]|【([^【】\n]{1,20})】)\s*")
"""`[video] `, `[disposition: merge] `, `【推荐】` before an item's link."""
_CALL_TO_ACTION = re.compile(
    r"^(?:please|submit|vote|subscribe|suggest|nominate|share|if you|you can|feel free|"
    r"欢迎|投稿|订阅|点击|请)",
    re.IGNORECASE,
)
_BARE_URL = re.compile(r"https?://[^\s<>()（）]+")
_SPACED_LINK = re.compile(
    r"\[[^\[\]\n]+\]\((?:[A-Za-z][A-Za-z0-9+.-]*://|/|\./)[^()\n]*?\s[^()\n]*\)"
)
_BREAKS = {"softbreak", "hardbreak"}
_NOT_RELATIVE = r"""(?![A-Za-z][A-Za-z0-9+.\-]*:|/|#|\?|\s|["'>)])"""
_RELATIVE_LINK = re.compile(rf"\]\(\s*<?{_NOT_RELATIVE}")
_RELATIVE_DEFINITION = re.compile(
    rf"^[ \t]{{0,3}}\[[^\]\n]+\]:[ \t]*<?{_NOT_RELATIVE}", re.MULTILINE
)
_RELATIVE_ATTRIBUTE = re.compile(
    r"<[A-Za-z][^<>]*?\s(?:[Ss][Rr][Cc](?:[Ss][Ee][Tt])?|[Pp][Oo][Ss][Tt][Ee][Rr]|[Hh][Rr][Ee][Ff])"
    rf"""\s*=\s*["']?{_NOT_RELATIVE}"""
)
_LEAD_IN = re.compile(r"[:：]$")
_CREDITS = re.compile(r"(?:\bby|编辑|作者|贡献者|\bcredits)\s*[:：]?$", re.IGNORECASE)
"""A sentence before a list of people, not of recommendations: "edited by:"."""
_LISTS = {"bullet_list_open", "ordered_list_open"}
_OPENERS = frozenset("0123456789（(#[【 \t")
"""What the text of a numbered or tagged item can begin with (see _NUMBER, _LABEL)."""


@dataclass(frozen=True, slots=True)
class Body:
    """What the body says, before it is wrapped into an Issue."""

    title: str | None
    """The text of a leading `# H1`, which stands in for a missing front matter title."""
    intro_html: str
    intro_text: str
    sections: tuple[Section, ...]
    problems: tuple[Problem, ...] = ()
    """Mistakes that would lose part of the body (nesting Markdown cannot hold)."""
    notes: tuple[Note, ...] = ()
    """What was read but may not be what the author meant (a link Markdown dropped)."""


@dataclass(slots=True)
class _ItemDraft:
    title: str
    url: str | None
    line: int
    lead: list[Token] = field(default_factory=list)
    """Inline children of the summary that follows the link on the item's first line."""
    blocks: list[list[Token]] = field(default_factory=list)
    label: str = ""
    group: str = ""
    owns_all: bool = False
    """A heading item owns every block up to the next heading; others own paragraphs."""


@dataclass(slots=True)
class _GroupDraft:
    title: str
    depth: int
    blocks: list[list[Token]] = field(default_factory=list)
    items: list[_ItemDraft] = field(default_factory=list)
    tail: list[list[Token]] = field(default_factory=list)


@dataclass(slots=True)
class _SectionDraft:
    heading: str
    line: int
    blocks: list[list[Token]] = field(default_factory=list)
    groups: list[_GroupDraft] = field(default_factory=list)

    @property
    def items(self) -> list[_ItemDraft]:
        return [item for group in self.groups for item in group.items]


def parse_body(
    md: MarkdownIt,
    text: str,
    path: Path,
    first_line: int,
    index: dict[str, SectionSpec],
    take_title: bool,
    base_path: str = "/",
    folder: str | None = None,
) -> Body:
    """Split the body into intro, sections and items; `first_line` is the body's file line.

    Relative image sources ('./assets/x.png') are resolved against `folder`, the issue
    file's folder below content/ ('issues', 'issues/2024'), to URLs from the site root,
    since the page is published elsewhere ('/issues/12/'); None leaves them as written.
    Root-relative URLs ('/images/x.png') are moved under `base_path` for sub-path sites.
    """
    env: dict = {}
    tokens = md.parse(text, env)
    if folder is not None and not _may_be_relative(text):
        folder = None  # nothing to resolve: most issues link with schemes and from the root
    problems = _too_deep(tokens, md, path, first_line)
    blocks = _top_level_blocks(tokens)

    title = None
    if blocks and _heading_level(blocks[0]) == 1:
        heading_text = _plain(blocks[0][1].children or [])
        if take_title:
            title = heading_text
            blocks = blocks[1:]
        elif len([b for b in blocks if _heading_level(b) == 1]) == 1:
            blocks = blocks[1:]  # the title again, in the body: shown once, by the template

    section_level = _section_level(blocks)
    intro: list[list[Token]] = []
    sections: list[tuple[_SectionDraft, list[list[Token]]]] = []
    for block in blocks:
        level = _heading_level(block)
        if level is not None and level <= section_level:
            line = first_line + (block[0].map[0] if block[0].map else 0)
            heading = _plain(block[1].children or []).strip()
            sections.append((_SectionDraft(heading, line), []))
        elif sections:
            sections[-1][1].append(block)
        else:
            intro.append(block)

    notes: list[Note] = []
    reader = _SectionReader(first_line, notes)
    for draft, section_blocks in sections:
        spec = match_section(draft.heading, index)
        if is_prose_heading(draft.heading) and spec is None:
            draft.blocks = section_blocks
        else:
            reader.read(draft, section_blocks, lenient=spec is not None)
    if _SPACED_LINK.search(text):
        notes.extend(_dropped_links(tokens, first_line))
    notes.extend(_no_items(sections))

    renderer = _Renderer(md, env, base_path, folder, tokens)
    intro_html = renderer.blocks(intro)
    drafts = [draft for draft, _ in sections]
    return Body(
        title=title,
        intro_html=intro_html,
        intro_text=_text_of(intro),
        sections=_finish_sections(drafts, renderer, path, index),
        problems=problems,
        notes=tuple(sorted(notes, key=lambda note: note.line)),
    )


def _section_level(blocks: list[list[Token]]) -> int:
    """The heading level of the sections: that of the first heading (one that is not
    itself an item, a link), unless a level above it has more headings. So a lone
    `# Quote of the Week` or two late among `##` sections are sections too (any heading
    above the level is one), and so is everything under `#` headings after a `##` in the
    intro."""
    plain = [
        level
        for block in blocks
        if (level := _heading_level(block)) is not None and not _heading_link(block)
    ]
    if not plain:
        levels = [level for block in blocks if (level := _heading_level(block)) is not None]
        return min(levels) if levels else 2
    first = plain[0]
    counts = Counter(plain)
    above = [level for level in counts if level < first and counts[level] > counts[first]]
    return min(above) if above else first


class _SectionReader:
    """Reads one section's blocks into sub-heading groups and items.

    A sub-heading that carries an item's link is that item and owns what follows it up
    to the next heading (but for items of their own); any other sub-heading heads a
    group. A paragraph item owns the paragraphs after it; a list item owns only what is
    inside its entry.
    """

    def __init__(self, first_line: int, notes: list[Note]) -> None:
        self.first_line = first_line
        self.notes = notes

    def read(self, section: _SectionDraft, blocks: list[list[Token]], lenient: bool) -> None:
        self.section = section
        self.group: _GroupDraft | None = None
        self.owner: _ItemDraft | None = None
        item_headings = _item_headings(blocks)
        self.stack: list[tuple[int, str]] = []
        """(level, title) of the sub-headings the reader is under."""
        stack = self.stack
        unlinked: list[int] = []
        skip: set[int] = set()
        for position, block in enumerate(blocks):
            if position in skip:
                continue
            line = self._line(block)
            level = _heading_level(block)
            following = blocks[position + 1 : position + 2]
            if level is not None:
                if stack and stack[-1][0] >= level:  # the item closes those groups
                    while stack and stack[-1][0] >= level:
                        stack.pop()
                    self.group = None
                if position in item_headings:
                    item, used = _heading_item(block, line, following)
                    skip.update(position + 1 + offset for offset in used)
                    self._add(item)
                    self.owner = item
                    continue
                stack.append((level, _plain(block[1].children or []).strip()))
                self.group = _GroupDraft(stack[-1][1], len(stack))
                self.section.groups.append(self.group)
                self.owner = None
                continue
            if (
                self.owner is not None
                and self.owner.owns_all
                and not _item_of_its_own(block, following)
            ):
                self.owner.blocks.append(block)
                continue
            if block[0].type == "paragraph_open":
                children = block[1].children or []
                found = _inline_item(children, line, in_list=False, known=lenient)
                if found is None:
                    found, used = _bold_title_item(children, following, line)
                    skip.update(position + 1 + offset for offset in used)
                if found is not None:
                    self._add(found)
                    self.owner = found
                    continue
                if _looks_like_item(children):
                    unlinked.append(line)
                self._attach(block)
            elif block[0].type in _LISTS:
                credits = position > 0 and _introduces(blocks[position - 1], _CREDITS)
                self._read_list(block, credits)
            elif _quoted_list(block):
                self._read_list(block[1:-1])  # `> - [Title](url) …`: a list set off in a quote
            else:
                self._attach(block)
        if len(unlinked) >= MIN_UNLINKED:
            count = len(unlinked)
            self.notes.append(
                Note(
                    unlinked[0],
                    f"{count} paragraph{'s' if count > 1 else ''} here look like items but "
                    "have no link, so they are shown as text; begin each with `[Title](url)`",
                    "note",
                )
            )

    def _line(self, block: list[Token]) -> int:
        return self.first_line + (block[0].map[0] if block[0].map else 0)

    def _read_list(self, block: list[Token], credits: bool = False) -> None:
        """A list's entries as items (those that are), the others as text; a list of
        credits ("edited by:") is all text."""
        entries = _list_items(block, self.first_line)
        if credits or not any(item for _, item in entries):
            self._attach(block)
            return
        self.owner = None
        last: _ItemDraft | None = None
        for entry, item in entries:
            if item is not None:
                self._add(item)
                last = item
            elif last is not None:
                last.blocks.append([block[0], *entry, block[-1]])
            else:
                self._attach([block[0], *entry, block[-1]])
        self.owner = None  # what follows a list is not inside its last entry

    def _add(self, item: _ItemDraft) -> None:
        if self.group is None or self.group.tail:  # items after prose start a new run
            self.group = _GroupDraft("", len(self.stack))
            self.section.groups.append(self.group)
        item.group = self.stack[-1][1] if self.stack else ""
        self.group.items.append(item)

    def _attach(self, block: list[Token]) -> None:
        if self.owner is not None:
            self.owner.blocks.append(block)
        elif self.group is not None and self.group.items:
            self.group.tail.append(block)
        elif self.group is not None:
            self.group.blocks.append(block)
        else:
            self.section.blocks.append(block)


def _too_deep(
    tokens: list[Token], md: MarkdownIt, path: Path, first_line: int
) -> tuple[Problem, ...]:
    """markdown-it stops at `maxNesting` levels and silently skips what is inside the
    deepest quote or list item, and for a list everything after it to the end of the
    file: a hole in the issue nobody would notice. A container opened at the last level
    is exactly where that happens."""
    limit = md.options["maxNesting"]
    for token in tokens:
        if token.type in {"blockquote_open", "list_item_open"} and token.level >= limit - 1:
            return (
                Problem(
                    path,
                    first_line + (token.map[0] if token.map else 0),
                    f"quotes and lists nest more than {limit - 1} levels deep here (a list "
                    "inside a list counts two); Markdown would drop what is inside them, and "
                    "after them. Nest them less deeply",
                ),
            )
    return ()


def _top_level_blocks(tokens: list[Token]) -> list[list[Token]]:
    """Group the token stream into its top-level blocks (a heading, a list, a quote…)."""
    blocks: list[list[Token]] = []
    depth = 0
    current: list[Token] = []
    for token in tokens:
        current.append(token)
        depth += token.nesting
        if depth == 0:
            blocks.append(current)
            current = []
    if current:
        blocks.append(current)
    return blocks


def _heading_level(block: list[Token]) -> int | None:
    return int(block[0].tag[1]) if block[0].type == "heading_open" else None


def _plain(children: Sequence[Token]) -> str:
    """The text a reader sees in inline tokens."""
    parts: list[str] = []
    for child in children:
        if child.type in {"text", "code_inline"}:
            parts.append(child.content)
        elif child.type in {"softbreak", "hardbreak"}:
            parts.append(" ")
        elif child.type == "image":
            parts.append(_plain(child.children or []))
    return "".join(parts)


def _significant(children: Sequence[Token]) -> list[Token]:
    return [c for c in children if not (c.type == "text" and not c.content.strip())]


def _read_prefix(children: Sequence[Token]) -> tuple[list[Token], bool, str]:
    """What stands before an item's link: `**`, a number (`1、`, `（1）`, `2.`) and tags
    (`[video]`, `【推荐】`). Returns the children after them, whether a number was
    there, and the tags."""
    rest = list(children)
    numbered = False
    labels: list[str] = []
    while rest:
        child = rest[0]
        if child.type in {"strong_open", "em_open"} or (
            child.type == "text" and not child.content.strip()
        ):
            rest.pop(0)
            continue
        if child.type != "text":
            break
        content = child.content
        number = None if numbered or labels else _NUMBER.match(content)
        if number:
            numbered = True
            content = content[number.end() :]
        while label := _LABEL.match(content):
            labels.append((label.group(1) or label.group(2)).strip())
            content = content[label.end() :]
        if content == child.content:
            break
        if content.strip():
            remainder = child.copy()
            remainder.content = content
            rest[0] = remainder
            break
        rest.pop(0)
    return rest, numbered, " ".join(labels)


def _link_end(children: Sequence[Token], start: int) -> int:
    return next(i for i in range(start, len(children)) if children[i].type == "link_close")


def _after_link(children: list[Token]) -> list[Token]:
    """What follows an item's link, without the `**` or `*` closing around it."""
    rest = list(children)
    while rest and (
        rest[0].type in {"strong_close", "em_close"}
        or (rest[0].type == "text" and not rest[0].content.strip())
    ):
        rest.pop(0)
    return rest


def _separated(after: list[Token]) -> bool:
    """True when the link stands alone on its line or a separator follows it (`—`, `：`,
    `（英文）`): a title. A sentence going on (`[Alice](url) said…`) is prose."""
    if not after or after[0].type in {"softbreak", "hardbreak", "html_inline"}:
        return True
    return after[0].type == "text" and bool(_SEPARATED.match(after[0].content))


def _inline_item(
    children: Sequence[Token], line: int, *, in_list: bool, known: bool
) -> _ItemDraft | None:
    """An item from a paragraph or list entry's first paragraph, in any of the forms
    authors use: `[Title](url) — summary`, `**1、[Title](url)**`, `[video] [Title](url)`,
    or a numbered sentence with a link in it (`（1）Some news with a [link](url).`)."""
    rest, numbered, label = _read_prefix(children)
    if not rest:
        return None
    if rest[0].type == "link_open":
        end = _link_end(rest, 0)
        title = _plain(rest[1:end]).strip()
        if not (numbered or label) and _CALL_TO_ACTION.match(title):
            return None
        after = _after_link(rest[end + 1 :])
        if not (in_list or known or numbered or label) and not _separated(after):
            return None
        url = str(rest[0].attrs.get("href", "")) or None
        return _ItemDraft(title, url, line, _strip_separator(after), label=label)
    if not (numbered or in_list):
        return None
    link = next((child for child in rest if child.type == "link_open"), None)
    if link is None:
        return None
    url = str(link.attrs.get("href", "")) or None
    first_line = list(itertools.takewhile(lambda c: c.type not in _BREAKS, rest))
    if link not in first_line:  # a sentence over several lines is the title whole
        first_line = rest
    title = " ".join(_plain(first_line).split())
    return _ItemDraft(title, url, line, _strip_separator(rest[len(first_line) :]), label=label)


def _bold_title_item(
    children: Sequence[Token], following: list[list[Token]], line: int
) -> tuple[_ItemDraft | None, tuple[int, ...]]:
    """`**Title**` on its own line, then the URL (`<https://…>` or bare) on the next line
    or in the next paragraph, then the summary. Returns the item and which of the
    `following` blocks it used up."""
    significant = _significant(children)
    if len(significant) < 3 or significant[0].type != "strong_open":
        return None, ()
    start = list(children).index(significant[0])
    close = next(
        (i for i in range(start, len(children)) if children[i].type == "strong_close"), None
    )
    if close is None or any(child.type == "link_open" for child in children[start:close]):
        return None, ()
    title = _plain(children[start + 1 : close]).strip()
    after = _after_link(list(children[close + 1 :]))
    if after and after[0].type in _BREAKS:
        url, remainder = _leading_url(after[1:])
        if url:
            return _ItemDraft(title, url, line, _strip_separator(remainder)), ()
    elif not after and following and following[0][0].type == "paragraph_open":
        url, remainder = _leading_url(following[0][1].children or [])
        if url:
            return _ItemDraft(title, url, line, _strip_separator(remainder)), (0,)
    return None, ()


def _leading_url(children: Sequence[Token]) -> tuple[str | None, list[Token]]:
    """A URL that begins the text, written bare or as `<https://…>` or `[https://…](…)`,
    and what follows it."""
    rest = list(children)
    while rest and rest[0].type == "text" and not rest[0].content.strip():
        rest.pop(0)
    if not rest:
        return None, []
    first = rest[0]
    if first.type == "link_open":
        end = _link_end(rest, 0)
        text = _plain(rest[1:end]).strip()
        if first.markup == "autolink" or text.startswith(("http://", "https://")):
            return str(first.attrs.get("href", "")) or None, rest[end + 1 :]
        return None, rest
    if first.type == "text":
        match = _BARE_URL.match(first.content.lstrip())
        if match:
            remainder = first.copy()
            remainder.content = first.content.lstrip()[match.end() :]
            return match.group(), [remainder, *rest[1:]]
    return None, rest


def _item_of_its_own(block: list[Token], following: list[list[Token]]) -> bool:
    """Whether a block under a heading item starts items of its own rather than adding to
    its summary: a list of links, a numbered link (`2、[Title](url)`) or a bold title over
    a URL. A summary's plain `[Read more](url)` stays in it."""
    if block[0].type in _LISTS:
        return any(item for _, item in _list_items(block, 0))
    if block[0].type != "paragraph_open":
        return False
    children = block[1].children or []
    first = children[0] if children else None
    if first is None or (
        first.type == "text" and first.content and first.content[0] not in _OPENERS
    ):
        return False  # most summary paragraphs: neither a number nor bold comes first
    if _read_prefix(children)[1] and _inline_item(children, 0, in_list=False, known=False):
        return True
    return _bold_title_item(children, following, 0)[0] is not None


def _may_be_relative(text: str) -> bool:
    """Whether a link, image or attribute's URL may be relative to the issue's folder.
    Three searches, each quick to fail, cost less than one of their alternation."""
    return bool(
        _RELATIVE_LINK.search(text)
        or ("]:" in text and _RELATIVE_DEFINITION.search(text))
        or ("<" in text and _RELATIVE_ATTRIBUTE.search(text))
    )


def _item_headings(blocks: list[list[Token]]) -> set[int]:
    """The positions of a section's sub-headings that are items; the others head groups.

    A sub-heading is an item when it carries the item's link: `### [Title](url)` over
    its summary, or `### Title` over a paragraph that is only the URL. A linked one over
    nothing, over a list, or over a sentence that introduces one ("These are the RFCs
    approved this week:", then a list or nothing) heads a group, as one without a link
    does.
    """
    items: set[int] = set()
    for position, block in enumerate(blocks):
        if _heading_level(block) is None:
            continue
        under = itertools.takewhile(
            lambda other: _heading_level(other) is None, blocks[position + 1 :]
        )
        content = [other for other in under if not _is_comment(other)]
        if _heading_link(block):
            after = content[1:] if content and _introduces(content[0]) else content
            if after and after[0][0].type not in _LISTS:
                items.add(position)
        elif _url_alone(content[:1]):
            items.add(position)
    return items


def _quoted_list(block: list[Token]) -> bool:
    """A blockquote that holds nothing but a list with items in it. A quoted heading or
    paragraph stays a quote."""
    if block[0].type != "blockquote_open":
        return False
    inner = _top_level_blocks(block[1:-1])
    return (
        len(inner) == 1
        and inner[0][0].type in _LISTS
        and any(item for _, item in _list_items(inner[0], 0))
    )


def _is_comment(block: list[Token]) -> bool:
    return block[0].type == "html_block" and block[0].content.lstrip().startswith("<!--")


def _introduces(block: list[Token], ending: re.Pattern[str] | None = None) -> bool:
    """A paragraph that ends like a lead-in to a list (with ':' by default)."""
    if block[0].type != "paragraph_open":
        return False
    text = _plain(block[1].children or []).rstrip()
    return bool((ending or _LEAD_IN).search(text))


def _url_alone(blocks: list[list[Token]]) -> bool:
    """True for a paragraph that holds nothing but a URL."""
    if not blocks or blocks[0][0].type != "paragraph_open":
        return False
    url, remainder = _leading_url(blocks[0][1].children or [])
    return url is not None and not _significant(_strip_separator(remainder))


def _looks_like_item(children: Sequence[Token]) -> bool:
    """A numbered paragraph with a title but no link: an item the author forgot to link."""
    rest, numbered, _ = _read_prefix(children)
    return numbered and bool(_plain(rest).strip())


def _strip_separator(children: list[Token]) -> list[Token]:
    """Remove the ' — ', '：' or ' - ' between a link and its summary, and leading breaks."""
    children = list(children)
    while children and children[0].type in _BREAKS:
        children.pop(0)
    if children and children[0].type == "text":
        first = children[0].copy()
        first.content = _SEPARATOR.sub("", first.content)
        children[0] = first
        if not first.content:
            children.pop(0)
    return children


def _heading_link(block: list[Token]) -> bool:
    return block[0].type == "heading_open" and any(
        child.type == "link_open" for child in block[1].children or []
    )


def _heading_item(
    block: list[Token], line: int, following: list[list[Token]]
) -> tuple[_ItemDraft, tuple[int, ...]]:
    """`### [Title](url)`, or `### Title` with the URL alone at the start of the next
    paragraph (which is then used up when it holds nothing else)."""
    children = block[1].children or []
    links = [child for child in children if child.type == "link_open"]
    url = str(links[0].attrs.get("href", "")) or None if links else None
    used: tuple[int, ...] = ()
    if url is None and _url_alone(following[:1]):
        url, _ = _leading_url(following[0][1].children or [])
        used = (0,)
    item = _ItemDraft(title=_plain(children).strip(), url=url, line=line, owns_all=True)
    return item, used


def _list_items(block: list[Token], first_line: int) -> list[tuple[list[Token], _ItemDraft | None]]:
    """Each entry of a list with the item it is, if any. An entry is an item when it
    begins with a link; in a list of links (most entries have one on their first line,
    like a list of events), an entry whose link is inside the sentence is one too."""
    entries = _list_entries(block)
    firsts = [
        entry[2].children or [] if len(entry) > 2 and entry[1].type == "paragraph_open" else None
        for entry in entries
    ]
    linked = sum(
        1
        for children in firsts
        if children is not None and any(child.type == "link_open" for child in children)
    )
    of_links = linked * 2 >= len(entries)
    found: list[tuple[list[Token], _ItemDraft | None]] = []
    for entry, children in zip(entries, firsts, strict=True):
        item = None
        if children is not None:
            line = first_line + (entry[0].map[0] if entry[0].map else 0)
            item = _inline_item(children, line, in_list=True, known=False)
            if item is not None and not of_links and not _begins_with_link(children):
                item = None
            if item is not None:
                item.blocks.extend(_top_level_blocks(entry[4:-1]))
        found.append((entry, item))
    return found


def _begins_with_link(children: Sequence[Token]) -> bool:
    rest, _, _ = _read_prefix(children)
    return bool(rest) and rest[0].type == "link_open"


def _list_entries(block: list[Token]) -> list[list[Token]]:
    """The list_item_open … list_item_close runs directly inside a list block."""
    entries: list[list[Token]] = []
    base = block[0].level + 1
    current: list[Token] = []
    for token in block[1:-1]:
        current.append(token)
        if token.type == "list_item_close" and token.level == base:
            entries.append(current)
            current = []
    return entries


def _no_items(sections: list[tuple[_SectionDraft, list[list[Token]]]]) -> list[Note]:
    """An issue whose sections hold links but no item is likely written in a form digest
    does not read: said once, rather than publishing an issue of prose silently."""
    if not sections or any(draft.items for draft, _ in sections):
        return []
    links = sum(
        child.type == "link_open"
        for _, blocks in sections
        for block in blocks
        for token in block
        if token.type == "inline"
        for child in token.children or []
    )
    if links < MIN_LINKS_FOR_ITEMS:
        return []
    return [
        Note(
            sections[0][0].line,
            f"no items found in this issue, though its sections hold {links} links; they are "
            "shown as text. `digest show` prints how it was read, and the README's "
            "'Writing an issue' lists the item forms digest reads",
            "note",
        )
    ]


MIN_UNLINKED = 2
"""Numbered paragraphs without a link in one section before it is worth a note: one is
often a heading of the author's own (`5、**一句话消息**`)."""
MIN_LINKS_FOR_ITEMS = 5
"""Fewer links than this in an issue without items is prose with a few references."""


def _dropped_links(tokens: list[Token], first_line: int) -> list[Note]:
    """`[Title](https://a.b/x y)`: a space ends a URL, so Markdown shows the whole link
    as text and the item it was is silently lost. Said at its line."""
    notes: list[Note] = []
    for token in tokens:
        if token.type != "inline" or "](" not in token.content or not token.map:
            continue
        shown = "".join(child.content for child in token.children or [] if child.type == "text")
        if "](" not in shown:
            continue  # every `](` was a link Markdown read
        for match in _SPACED_LINK.finditer(token.content):
            if match.group() not in shown:
                continue  # inside code, or a link Markdown did read
            notes.append(
                Note(
                    first_line + token.map[0] + token.content.count("\n", 0, match.start()),
                    f"the link {_cut(match.group())} has a space in its URL, so Markdown "
                    "shows it as plain text; write the space as %20, or put the URL in <…>",
                )
            )
    return notes


def _cut(text: str) -> str:
    return text if len(text) <= 60 else text[:59] + "…"


class _Renderer:
    """Renders token runs with the site's Markdown renderer and shared env, and gives
    URLs as the published page needs them (links.relocate)."""

    def __init__(
        self,
        md: MarkdownIt,
        env: dict,
        base_path: str,
        folder: str | None = None,
        tokens: list[Token] | None = None,
    ) -> None:
        self.md = md
        self.env = env
        self.base_path = base_path
        self.folder = folder
        self.tokens = tokens or []

    @functools.cached_property
    def images(self) -> frozenset[str]:
        """Every image source in the body: `url` resolves these even without a suffix.
        Found only when a relative URL asks, which few issues have."""
        return _image_sources(self.tokens)

    def blocks(self, blocks: list[list[Token]]) -> str:
        tokens = [token for block in blocks for token in _unhide(block)]
        if not tokens:
            return ""
        html = self.md.renderer.render(tokens, self.md.options, self.env)
        return relocate(html, self.folder, self.base_path)

    def inline(self, children: list[Token]) -> str:
        renderer = self.md.renderer
        # MarkdownIt types it as the protocol (`render` only); the site's is the HTML one.
        assert isinstance(renderer, RendererHTML)
        html = renderer.renderInline(children, self.md.options, self.env)
        return relocate(html, self.folder, self.base_path)

    def url(self, url: str | None) -> str | None:
        """An item's link or image: a relative image or file from the issue's folder,
        and anything root-relative under the base path."""
        if not url:
            return url
        if (
            self.folder is not None
            and is_relative(url)
            and (url in self.images or is_file_url(url))
        ):
            url = from_folder(url, self.folder) or url
        return under_base(url, self.base_path)


def _image_sources(tokens: list[Token]) -> frozenset[str]:
    """The src of every Markdown image and raw <img> in the body."""
    found: set[str] = set()
    for token in tokens:
        for child in [token, *(token.children or [])]:
            if child.type == "image":
                found.add(str(child.attrs.get("src", "")))
            elif child.type in {"html_block", "html_inline"} and "<" in child.content:
                for match in _IMG_TAG.finditer(child.content):
                    found.add(next(group for group in match.groups() if group is not None))
    return frozenset(found)


def _unhide(block: list[Token]) -> list[Token]:
    """Paragraphs lifted out of tight lists must render with their <p> again."""
    if not any(token.hidden for token in block if token.type.startswith("paragraph")):
        return block
    if block[0].type in _LISTS:
        return block
    shown = []
    for token in block:
        if token.hidden and token.type.startswith("paragraph"):
            token = token.copy()
            token.hidden = False
        shown.append(token)
    return shown


def _finish_sections(
    drafts: list[_SectionDraft],
    renderer: _Renderer,
    path: Path,
    index: dict[str, SectionSpec],
) -> tuple[Section, ...]:
    anchors: set[str] = set()
    sections: list[Section] = []
    for number, draft in enumerate(drafts, start=1):
        spec = match_section(draft.heading, index)
        key = spec.key if spec else fit_segment(slugify(draft.heading), "section")
        key = key or f"section-{number}"
        anchor = _unique(key, anchors)
        items: list[Item] = []
        groups: list[Group] = []
        for group in draft.groups:
            items += [_finish_item(item, renderer, path, anchors) for item in group.items]
            groups.append(
                Group(
                    title=group.title,
                    depth=group.depth,
                    body_html=Markup(renderer.blocks(group.blocks)),
                    size=len(group.items),
                    tail_html=Markup(renderer.blocks(group.tail)),
                    anchor=_unique(slugify(group.title) or "group", anchors) if group.title else "",
                )
            )
        sections.append(
            Section(
                key=key,
                title=spec.title if spec else draft.heading,
                heading=draft.heading,
                known=spec is not None,
                body_html=Markup(renderer.blocks(draft.blocks)),
                items=tuple(items),
                anchor=anchor,
                source=SourceRef(path, draft.line),
                groups=tuple(groups),
            )
        )
    return tuple(sections)


def _finish_item(draft: _ItemDraft, renderer: _Renderer, path: Path, anchors: set[str]) -> Item:
    image, alt, blocks = _take_image(draft.lead, draft.blocks)
    lead_html = renderer.inline(draft.lead).strip()
    body = (f"<p>{lead_html}</p>\n" if lead_html else "") + renderer.blocks(blocks)
    return Item(
        title=draft.title or (draft.url or ""),
        url=renderer.url(draft.url),
        image=renderer.url(image),
        image_alt=alt,
        body_html=Markup(body),
        anchor=_unique(slugify(draft.title) or "item", anchors),
        source=SourceRef(path, draft.line),
        label=draft.label,
        group=draft.group,
    )


def _take_image(
    lead: list[Token], blocks: list[list[Token]]
) -> tuple[str | None, str, list[list[Token]]]:
    """The item's first image; a paragraph holding only that image leaves the body."""
    for child in lead:
        found = _image_in(child)
        if found:
            return found[0], found[1], blocks
    for position, block in enumerate(blocks):
        for token in block:
            for child in [token, *(token.children or [])]:
                found = _image_in(child)
                if not found:
                    continue
                alone = (
                    block[0].type == "paragraph_open"
                    and len(_significant(block[1].children or [])) == 1
                ) or (
                    block[0].type == "html_block"
                    and len(_IMG_TAG.findall(block[0].content)) == 1
                    and block[0].content.strip().lower().startswith("<img")
                )
                rest = blocks[:position] + blocks[position + 1 :] if alone else blocks
                return found[0], found[1], rest
    return None, "", blocks


def _image_in(token: Token) -> tuple[str, str] | None:
    if token.type == "image":
        return str(token.attrs.get("src", "")), _plain(token.children or [])
    if token.type in {"html_block", "html_inline"}:
        match = _IMG_TAG.search(token.content)
        if match:
            alt = _IMG_ALT.search(match.group(0) + token.content[match.end() :].split(">", 1)[0])
            alt_text = (alt.group(1) or alt.group(2) or "") if alt else ""
            return next(g for g in match.groups() if g is not None), alt_text
    return None


def _text_of(blocks: list[list[Token]]) -> str:
    return " ".join(
        _plain(token.children or [])
        for block in blocks
        for token in block
        if token.type == "inline"
    ).strip()


def _unique(base: str, taken: set[str]) -> str:
    anchor, counter = base, 2
    while anchor in taken:
        anchor, counter = f"{base}-{counter}", counter + 1
    taken.add(anchor)
    return anchor
