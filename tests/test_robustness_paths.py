"""Paths: nothing an issue says can write outside the output, nothing outside the site is
read through a symlink, and every output name works on Windows and macOS too (where
case and Unicode normalization do not tell names apart, and some names are devices).
"""

from __future__ import annotations

import os
import shutil
import unicodedata
from collections.abc import Callable
from pathlib import Path

import pytest

from digest.build.pipeline import BuildOptions, build
from digest.errors import DigestError
from digest.files import safe_join
from digest.text.slug import MAX_SEGMENT_BYTES, unsafe_segment_reason

FORBIDDEN_ON_WINDOWS = set('<>:"|?*\\') | {chr(code) for code in range(32)}
DEVICES = {"CON", "PRN", "AUX", "NUL"} | {
    f"{port}{n}" for port in ("COM", "LPT") for n in range(10)
}


def problems_of(site: Path) -> list[str]:
    with pytest.raises(DigestError) as caught:
        build(BuildOptions(site_dir=site))
    return [str(problem) for problem in caught.value.problems]


def issue(fields: str, body: str = "Text.\n") -> str:
    return f"---\ntitle: T\ndate: 2026-01-05\n{fields}\n---\n{body}"


@pytest.mark.parametrize(
    "slug",
    [
        "../../escaped",
        "/etc/cron.d/x",
        "a\\\\b",
        "C:\\\\x",
        "a\\0b",
        "..",
        "CON",
        "nul",
        "Com1",
        "lpt9.txt",
        "trailing.",
        "a:b",
        "a|b",
        "a?b",
        "a*b",
        "<x>",
        "x" * (MAX_SEGMENT_BYTES + 1),
    ],
)
def test_an_unsafe_slug_is_refused_at_its_line(make_site: Callable[..., Path], slug: str) -> None:
    """Double-quoted YAML, so '\\0' is a real NUL and '\\\\' one backslash."""
    site = make_site({"content/issues/a.md": issue(f'slug: "{slug}"')})
    (problem,) = problems_of(site)
    assert problem.startswith("content/issues/a.md:4: error: slug '") or problem.startswith(
        str(site / "content/issues/a.md") + ":4: error: slug '"
    ), problem
    assert "cannot be a folder name" in problem
    assert not (site / "_site").exists()


@pytest.mark.parametrize("number", ["'../1'", "-1", "'1/2'", "1.5", "'١٢/٣'", "'²'", "[1]"])
def test_a_number_is_a_whole_number_or_refused(make_site: Callable[..., Path], number: str) -> None:
    site = make_site({"content/issues/a.md": issue(f"number: {number}")})
    (problem,) = problems_of(site)
    assert ":4: error: number " in problem and "must be a whole number" in problem, problem


@pytest.mark.parametrize(
    "tag", ["CON", "aux", "Nul", "com3", "长" * 67, "x" * (MAX_SEGMENT_BYTES + 1)]
)
def test_a_tag_whose_folder_cannot_exist_is_refused(
    make_site: Callable[..., Path], tag: str
) -> None:
    site = make_site({"content/issues/a.md": issue(f"tags: [ok, '{tag}']")})
    (problem,) = problems_of(site)
    assert ":4: error: tag '" in problem and "which cannot be" in problem, problem


def assert_portable(out: Path) -> None:
    """Every name in the output works on Windows, macOS and Linux, and no two collide."""
    seen: dict[str, Path] = {}
    for path in out.rglob("*"):
        relative = path.relative_to(out)
        for part in relative.parts:
            assert not FORBIDDEN_ON_WINDOWS & set(part), relative
            assert not part.endswith((".", " ")), relative
            assert part.split(".", 1)[0].upper() not in DEVICES, relative
            assert len(part.encode()) <= 255, relative
        key = unicodedata.normalize("NFC", relative.as_posix()).casefold()
        assert key not in seen, (relative, seen.get(key))
        seen[key] = relative


def test_hostile_tags_and_headings_make_portable_names_inside_the_output(
    make_site: Callable[..., Path], tmp_path: Path
) -> None:
    """Tags and unmatched headings are free text; their folders are slugs that fit."""
    long_heading = "很长的标题" * 30
    body = (
        "## Con\n\n- [a](https://example.org/a) x\n\n"
        f"## {long_heading}\n\n- [b](https://example.org/b) y\n\n"
        "## ../../../escape\n\n- [c](https://example.org/c) z\n\n"
        "## C:\\Windows\\ <x> a|b? *\n\n- [d](https://example.org/d) w\n"
    )
    tags = (
        "tags: ['../../x', '/abs', 'a\\b', 'C:\\x', 'Rust', 'rust', 'RUST', 'café', 'cafe\u0301']"
    )
    site = make_site(
        {
            "content/issues/1-a.md": issue(f"number: 1\n{tags}", body),
            "content/issues/2-a.md": issue("number: 2", body),  # the headings recur: sections
        }
    )
    before = {path for path in tmp_path.rglob("*") if "_site" not in path.parts}
    build(BuildOptions(site_dir=site))
    after = {path for path in tmp_path.rglob("*") if "_site" not in path.parts}
    assert after - before <= {site / ".digest", *(site / ".digest").rglob("*")}
    out = site / "_site"
    assert_portable(out)
    sections = sorted(path.name for path in (out / "sections").iterdir() if path.is_dir())
    assert "con-section" in sections
    assert all(len(name.encode()) <= MAX_SEGMENT_BYTES for name in sections)
    assert (out / "sections/escape/index.html").is_file()
    tags_made = sorted(path.name for path in (out / "tags").iterdir() if path.is_dir())
    assert tags_made == ["a-b", "abs", "c-x", "café", "rust", "x"], tags_made


def test_slugs_equal_but_for_case_or_normalization_are_a_clash(
    make_site: Callable[..., Path],
) -> None:
    site = make_site(
        {
            "content/issues/a.md": issue("slug: Weekly"),
            "content/issues/b.md": issue("slug: weekly"),
            "content/issues/c.md": issue("slug: café"),
            "content/issues/d.md": issue("slug: cafe\u0301"),
        }
    )
    problems = problems_of(site)
    assert len(problems) == 4
    assert all(
        ":4: error: slug '" in problem and "is also used by" in problem for problem in problems
    )


def test_a_number_and_a_slug_naming_one_folder_are_a_clash_with_lines(
    make_site: Callable[..., Path],
) -> None:
    """Issue 5, and an issue without a number whose slug is '5': both want issues/5/."""
    site = make_site(
        {"content/issues/a.md": issue("number: 5"), "content/issues/b.md": issue("slug: '5'")}
    )
    problems = problems_of(site)
    assert problems == [
        "content/issues/a.md:4: error: the folder issues/5/ is also used by b.md; "
        "give one of them another `slug:` or `number:`",
        "content/issues/b.md:4: error: the folder issues/5/ is also used by a.md; "
        "give one of them another `slug:` or `number:`",
    ] or all(":4: error: the folder issues/5/" in problem for problem in problems), problems


def test_symlinks_out_of_the_site_are_not_followed(
    make_site: Callable[..., Path], tmp_path: Path
) -> None:
    outside = tmp_path / "outside"
    (outside / "folder").mkdir(parents=True)
    (outside / "secret.png").write_text("SECRET-ASSET")
    (outside / "folder" / "inner.png").write_text("SECRET-FOLDER")
    (outside / "secret.md").write_text(issue("number: 9", "SECRET-ISSUE\n"))
    (outside / "folder" / "x.md").write_text(issue("number: 8", "SECRET-FOLDER-ISSUE\n"))
    site = make_site({"content/issues/1-a.md": issue("number: 1")})
    content = site / "content"
    (content / "images").mkdir()
    links = {
        content / "issues/2-leak.md": outside / "secret.md",
        content / "issues/linked": outside / "folder",
        content / "images/leak.png": outside / "secret.png",
        content / "images/linked": outside / "folder",
        content / "passwd.txt": Path("/etc/passwd"),
        content / "loop": content,
    }
    for link, target in links.items():
        link.symlink_to(target)
    build(BuildOptions(site_dir=site))
    out = site / "_site"
    assert sorted(path.name for path in (out / "issues").iterdir()) == ["1"]
    passwd = Path("/etc/passwd").read_bytes().split(b"\n", 1)[0]  # its first line
    for path in out.rglob("*"):
        assert not path.is_symlink(), path
        if path.is_file():
            data = path.read_bytes()
            assert b"SECRET-" not in data and passwd not in data, path
    assert not (out / "images/leak.png").exists() and not (out / "passwd.txt").exists()


@pytest.mark.parametrize(
    "relative", ["../x", "a/../../x", "/etc/passwd", "a\\..\\x", "a\x00b", "", ".", "a/.."]
)
def test_the_writer_refuses_paths_that_leave_the_output(tmp_path: Path, relative: str) -> None:
    """The last guard, under every planned page: output.safe_join."""
    with pytest.raises(DigestError):
        safe_join(tmp_path, relative)


def test_the_segment_rules_say_why() -> None:
    assert unsafe_segment_reason("con.html") == (
        "it is a device name on Windows (CON, PRN, AUX, NUL, COM1, LPT1…)"
    )
    assert unsafe_segment_reason("x.") == "it ends with a dot or a space, which Windows drops"
    assert (
        unsafe_segment_reason("中" * 67) == "it is longer than 200 bytes, too long for a file name"
    )
    assert unsafe_segment_reason("中" * 66) is None
    assert unsafe_segment_reason("console") is None and unsafe_segment_reason("com10") is None


def test_an_output_folder_digest_did_not_write_is_refused(make_site: Callable[..., Path]) -> None:
    """`--out templates` (or docs/, static/) emptied the folder and exited 0."""
    site = make_site(
        {
            "content/issues/1-a.md": issue("number: 1"),
            "templates/partials/item.html": "MINE {{ item.title }}\n",
            "docs/notes.md": "My notes\n",
        }
    )
    for folder in ("templates", "docs"):
        with pytest.raises(DigestError) as caught:
            build(BuildOptions(site_dir=site, out_dir=site / folder, search=False))
        (problem,) = caught.value.problems
        assert f"the output folder {site / folder} holds files digest did not write" in str(problem)
    assert (site / "templates/partials/item.html").read_text() == "MINE {{ item.title }}\n"
    assert (site / "docs/notes.md").read_text() == "My notes\n"
    assert not any(path.name.startswith(".digest-tmp") for path in site.iterdir())

    (site / "empty").mkdir()
    build(BuildOptions(site_dir=site, out_dir=site / "empty", search=False))  # empty: fine
    out = site / "_site"
    build(BuildOptions(site_dir=site, search=False))
    assert (out / ".digest-output").is_file()
    build(BuildOptions(site_dir=site, search=False, force=True))  # its own output: fine

    # An output of a digest before the marker: the manifest names it, or its files do.
    (out / ".digest-output").unlink()
    build(BuildOptions(site_dir=site, search=False, force=True))
    (out / ".digest-output").unlink()
    shutil.rmtree(site / ".digest")
    build(BuildOptions(site_dir=site, search=False, force=True))


def test_an_issue_file_name_that_is_not_utf8_is_refused_readably(
    make_site: Callable[..., Path], capsys: pytest.CaptureFixture[str]
) -> None:
    """Unzipping a GBK archive gives names Python holds as surrogates: no crash, and a
    name the author can read and find, in build and check alike."""
    from digest.cli import main

    site = make_site({"content/issues/1-fine.md": issue("number: 1")})
    name = "第2期".encode("gbk") + b".md"
    (site / "content" / "issues" / os.fsdecode(name)).write_text(issue("number: 2"))
    for command in (["build", "--site", str(site), "--no-search"], ["check", "--site", str(site)]):
        assert main(command) == 1
        said = "".join(capsys.readouterr())  # check reports on stdout, build on stderr
        assert "\\xb5\\xda2\\xc6\\xda.md: error: the file name is not valid UTF-8" in said
        assert "internal error" not in said
    assert not (site / "_site").exists()
