"""The inbox side of digest fetch: plain text out of feed HTML, files that never clobber."""

from __future__ import annotations

import html
import os
import re
import subprocess
import sys
import tempfile
from collections.abc import Callable
from datetime import UTC, date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import yaml
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from digest.authoring.inbox import (
    Candidate,
    FeedEntry,
    candidate_text,
    file_stem,
    inbox_urls,
    link_url,
    make_candidate,
    markdown_text,
    published_urls,
    read_issues,
    write_candidate,
)
from digest.authoring.plaintext import clean_text, html_to_text, markdown_safe, shorten, to_text
from digest.authoring.scaffold import new_issue
from digest.content.frontmatter import split_front_matter
from digest.errors import DigestError
from digest.model import Issue, SiteConfig
from tests.conftest import SITE_YAML

ZONE = ZoneInfo("Asia/Shanghai")
FETCHED = datetime(2026, 1, 20, 9, 30, tzinfo=ZONE)


def entry(**fields: object) -> FeedEntry:
    values: dict[str, object] = {
        "title": "A title",
        "title_is_html": False,
        "link": "https://example.org/post",
        "published": datetime(2026, 1, 14, 20, 0, tzinfo=UTC),
        "summary": "<p>Summary.</p>",
        "summary_is_html": True,
    }
    values.update(fields)
    return FeedEntry(**values)  # type: ignore[arg-type]


def candidate(section: str | None = None, **fields: object) -> Candidate:
    made = make_candidate(entry(**fields), source="Blog", section=section, fetch_date=FETCHED)
    assert made is not None
    return made


# -- plain text --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("html", "text"),
    [
        ("<p>One</p><p>Two<br>Three</p>", "One Two Three"),
        ("Hi<script>alert(1)</script> there", "Hi there"),
        ('<img src="https://t.example/p.gif" width="1" height="1">Text', "Text"),
        ('<img src=x onerror="alert(1)">Text', "Text"),
        ("<style>p{}</style><iframe src=x></iframe><noscript>n</noscript>Text", "Text"),
        ("&amp;lt;script&amp;gt;alert(1)&amp;lt;/script&amp;gt;Text", "Text"),
        ("<p>a &lt; b &amp; Vec&lt;T&gt;</p>", "a < b & Vec<T>"),
        ("<p>第一段。</p><p>第二段。</p>", "第一段。第二段。"),
        ('<a href="javascript:alert(1)">link</a>', "link"),
        ("<<b>script>alert(1)<</b>/script>", ""),
        ("<p>中文\n换行</p> <p>English\nbreak</p>", "中文换行 English break"),
        ("<img src=x onerror=alert(1)", ""),
    ],
)
def test_html_to_text(html: str, text: str) -> None:
    assert html_to_text(html) == text


def test_text_fields_holding_tags_are_read_as_html() -> None:
    assert to_text('<script>alert("x")</script>Title', False) == "Title"
    assert to_text("1 < 2 and Vec<T>", False) == "1 < 2 and Vec<T>"
    assert clean_text("a\u202eb\u2066c\x00d\u2028e\n f") == "abc d e f"


def test_shorten_cuts_at_a_sentence_or_word_with_an_ellipsis() -> None:
    words = "lorem ipsum dolor " * 40
    short = shorten(words, 100)
    assert len(short) <= 100 and short.endswith("…") and short[:-1].split()[-1] in words
    assert not short[:-1].endswith(" ")
    sentences = "First sentence is here. " + "Second sentence goes on and on. " * 5
    assert shorten(sentences, 100) == (
        "First sentence is here. Second sentence goes on and on. Second sentence goes on and on. …"
    )
    chinese = "数据库索引的原理" * 80
    assert shorten(chinese, 50) == chinese[:48] + "…"
    assert shorten("short", 400) == "short"


def test_markdown_safe_keeps_text_from_becoming_html() -> None:
    assert markdown_safe("<script> & &amp; a\\b") == "\\<script> & \\&amp; a\\\\b"


# -- candidates and their files ----------------------------------------------------------


def test_make_candidate_strips_tracking_and_refuses_non_web_links() -> None:
    made = candidate(link=" https://example.org/post?utm_source=feed&id=3 ")
    assert made.url == "https://example.org/post?id=3"
    assert made.date == date(2026, 1, 15)  # 20:00 UTC is the next day in Shanghai
    for link in ("javascript:alert(1)", "", "/relative", "mailto:a@example.org", "http://x"):
        assert (
            make_candidate(entry(link=link), source="B", section=None, fetch_date=FETCHED) is None
        )


def test_a_summary_repeating_the_title_is_dropped() -> None:
    assert candidate(title="Same", summary="Same", summary_is_html=False).summary == ""


def test_candidate_file_round_trips_hostile_titles() -> None:
    titles = [
        "---",
        "title: injected\n---\n<script>",
        "'quoted' \"double\" #hash: colon",
        "null",
        "2026-01-01",
        "*alias &anchor !tag |block >fold",
        "数据库 🐘 周刊",
    ]
    for title in titles:
        made = candidate(title=title, section="news")
        text = candidate_text(made)
        split = split_front_matter(text, Path("x.md"))
        front = yaml.safe_load(split.front_matter)  # type: ignore[union-attr]
        assert front == {
            "title": made.title,
            "url": "https://example.org/post",
            "source": "Blog",
            "date": date(2026, 1, 15),
            "fetch_date": FETCHED,
            "section": "news",
        }
        assert isinstance(front["title"], str) and "\n" not in made.title
        assert "<script" not in text
    assert candidate(title="title: injected\n---\n<script>").title == "title: injected ---"


def test_file_names_keep_chinese_and_stay_short() -> None:
    assert file_stem(candidate(title="深入理解 数据库索引")) == "2026-01-15-深入理解-数据库索引"
    long = file_stem(candidate(title="word " * 40))
    assert long.startswith("2026-01-15-word-word") and len(long) <= 11 + 60
    assert (
        file_stem(candidate(title="🎉🎉", link="https://example.org/a/b-c")) == "2026-01-15-a-b-c"
    )
    assert file_stem(candidate(title="!!!", link="https://example.org/")) == "2026-01-15-link"
    undated = candidate(published=None)
    assert (undated.date, file_stem(undated)) == (None, "2026-01-20-a-title")


def test_write_candidate_never_overwrites(tmp_path: Path) -> None:
    inbox = tmp_path / "inbox"
    made = candidate()
    first = write_candidate(inbox, made)
    first.write_text("edited", encoding="utf-8")
    second = write_candidate(inbox, made)
    third = write_candidate(inbox, made)
    assert [first.name, second.name, third.name] == [
        "2026-01-15-a-title.md",
        "2026-01-15-a-title-2.md",
        "2026-01-15-a-title-3.md",
    ]
    assert first.read_text(encoding="utf-8") == "edited"
    assert second.read_text(encoding="utf-8") == candidate_text(made)


# -- what is already known ---------------------------------------------------------------


def test_inbox_urls_reads_any_candidate_file(tmp_path: Path) -> None:
    inbox = tmp_path / "inbox"
    (inbox / "later").mkdir(parents=True)
    (inbox / "a.md").write_text(
        "---\ntitle: 【笔记】一篇文章\nurl: https://www.example.cn/p/1/?utm_medium=x\n"
        "source: 某位作者\ndate: 2025-04-24\nfetch_date: 2025-10-06T22:03:11.889846\n---\n\n"
        "# 【笔记】一篇文章\n\n![](https://example.cn/logo.png)\n",
        encoding="utf-8",
    )
    (inbox / "later" / "b.markdown").write_text("---\nurl: https://example.org/b\n---\n")
    (inbox / "no-front-matter.md").write_text("https://example.org/c\n")
    (inbox / "bad-yaml.md").write_text("---\nurl: [\n---\n")
    (inbox / "no-url.md").write_text("---\ntitle: x\n---\n")
    (inbox / ".hidden.md").write_text("---\nurl: https://example.org/hidden\n---\n")
    (inbox / "notes.txt").write_text("---\nurl: https://example.org/txt\n---\n")
    assert inbox_urls(inbox) == {"https://example.cn/p/1", "https://example.org/b"}
    assert inbox_urls(tmp_path / "none") == set()


def test_published_urls_skip_issues_that_do_not_parse(
    make_site: Callable[..., Path], config: SiteConfig
) -> None:
    site = make_site(
        {
            "content/issues/1-a.md": """\
                ---
                title: One
                date: 2026-01-05
                ---
                ## News

                - [A](https://www.example.org/a/?utm_source=x) — first.
                - [B](https://example.org/b) — second.
                """,
            "content/issues/2-broken.md": "no front matter at all\n",
        }
    )
    config = SiteConfig(root=site, title="T", base_url="https://example.org/", timezone="UTC")
    issues = read_issues(config)
    assert [issue.title for issue in issues] == ["One"]
    assert published_urls(issues) == {"https://example.org/a", "https://example.org/b"}


# -- fetched text stays text in the draft ------------------------------------------------

HOSTILE_SUMMARIES = [
    "Read ![pixel](https://tracker.example/p.gif) and [click](https://phish.example/login)",
    "## Injected section",
    "### [x](https://evil.example)",
    "- [x](https://evil.example.org/item)",
    "[1]: https://evil.example.org/redefined",
    "``` the rest is code",
    "~~~",
    "> quoted <https://auto.example.org/> <b>bold</b> &amp; &#x41; *em* _em_ ~~del~~",
    "1. numbered | a | table |",
    "---",
    "=== \\[not a link\\](https://escaped.example.org/)",
    "+ [ ] task",
    "These are the RFCs approved this week:",
    "",
]


def draft_from_inbox(site: Path, candidates: list[Candidate]) -> tuple[str, list[Candidate]]:
    """Write the candidates to the site's inbox, run `digest new --from-inbox`; the
    draft's text, and the candidates in the order it places them (by file name)."""
    paths = [write_candidate(site / "content" / "inbox", made) for made in candidates]
    created = new_issue(site, today=date(2026, 1, 26), from_inbox=True)
    ordered = [made for _, made in sorted(zip(paths, candidates, strict=True))]
    return created.path.read_text(encoding="utf-8"), ordered


def assert_shows_exactly(issue: Issue, candidates: list[Candidate]) -> None:
    """One Inbox section; one item per candidate, in order, with the candidate's title,
    its link and its summary as text: no other link, image, section or item."""
    assert [section.heading for section in issue.sections][-1] == "Inbox"
    assert all(not section.items for section in issue.sections[:-1])
    assert all(not section.body_html for section in issue.sections)
    assert not issue.intro_html
    items = issue.sections[-1].items
    assert [(item.title, item.url) for item in items] == [
        (made.title, made.url) for made in candidates
    ]
    for item, made in zip(items, candidates, strict=True):
        assert (item.image, item.label, item.group) == (None, "", "")
        if made.summary:
            match = re.fullmatch(r"<p>([^<]*)</p>\n", str(item.body_html))
            assert match is not None, item.body_html
            assert html.unescape(match.group(1)) == made.summary
        else:
            assert not item.body_html
    assert all(group.title == "" for group in issue.sections[-1].groups)


def test_fetched_summaries_are_text_in_the_draft(
    make_site: Callable[..., Path], parse: Callable[..., Issue]
) -> None:
    """The issue's cases: a tracking image, a live link, a section, items, a reference
    definition, a code fence; each shows as the text it is."""
    site = make_site({})
    made = [
        candidate(
            title=f"Post {index}",
            summary=summary,
            summary_is_html=False,
            link=f"https://example.org/{index}",
        )
        for index, summary in enumerate(HOSTILE_SUMMARIES)
    ]
    made.append(candidate(title="Last", summary="Still an item.", link="https://example.org/z"))
    text, made = draft_from_inbox(site, made)
    assert_shows_exactly(parse(text, "1-issue-1.md"), made)


def test_hostile_titles_are_text_in_the_draft(
    make_site: Callable[..., Path], parse: Callable[..., Issue]
) -> None:
    site = make_site({})
    titles = [
        "[x](https://evil.example.org/t) ![i](https://t.example.org/p.gif)",
        "`code` *b*",
        "a]b(<c>) \\",
        "## not a section",
        "1) x",
        "# | table |",
        "&copy; &amp;",
    ]
    made = [
        candidate(title=title, link=f"https://example.org/{n}") for n, title in enumerate(titles)
    ]
    text, made = draft_from_inbox(site, made)
    assert_shows_exactly(parse(text, "1-issue-1.md"), made)


def test_a_feed_link_with_spaces_or_angle_brackets_is_encoded_not_cut(
    make_site: Callable[..., Path], parse: Callable[..., Issue]
) -> None:
    made = candidate(link='https://example.org/a b>c<d"e\\f`g{h}|i^j?q=1 2#x y')
    assert made.url == "https://example.org/a%20b%3Ec%3Cd%22e%5Cf%60g%7Bh%7D%7Ci%5Ej?q=1+2#x%20y"
    assert link_url("https://例子.cn/订阅/一\u3000二\u202e") == (
        "https://例子.cn/订阅/一%E3%80%80二%E2%80%AE"
    )
    site = make_site({})
    spaced = candidate(title="Spaced", link="https://example.org/x y")
    text, ordered = draft_from_inbox(site, [made, spaced])
    assert_shows_exactly(parse(text, "1-issue-1.md"), ordered)
    assert spaced.url == "https://example.org/x%20y"


def test_an_inbox_url_that_is_no_web_link_is_an_error(make_site: Callable[..., Path]) -> None:
    site = make_site({"content/inbox/a.md": "---\ntitle: A\nurl: javascript:alert(1)\n---\n"})
    with pytest.raises(DigestError) as caught:
        new_issue(site, today=date(2026, 1, 26), from_inbox=True)
    (problem,) = caught.value.problems
    assert (problem.line, problem.message) == (
        3,
        "url 'javascript:alert(1)' is not an http(s) link; fix or remove it",
    )
    assert (site / "content/inbox/a.md").exists()


def test_markdown_text_escapes_syntax_and_line_starts() -> None:
    assert markdown_text("a *b* [c](d) <e> &amp; & f_g `h` ~i~ |j| 1. x") == (
        "a \\*b\\* \\[c\\](d) \\<e> \\&amp; & f\\_g \\`h\\` \\~i\\~ \\|j\\| 1. x"
    )
    assert [markdown_text(text) for text in ("# h", "> q", "- l", "+ l", "= s", "12) n")] == [
        "\\# h",
        "\\> q",
        "\\- l",
        "\\+ l",
        "\\= s",
        "12\\) n",
    ]
    assert markdown_text("line\nbreak\r") == "line break "


_FRAGMENTS = st.one_of(
    st.sampled_from(list("\\`*_[]()<>!&#;:|~-+=.)0123456789 \n\t\"'{}@/\u3000中")),
    st.sampled_from(
        [
            "https://evil.example.org/",
            "&amp;",
            "&#35;",
            "```",
            "~~~",
            "---",
            "- ",
            "1. ",
            "## ",
            "> ",
            "[1]: ",
            "![x](y)",
            "<img src=x>",
            "<b>",
            "[ ] ",
            "\\\n",
        ]
    ),
    st.characters(codec="utf-8"),
)
_TEXT = st.lists(_FRAGMENTS, max_size=20).map("".join)


@settings(
    max_examples=200,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(st.lists(st.tuples(_TEXT, _TEXT, _TEXT), min_size=1, max_size=3))
@example([("x", "`", "s"), ("## y", "[1]: https://evil.example.org/", "- [a](b)")])
@example([("\\", "1) x", "!"), ("&#35;", "\\\\`", "<b>")])
def test_any_fetched_text_reads_back_exactly_from_the_draft(
    parse: Callable[..., Issue], entries: list[tuple[str, str, str]]
) -> None:
    """Titles, summaries and source names from a feed, through the inbox file and
    `digest new --from-inbox`, parse back as exactly their text: no other link, image,
    section or item."""
    made = []
    for index, (title, summary, source) in enumerate(entries):
        found = make_candidate(
            entry(
                title=title,
                summary=summary,
                summary_is_html=False,
                link=f"https://example.org/{index}",
            ),
            source=source,
            section=None,
            fetch_date=FETCHED,
        )
        assert found is not None
        made.append(found)
    with tempfile.TemporaryDirectory() as folder:
        site = Path(folder)
        (site / "site.yaml").write_text(SITE_YAML, encoding="utf-8")
        text, made = draft_from_inbox(site, made)
        for path in (site / ".digest" / "inbox-used").iterdir():
            split = split_front_matter(path.read_text(encoding="utf-8"), path)
            front = yaml.safe_load(split.front_matter)  # type: ignore[union-attr]
            assert front["source"] in {found.source for found in made}
    assert_shows_exactly(parse(text, "1-issue-1.md"), made)


# -- digest new --from-inbox: the file system --------------------------------------------


def run_new(site: Path, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    """`digest new --from-inbox` in a process of its own: one that hangs or blows up
    fails the test instead of the run (2 GB address space at most)."""
    script = (
        "import resource, sys\n"
        "resource.setrlimit(resource.RLIMIT_AS, (2 << 30, 2 << 30))\n"
        "from digest.cli import main\n"
        "sys.exit(main(['new', '--site', sys.argv[1], '--from-inbox', '--date', '2026-01-26']))\n"
    )
    return subprocess.run(
        [sys.executable, "-c", script, str(site)],
        capture_output=True,
        text=True,
        timeout=timeout,
        cwd=Path(__file__).parent.parent,
    )


def inbox_file(title: str, url: str) -> str:
    return f"---\ntitle: {title}\nurl: {url}\n---\nSummary of {title}.\n"


def test_inbox_used_never_overwrites_an_earlier_file(
    make_site: Callable[..., Path], parse: Callable[..., Issue]
) -> None:
    notes = "---\ntitle: Last week's ideas\nurl: https://example.org/old\n---\nMy private notes.\n"
    site = make_site(
        {
            ".digest/inbox-used/ideas.md": notes,
            ".digest/inbox-used/ideas-2.md": "an older one\n",
            "content/inbox/ideas.md": inbox_file("Ideas", "https://example.org/ideas"),
        }
    )
    new_issue(site, today=date(2026, 1, 26), from_inbox=True)
    used = site / ".digest" / "inbox-used"
    assert sorted(path.name for path in used.iterdir()) == ["ideas-2.md", "ideas-3.md", "ideas.md"]
    assert (used / "ideas.md").read_text(encoding="utf-8") == notes
    assert (used / "ideas-2.md").read_text(encoding="utf-8") == "an older one\n"
    assert "title: Ideas\n" in (used / "ideas-3.md").read_text(encoding="utf-8")
    assert list((site / "content" / "inbox").iterdir()) == []


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="named pipes are POSIX")
def test_a_named_pipe_in_the_inbox_is_refused_without_waiting(
    make_site: Callable[..., Path],
) -> None:
    site = make_site({"content/inbox/a.md": inbox_file("A", "https://example.org/a")})
    os.mkfifo(site / "content" / "inbox" / "pipe.md")
    done = run_new(site)
    assert done.returncode == 1, done.stderr
    assert "content/inbox/pipe.md: error: not a regular file (a named pipe); not read" in (
        done.stderr
    )
    assert not (site / "content" / "issues").exists()
    assert (site / "content" / "inbox" / "a.md").exists()


def test_inbox_symlinks_leaving_the_site_are_not_read(
    make_site: Callable[..., Path], tmp_path: Path
) -> None:
    secret = tmp_path / "secret.md"
    secret.write_text(inbox_file("Secret", "https://example.org/secret-token"), encoding="utf-8")
    site = make_site({"content/inbox/a.md": inbox_file("A", "https://example.org/a")})
    inbox = site / "content" / "inbox"
    (inbox / "zero.md").symlink_to("/dev/zero")
    (inbox / "secret.md").symlink_to(secret)
    done = run_new(site)
    assert done.returncode == 1, done.stderr
    for name in ("zero.md", "secret.md"):
        assert (
            f"content/inbox/{name}: error: a symbolic link to a file outside the site; not read"
            in done.stderr
        )
    assert "internal error" not in done.stderr
    assert not (site / "content" / "issues").exists()
    assert inbox_urls(inbox, site) == {"https://example.org/a"}


def test_an_inbox_file_over_the_issue_size_limit_is_not_read(
    make_site: Callable[..., Path],
) -> None:
    site = make_site({"content/inbox/a.md": inbox_file("A", "https://example.org/a")})
    huge = site / "content" / "inbox" / "huge.md"
    with huge.open("wb") as file:  # sparse: 3 GB that take no disk
        file.write(inbox_file("Huge", "https://example.org/huge").encode())
        file.truncate(3 << 30)
    done = run_new(site)
    assert done.returncode == 1, done.stderr
    assert "content/inbox/huge.md: error: the file is 3072.0 MB, over the 2 MB" in done.stderr
    assert inbox_urls(site / "content" / "inbox", site) == {"https://example.org/a"}
    inside = site / "notes" / "kept.md"  # a link inside the site is fine
    inside.parent.mkdir()
    inside.write_text(inbox_file("Kept", "https://example.org/kept"), encoding="utf-8")
    huge.unlink()
    (site / "content" / "inbox" / "kept.md").symlink_to(inside)
    assert run_new(site).returncode == 0


KILL = """\
import os, sys
site, where, after = sys.argv[1], sys.argv[2], int(sys.argv[3])
removed = 0


def killing(original):
    def call(source, *args, **kwargs):
        global removed
        name = os.fspath(source)
        if where == "commit" and original is real_link and name.endswith(".tmp"):
            os._exit(9)
        if where == "inbox" and os.sep + os.path.join("content", "inbox") + os.sep in name:
            if original is not real_link:
                if removed == after:
                    os._exit(9)
                removed += 1
        return original(source, *args, **kwargs)
    return call


real_link = os.link
for function in ("link", "unlink", "rename", "replace"):
    setattr(os, function, killing(getattr(os, function)))
from digest.authoring.scaffold import new_issue
from datetime import date
new_issue(__import__("pathlib").Path(site), today=date(2026, 1, 26), from_inbox=True)
"""


@pytest.mark.parametrize(
    ("where", "after"), [("commit", 0), *[("inbox", k) for k in (0, 1, 15, 29)]]
)
def test_new_from_inbox_killed_half_way_is_all_or_nothing(
    make_site: Callable[..., Path], parse: Callable[..., Issue], where: str, after: int
) -> None:
    """Killed (no clean-up runs) as it writes the issue, or after moving some of the 30
    candidates: the next `digest new --from-inbox` leaves one issue holding all 30 and an
    empty inbox, never a second issue of the same candidates."""
    files = {
        f"content/inbox/2026-01-2{n // 10}-post-{n:02}.md": inbox_file(
            f"Post {n:02}", f"https://example.org/{n}"
        )
        for n in range(30)
    }
    site = make_site(files)
    killed = subprocess.run(
        [sys.executable, "-c", KILL, str(site), where, str(after)],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=Path(__file__).parent.parent,
    )
    assert killed.returncode == 9, killed.stderr
    new_issue(site, today=date(2026, 1, 26), from_inbox=True)
    issues = sorted((site / "content" / "issues").iterdir())
    assert [path.name for path in issues] == ["1-issue-1.md"]
    issue = parse(issues[0].read_text(encoding="utf-8"), issues[0].name)
    assert [item.title for item in issue.items] == [f"Post {n:02}" for n in range(30)]
    assert list((site / "content" / "inbox").iterdir()) == []
    used = sorted(path.name for path in (site / ".digest" / "inbox-used").iterdir())
    assert used == sorted(Path(name).name for name in files)
    assert not (site / ".digest" / "new-from-inbox.json").exists()
