"""`digest check`: each rule on a small site, and the exit status with --strict."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from digest.authoring.lint import check
from digest.cli import main

NOW = datetime(2026, 11, 23, tzinfo=UTC)


def messages(site: Path) -> list[str]:
    return [
        f"{Path(p.path).name}:{p.line}: {p.level}: {p.message}" for p in check(site, NOW).problems
    ]


def test_clean_site_has_no_problems(make_site):
    site = make_site(
        {
            "content/issues/1-a.md": "---\ntitle: A\ndate: 2026-11-02\n---\n## News\n\n"
            "- [a](https://a.example/x) fine\n",
        }
    )
    assert messages(site) == []


def test_every_warning(make_site):
    site = make_site(
        {
            "content/issues/1-a.md": (
                "---\ntitle: A\ndate: 2026-11-09\n---\n"  # lines 1-4
                "## News\n\n"  # 5
                "- [a](https://www.a.example/x/) fine\n"  # 7
                "- [a again](http://a.example/x?utm_source=rss) twice\n"  # 8
                "- [bad](https:///nohost) no host\n"  # 9
                "\n## 本周金句\n\n"  # 11
                "## Tools\n\n"  # 13
                "### [No link here]()\n\ntext\n\n"  # 15
                "### [img](https://i.example/)\n\n![](/images/missing.png)\n"  # 19
            ),
            "content/issues/2-b.md": (
                "---\ntitle: B\ndate: 2026-11-02\n---\n## News\n\n"
                "- [old](https://a.example/x) already\n"  # 7
                "\n## Special\n\n- [s](https://s.example/)\n"  # 9
            ),
            "content/issues/3-draft.md": (
                "---\ntitle: D\ndate: 2026-09-01\ndraft: true\n---\nText.\n"
            ),
        }
    )
    assert messages(site) == [
        "1-a.md:7: warning: https://www.a.example/x/ was already published in 'B' (2-b.md:7)",
        "1-a.md:8: warning: http://a.example/x?utm_source=rss is already linked at line 7",
        "1-a.md:8: warning: http://a.example/x?utm_source=rss carries tracking parameters "
        "(utm_source); remove them",
        "1-a.md:9: warning: malformed link: 'https:///nohost' has no valid host name",
        "1-a.md:11: warning: section '本周金句' is empty",
        "1-a.md:15: warning: item 'No link here' has no link",
        "1-a.md:19: warning: image /images/missing.png not found in content/ or static/",
        "2-b.md:3: warning: dated 2026-11-02, before issue 1 (2026-11-09); check the date or the "
        "number",
        "2-b.md:9: warning: section 'Special' holds items but matches no configured section "
        "(News, Blogs, Open source, Tools, Resources) and no heading of another issue; rename it "
        "or add it to an entry's aliases in site.yaml",
        "3-draft.md:3: warning: dated 2026-09-01, before issue 2 (2026-11-02); check the date or "
        "the number",
        "3-draft.md:4: warning: draft dated 2026-09-01 is more than 4 weeks old; publish it or "
        "delete it",
    ]


def test_build_errors_come_first_and_strict_fails_on_warnings(make_site, monkeypatch, capsys):
    site = make_site(
        {
            "content/issues/1-a.md": "---\ntitle: A\ndate: 2026-11-02\n---\n## Special\n\n- [s](https://s.example/)\n"
        }
    )
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1795392000")
    monkeypatch.chdir(site)
    assert main(["check"]) == 0
    out, err = capsys.readouterr()
    assert out.startswith("content/issues/1-a.md:5: warning: section 'Special'")
    assert err.strip() == "checked: 0 errors, 1 warning"
    assert main(["check", "--strict"]) == 1
    (site / "content/issues/2-b.md").write_text("---\ntitle: [\n---\n", encoding="utf-8")
    assert main(["check"]) == 1
    out, _ = capsys.readouterr()
    assert "content/issues/2-b.md:3: error: invalid YAML" in out
