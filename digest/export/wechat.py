"""`digest export wechat`: the issue to paste into the WeChat Official Accounts editor.

The editor keeps inline styles only (no <style>, no class), a fixed set of tags, and
no link out of WeChat: each link becomes a numbered reference (`[1]`) after its words,
and the references' URLs are listed, as text, at the end of the article. Code keeps
its colours inline, and its line breaks and indentation as <br> and no-break spaces,
which the editor does not collapse.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from digest.export import Export
from digest.export.channel import clean, inline_styles, make_absolute
from digest.export.tree import Element, parse, rewrite, serialize

KEPT_TAGS = frozenset(
    {
        *("section", "p", "br", "span", "strong", "em", "sup", "sub", "u"),
        *("h1", "h2", "h3", "h4", "h5", "h6", "blockquote", "ul", "ol", "li"),
        *("pre", "code", "img", "hr", "figure", "figcaption"),
        *("table", "thead", "tbody", "tr", "th", "td"),
    }
)
"""What the editor keeps of pasted HTML; everything else is renamed or unwrapped."""
_RENAMED = {
    **dict.fromkeys(("div", "article", "header", "footer", "main", "aside", "nav"), "section"),
    "b": "strong",
    "i": "em",
    "small": "span",
    "del": "span",
    "s": "span",
    "kbd": "code",
}
_DOCUMENT = frozenset({"html", "head", "body", "meta", "title", "style"})


@dataclass(frozen=True)
class Reference:
    number: int
    url: str
    title: str


def render_wechat(export: Export) -> tuple[str, list[Reference]]:
    """The article's HTML (a document whose body is the paste) and its references."""
    root = parse(export.render("wechat/issue.html"))
    make_absolute(root, export)
    references = number_links(root)
    article = next(
        (e for e in root.iter() if "article" in (e.attrs.get("class") or "").split()), root
    )
    listing = export.render("wechat/references.html", references=references)
    article.children.extend(parse(listing).children)
    root = parse(inline_styles(serialize(root), export))
    clean(root)
    keep_editor_tags(root)
    return "<!DOCTYPE html>\n" + serialize(root) + "\n", references


def number_links(root: Element) -> list[Reference]:
    """Each link replaced by its words and `[n]`; one number per URL, in reading order."""
    numbers: dict[str, Reference] = {}

    def visit(element: Element) -> list[Element | str] | None:
        if element.tag != "a":
            return None
        href = element.attrs.get("href")
        if not href:
            return list(element.children)
        reference = numbers.get(href)
        if reference is None:
            words = " ".join(element.text().split()) or href
            reference = numbers[href] = Reference(len(numbers) + 1, href, words)
        mark = Element("sup", {"class": "ref"}, [f"[{reference.number}]"])
        return [*element.children, mark]

    rewrite(root, visit)
    return list(numbers.values())


def keep_editor_tags(root: Element) -> None:
    """Tags the editor keeps, attributes it keeps (style; src, alt, width and height of
    images), and code whose line breaks and indentation survive a paste."""

    def visit(element: Element) -> list[Element | str] | None:
        if element.tag == "pre":
            _hard_spaces(element)
        element.tag = _RENAMED.get(element.tag, element.tag)
        if element.tag in _DOCUMENT:
            return None
        if element.tag not in KEPT_TAGS:
            return list(element.children)
        kept = ("style", "src", "alt", "width", "height") if element.tag == "img" else ("style",)
        element.attrs = {name: value for name, value in element.attrs.items() if name in kept}
        return None

    rewrite(root, visit)
    for element in root.iter():
        if element.tag in ("head", "body", "section", "ul", "ol", "blockquote"):
            # No <style>, and no blank text between blocks for the editor to make lines of.
            element.children = [
                child
                for child in element.children
                if not (isinstance(child, Element) and child.tag == "style")
                and not (isinstance(child, str) and not child.strip())
            ]


def _hard_spaces(pre: Element) -> None:
    def convert(node: Element) -> None:
        children: list[Element | str] = []
        for child in node.children:
            if isinstance(child, Element):
                convert(child)
                children.append(child)
                continue
            lines = child.split("\n")
            for index, line in enumerate(lines):
                if index:
                    children.append(Element("br"))
                if line:
                    children.append(re.sub(" ", "\u00a0", line))
        node.children = children

    convert(pre)
    _drop_last_break(pre)  # the code's final newline would be an empty line in the block


def _drop_last_break(node: Element) -> None:
    while node.children:
        last = node.children[-1]
        if isinstance(last, str):
            return
        if last.tag == "br":
            node.children.pop()
            continue
        _drop_last_break(last)
        return
