"""Plain text out of someone else's HTML: for the titles and summaries of fetched links.

Feeds are untrusted. Their HTML goes through nh3 (the Rust sanitizer) with no tag
allowed, so scripts, styles, images (tracking pixels included) and event handlers
are gone before anything is kept; only the text remains. Feeds also escape HTML
twice or put it in CDATA titles declared as text, so tags that survive as text are
removed too: nothing that looks like an HTML tag reaches the inbox.
"""

from __future__ import annotations

import html
import re
import unicodedata

import nh3

SUMMARY_CHARS = 400

# Tags kept by the first pass only so that "<p>a</p><p>b</p>" becomes "a b", not "ab".
_BLOCK_TAGS = frozenset(
    [
        "address",
        "article",
        "aside",
        "blockquote",
        "br",
        "dd",
        "div",
        "dl",
        "dt",
        "figcaption",
        "figure",
        "footer",
        "h1",
        "h2",
        "h3",
        "h4",
        "h5",
        "h6",
        "header",
        "hr",
        "li",
        "main",
        "nav",
        "ol",
        "p",
        "pre",
        "section",
        "table",
        "td",
        "th",
        "tr",
        "ul",
    ]
)
# Tags whose content is not text a reader sees.
_DROPPED_WITH_CONTENT = frozenset(
    [
        "script",
        "style",
        "noscript",
        "template",
        "iframe",
        "object",
        "embed",
        "svg",
        "math",
        "textarea",
        "select",
        "title",
        "head",
        "audio",
        "video",
        "canvas",
        "applet",
        "frameset",
        "noembed",
        "noframes",
    ]
)
_ANY_TAG = re.compile(r"<[^>]*>")
_TAG_NAMES = "|".join(
    sorted(
        set(nh3.ALLOWED_TAGS) | _BLOCK_TAGS | _DROPPED_WITH_CONTENT | {"link", "meta", "base"},
        key=len,
        reverse=True,
    )
)
# An HTML tag left in text, complete or cut off at the end ("<img src=x onerror=...").
# Only real element names: "Vec<T>" and "a < b" are kept.
_TEXT_TAG = re.compile(rf"</?(?:{_TAG_NAMES})(?=[\s/>]|$)[^<>]*>?", re.IGNORECASE)
_BIDI_CONTROLS = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
_SPACES = re.compile(r"\s+")
_CJK = "\u3000-\u30ff\u3400-\u9fff\uf900-\ufaff\uff00-\uffef"
_CJK_LINE_BREAK = re.compile(rf"(?<=[{_CJK}])[^\S\n]*\n\s*(?=[{_CJK}])")
_LATIN_SENTENCE_END = re.compile(r"[.!?][\"'”’)\]]*(?=\s)")
_CJK_SENTENCE_END = re.compile(r"[。！？][”’」』）]*")


def html_to_text(fragment: str) -> str:
    """The text a reader would see in an HTML fragment, on one line."""
    text = _strip_tags(fragment)
    for _ in range(2):  # HTML escaped twice ("&amp;lt;script&amp;gt;"), as many feeds do
        deeper = html.unescape(text)
        if not _TEXT_TAG.search(deeper):
            break
        text = _strip_tags(deeper)
    return clean_text(_CJK_LINE_BREAK.sub("", text))


def _strip_tags(fragment: str) -> str:
    """Block tags become line breaks; a break between two CJK characters is dropped later,
    as browsers do, since Chinese puts no space between sentences or paragraphs."""
    cleaned = nh3.clean(
        fragment,
        tags=set(_BLOCK_TAGS),
        clean_content_tags=set(_DROPPED_WITH_CONTENT),
        attributes={},
        link_rel=None,
        strip_comments=True,
    )
    return html.unescape(_ANY_TAG.sub("\n", cleaned))


def to_text(value: str, is_html: bool) -> str:
    """Plain text of a feed field. A field declared as text that holds real tags (a CDATA
    title, say) is read as the HTML it is."""
    return html_to_text(value) if is_html or _TEXT_TAG.search(value) else clean_text(value)


def clean_text(text: str) -> str:
    """One line of printable text: leftover tags, control and bidi characters removed."""
    previous = None
    while previous != text:  # "<<b>script>" only shows its tag once "<b>" is gone
        previous = text
        text = _TEXT_TAG.sub(" ", text)
    text = "".join(
        " " if unicodedata.category(char) in ("Cc", "Zl", "Zp") else char
        for char in text
        if char not in _BIDI_CONTROLS and unicodedata.category(char) != "Cs"
    )
    return _SPACES.sub(" ", text).strip()


def shorten(text: str, limit: int = SUMMARY_CHARS) -> str:
    """At most `limit` characters: cut after a sentence if one ends late enough, else
    between words (anywhere in CJK text), and marked with '…'."""
    if len(text) <= limit:
        return text
    room = text[: limit - 2]
    half = limit // 2
    ends = [
        match.end()
        for pattern in (_LATIN_SENTENCE_END, _CJK_SENTENCE_END)
        for match in pattern.finditer(room)
        if match.end() >= half
    ]
    if ends:
        kept = room[: max(ends)].rstrip()
        return kept + (" …" if kept[-1].isascii() else "…")
    cut = next(
        (index for index in range(len(room), half, -1) if _word_boundary(text, index)),
        len(room),
    )
    return room[:cut].rstrip(" ,;:、，；：-—") + "…"


def _word_boundary(text: str, index: int) -> bool:
    before, after = text[index - 1], text[index]
    if before.isspace() or after.isspace():
        return True
    return not (before.isascii() and after.isascii() and before.isalnum() and after.isalnum())


def markdown_safe(text: str) -> str:
    """Plain text that Markdown shows as written: '<' and '&name;' are escaped, so a
    summary pasted into an issue cannot become raw HTML."""
    text = text.replace("\\", "\\\\").replace("<", "\\<")
    return re.sub(r"&(?=#?\w+;)", r"\\&", text)
