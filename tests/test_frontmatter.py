"""Front matter dialects (YAML, TOML, a `Key: value` header, none), dates, near-miss keys."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from digest.content.frontmatter import parse_date, split_front_matter
from digest.errors import DigestError

SHANGHAI = ZoneInfo("Asia/Shanghai")


def errors_of(parse, text: str, name: str = "1-test.md") -> list[str]:
    with pytest.raises(DigestError) as caught:
        parse(text, name)
    return [f"{Path(p.path).name}:{p.line}: {p.message}" for p in caught.value.problems]


# -- splitting -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "dialect", "front", "body_line"),
    [
        ("---\ntitle: T\n---\nbody\n", "yaml", "title: T", 4),
        ("\n---\ntitle: T\n...\nbody\n", "yaml", "title: T", 5),
        ("+++\ntitle = 'T'\n+++\nbody\n", "toml", "title = 'T'", 4),
        ("Title: T\nDate: 2026-01-05\n\nbody\n", "header", "Title: T\nDate: 2026-01-05", 3),
        ("title: T\n  continued\n\nbody\n", "header", "title: T\n  continued", 3),
        ("Title: T", "header", "Title: T", 2),
        ("# T\n\nbody\n", "none", "", 1),
        ("Note: this week we read a lot.\n\nbody\n", "none", "", 1),
        ("Note: x\nTitle: T\nplain words\n\nbody\n", "none", "", 1),
        ("Title: T\n## Heading\n", "none", "", 1),
        ("https://example.org: a link\n", "none", "", 1),
        ("Two words: value\nTitle: T\n", "none", "", 1),
    ],
)
def test_split_finds_the_dialect(text, dialect, front, body_line):
    split = split_front_matter(text, Path("x.md"))
    assert (split.dialect, split.front_matter, split.body_line) == (dialect, front, body_line)
    assert split.body == "\n".join(text.split("\n")[body_line - 1 :])


# -- TOML ----------------------------------------------------------------------------------


def test_toml_front_matter_as_hugo_writes_it(parse):
    issue = parse(
        """\
        +++
        title = "Go Weekly 45: generics"
        date = 2026-11-02T09:30:00+08:00
        tags = ["go", "数据库"]
        categories = ["weekly"]
        draft = true
        slug = "generics"
        description = "From Hugo."
        weight = 3

        [params]
        author = "Ann"
        mood = "calm"
        +++
        body
        """
    )
    assert issue.title == "Go Weekly 45: generics"
    assert issue.date == datetime(2026, 11, 2, 9, 30, tzinfo=timezone(timedelta(hours=8)))
    assert (issue.number, issue.slug, issue.draft) == (45, "generics", True)
    assert issue.tags == ("go", "数据库", "weekly")
    assert issue.summary == "From Hugo."
    assert issue.authors == ("Ann",)
    assert issue.extra == {"weight": 3, "author": "Ann", "mood": "calm"}
    assert issue.field_lines == {
        "title": 2,
        "date": 3,
        "tags": 4,
        "categories": 5,
        "draft": 6,
        "slug": 7,
        "summary": 8,
        "authors": 12,
    }


def test_toml_front_matter_as_zola_writes_it(parse):
    issue = parse(
        """\
        +++
        title = "第 8 期"
        date = 2026-03-09

        [taxonomies]
        tags = ["rust"]
        series = ["weekly"]

        [extra]
        cover = "/img/8.png"
        +++
        # Not the title

        text
        """,
        "weekly.md",
    )
    assert (issue.title, issue.number) == ("第 8 期", 8)
    assert issue.date == datetime(2026, 3, 9, tzinfo=SHANGHAI)  # a bare date: the site's zone
    assert issue.tags == ("rust",)
    assert issue.cover == "/img/8.png"
    assert issue.extra == {"taxonomies": {"series": ["weekly"]}, "cover": "/img/8.png"}
    assert (issue.field_lines["tags"], issue.field_lines["cover"]) == (6, 10)


def test_toml_value_errors_point_at_the_key(parse):
    assert errors_of(parse, '+++\ntitle = "T"\ndate = 2026-01-05\ndraft = "no"\n+++\n') == [
        "1-test.md:4: 'draft' must be true or false"
    ]


def test_toml_syntax_error_points_at_its_line(parse):
    (error,) = errors_of(parse, '\n+++\ntitle = "T"\ndate = 2026-01-05\ntitle: x\n+++\n')
    assert error.startswith("1-test.md:5: invalid TOML: ")
    assert "write `key = value` lines" in error


def test_toml_that_is_not_a_table_of_fields_is_kept_apart(parse):
    issue = parse('+++\ntitle = "T"\ndate = 2026-01-05\n[extra]\ntitle = "Other"\n+++\n')
    assert issue.title == "T"
    assert issue.extra == {"title": "Other"}


# -- a Pelican / MultiMarkdown header ---------------------------------------------------


def test_pelican_header(parse):
    issue = parse(
        """\
        Title: Weekly notes, No. 632
        date: 2013-06-07 18:46
        Category: weekly
        Tags: rust, 数据库,  go
        Authors: Ann, Bo
        Summary: A long summary
            that goes on.
        Slug: notes-632
        Status: draft
        Layout: post

        # A heading, not the title

        Body text.
        """,
        "notes.md",
    )
    assert (issue.title, issue.number, issue.slug) == ("Weekly notes, No. 632", 632, "notes-632")
    assert issue.date == datetime(2013, 6, 7, 18, 46, tzinfo=SHANGHAI)
    assert issue.tags == ("rust", "数据库", "go", "weekly")
    assert issue.authors == ("Ann", "Bo")
    assert issue.summary == "A long summary that goes on."
    assert issue.draft
    assert issue.extra == {"layout": "post"}
    assert issue.field_lines["draft"] == 9
    assert [section.heading for section in issue.sections] == []


@pytest.mark.parametrize(("status", "draft"), [("draft", True), ("published", False)])
def test_pelican_status(parse, status, draft):
    issue = parse(f"Title: T\nDate: 2026-01-05\nStatus: {status}\n\nbody\n")
    assert issue.draft is draft
    assert "status" not in issue.extra


def test_pelican_header_values_are_checked_at_their_line(parse):
    assert errors_of(parse, "Title: T\nDate: someday\nNumber: two\n\nbody\n") == [
        "1-test.md:2: 'someday' is not a valid date; write it as YYYY-MM-DD (e.g. 2026-11-23) "
        "or an ISO date and time (2026-11-23T09:00:00+08:00)",
        "1-test.md:3: number 'two' must be a whole number, e.g. 35",
    ]


def test_a_body_opening_with_a_colon_sentence_is_a_body(parse):
    issue = parse("# 周刊第 3 期\n\nNote: this week is short.\n", "2026-01-05-weekly.md")
    assert (issue.title, issue.number, issue.summary) == (
        "周刊第 3 期",
        3,
        "Note: this week is short.",
    )
    # Dated by its name, with no title: an issue missing its title, the sentence kept.
    assert errors_of(parse, "Note: this week is short.\n\ntext\n", "2026-01-05-weekly.md") == [
        "2026-01-05-weekly.md:1: the issue has no title; add `title: …` to the front matter "
        "or start the body with a `# Title` line"
    ]


# -- no front matter -----------------------------------------------------------------------


def test_no_front_matter_takes_the_h1_and_the_file_name_date(parse):
    issue = parse("# This Week in Widgets 12\n\nHello.\n\n## News\n", "2025-12-31-widgets.md")
    assert (issue.title, issue.number) == ("This Week in Widgets 12", 12)
    assert issue.date == datetime(2025, 12, 31, tzinfo=SHANGHAI)
    assert issue.slug == "2025-12-31-widgets"
    assert issue.source.line == 1


def test_no_front_matter_and_no_date_asks_for_one(parse):
    assert errors_of(parse, "# Widgets\n\ntext\n", "widgets.md") == [
        "widgets.md:1: the issue has no date; add `date: YYYY-MM-DD` to the front matter, "
        "start the file name with the date (2026-11-23-my-issue.md), or commit it to git"
    ]


@pytest.mark.parametrize(
    "text",
    [
        "<!doctype html>\n<html><body><h1>Saved page</h1></body></html>\n",
        "Some notes about this folder.\n\n## Layout\n",
        "Note: this folder holds issues.\n",
    ],
)
def test_a_file_that_is_no_issue_is_still_an_error(parse, text):
    (error,) = errors_of(parse, text, "README.md")
    assert error.startswith("README.md:1: no front matter found; an issue starts with a '---'")


# -- dates ---------------------------------------------------------------------------------

EIGHT = timezone(timedelta(hours=8))


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2025-05-30", datetime(2025, 5, 30, tzinfo=SHANGHAI)),
        ("2025-5-3", datetime(2025, 5, 3, tzinfo=SHANGHAI)),
        ("2022/10/17", datetime(2022, 10, 17, tzinfo=SHANGHAI)),
        ("2022.10.17", datetime(2022, 10, 17, tzinfo=SHANGHAI)),
        ("2013-06-07 18:46", datetime(2013, 6, 7, 18, 46, tzinfo=SHANGHAI)),
        ("2013-06-07 18:46:00 +0800", datetime(2013, 6, 7, 18, 46, tzinfo=EIGHT)),
        (
            "2013/6/7 8:46:05 -05:00",
            datetime(2013, 6, 7, 8, 46, 5, tzinfo=timezone(-timedelta(hours=5))),
        ),
        ("2013-06-07T18:46:00Z", datetime(2013, 6, 7, 18, 46, tzinfo=UTC)),
        ("2013-06-07 18:46:00 UTC", datetime(2013, 6, 7, 18, 46, tzinfo=UTC)),
        ("2013-06-07T18:46:00.250+08:00", datetime(2013, 6, 7, 18, 46, 0, 250000, tzinfo=EIGHT)),
        (datetime(2013, 6, 7, 18, 46), datetime(2013, 6, 7, 18, 46, tzinfo=SHANGHAI)),
        ("2026-02-30", None),
        ("2026-13-01", None),
        ("2013-06-07 25:00", None),
        ("2013-06-07 18:46 +2500", None),
        ("next monday", None),
        ("20260105x", None),
    ],
)
def test_parse_date(value, expected):
    assert parse_date(value, SHANGHAI) == expected


# -- near misses ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("key", "meant"),
    [
        ("drafts", "draft"),
        ("tag", "tags"),
        ("titel", "title"),
        ("dat", "date"),
        ("categroies", "categories"),
        ("Title", "title"),
        ("sumary", "summary"),
    ],
)
def test_a_near_miss_key_is_a_warning_at_its_line(parse, key, meant):
    issue = parse(f"---\ntitle: T\ndate: 2026-01-05\n{key}: x\n---\n")
    (note,) = issue.notes
    assert (note.line, note.level) == (4, "warning")
    assert note.message.startswith(f"unknown key '{key}'; did you mean '{meant}'?")
    assert issue.extra == {key: "x"}


@pytest.mark.parametrize("key", ["layout", "comments", "weight", "toc", "data", "aliases"])
def test_other_unknown_keys_stay_extras_silently(parse, key):
    issue = parse(f"---\ntitle: T\ndate: 2026-01-05\n{key}: x\n---\n")
    assert issue.notes == ()
    assert issue.extra == {key: "x"}


@pytest.mark.parametrize(
    "text",
    [
        '+++\ntitle = "T"\ndate = 2026-01-05\ndrafts = true\n+++\n',
        "Title: T\nDate: 2026-01-05\nDrafts: true\n\nbody\n",
    ],
)
def test_near_misses_in_every_dialect(parse, text):
    (note,) = parse(text).notes
    assert note.line == (4 if text.startswith("+++") else 3)
    assert "did you mean 'draft'?" in note.message
