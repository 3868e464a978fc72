"""What a changed path is to the site."""

from __future__ import annotations

from pathlib import Path

import pytest

from digest.config import load_config
from digest.content.sources import asset_sources, classify, issue_paths

ROOT = Path("/site")
THEME = Path("/theme")


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("/site/site.yaml", ("config", "site.yaml")),
        ("/site/content/issues/1-a.md", ("issue", "content/issues/1-a.md")),
        ("/site/content/issues/sub/2.markdown", ("issue", "content/issues/sub/2.markdown")),
        ("/site/content/images/a.png", ("asset", "images/a.png")),
        ("/site/content/inbox/x.md", ("other", "content/inbox/x.md")),
        ("/site/content/notes.md", ("other", "content/notes.md")),
        ("/site/templates/partials/item.html", ("template", "partials/item.html")),
        ("/theme/templates/base.html", ("template", "base.html")),
        ("/site/static/css/style.css", ("asset", "css/style.css")),
        ("/theme/static/js/filter.js", ("asset", "js/filter.js")),
        ("/site/content/issues/.1-a.md.swp", ("other", "/site/content/issues/.1-a.md.swp")),
        ("/site/_site/index.html", ("other", "/site/_site/index.html")),
        ("/elsewhere/x.md", ("other", "/elsewhere/x.md")),
    ],
)
def test_classify(path, expected):
    assert classify(Path(path), ROOT, THEME) == expected


def test_issue_paths_finds_both_suffixes_in_year_folders(make_site):
    root = make_site(
        {
            "content/issues/2023/12.md": "# a\n",
            "content/issues/2024/12.markdown": "# b\n",
            "content/issues/2024/notes.txt": "not an issue\n",
            "content/issues/.drafts/1.md": "# hidden\n",
        }
    )
    found = [path.relative_to(root).as_posix() for path in issue_paths(load_config(root))]
    assert found == ["content/issues/2023/12.md", "content/issues/2024/12.markdown"]


def test_asset_sources_layer_and_leave_out_what_is_not_published(tmp_path: Path) -> None:
    """Theme static, site static, then content files that are not Markdown: hidden files,
    the inbox, and links out of the site left out; paths sort part by part."""
    theme, site = tmp_path / "theme", tmp_path / "site"
    for path in [
        theme / "static/css/style.css",
        site / "static/css/style.css",
        site / "static/a-b/c.txt",
        site / "static/a/b.txt",
        site / "content/issues/1-a.md",
        site / "content/images/x.PNG",
        site / "content/images/.hidden.png",
        site / "content/.git/config",
        site / "content/inbox/clip.png",
        tmp_path / "outside/secret.txt",
    ]:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(path.name, encoding="utf-8")
    (site / "content/images/linked.txt").symlink_to(tmp_path / "outside/secret.txt")
    (site / "content/images/inside.txt").symlink_to(site / "content/images/x.PNG")
    (site / "content/images/folder").symlink_to(tmp_path / "outside", target_is_directory=True)
    (site / "site.yaml").write_text("title: T\nbase_url: https://e.org/\n", encoding="utf-8")
    found = asset_sources(load_config(site), theme)
    assert list(found) == [
        "css/style.css",
        "a/b.txt",
        "a-b/c.txt",
        "images/inside.txt",
        "images/x.PNG",
    ]
    assert found["css/style.css"] == site / "static/css/style.css"
    assert found["images/x.PNG"] == site / "content/images/x.PNG"
