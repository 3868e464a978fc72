"""A build on several processes writes exactly what a serial build writes."""

from __future__ import annotations

import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest

from digest.build.parallel import PARALLEL_THRESHOLD
from digest.build.pipeline import BuildOptions, build
from digest.errors import DigestError

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "bench"))
from corpus import generate

NOW = datetime(2026, 11, 23, tzinfo=UTC)


def tree(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in root.rglob("*") if p.is_file()}


@pytest.mark.slow
def test_parallel_build_equals_serial_build(tmp_path):
    site = generate(PARALLEL_THRESHOLD + 10, tmp_path / "site")
    # force: the second build must parse again rather than take the first one's cache
    serial = build(
        BuildOptions(site_dir=site, out_dir=tmp_path / "serial", now=NOW, jobs=1, force=True)
    )
    parallel = build(
        BuildOptions(site_dir=site, out_dir=tmp_path / "parallel", now=NOW, jobs=2, force=True)
    )
    assert serial.pages == parallel.pages
    assert tree(tmp_path / "serial") == tree(tmp_path / "parallel")


def test_parallel_build_reports_the_same_problems(tmp_path):
    site = generate(PARALLEL_THRESHOLD + 10, tmp_path / "site")
    for name in ("0003-weekly.md", "0150-weekly.md"):
        issue = site / "content/issues" / name
        issue.write_text(issue.read_text().replace("date:", "date: [", 1), encoding="utf-8")
    reports = []
    for jobs in (1, 2):
        with pytest.raises(DigestError) as caught:
            build(
                BuildOptions(
                    site_dir=site, out_dir=tmp_path / "out", now=NOW, jobs=jobs, force=True
                )
            )
        reports.append([str(problem) for problem in caught.value.problems])
    assert reports[0] == reports[1]
    assert len(reports[0]) == 2
