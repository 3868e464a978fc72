"""File-system helpers for every stage that writes output: paths that cannot leave their
folder, hard links with a copy as fallback, and a quick listing of a tree."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from digest.errors import DigestError, Problem


def safe_join(root: Path, relative: str) -> Path:
    """`root/relative`, refusing any path that would leave `root`."""
    return Path(safe_path(str(root), relative))


def safe_path(root: str, relative: str) -> str:
    """safe_join on strings: the form for the thousands of files a build keeps."""
    parts = [part for part in relative.split("/") if part]
    if (
        not parts
        or relative.startswith("/")
        or "\\" in relative
        or "\x00" in relative
        or any(part in ("..", ".") for part in parts)
    ):
        raise DigestError(
            Problem(None, None, f"refusing to write outside the output: {relative!r}")
        )
    return os.path.join(root, *parts)


def write_file(root: Path, relative: str, data: bytes) -> Path:
    """Write `data` at `root/relative`, refusing any path that would leave `root`. The
    file is replaced, never written into: a hard link to it (the last build's tree)
    keeps its bytes."""
    target = safe_join(root, relative)
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(f"{target.name}.partial")
    partial.write_bytes(data)
    os.replace(partial, target)
    return target


def link_or_copy(source: Path, target: Path) -> None:
    """Hard-link `source` at `target` (making its folder), or copy it where links fail."""
    target.parent.mkdir(parents=True, exist_ok=True)
    try:
        os.link(source, target)
    except OSError:
        shutil.copy2(source, target)


def relative_files(folder: Path, skip: tuple[str, ...] = ()) -> list[str]:
    """Every file below `folder` (names only, no stat), as relative POSIX paths."""
    found: list[str] = []

    def walk(directory: str, prefix: str) -> None:
        with os.scandir(directory) as entries:
            for entry in entries:
                relative = prefix + entry.name
                if entry.is_dir(follow_symlinks=False):
                    if relative not in skip:
                        walk(entry.path, relative + "/")
                else:
                    found.append(relative)

    walk(str(folder), "")
    return found
