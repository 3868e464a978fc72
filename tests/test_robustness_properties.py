"""Property tests: whatever an author (or a broken editor) writes, the readers answer with
a value or a DigestError whose problems point at a file and a line, never a traceback.

Texts are assembled from fragments that matter to each reader (YAML indicators, tags
and anchors, Markdown block starters, hostile characters) mixed with arbitrary text,
so the examples reach deep into the parsers instead of failing at the first byte.
`DIGEST_HYPOTHESIS_PROFILE=robustness-long` runs many more examples.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from hypothesis.configuration import set_hypothesis_home_dir

from digest.config import parse_config
from digest.content.frontmatter import Split, normalize_text, split_front_matter
from digest.content.markdown import make_markdown
from digest.content.parse import decode, parse_issue
from digest.errors import DigestError, Problem
from digest.model import Issue, SiteConfig
from digest.text.yamltext import load_yaml

# Hypothesis caches what it learns from the source in .hypothesis/ of the working folder;
# a cache belongs in the temporary folder, not in the work tree.
set_hypothesis_home_dir(Path(tempfile.gettempdir()) / "digest-hypothesis")
settings.register_profile(
    "robustness",
    max_examples=200,
    deadline=None,
    database=None,  # nothing written into the work tree
    suppress_health_check=[HealthCheck.too_slow],
)
settings.register_profile(
    "robustness-long", parent=settings.get_profile("robustness"), max_examples=5000
)
PROFILE = settings.get_profile(os.environ.get("DIGEST_HYPOTHESIS_PROFILE", "robustness"))

ISSUE = Path("content/issues/12-issue.md")
SITE = Path("site.yaml")
CONFIG = parse_config(
    "title: T\nbase_url: https://example.org/weekly/\ntimezone: Asia/Shanghai\n", SITE
)
MARKDOWN = make_markdown(CONFIG.markdown)

HOSTILE = [
    "\x00",
    "\x07",
    "\x85",
    "\u2028",
    "\ufeff",
    "\ufffe",
    "\ud800",
    "\U0001f600",
    "\t",
    "\r",
    "\r\n",
    "中文",
    "²",
    "../../x",
    "CON",
    "a\\b",
    "<script>alert(1)</script>",
    "{{ 7*7 }}",
]
YAML_FRAGMENTS = [
    *HOSTILE,
    "title: ",
    "date: ",
    "number: ",
    "tags: ",
    "categories: ",
    "slug: ",
    "draft: ",
    "summary: ",
    "cover: ",
    "authors: ",
    "lang: ",
    "image: ",
    "- ",
    "? ",
    ": ",
    "[",
    "]",
    "{",
    "}",
    ", ",
    "'",
    '"',
    "|\n",
    ">-\n",
    "#",
    "&a ",
    "*a",
    "<<: ",
    "!!int ",
    "!!float ",
    "!!bool ",
    "!!timestamp ",
    "!!binary ",
    "!!set ",
    "!!omap ",
    "!!str ",
    "!!python/object:os.system ",
    "!local ",
    "%YAML 1.1\n",
    "---\n",
    "...\n",
    "2026-11-23",
    "2026-13-45",
    "2026-11-23T09:00:00+25:00",
    "0001-01-01T00:00:00+01:00",
    "1e400",
    ".inf",
    ".nan",
    "0x",
    "0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF",
    "1:2:3",
    "9" * 30,
    "-3",
    "true",
    "null",
    "~",
    "\n",
    "  ",
    "    ",
]
MARKDOWN_FRAGMENTS = [
    *HOSTILE,
    "# ",
    "## ",
    "### ",
    "## News\n",
    "## 业界资讯\n",
    "## 一、开源项目\n",
    "- ",
    "* ",
    "1. ",
    "> ",
    ">" * 25,
    "- " * 12,
    "[a](",
    "https://example.org/x",
    "/images/x.png",
    ")",
    "![i](",
    "](",
    "[",
    "]",
    "<img src=",
    '<a href="javascript:alert(1)">',
    "</a>",
    "<div>\n",
    "</div>\n",
    "<!--",
    "-->",
    "```",
    "```python\n",
    "~~~",
    "    code\n",
    "*",
    "**",
    "_",
    "`",
    "~~",
    "| a | b |\n|---|---|\n",
    "---\n",
    "===\n",
    "[r]: /u\n",
    "[r]",
    "：",
    " — ",
    "&amp;",
    "&#0;",
    "\\",
    "- [ ] ",
    "\n",
    "\n\n",
]


def assembled(fragments: list[str], size: int = 40) -> st.SearchStrategy[str]:
    """Text glued from the fragments and short arbitrary strings."""
    piece = st.one_of(st.sampled_from(fragments), st.text(max_size=6))
    return st.lists(piece, max_size=size).map("".join)


FRONT_MATTER = assembled(YAML_FRAGMENTS)
BODY = assembled(MARKDOWN_FRAGMENTS, 60)
ISSUE_TEXT = st.one_of(
    st.builds(
        lambda front, body, closed: f"---\n{front}\n{'---' if closed else ''}\n{body}",
        FRONT_MATTER,
        BODY,
        st.booleans(),
    ),
    # Well-formed front matter, so the body parser is reached every time.
    st.builds(lambda body: f"---\ntitle: T\ndate: 2026-11-23\n---\n{body}", BODY),
    st.text(),
)
SITE_FRAGMENTS = [
    *YAML_FRAGMENTS,
    "title: T\n",
    "base_url: https://example.org/\n",
    "base_url: ",
    "language: zh-CN\n",
    "timezone: ",
    "Asia/Shanghai",
    "paginate: ",
    "feed_limit: ",
    "weekday: ",
    "周一",
    "sections:\n",
    "  - key: ",
    "    title: ",
    "    aliases: ",
    "markdown:\n",
    "  raw_html: ",
    "  highlight_style: ",
    "sources:\n",
    "  - url: ",
    "    section: ",
    "extra: ",
    "opml: ",
    "uknown_key: ",
]


def assert_placed(error: DigestError, path: Path, text: str, first_line: int = 1) -> None:
    """Every problem names `path` and a line of it (or the line just after its end).
    Lines count as an editor does: a lone CR ends one too."""
    last = first_line + normalize_text(text).count("\n") + 1
    assert error.problems
    for problem in error.problems:
        assert isinstance(problem, Problem)
        assert problem.path == path, problem
        assert problem.line is not None, problem
        assert first_line <= problem.line <= last, (problem, last)


# -- the front matter splitter -----------------------------------------------------------


@PROFILE
@given(assembled([*YAML_FRAGMENTS, *MARKDOWN_FRAGMENTS, "+++\n", "---", " \n"], 60))
@example("")
@example("\n\n  \n")
@example("---")
@example("+++\ntitle = 'x'\n+++\n")
def test_split_front_matter_cuts_where_it_says(text: str) -> None:
    """A Split's body really starts at `body_line`; a Problem points into the text."""
    split = split_front_matter(text, ISSUE)
    lines = text.split("\n")
    if isinstance(split, Split):
        assert split.body.split("\n") == lines[split.body_line - 1 :] or (
            split.body == "" and split.body_line == len(lines) + 1
        )
        assert 1 <= split.body_line <= len(lines) + 1
        assert split.dialect != "none" or (split.body == text and split.body_line == 1)
        assert split.dialect == "none" or 1 <= split.front_line < split.body_line
    else:
        assert split.path == ISSUE
        assert split.line is not None and 1 <= split.line <= len(lines)


# -- YAML --------------------------------------------------------------------------------


@PROFILE
@given(st.one_of(FRONT_MATTER, st.text()), st.integers(min_value=1, max_value=50))
@example("a: [" * 60, 1)
@example("a: &a [*a]", 2)
@example("\ud800", 2)
@example("a: 1\x85b: [", 1)
@example("n: !!int 0x", 2)
@example("n: !!timestamp 2026-13-45", 2)
@example("n: !!bool maybe", 2)
@example("n: 1" + ":1" * 400, 2)
def test_load_yaml_gives_a_document_or_placed_problems(text: str, first_line: int) -> None:
    """Lines of keys stay inside the text; problems always have a line in it."""
    try:
        doc = load_yaml(text, ISSUE, first_line)
    except DigestError as error:
        assert_placed(error, ISSUE, text, first_line)
        return
    last = first_line + text.count("\n")
    assert all(first_line <= line <= last for line in doc.lines.values())


# -- the issue parser --------------------------------------------------------------------


def check_issue(text: str) -> Issue | None:
    try:
        issue = parse_issue(text, ISSUE, CONFIG, MARKDOWN)
    except DigestError as error:
        assert_placed(error, ISSUE, text)
        return None
    last = normalize_text(text).count("\n") + 2
    assert isinstance(issue, Issue)
    for section in issue.sections:
        assert 1 <= section.source.line <= last
        for item in section.items:
            assert 1 <= item.source.line <= last
    return issue


@PROFILE
@given(ISSUE_TEXT)
@example("---\ntitle: T\ndate: 2026-11-23\nnumber: ²\n---\n")
@example("---\ntitle: T\ndate: 2026-11-23\nnumber: '" + "9" * 5000 + "'\n---\n")
@example("---\ntitle: T\ndate: 2026-11-23\ntags: [CON, '" + "长" * 100 + "']\n---\n")
@example("---\ntitle: T\ndate: 2026-11-23\n---\n## News\n\n" + "- " * 10 + "x\n\n## Tools\n")
@example("---\ndate: \n---\n## ")  # an empty date, a title from the file name: no problem said
def test_parse_issue_gives_an_issue_or_placed_problems(text: str) -> None:
    check_issue(text)


@PROFILE
@given(
    st.one_of(
        st.binary(),
        ISSUE_TEXT.map(lambda text: text.encode("utf-8", "replace")),
        st.builds(
            lambda text, at, junk: (lambda data: data[:at] + junk + data[at:])(
                text.encode("utf-8", "replace")
            ),
            ISSUE_TEXT,
            st.integers(min_value=0, max_value=200),
            st.binary(min_size=1, max_size=4),
        ),
    )
)
@example(b"\xef\xbb\xbf---\ntitle: T\ndate: 2026-11-23\n---\n")
@example("---\ntitle: 周刊\n".encode() + "日期: 今天\n".encode("gbk"))
def test_bytes_decode_then_parse(data: bytes) -> None:
    """Bytes from disk: not UTF-8 is a placed problem too."""
    try:
        text = decode(data, ISSUE)
    except DigestError as error:
        assert_placed(error, ISSUE, data.decode("utf-8", "replace"))
        return
    check_issue(text)


# -- site.yaml ---------------------------------------------------------------------------


@PROFILE
@given(st.one_of(assembled(SITE_FRAGMENTS, 50), st.text()))
@example("title: T\nbase_url: https://e.org/\nsections:\n  - key: con\n")
@example("title: T\nbase_url: https://e.org/\nextra: &x {a: *x}\n")
@example("title: T\nbase_url: https://e.org/\npaginate: !!int abc\n")
def test_parse_config_gives_a_config_or_placed_problems(text: str) -> None:
    """Every problem of site.yaml text has a line; only a missing file has none."""
    try:
        config = parse_config(text, SITE)
    except DigestError as error:
        assert_placed(error, SITE, text.replace("\r\n", "\n"))
        return
    assert isinstance(config, SiteConfig)
    assert config.base_url.endswith("/")


# -- found by the properties: kept as plain examples --------------------------------------


@pytest.mark.parametrize(
    ("text", "line", "message"),
    [
        ("a: 1\nb: \ud800", 3, "the character U+D800 is not allowed"),
        ("a: 1\nb: 2\nc: \x00", 4, "the character U+0000 is not allowed"),
        ("a: 1\x85b: 2\nc: [", 4, "did not find expected node content"),
        ("x: " + "[" * 60 + "]" * 60, 2, "nest more than 50 levels"),
        ("x:\n  " + "- " * 60 + "a", 3, "nest more than 50 levels"),
        ("a: &a [*a]", 2, "refers to the list or mapping it is in"),
        ("t: !!timestamp 2026-13-45", 2, "cannot be read as timestamp"),
        ("t: !!int ''", 2, "cannot be read as int"),
        ("t: 0x" + "F" * 400, 2, "a number of more than 300 digits"),
    ],
)
def test_yaml_that_used_to_escape_as_another_exception(text: str, line: int, message: str) -> None:
    """UnicodeEncodeError, RecursionError, ValueError, KeyError… before the guards."""
    with pytest.raises(DigestError) as caught:
        load_yaml(text, ISSUE, 2)
    (problem,) = caught.value.problems
    assert problem.line == line
    assert message in problem.message


def test_billion_laughs_in_front_matter_is_refused() -> None:
    """Nine levels of ten aliases each: a billion values if anything walked the tree."""
    lines = ["l0: &l0 [lol, lol, lol, lol, lol, lol, lol, lol, lol, lol]"]
    lines += [f"l{i}: &l{i} [{', '.join([f'*l{i - 1}'] * 10)}]" for i in range(1, 10)]
    with pytest.raises(DigestError) as caught:
        load_yaml("\n".join(lines), ISSUE, 2)
    (problem,) = caught.value.problems
    # l4 is the first to pass the limit (111,111 values); it is on line 2 + 4.
    assert (problem.line, "expand to more than 100,000 values" in problem.message) == (6, True)


def test_aliases_and_merge_keys_still_work() -> None:
    doc = load_yaml("base: &b {k: v}\nother:\n  <<: *b\n  j: 1\nlist: &l [1, 2]\nsame: *l\n", SITE)
    assert doc.data == {
        "base": {"k": "v"},
        "other": {"k": "v", "j": 1},
        "list": [1, 2],
        "same": [1, 2],
    }
    assert (doc.line("other", "j"), doc.line("same")) == (4, 6)


@pytest.mark.parametrize(
    ("field", "message"),
    [
        ("number: ²", "number '²' must be a whole number"),
        ("number: '" + "9" * 5000 + "'", "of at most 18 digits"),
        ("number: 10000000000000000000", "of at most 18 digits"),
        ("tags: [CON]", "tag 'CON' would be the folder tags/con/"),
        ("tags: ['" + "长" * 100 + "']", "longer than 200 bytes"),
        ("categories: [nul]", "tag 'nul' would be the folder tags/nul/"),
        ("cover: 'java\tscript:alert(1)'", "is a script, not an image"),
        ("cover: 'data:text/html,<script>alert(1)</script>'", "is a script, not an image"),
    ],
)
def test_front_matter_fields_that_used_to_crash_or_pass(field: str, message: str) -> None:
    text = f"---\ntitle: T\ndate: 2026-11-23\n{field}\n---\n"
    with pytest.raises(DigestError) as caught:
        parse_issue(text, ISSUE, CONFIG, MARKDOWN)
    (problem,) = caught.value.problems
    assert problem.line == 4
    assert message in problem.message


def test_an_image_cover_as_data_url_is_fine() -> None:
    text = "---\ntitle: T\ndate: 2026-11-23\ncover: 'data:image/png;base64,iVBORw0KGgo='\n---\n"
    assert parse_issue(text, ISSUE, CONFIG, MARKDOWN).cover == "data:image/png;base64,iVBORw0KGgo="


@pytest.mark.parametrize(
    ("entry", "message"),
    [
        ("sections:\n  - key: con\n    title: Con\n", "section key 'con' cannot be used"),
        ("sections:\n  - key: a.\n", "it ends with a dot or a space"),
        ("sections:\n  - key: " + "k" * 201 + "\n", "longer than 200 bytes"),
        ("language: 'x\"><script>'\n", "'language' is not a language tag"),
    ],
)
def test_site_yaml_values_that_would_make_unsafe_output(entry: str, message: str) -> None:
    with pytest.raises(DigestError) as caught:
        parse_config(f"title: T\nbase_url: https://example.org/\n{entry}", SITE)
    (problem,) = caught.value.problems
    assert problem.line == 3 or problem.line == 4
    assert message in problem.message
    assert "e.g. 'con'" not in problem.message  # a suggestion that works
