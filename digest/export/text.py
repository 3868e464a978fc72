"""HTML of an issue as plain text (an email's text part) or as Markdown.

Both walk the tree of the rendered HTML: blocks become paragraphs separated by a blank
line, list entries are bulleted or numbered, code blocks keep their lines. In text, a
link shows its URL after its words; in Markdown it stays a link. URLs are used as they
are in the HTML: make them absolute first.
"""

from __future__ import annotations

import re
import unicodedata

from digest.export.tree import BLOCK, Element, parse

_SKIPPED = frozenset({"script", "style", "head", "title", "template", "noscript"})
_MARKDOWN_SPECIAL = re.compile(r"([\\`*_\[\]<>|])")
_LINE_START_SPECIAL = re.compile(r"^(\s*)([#>+-]|\d+[.)])(?=\s)", re.M)
_BLANK_RUNS = re.compile(r"\n{3,}")
_SPACES = re.compile(r"[ \t\r\n]+")
_BREAK = "\x00"
"""A <br> until spaces are collapsed."""


def html_to_text(html: str) -> str:
    """Readable plain text: `words <https://…>` for links, `[image: alt]` for images."""
    return _finish(_Writer(markdown=False).block(parse(str(html))))


def html_to_markdown(html: str) -> str:
    """Markdown that renders as the HTML did (as far as Markdown can say it)."""
    return _finish(_Writer(markdown=True).block(parse(str(html))))


def escape_markdown(text: str) -> str:
    """Plain text that Markdown shows as written."""
    return _LINE_START_SPECIAL.sub(r"\1\\\2", _MARKDOWN_SPECIAL.sub(r"\\\1", text))


def display_width(text: str) -> int:
    """Columns `text` takes in a monospace font: CJK characters take two."""
    return sum(2 if unicodedata.east_asian_width(char) in "WF" else 1 for char in text)


def _finish(text: str) -> str:
    lines = [line.rstrip() for line in text.splitlines()]
    return _BLANK_RUNS.sub("\n\n", "\n".join(lines)).strip("\n")


class _Writer:
    def __init__(self, markdown: bool) -> None:
        self.markdown = markdown

    def block(self, node: Element) -> str:
        """The blocks of `node`'s children, a blank line between; inline runs joined."""
        parts: list[str] = []
        run: list[Element | str] = []

        def flush() -> None:
            text = self.inline_run(run).strip()
            if text:
                parts.append(text)
            run.clear()

        for child in node.children:
            if isinstance(child, Element) and (child.tag in BLOCK or child.tag in _SKIPPED):
                flush()
                if child.tag not in _SKIPPED:
                    text = self.block_element(child)
                    if text.strip():
                        parts.append(text)
            else:
                run.append(child)
        flush()
        return "\n\n".join(parts)

    def block_element(self, element: Element) -> str:
        tag = element.tag
        if tag == "pre":
            code = element.text().strip("\n")
            if self.markdown:
                fence = "~~~" if "```" in code else "```"
                inner = next((c for c in element.children if isinstance(c, Element)), None)
                language = ""
                if inner is not None:
                    for name in (inner.attrs.get("class") or "").split():
                        if name.startswith("language-"):
                            language = name.removeprefix("language-")
                return f"{fence}{language}\n{code}\n{fence}"
            return "\n".join("    " + line for line in code.splitlines())
        if tag in ("ul", "ol"):
            return self.list_element(element)
        if tag == "hr":
            return "---" if self.markdown else "-" * 20
        if tag in ("h1", "h2", "h3", "h4", "h5", "h6"):
            text = self.inline(element).strip()
            return f"{'#' * int(tag[1])} {text}" if self.markdown else text
        if tag == "blockquote":
            quoted = self.block(element)
            return "\n".join(("> " + line).rstrip() for line in quoted.splitlines())
        if tag in ("table", "thead", "tbody", "tfoot"):
            return "\n".join(
                self.block_element(row) for row in element.children if isinstance(row, Element)
            )
        if tag == "tr":
            cells = [
                self.inline(cell).strip() for cell in element.children if isinstance(cell, Element)
            ]
            return ("| " + " | ".join(cells) + " |") if self.markdown else "  ".join(cells)
        return self.block(element)

    def list_element(self, element: Element) -> str:
        entries = [c for c in element.children if isinstance(c, Element) and c.tag == "li"]
        start = int(element.attrs.get("start") or 1) if element.tag == "ol" else 1
        lines: list[str] = []
        for index, entry in enumerate(entries):
            marker = f"{start + index}." if element.tag == "ol" else ("-" if self.markdown else "*")
            body = self.block(entry).splitlines() or [""]
            pad = " " * (len(marker) + 1)
            lines.append(f"{marker} {body[0]}")
            lines.extend((pad + line) if line else "" for line in body[1:])
        return "\n".join(lines)

    def inline_run(self, nodes: list[Element | str]) -> str:
        text = _SPACES.sub(" ", "".join(self.inline_node(node) for node in nodes))
        return (
            text.replace(" " + _BREAK, _BREAK)
            .replace(_BREAK + " ", _BREAK)
            .replace(_BREAK, "\\\n" if self.markdown else "\n")
        )

    def inline(self, element: Element) -> str:
        return self.inline_run(element.children)

    def inline_node(self, node: Element | str) -> str:
        if isinstance(node, str):
            return escape_markdown(node) if self.markdown else node
        tag = node.tag
        if tag in _SKIPPED:
            return ""
        if tag == "br":
            return _BREAK
        if tag == "img":
            alt = node.attrs.get("alt") or ""
            src = node.attrs.get("src") or ""
            if self.markdown:
                return f"![{escape_markdown(alt)}]({_destination(src)})"
            return f"[{alt or 'image'}: {src}]" if src else ""
        inner = self.inline(node)
        if tag == "a":
            href = node.attrs.get("href") or ""
            if not href or href.startswith("#"):
                return inner
            if self.markdown:
                return f"[{inner}]({_destination(href)})"
            shown = inner.strip()
            return href if shown in ("", href) else f"{inner} <{href}>"
        if tag == "code":
            code = node.text()
            if not self.markdown:
                return code
            ticks = "``" if "`" in code else "`"
            return f"{ticks}{code}{ticks}"
        if not self.markdown or not inner.strip():
            return inner
        if tag in ("strong", "b"):
            return f"**{inner}**"
        if tag in ("em", "i"):
            return f"*{inner}*"
        if tag in ("del", "s"):
            return f"~~{inner}~~"
        return inner


def _destination(url: str) -> str:
    """A link destination Markdown reads whole (spaces and parentheses included)."""
    if re.search(r"[\s()<>]", url):
        return "<" + url.replace("<", "%3C").replace(">", "%3E") + ">"
    return url
