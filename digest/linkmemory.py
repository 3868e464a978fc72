"""`.digest/links.json`: what `digest check --links` learnt about each link, and when.

A link checked less than the age limit ago is reported as it was found then, without a
request, so a weekly run over the whole archive asks only about new and stale links.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

from digest.errors import Problem
from digest.linkprobe import UNCHECKED, Verdict

MEMORY_DIR = ".digest"
MEMORY_NAME = "links.json"
FORMAT = 1


@dataclass(slots=True)
class LinkMemory:
    path: Path
    links: dict[str, tuple[Verdict, datetime]] = field(default_factory=dict)
    """Request URL -> (what it was, when it was checked)."""

    @classmethod
    def load(cls, site_root: Path) -> tuple[LinkMemory, Problem | None]:
        """The site's memory; an empty one, and a warning, if the file is unreadable."""
        path = site_root / MEMORY_DIR / MEMORY_NAME
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            if not isinstance(data, dict) or data.get("format") != FORMAT:
                raise ValueError("not a links file of this digest")
            links = {
                url: (
                    Verdict(
                        entry["status"], entry.get("code"), entry.get("final"), entry["reason"]
                    ),
                    datetime.fromisoformat(entry["checked"]),
                )
                for url, entry in data["links"].items()
            }
        except FileNotFoundError:
            return cls(path), None
        except (OSError, ValueError, KeyError, TypeError, AttributeError) as error:
            message = f"the link memory is unreadable ({error}); checking every link afresh"
            return cls(path), Problem(path, None, message, "warning")
        return cls(path, links), None

    def fresh(self, url: str, now: datetime, age: timedelta) -> Verdict | None:
        """What `url` was when checked less than `age` before `now`."""
        known = self.links.get(url)
        if known is None or now - known[1] >= age or now < known[1]:
            return None
        return known[0]

    def remember(self, url: str, verdict: Verdict, now: datetime) -> None:
        """Keep a verdict; one that is no verdict (rate limited) is asked again next run."""
        if verdict.status != UNCHECKED:
            self.links[url] = (verdict, now)

    def forget_all_but(self, urls: set[str]) -> None:
        """Drop links no issue has any more (after a run over every issue)."""
        for url in set(self.links) - urls:
            del self.links[url]

    def save(self) -> None:
        """Written whole and renamed into place: a run stopped half-way leaves the old file."""
        folder = self.path.parent
        folder.mkdir(parents=True, exist_ok=True)
        ignore = folder / ".gitignore"
        if not ignore.exists():
            ignore.write_text("# digest's cache: never commit it\n*\n", encoding="utf-8")
        links = {
            url: {
                "status": verdict.status,
                "code": verdict.code,
                "final": verdict.final,
                "reason": verdict.reason,
                "checked": checked.isoformat(timespec="seconds"),
            }
            for url, (verdict, checked) in sorted(self.links.items())
        }
        temporary = self.path.with_name(f".{self.path.name}.{os.getpid()}.tmp")
        temporary.write_text(
            json.dumps({"format": FORMAT, "links": links}, ensure_ascii=False, indent=0),
            encoding="utf-8",
        )
        os.replace(temporary, self.path)
