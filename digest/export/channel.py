"""What every export does to the rendered HTML: absolute links and images, images with
their size, styles inlined, and nothing a mail client or an editor would strip or run."""

from __future__ import annotations

from urllib.parse import urljoin

import css_inline
from pygments.formatters import HtmlFormatter

from digest.content.markdown import HIGHLIGHT_CLASS
from digest.export import Export
from digest.export.images import is_svg, local_file
from digest.export.tree import Element, rewrite
from digest.site.images import read_size

_NEVER_KEPT = frozenset(
    {"script", "noscript", "template", "form", "input", "button", "select", "textarea", "link"}
)
_EMBEDS = frozenset({"iframe", "video", "audio", "object", "embed"})
"""Players no mail client or editor runs: each becomes a link to what it plays."""
_DROPPED_ATTRIBUTES = frozenset({"class", "id", "loading", "decoding", "srcset", "sizes"})


def inline_styles(html: str, export: Export) -> str:
    """Every CSS rule of the document's <style> (and the highlighter's colours for code)
    written into the style attributes of the elements it applies to. At-rules (the
    dark-mode block) stay in a <style> element, for the clients that honour one."""
    style = export.config.markdown.highlight_style
    defs = HtmlFormatter(style=style).get_style_defs(f".{HIGHLIGHT_CLASS}").splitlines()
    # The tokens' colours only: the block's own box is the template's.
    code_css = "\n".join(line for line in defs if line.startswith(f".{HIGHLIGHT_CLASS} ."))
    inliner = css_inline.CSSInliner(
        keep_at_rules=True, load_remote_stylesheets=False, extra_css=code_css
    )
    return inliner.inline(html)


def make_absolute(root: Element, export: Export, keep: frozenset[str] = frozenset()) -> None:
    """Every href and src resolved against the issue's web page; `keep` left as it is
    (the unsubscribe placeholder the sending service fills in)."""
    page = export.web_url
    for element in root.iter():
        for name in ("href", "src"):
            value = element.attrs.get(name)
            if value is not None and value not in keep:
                element.attrs[name] = urljoin(page, value.strip())


def clean(root: Element) -> None:
    """Scripts and forms removed, players turned into links, and the attributes only a
    stylesheet or a browser's lazy loading used (class, id) dropped."""

    def visit(element: Element) -> list[Element | str] | None:
        if element.tag in _NEVER_KEPT:
            return []
        if element.tag in _EMBEDS:
            source = element.attrs.get("src") or element.attrs.get("data") or _source(element)
            if not source:
                return []
            words = element.attrs.get("title") or source
            return [Element("p", {}, [Element("a", {"href": source}, [words])])]
        for name in list(element.attrs):
            if name in _DROPPED_ATTRIBUTES or name.startswith(("data-", "on", "aria-")):
                del element.attrs[name]
        return None

    rewrite(root, visit)


def _source(element: Element) -> str:
    for child in element.iter():
        if child.tag == "source" and child.attrs.get("src"):
            return child.attrs["src"] or ""
    return ""


def size_images(root: Element, export: Export, max_width: int) -> None:
    """Width and height on every image, at most `max_width` wide, from the file the site
    publishes; alt on every one. Notes images mail clients will not show as expected."""
    unknown: list[str] = []
    svg: list[str] = []
    for element in root.iter():
        if element.tag != "img":
            continue
        src = element.attrs.get("src") or ""
        element.attrs.setdefault("alt", "")
        if element.attrs["alt"] is None:
            element.attrs["alt"] = ""
        path = local_file(src, export.config)
        size = read_size(path) if path is not None else None
        if path is not None and is_svg(path):
            svg.append(src)
        if size is None or size[0] <= 0 or size[1] <= 0:
            unknown.append(src)
            element.attrs["width"] = str(max_width)
            element.attrs.pop("height", None)
            continue
        width, height = size
        shown = min(width, max_width)
        element.attrs["width"] = str(shown)
        element.attrs["height"] = str(round(height * shown / width))
    if svg:
        export.note(
            "Gmail and Outlook do not show SVG images; use PNG or JPEG for these: "
            + ", ".join(dict.fromkeys(svg)),
            "warning",
        )
    if unknown:
        export.note(
            f"the size of these images is unknown (not files of this site), so they have "
            f"width {max_width} and no height: " + ", ".join(dict.fromkeys(unknown))
        )
