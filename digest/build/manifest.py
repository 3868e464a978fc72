"""What the last build read and wrote, so a build that would change nothing is skipped.

A weekly's author runs `digest build` again and again; when no source file,
template, static file, option or digest itself changed, and the output is
still exactly what the last build wrote, the answer is known without building.
Files are compared by size, modification time and inode (an editor's atomic
save makes a new inode), which is what `make` and Hugo trust too.
"""

from __future__ import annotations

import contextlib
import json
import os
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from digest import __version__

MANIFEST = Path(".digest") / "last-build.json"

Snapshot = dict[str, list[int]]
Stamp = list[int]


@dataclass(frozen=True, slots=True)
class LastBuild:
    """What the previous build left in the output folder, as its manifest tells it."""

    folder: Path
    key: str
    fingerprints: dict[str, str]
    """Page path -> fingerprint."""
    files: dict[str, Stamp | None]
    """Output path -> [mtime_ns, size, inode] when the last build finished."""
    sources: dict[str, Stamp]
    """Asset output path -> [mtime_ns, size] of the file it was copied from."""
    marks: dict[str, str]
    """Issue page path -> digest of what of it the search index holds (search.search_mark)."""
    templates: dict[str, tuple[str, list[str]]] = field(default_factory=dict)
    """Template name -> (a hash of its text, the templates that text names)."""

    def intact(self, path: str) -> str | None:
        """The last build's file at `path`, if nothing has touched it since."""
        expected = self.files.get(path)
        if expected is None:
            return None
        file = os.path.join(self.folder, path)
        return file if stamp(file) == expected else None


@dataclass(frozen=True, slots=True)
class Summary:
    issues: int
    items: int
    pages: int


def snapshot(folders: list[Path], files: list[Path]) -> Snapshot:
    """(mtime_ns, size, inode) of every file below `folders`, plus `files`.

    Folders are read with scandir and plain strings: the no-change check runs this over
    every input and output file, and pathlib objects took half its time.
    """
    found: Snapshot = {}
    for path in files:
        _add(found, str(path))
    for folder in folders:
        _scan(found, str(folder))
    return found


def _scan(found: Snapshot, directory: str) -> None:
    """Like os.walk: a symlink to a folder is not followed, a symlink to a file is."""
    try:
        entries = list(os.scandir(directory))
    except OSError:
        return
    for entry in entries:
        try:
            is_folder = entry.is_dir()
        except OSError:
            is_folder = False
        if is_folder:
            if not entry.is_symlink():
                _scan(found, entry.path)
        else:
            _add(found, entry.path)


def _add(found: Snapshot, path: str) -> None:
    found_stamp = stamp(path)
    if found_stamp is not None:
        found[path] = found_stamp


def stamp(path: Path | str) -> Stamp | None:
    """[mtime_ns, size, inode] of a file, or None when it cannot be read."""
    try:
        status = os.stat(path)
    except OSError:
        return None
    return [status.st_mtime_ns, status.st_size, status.st_ino]


def inputs(site_root: Path, theme: Path) -> Snapshot:
    """Every file a build reads: sources, templates, static files, and digest's own code."""
    folders = [site_root / "content", site_root / "templates", site_root / "static"]
    folders += [theme / "templates", theme / "static", Path(__file__).parent.parent]
    return snapshot(list(dict.fromkeys(folders)), [site_root / "site.yaml"])


def options_key(options: dict[str, object]) -> str:
    return json.dumps({"version": __version__, **options}, sort_keys=True, default=str)


def read(site_root: Path) -> dict[str, Any]:
    """The last build's record as saved ({} when there is none or it cannot be read):
    read once a build, for up_to_date and last_build (1 MB at 2,000 issues)."""
    try:
        saved = json.loads((site_root / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return saved if isinstance(saved, dict) else {}


def up_to_date(
    saved: dict[str, Any], key: str, sources: Snapshot, out_dir: Path, now: datetime
) -> Summary | None:
    """The last build's summary when building again would write the same files."""
    if not saved:
        return None
    due = saved.get("next_due")
    if (
        saved.get("key") != key
        or saved.get("inputs") != sources
        or (due is not None and now >= datetime.fromisoformat(due))
        or saved.get("year") != now.year
        or saved.get("outputs") != snapshot([out_dir], [])
    ):
        return None
    return Summary(**saved["summary"])


def last_build(saved: dict[str, Any], out_dir: Path) -> LastBuild | None:
    """What the last build wrote into `out_dir`, for reusing its unchanged files."""
    try:
        pages = saved["pages"]
        prefix = str(out_dir) + os.sep
        files = {
            path.removeprefix(prefix): stamp
            for path, stamp in saved["outputs"].items()
            if path.startswith(prefix)
        }
        return LastBuild(
            out_dir,
            pages["key"],
            pages["fingerprints"],
            files,
            pages["sources"],
            pages.get("marks", {}),
            {name: (text, list(refs)) for name, (text, refs) in pages["templates"].items()},
        )
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return None


def remember(
    site_root: Path,
    key: str,
    sources: Snapshot,
    out_dir: Path,
    now: datetime,
    next_due: datetime | None,
    summary: Summary,
    record: LastBuild,
    files: dict[str, Stamp | None],
) -> None:
    """Save what this build read and wrote; a failure to save only costs the next build.

    `record` is what the pages depend on (engine.Engine.update), `files` every file of
    the output (relative path -> stamp), so the manifest need not walk them again.
    """
    prefix = str(out_dir) + os.sep  # as last_build reads it; 4,000 Path joins took 15 ms
    saved = {
        "key": key,
        "inputs": sources,
        "outputs": {prefix + path: found for path, found in files.items()},
        "year": now.year,
        "next_due": next_due.isoformat() if next_due else None,
        "summary": {"issues": summary.issues, "items": summary.items, "pages": summary.pages},
        "pages": {
            "key": record.key,
            "fingerprints": record.fingerprints,
            "sources": record.sources,
            "marks": record.marks,
            "templates": record.templates,
        },
    }
    path = site_root / MANIFEST
    with contextlib.suppress(OSError):
        path.parent.mkdir(parents=True, exist_ok=True)
        partial = path.with_suffix(".partial")
        partial.write_text(json.dumps(saved), encoding="utf-8")
        os.replace(partial, path)


def snapshot_relative(root: Path, folder: str) -> dict[str, Stamp | None]:
    """The stamps of the files below `root/folder`, by their path below `root`."""
    prefix = str(root) + os.sep
    found = snapshot([root / folder], [])
    return {path.removeprefix(prefix).replace(os.sep, "/"): value for path, value in found.items()}
