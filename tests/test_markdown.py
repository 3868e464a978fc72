"""The configured Markdown parser: its shortcut for plain links changes no output."""

from __future__ import annotations

from hypothesis import example, given, settings
from hypothesis import strategies as st
from markdown_it.common.normalize_url import normalizeLink
from markdown_it.rules_core.normalize import normalize

from digest.content.markdown import make_markdown, normalize_link
from digest.model import MarkdownConfig

_PIECES = [
    "http://",
    "https://",
    "HTTP://",
    "mailto:",
    "javascript:",
    "ftp://",
    "x:",
    "//",
    "/",
    "./",
    "../",
    "#",
    "?",
    "@",
    ":",
    "::",
    ":80",
    ":",
    ".",
    "..",
    "-",
    "_",
    "+",
    "%",
    "%2",
    "%20",
    "%zz",
    "%E4%B8%AD",
    "a",
    "Z",
    "9",
    "example",
    "中文",
    "é",
    " ",
    "[::1]",
    "[",
    "]",
    "'",
    "(",
    ")",
    "*",
    "!",
    "~",
    "$",
    ",",
    ";",
    "=",
    "&",
    "\\",
    "`",
    "\n",
    "x" * 70,
]


@st.composite
def urls(draw: st.DrawFn) -> str:
    """Strings assembled from the pieces URL parsing cares about, as well as any text."""
    return "".join(draw(st.lists(st.sampled_from(_PIECES) | st.text(max_size=3), max_size=12)))


@settings(max_examples=3000, deadline=None)
@given(urls())
@example("https://example.com/a/b?x=1&y=2#frag")
@example("mailto:@host")
@example("http://host::/path")
@example("http://" + "a" * 260)
@example("http://" + "x" * 64 + ":80")
def test_the_plain_link_shortcut_gives_what_markdown_it_gives(url: str) -> None:
    assert normalize_link(url) == normalizeLink(url)


def test_plain_links_take_the_shortcut_and_others_do_not() -> None:
    for url in ["https://example.com/a_b-c.html?q=1#top", "/images/a.png", "../x", "#top"]:
        assert normalize_link(url) is url
    for url in ["https://例子.com/", "http://a b/", "mailto:a@b", "HTTP://A.COM/"]:
        assert normalize_link(url) == normalizeLink(url)
    assert normalize_link("https://例子.com/") == "https://xn--fsqu00a.com/"


def test_the_parser_renders_links_through_the_shortcut() -> None:
    md = make_markdown(MarkdownConfig())
    html = md.render("[a](https://example.com/x_(y)) [b](https://例子.com/路径)")
    assert 'href="https://example.com/x_(y)"' in html
    assert 'href="https://xn--fsqu00a.com/%E8%B7%AF%E5%BE%84"' in html


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.sampled_from("ab \n\r\0#*-`>[]()"), max_size=40))
def test_line_ends_and_nul_are_normalised_as_markdown_it_does(text: str) -> None:
    """The normalize rule is skipped for text without CR or NUL; the result is the same."""
    ours = make_markdown(MarkdownConfig())
    stock = make_markdown(MarkdownConfig())
    stock.core.ruler.at("normalize", normalize)
    assert ours.render(text) == stock.render(text)
