"""What a changed path is to the site."""

from __future__ import annotations

from pathlib import Path

import pytest

from digest.sources import classify

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
