"""Incremental rebuilds: what a change touches, and that the result equals a full build."""

from __future__ import annotations

import shutil
from datetime import UTC, datetime
from pathlib import Path

import pytest

import digest.build.builder as builder_module
from digest.build.builder import Builder
from digest.errors import DigestError

SITES = Path(__file__).parent / "sites"
NOW = datetime(2026, 11, 23, tzinfo=UTC)


@pytest.fixture
def site(tmp_path: Path) -> Path:
    root = tmp_path / "basic"
    shutil.copytree(SITES / "basic", root)
    return root


def fresh(site: Path):
    return Builder(site, clock=lambda: NOW).build()


def assert_same(output, expected) -> None:
    assert output.files.keys() == expected.files.keys()
    different = [path for path in expected.files if output.files[path] != expected.files[path]]
    assert not different
    assert output.assets == expected.assets


@pytest.fixture
def renders(count_renders) -> list[str]:
    """The paths rendered, in order."""
    return count_renders(builder_module)


def test_editing_one_issue_renders_only_the_pages_that_show_it(site, renders):
    builder = Builder(site, clock=lambda: NOW)
    builder.build()
    renders.clear()
    issue = site / "content/issues/3-third.md"
    issue.write_text(issue.read_text().replace("Short one.", "Short one, edited."))
    output = builder.update([issue])
    assert "issues/3/index.html" in renders
    assert "issues/1/index.html" not in renders  # not a neighbour of issue 3
    assert "sections/tools/index.html" not in renders  # issue 3 has no tools
    assert "tags/python/index.html" not in renders
    assert "feed.xml" in renders
    assert "sitemap.xml" not in renders  # it lists paths and dates, not content
    assert "issues/3/index.html" in output.changed
    assert "issues/1/index.html" not in output.changed
    assert_same(output, fresh(site))


def test_a_series_of_edits_equals_a_full_build(site):
    builder = Builder(site, clock=lambda: NOW)
    builder.build()
    issues = site / "content/issues"

    def edit() -> list[Path]:
        first = issues / "1-first.md"
        first.write_text(first.read_text().replace("quickly", "very quickly"))
        return [first]

    def add() -> list[Path]:
        new = issues / "6-new.md"
        new.write_text(
            "---\ntitle: New\ndate: 2026-10-26\ntags: [go]\n---\n## Tools\n\n"
            "- [go](https://go.dev/) x\n"
        )
        return [new]

    def rename() -> list[Path]:
        (issues / "3-third.md").rename(issues / "7-renamed.md")
        return [issues / "3-third.md", issues / "7-renamed.md"]

    def delete() -> list[Path]:
        (issues / "2-second.md").unlink()
        return [issues / "2-second.md"]

    def override_template() -> list[Path]:
        (site / "templates/partials").mkdir(parents=True)
        item = site / "templates/partials/item.html"
        item.write_text('<p class="mine">{{ item.title }}</p>\n')
        return [item]

    def static() -> list[Path]:
        style = site / "static/css/style.css"
        style.parent.mkdir(parents=True)
        style.write_text("body{}")
        return [style]

    def config() -> list[Path]:
        path = site / "site.yaml"
        path.write_text(path.read_text().replace("paginate: 2", "paginate: 1"))
        return [path]

    for step in [edit, add, rename, delete, override_template, static, config]:
        output = builder.update(step())
        assert_same(output, fresh(site))
    assert '<p class="mine">uv</p>' in output.files["issues/1/index.html"].decode()
    assert "issues/2/index.html" not in output.files
    assert output.assets["css/style.css"] == site / "static/css/style.css"


def test_a_broken_edit_raises_and_the_fix_recovers(site):
    builder = Builder(site, clock=lambda: NOW)
    good = builder.build()
    issue = site / "content/issues/3-third.md"
    text = issue.read_text()
    issue.write_text(text.replace("title: Third issue", "title: [broken"))
    with pytest.raises(DigestError) as caught:
        builder.update([issue])
    assert caught.value.problems[0].path == issue
    assert builder.output is good  # the last good build is still what is served
    issue.write_text(text.replace("Short one.", "Fixed."))
    output = builder.update([issue])
    assert b"Fixed." in output.files["issues/3/index.html"]
    assert_same(output, fresh(site))


def test_template_change_rerenders_only_pages_using_it(site, renders):
    builder = Builder(site, clock=lambda: NOW)
    builder.build()
    renders.clear()
    (site / "templates").mkdir()
    archive = site / "templates/archive.html"
    archive.write_text('{% extends "theme/archive.html" %}')
    builder.update([archive])
    assert renders == ["archive/index.html"]
