"""Fingerprints: equal for what shows the same, different where a page shows a change."""

from __future__ import annotations

from datetime import UTC, datetime

from digest.build.fingerprint import Tokens, page_fingerprint
from digest.site.assemble import assemble
from digest.site.plan import make_plan

NOW = datetime(2026, 11, 23, tzinfo=UTC)

ISSUE = """\
---
title: Weekly {number}
date: 2026-0{number}-02
---
## News

### [A story](https://example.com/{number})

{summary}
"""


def fingerprints(config, parse, summaries: dict[int, str]) -> dict[str, str]:
    issues = [
        parse(ISSUE.format(number=number, summary=summary), f"{number}-weekly.md")
        for number, summary in summaries.items()
    ]
    site, _ = assemble(config, issues, NOW)
    pages, _ = make_plan(site)
    tokens = Tokens()
    return {page.path: page_fingerprint(page, tokens) for page in pages}


def test_the_same_content_parsed_again_gives_the_same_fingerprints(config, parse):
    summaries = {1: "First.", 2: "Second.", 3: "Third."}
    assert fingerprints(config, parse, summaries) == fingerprints(config, parse, summaries)


def test_a_changed_summary_changes_exactly_the_pages_that_show_it(config, parse):
    before = fingerprints(config, parse, {1: "First.", 2: "Second.", 3: "Third."})
    after = fingerprints(config, parse, {1: "First.", 2: "Changed.", 3: "Third."})
    assert {"issues/1/index.html", "issues/3/index.html", "archive/index.html"} <= before.keys()
    changed = {path for path in before if before[path] != after[path]}
    assert "issues/2/index.html" in changed
    assert "issues/1/index.html" not in changed and "issues/3/index.html" not in changed
    assert "sections/news/index.html" in changed  # the section listing shows the item
    assert "archive/index.html" not in changed  # it lists titles and dates only
