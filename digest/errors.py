"""Problems found in a run, and the exception that carries them.

A run collects every problem it can find before it stops, so the author fixes a
whole batch at once instead of one error per build.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

Level = Literal["error", "warning", "note"]


@dataclass(frozen=True, slots=True)
class Problem:
    """One thing wrong (or worth knowing) at a place in a file."""

    path: Path | None
    line: int | None
    message: str
    level: Level = "error"

    def __str__(self) -> str:
        where = display_path(self.path) if self.path is not None else "digest"
        if self.path is not None and self.line is not None:
            where = f"{where}:{self.line}"
        return f"{where}: {self.level}: {self.message}"


class DigestError(Exception):
    """Raised with every problem of a stage; the CLI prints them and exits 1."""

    def __init__(self, problems: list[Problem] | Problem) -> None:
        self.problems = [problems] if isinstance(problems, Problem) else list(problems)
        super().__init__("\n".join(str(problem) for problem in self.problems))

    def __reduce__(self) -> tuple:
        """Keep the problems when the error comes back from a worker process."""
        return (type(self), (self.problems,))


def display_path(path: Path) -> str:
    """A path as the author would type it: relative to the working folder when inside it."""
    try:
        relative = os.path.relpath(path)
    except ValueError:  # another drive on Windows
        return str(path)
    return str(path) if relative.startswith("..") else relative
