"""`.digest/links.json`: what `digest check --links` learnt about each link, and when.

A link checked less than the age limit ago is reported as it was found then, without a
request, so a weekly run over the whole archive asks only about new and stale links.
Each entry is read when its link is looked up: at 60,000 links, building them all on
loading took longer than the rest of a run that asks nothing.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from digest.authoring.linkprobe import UNCHECKED, Verdict
from digest.errors import Problem

MEMORY_DIR = ".digest"
MEMORY_NAME = "links.json"
FORMAT = 1


@dataclass(slots=True)
class LinkMemory:
    path: Path
    links: dict[str, dict[str, Any]] = field(default_factory=dict)
    """Request URL -> {status, code, final, reason, checked (ISO datetime)}."""
    changed: bool = False

    @classmethod
    def load(cls, site_root: Path) -> tuple[LinkMemory, Problem | None]:
        """The site's memory; an empty one, and a warning, if the file is unreadable."""
        path = site_root / MEMORY_DIR / MEMORY_NAME
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            if not isinstance(data, dict) or data.get("format") != FORMAT:
                raise ValueError("not a links file of this digest")
            links = data["links"]
            if not isinstance(links, dict):
                raise ValueError("no links in it")
        except FileNotFoundError:
            return cls(path), None
        except (OSError, ValueError, KeyError) as error:
            message = f"the link memory is unreadable ({error}); checking every link afresh"
            return cls(path, changed=True), Problem(path, None, message, "warning")
        return cls(path, links), None

    def fresh(self, url: str, now: datetime, age: timedelta) -> Verdict | None:
        """What `url` was when checked less than `age` before `now`; None for a link not
        known, known for longer, or whose entry is damaged."""
        entry = self.links.get(url)
        if entry is None:
            return None
        try:
            checked = datetime.fromisoformat(entry["checked"])
            if not timedelta(0) <= now - checked < age:
                return None
            return Verdict(entry["status"], entry["code"], entry["final"], entry["reason"])
        except (TypeError, KeyError, ValueError):
            return None

    def remember(self, url: str, verdict: Verdict, now: datetime) -> None:
        """Keep a verdict; one that is no verdict (rate limited) is asked again next run."""
        if verdict.status == UNCHECKED:
            return
        self.links[url] = {
            "status": verdict.status,
            "code": verdict.code,
            "final": verdict.final,
            "reason": verdict.reason,
            "checked": now.isoformat(timespec="seconds"),
        }
        self.changed = True

    def forget_all_but(self, urls: set[str]) -> None:
        """Drop links no issue has any more (after a run over every issue)."""
        for url in set(self.links) - urls:
            del self.links[url]
            self.changed = True

    def save(self) -> None:
        """Written whole and renamed into place, only when something changed: a run
        stopped half-way leaves the old file."""
        if not self.changed:
            return
        folder = self.path.parent
        folder.mkdir(parents=True, exist_ok=True)
        ignore = folder / ".gitignore"
        if not ignore.exists():
            ignore.write_text("# digest's cache: never commit it\n*\n", encoding="utf-8")
        data = {"format": FORMAT, "links": dict(sorted(self.links.items()))}
        temporary = self.path.with_name(f".{self.path.name}.{os.getpid()}.tmp")
        # One line per link; the C encoder (no indent) is ten times quicker.
        text = json.dumps(data, ensure_ascii=False, separators=(",", ":"))
        temporary.write_text(text.replace(',"http', ',\n"http'), encoding="utf-8")
        os.replace(temporary, self.path)
        self.changed = False
