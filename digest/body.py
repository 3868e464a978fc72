"""An issue body's structure: intro, sections and link items, from Markdown tokens.

Authors write items in whichever form they like: a `###` heading (usually a
link), or a paragraph or list item that begins with a link. Only top-level
blocks count, so a heading quoted inside a blockquote is never an item. Every
token carries its source line (`Token.map`), which is how items know theirs.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from markdown_it import MarkdownIt
from markdown_it.token import Token
from markupsafe import Markup

from digest.errors import Problem
from digest.links import localize, under_base
from digest.model import Item, Section, SectionSpec, SourceRef
from digest.sections import match_section
from digest.slug import fit_segment, slugify

_IMG_TAG = re.compile(r"<img\b[^>]*?\bsrc\s*=\s*(?:\"([^\"]*)\"|'([^']*)'|([^\s>]+))", re.I)
_IMG_ALT = re.compile(r"\balt\s*=\s*(?:\"([^\"]*)\"|'([^']*)')", re.I)
_SEPARATOR = re.compile(r"^[\s:：\-—–|｜·,，]+")


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


@dataclass(slots=True)
class _ItemDraft:
    title: str
    url: str | None
    line: int
    lead: list[Token] = field(default_factory=list)
    """Inline children of the summary that follows the link on the item's first line."""
    blocks: list[list[Token]] = field(default_factory=list)


@dataclass(slots=True)
class _SectionDraft:
    heading: str
    line: int
    blocks: list[list[Token]] = field(default_factory=list)
    items: list[_ItemDraft] = field(default_factory=list)


def parse_body(
    md: MarkdownIt,
    text: str,
    path: Path,
    first_line: int,
    index: dict[str, SectionSpec],
    take_title: bool,
    base_path: str = "/",
) -> Body:
    """Split the body into intro, sections and items; `first_line` is the body's file line.

    Root-relative URLs ('/images/x.png') are moved under `base_path` for sub-path sites.
    """
    env: dict = {}
    tokens = md.parse(text, env)
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

    # `##` headings are the sections, unless the author used several `#` ones for that.
    section_level = 1 if [_heading_level(block) for block in blocks].count(1) >= 2 else 2
    item_level = section_level + 1

    intro: list[list[Token]] = []
    sections: list[_SectionDraft] = []
    for block in blocks:
        level = _heading_level(block)
        line = first_line + (block[0].map[0] if block[0].map else 0)
        if level == section_level:
            sections.append(_SectionDraft(_plain(block[1].children or []).strip(), line))
            continue
        if not sections:
            intro.append(block)
            continue
        section = sections[-1]
        if level == item_level:
            section.items.append(_heading_item(block, line))
        elif block[0].type == "paragraph_open" and _starts_with_link(block[1].children or []):
            section.items.append(_link_item(block[1].children or [], line, []))
        elif block[0].type in {"bullet_list_open", "ordered_list_open"}:
            _split_list(block, section, first_line)
        else:
            (section.items[-1].blocks if section.items else section.blocks).append(block)

    renderer = _Renderer(md, env, base_path)
    intro_html = renderer.blocks(intro)
    return Body(
        title=title,
        intro_html=intro_html,
        intro_text=_text_of(intro),
        sections=_finish_sections(sections, renderer, path, index),
        problems=problems,
    )


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


def _starts_with_link(children: Sequence[Token]) -> bool:
    """True for `[Title](url) …` and `**[Title](url)** …`."""
    for child in _significant(children):
        if child.type in {"strong_open", "em_open"}:
            continue
        return child.type == "link_open"
    return False


def _link_item(children: list[Token], line: int, extra_blocks: list[list[Token]]) -> _ItemDraft:
    """An item from inline tokens that begin with a link; what follows it is the summary."""
    start = next(i for i, child in enumerate(children) if child.type == "link_open")
    end = next(i for i in range(start, len(children)) if children[i].type == "link_close")
    wrappers = [c for c in children[:start] if c.type in {"strong_open", "em_open"}]
    rest = children[end + 1 :]
    for _ in wrappers:  # drop the closing ** or * around the link
        significant = _significant(rest)
        if significant and significant[0].type in {"strong_close", "em_close"}:
            rest = rest[rest.index(significant[0]) + 1 :]
    rest = _strip_separator(rest)
    draft = _ItemDraft(
        title=_plain(children[start + 1 : end]).strip(),
        url=str(children[start].attrs.get("href", "")) or None,
        line=line,
        lead=rest,
    )
    draft.blocks.extend(extra_blocks)
    return draft


def _strip_separator(children: list[Token]) -> list[Token]:
    """Remove the ' — ', '：' or ' - ' between a link and its summary, and leading breaks."""
    children = list(children)
    while children and children[0].type in {"softbreak", "hardbreak"}:
        children.pop(0)
    if children and children[0].type == "text":
        first = children[0].copy()
        first.content = _SEPARATOR.sub("", first.content)
        children[0] = first
        if not first.content:
            children.pop(0)
    return children


def _heading_item(block: list[Token], line: int) -> _ItemDraft:
    """`### [Title](url)` (or `### Title` without a link)."""
    children = block[1].children or []
    links = [child for child in children if child.type == "link_open"]
    url = str(links[0].attrs.get("href", "")) or None if links else None
    return _ItemDraft(title=_plain(children).strip(), url=url, line=line)


def _split_list(block: list[Token], section: _SectionDraft, first_line: int) -> None:
    """A list whose entries begin with links is a list of items; other entries are text."""
    entries = _list_entries(block)
    if not any(_entry_starts_with_link(entry) for entry in entries):
        (section.items[-1].blocks if section.items else section.blocks).append(block)
        return
    for entry in entries:
        line = first_line + (entry[0].map[0] if entry[0].map else 0)
        if _entry_starts_with_link(entry):
            inner = entry[1:-1]
            rest_blocks = _top_level_blocks(inner[3:])
            section.items.append(_link_item(inner[1].children or [], line, rest_blocks))
        else:
            wrapped = [block[0], *entry, block[-1]]
            (section.items[-1].blocks if section.items else section.blocks).append(wrapped)


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


def _entry_starts_with_link(entry: list[Token]) -> bool:
    return (
        len(entry) > 2
        and entry[1].type == "paragraph_open"
        and _starts_with_link(entry[2].children or [])
    )


class _Renderer:
    """Renders token runs with the site's Markdown renderer and shared env."""

    def __init__(self, md: MarkdownIt, env: dict, base_path: str) -> None:
        self.md = md
        self.env = env
        self.base_path = base_path

    def blocks(self, blocks: list[list[Token]]) -> str:
        tokens = [token for block in blocks for token in _unhide(block)]
        if not tokens:
            return ""
        return localize(self.md.renderer.render(tokens, self.md.options, self.env), self.base_path)

    def inline(self, children: list[Token]) -> str:
        html = self.md.renderer.renderInline(children, self.md.options, self.env)
        return localize(html, self.base_path)

    def url(self, url: str | None) -> str | None:
        return under_base(url, self.base_path) if url else url


def _unhide(block: list[Token]) -> list[Token]:
    """Paragraphs lifted out of tight lists must render with their <p> again."""
    if not any(token.hidden for token in block if token.type.startswith("paragraph")):
        return block
    if block[0].type in {"bullet_list_open", "ordered_list_open"}:
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
        items = tuple(_finish_item(item, renderer, path, anchors) for item in draft.items)
        sections.append(
            Section(
                key=key,
                title=spec.title if spec else draft.heading,
                heading=draft.heading,
                known=spec is not None,
                body_html=Markup(renderer.blocks(draft.blocks)),
                items=items,
                anchor=_unique(key, anchors),
                source=SourceRef(path, draft.line),
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
