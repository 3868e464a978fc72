"""`digest show`: groups, labels and notes as the author will read them."""

from __future__ import annotations

from digest.authoring.show import issue_as_dict, issue_as_text

TEXT = (
    "---\ntitle: T\ndate: 2026-11-02\n---\n## Updates\n\n### Official\n\n"
    "- [video] [A talk](https://v.example/t)\n- [Plain](https://p.example/)\n\n"
    "## 一篇随笔\n\nJust prose.\n\n## News\n\n- [lost](https://a.example/x y)\n"
)


def test_text_shows_groups_labels_prose_and_notes(parse):
    text = issue_as_text(parse(TEXT))
    assert "  ### Official\n    - [video] A talk  <https://v.example/t>\n" in text
    assert "    - Plain  <https://p.example/>" in text
    assert "一篇随笔: 0 items  (prose)" in text
    assert "line 18: warning: the link [lost](https://a.example/x y) has a space" in text


def test_json_has_groups_and_labels(parse):
    data = issue_as_dict(parse(TEXT))
    updates = data["sections"][0]
    assert [(g["title"], g["depth"], g["items"]) for g in updates["groups"]] == [("Official", 1, 2)]
    assert [(i["label"], i["group"]) for i in updates["items"]] == [
        ("video", "Official"),
        ("", "Official"),
    ]
