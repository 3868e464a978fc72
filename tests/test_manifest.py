"""A build with nothing changed writes nothing; any change, or a damaged output, rebuilds."""

from __future__ import annotations

import shutil
from datetime import UTC, datetime
from pathlib import Path

import pytest

from digest.build.pipeline import BuildOptions, build

SITES = Path(__file__).parent / "sites"
NOW = datetime(2026, 11, 23, tzinfo=UTC)


@pytest.fixture
def site(tmp_path: Path) -> Path:
    root = tmp_path / "basic"
    shutil.copytree(SITES / "basic", root)
    return root


def run(site: Path, now: datetime = NOW, **options):
    return build(BuildOptions(site_dir=site, now=now, skip_unchanged=True, **options))


def test_second_build_is_up_to_date_and_reports_the_same_counts(site):
    first = run(site)
    second = run(site)
    assert not first.up_to_date and second.up_to_date
    assert (second.issues, second.items, second.pages) == (first.issues, first.items, first.pages)


@pytest.mark.parametrize(
    "change",
    [
        lambda site: (site / "content/issues/3-third.md").write_text(
            "---\ntitle: T\ndate: 2026-10-19\n---\nNew.\n"
        ),
        lambda site: (site / "content/images/dot.svg").unlink(),
        lambda site: (site / "site.yaml").write_text(
            (site / "site.yaml").read_text() + "feed_limit: 5\n"
        ),
        lambda site: (
            (site / "templates").mkdir() or (site / "templates/archive.html").write_text("x")
        ),
        lambda site: (site / "_site/index.html").write_text("damaged"),
        lambda site: (site / "_site/extra.html").write_text("stray"),
    ],
    ids=["issue", "asset", "config", "template", "damaged output", "stray output"],
)
def test_any_change_rebuilds(site, change):
    run(site)
    change(site)
    assert not run(site).up_to_date
    assert run(site).up_to_date


def test_options_are_part_of_the_key(site):
    run(site)
    assert not run(site, drafts=True).up_to_date
    assert not run(site, base_url="https://other.example/").up_to_date


def test_a_future_issue_falling_due_rebuilds(site):
    run(site)
    assert run(site).up_to_date
    due = datetime(2030, 1, 8, tzinfo=UTC)  # issue 5 is dated 2030-01-07 in Shanghai
    result = run(site, now=due)
    assert not result.up_to_date
    assert (site / "_site/issues/5/index.html").is_file()


def test_without_the_option_every_build_builds(site):
    build(BuildOptions(site_dir=site, now=NOW))
    assert not build(BuildOptions(site_dir=site, now=NOW)).up_to_date
