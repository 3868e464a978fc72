"""A small HTML tree: rendered HTML in, rewritten for a channel, HTML out.

The exports rewrite what the site's templates and the issue's Markdown produced: every
URL made absolute, attributes a mail client or the WeChat editor drops removed, links
turned into numbered references, elements turned into Markdown or plain text. A tree
from the standard library's parser is enough for HTML that digest itself wrote.
"""

from __future__ import annotations

import html
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from html.parser import HTMLParser

VOID = frozenset(
    {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "wbr"}
)
RAW_TEXT = frozenset({"script", "style"})
BLOCK = frozenset(
    {
        *("address", "article", "aside", "blockquote", "body", "dd", "details", "div", "dl"),
        *("dt", "figcaption", "figure", "footer", "h1", "h2", "h3", "h4", "h5", "h6"),
        *("header", "hr", "html", "li", "main", "nav", "ol", "p", "pre", "section", "summary"),
        *("table", "tbody", "td", "tfoot", "th", "thead", "tr", "ul"),
    }
)


@dataclass
class Element:
    """An element, or the document (tag '') holding the top-level nodes."""

    tag: str
    attrs: dict[str, str | None] = field(default_factory=dict)
    children: list[Element | str] = field(default_factory=list)
    """Elements and text (unescaped)."""

    def iter(self) -> Iterator[Element]:
        """This element and every element below it, in document order."""
        yield self
        for child in self.children:
            if isinstance(child, Element):
                yield from child.iter()

    def text(self) -> str:
        return "".join(child if isinstance(child, str) else child.text() for child in self.children)


class _Builder(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.root = Element("")
        self.stack = [self.root]

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        element = Element(tag, dict(attrs))
        if tag == "p" and self.stack[-1].tag == "p":  # "<p>a<p>b": the first ends
            self.stack.pop()
        self.stack[-1].children.append(element)
        if tag not in VOID:
            self.stack.append(element)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.stack[-1].children.append(Element(tag, dict(attrs)))

    def handle_endtag(self, tag: str) -> None:
        for depth in range(len(self.stack) - 1, 0, -1):
            if self.stack[depth].tag == tag:
                del self.stack[depth:]
                return

    def handle_data(self, data: str) -> None:
        self.stack[-1].children.append(data)


def parse(markup: str) -> Element:
    """The document holding `markup`'s nodes; comments and doctypes are left out."""
    builder = _Builder()
    builder.feed(markup)
    builder.close()
    return builder.root


def serialize(node: Element | str, raw: bool = False) -> str:
    """HTML for a node; the document's own (tag '') is its children's."""
    if isinstance(node, str):
        return node if raw else html.escape(node, quote=False)
    inner = "".join(serialize(child, node.tag in RAW_TEXT) for child in node.children)
    if not node.tag:
        return inner
    attrs = "".join(
        f" {name}" if value is None else f' {name}="{_attribute(value)}"'
        for name, value in node.attrs.items()
    )
    if node.tag in VOID:
        return f"<{node.tag}{attrs}>"
    return f"<{node.tag}{attrs}>{inner}</{node.tag}>"


def _attribute(value: str) -> str:
    """An attribute value for double quotes: single quotes (CSS font names) left as they are."""
    return html.escape(value, quote=False).replace('"', "&quot;")


def rewrite(node: Element, visit: Callable[[Element], list[Element | str] | None]) -> None:
    """Call `visit` on every element below `node`, children first; a list it returns
    replaces the element (an empty one removes it)."""
    children: list[Element | str] = []
    for child in node.children:
        if isinstance(child, str):
            children.append(child)
            continue
        rewrite(child, visit)
        replaced = visit(child)
        children.extend([child] if replaced is None else replaced)
    node.children = children
