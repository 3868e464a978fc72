"""Themes are code from strangers: a template runs in Jinja's sandbox, is read only from a
regular file inside the site or the theme, and a page that renders too long is stopped.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from digest.build.pipeline import BuildOptions, build
from digest.errors import DigestError, Problem

ISSUE = "---\ntitle: T\ndate: 2026-01-05\nnumber: 1\n---\n## News\n\n- [A](https://a.example/)\n"
ENDLESS = "{% for i in range(100000) %}{% for j in range(100000) %}{% endfor %}{% endfor %}\n"


def problems_of(site: Path, out: Path | None = None) -> list[Problem]:
    with pytest.raises(DigestError) as caught:
        build(BuildOptions(site_dir=site, out_dir=out, search=False))
    return caught.value.problems


def run_digest(*args: str, timeout: float = 60) -> subprocess.CompletedProcess:
    """A build in a process of its own: a hang fails the test instead of stalling the run."""
    return subprocess.run(
        [sys.executable, "-m", "digest.cli", *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


@pytest.mark.parametrize(
    "template",
    [
        "{{ cycler.__init__.__globals__.os.popen('touch MARKER').read() }}",
        "{{ joiner.__init__.__globals__['os'].system('touch MARKER') }}",
        "{{ site.root.joinpath('site.yaml').write_text('MARKER') }}",
        "{{ ''.__class__.__mro__[1].__subclasses__() }}",
    ],
)
def test_a_template_cannot_run_commands_or_touch_files(
    make_site: Callable[..., Path], tmp_path: Path, template: str
) -> None:
    marker = tmp_path / "pwned"
    site = make_site(
        {
            "content/issues/1-a.md": ISSUE,
            "templates/robots.txt": template.replace("MARKER", str(marker)) + "\n",
        }
    )
    yaml_before = (site / "site.yaml").read_text()
    (problem,) = problems_of(site)
    assert problem.path is not None and problem.path.as_posix().endswith("templates/robots.txt")
    assert problem.line == 1 and "template error" in problem.message
    assert not marker.exists() and (site / "site.yaml").read_text() == yaml_before
    assert not (site / "_site").exists()


@pytest.mark.parametrize(
    ("template", "refused"),
    [
        ("{{ 9**999999999 }}", "power"),  # hung every build, folded as it compiled
        ("{% set n = 999999999 %}{{ 7 ** n }}", "power"),
        ("{{ 'x' * 10**10 }}", "repeat"),  # 10 GB before the time limit
        ("{{ 10**9 * [0] }}", "repeat"),
    ],
)
def test_a_template_cannot_make_a_huge_number_or_string(
    make_site: Callable[..., Path], template: str, refused: str
) -> None:
    site = make_site(
        {
            "content/issues/1-a.md": ISSUE,
            "templates/robots.txt": "{{ 2**10 }} {{ 'ab' * 3 }}\n" + template + "\n",
        }
    )
    done = run_digest("build", "--site", str(site), "--no-search", timeout=60)
    assert done.returncode == 1, done.stderr
    assert "templates/robots.txt:2: error: template error" in done.stderr, done.stderr
    assert f"a {refused} " in done.stderr and "Traceback" not in done.stderr
    (site / "templates/robots.txt").write_text("{{ 2**10 }} {{ 'ab' * 3 }}\n", encoding="utf-8")
    done = run_digest("build", "--site", str(site), "--no-search", timeout=60)
    assert done.returncode == 0, done.stderr
    assert (site / "_site/robots.txt").read_text(encoding="utf-8") == "1024 ababab\n"


def test_a_template_cannot_read_a_file_through_a_path(make_site: Callable[..., Path]) -> None:
    site = make_site(
        {
            "content/issues/1-a.md": ISSUE,
            "templates/robots.txt": "{{ (site.root / '/etc/passwd').read_text() }}\n",
        }
    )
    (problem,) = problems_of(site)
    assert "read_text" in problem.message and "unsafe" in problem.message


def test_the_theme_still_renders_in_the_sandbox(make_site: Callable[..., Path]) -> None:
    """Names, loops, filters, str methods and the globals templates use all still work."""
    site = make_site(
        {
            "content/issues/1-a.md": ISSUE,
            "templates/robots.txt": (
                "{{ site.title.lower() }} {{ 'a-{}'.format(1) }} {{ url('x') }} "
                "{% for i in range(3) %}{{ loop.index }}{% endfor %}\n"
            ),
        }
    )
    build(BuildOptions(site_dir=site, search=False))
    assert (site / "_site/robots.txt").read_text() == "test weekly a-1 /x 123"


def test_a_template_symlink_out_of_the_site_is_not_followed(
    make_site: Callable[..., Path], tmp_path: Path
) -> None:
    outside = tmp_path / "outside.html"
    outside.write_text("SECRET-TEMPLATE\n")
    site = make_site({"content/issues/1-a.md": ISSUE})
    (site / "templates/partials").mkdir(parents=True)
    (site / "templates/robots.txt").symlink_to("/etc/passwd")
    (site / "templates/partials/footer.html").symlink_to(outside)
    problems = problems_of(site)
    shown = sorted(
        (problem.path.as_posix().split("templates/")[-1], problem.message)
        for problem in problems
        if problem.path is not None
    )
    assert [name for name, _ in shown] == ["partials/footer.html", "robots.txt"], problems
    assert all("symlink" in message and "outside the site" in message for _, message in shown)
    assert not (site / "_site").exists()


def test_a_template_symlink_inside_the_site_is_followed(make_site: Callable[..., Path]) -> None:
    site = make_site(
        {"content/issues/1-a.md": ISSUE, "shared/robots.txt": "User-agent: *\nShared\n"}
    )
    (site / "templates").mkdir()
    (site / "templates/robots.txt").symlink_to(site / "shared/robots.txt")
    build(BuildOptions(site_dir=site, search=False))
    assert (site / "_site/robots.txt").read_text() == "User-agent: *\nShared\n"


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no FIFOs here")
def test_fifos_in_the_site_do_not_hang_the_build(make_site: Callable[..., Path]) -> None:
    site = make_site({"content/issues/1-a.md": ISSUE, "static/css/site.css": "a{}"})
    for fifo in [
        "templates/partials/unused.html",
        "static/pipe.css",
        "content/pipe.png",
        "content/issues/2-pipe.md",
    ]:
        (site / fifo).parent.mkdir(parents=True, exist_ok=True)
        os.mkfifo(site / fifo)
    done = run_digest("build", "--site", str(site), "--no-search")
    assert done.returncode == 0, done.stderr
    assert (site / "_site/issues/1/index.html").is_file()
    assert not (site / "_site/pipe.css").exists()

    os.mkfifo(site / "templates/robots.txt")  # one the build needs
    done = run_digest("build", "--site", str(site), "--no-search")
    assert done.returncode == 1
    assert "templates/robots.txt: error: not a regular file" in done.stderr
    assert "Traceback" not in done.stderr


def test_a_page_that_renders_too_long_is_stopped_at_its_line(
    make_site: Callable[..., Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    """An endless loop in a template every page uses: stopped at the first page, at the
    template's line, after the limit site.yaml sets (here 1 s); in worker processes too."""
    from conftest import SITE_YAML

    from digest.build import engine

    site = make_site(
        {"content/issues/1-a.md": ISSUE, "templates/partials/footer.html": "<footer>\n" + ENDLESS},
        SITE_YAML + "render_timeout: 1\n",
    )
    done = run_digest("build", "--site", str(site), "--no-search", "--jobs", "1")
    assert done.returncode == 1, done.stderr
    (line,) = done.stderr.strip().splitlines()[:-1]  # the error, then the summary line
    assert line.endswith(
        "templates/partials/footer.html:2: error: rendering took longer than 1 s (while "
        "rendering index.html); is a loop endless? The limit is render_timeout in site.yaml"
    ), done.stderr

    monkeypatch.setattr(engine, "PARALLEL_PAGES", 1)  # rendered by forked workers
    (problem,) = problems_of(site)
    assert (problem.path.name, problem.line) == ("footer.html", 2)  # type: ignore[union-attr]
    assert problem.message.startswith("rendering took longer than 1 s")
