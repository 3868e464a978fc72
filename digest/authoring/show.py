"""`digest show`: an issue as the tool understood it, for authors checking their format."""

from __future__ import annotations

from typing import Any

from digest.model import Issue


def issue_as_dict(issue: Issue) -> dict[str, Any]:
    """The model as plain JSON-able data."""
    return {
        "title": issue.title,
        "number": issue.number,
        "date": issue.date.isoformat(),
        "slug": issue.slug,
        "url_path": issue.url_path,
        "tags": list(issue.tags),
        "draft": issue.draft,
        "summary": issue.summary,
        "cover": issue.cover,
        "subtitle": issue.subtitle,
        "authors": list(issue.authors),
        "lang": issue.lang,
        "extra": {key: _jsonable(value) for key, value in issue.extra.items()},
        "intro_html": str(issue.intro_html),
        "sections": [
            {
                "key": section.key,
                "title": section.title,
                "heading": section.heading,
                "known": section.known,
                "line": section.source.line,
                "body_html": str(section.body_html),
                "items": [
                    {
                        "title": item.title,
                        "url": item.url,
                        "label": item.label,
                        "group": item.group,
                        "image": item.image,
                        "line": item.source.line,
                        "anchor": item.anchor,
                        "body_html": str(item.body_html),
                    }
                    for item in section.items
                ],
                "groups": [
                    {
                        "title": group.title,
                        "depth": group.depth,
                        "items": group.size,
                        "anchor": group.anchor,
                        "body_html": str(group.body_html),
                        "tail_html": str(group.tail_html),
                    }
                    for group in section.groups
                ],
            }
            for section in issue.sections
        ],
    }


def issue_as_text(issue: Issue) -> str:
    number = f"#{issue.number} " if issue.number is not None else ""
    lines = [
        f"{number}{issue.title}",
        f"date: {issue.date.isoformat()}   slug: {issue.slug}   url: /{issue.url_path}",
    ]
    if issue.tags:
        lines.append(f"tags: {', '.join(issue.tags)}")
    if issue.draft:
        lines.append("draft: yes")
    for section in issue.sections:
        mark = "" if section.known else "  (matches no configured section)"
        if not section.items:
            mark = "  (prose)"
        heading = f" ← {section.heading}" if section.heading != section.title else ""
        lines.append(
            f"\n[{section.key}] {section.title}{heading}: {len(section.items)} "
            f"item{'' if len(section.items) == 1 else 's'}{mark}"
        )
        start = 0
        for group in section.groups:
            indent = "  " * (group.depth if group.title else 0)
            if group.title:
                lines.append(f"  {indent[2:]}### {group.title}")
            for item in section.items[start : start + group.size]:
                label = f"[{item.label}] " if item.label else ""
                link = f"  <{item.url}>" if item.url else "  (no link)"
                lines.append(f"  {indent}- {label}{item.title}{link}")
            start += group.size
    for note in issue.notes:
        lines.append(f"\nline {note.line}: {note.level}: {note.message}")
    return "\n".join(lines)


def _jsonable(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(key): _jsonable(inner) for key, inner in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(inner) for inner in value]
    if value is None or isinstance(value, bool | int | float | str):
        return value
    return str(value)
