"""Watching the site's sources and turning bursts of file events into one rebuild.

Editors write several events per save (vim and VS Code write a temporary file
and rename it over the original); events are collected until the folder has
been quiet for a moment, then the callback gets the set of paths at once.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from pathlib import Path

from watchdog.events import FileSystemEvent, FileSystemEventHandler
from watchdog.observers import Observer

from digest.content.sources import classify

MAX_DELAY = 0.5
"""Rebuild at the latest this long after the first event, even if events keep coming."""


class Watcher(FileSystemEventHandler):
    """Watches the site folder (and the theme, when it lives elsewhere)."""

    def __init__(
        self,
        root: Path,
        theme: Path,
        on_change: Callable[[set[Path]], None],
        quiet: float = 0.005,
    ) -> None:
        self.root = root
        self.theme = theme.resolve()
        self.on_change = on_change
        self.quiet = quiet
        self.pending: set[Path] = set()
        self.first_event = 0.0
        self.last_event = 0.0
        self.lock = threading.Condition()
        self.stopped = False
        self.observer = Observer()
        self.worker = threading.Thread(target=self._run, name="digest-rebuild", daemon=True)

    def start(self) -> None:
        self.observer.schedule(self, str(self.root), recursive=True)
        if not self.theme.is_relative_to(self.root):
            for folder in (self.theme / "templates", self.theme / "static"):
                if folder.is_dir():
                    self.observer.schedule(self, str(folder), recursive=True)
        self.observer.start()
        self.worker.start()

    def stop(self) -> None:
        with self.lock:
            self.stopped = True
            self.lock.notify_all()
        self.observer.stop()
        self.observer.join(timeout=5)
        self.worker.join(timeout=5)

    def on_any_event(self, event: FileSystemEvent) -> None:
        if event.event_type in {"opened", "closed_no_write"}:
            return
        paths = [event.src_path, getattr(event, "dest_path", "")]
        relevant = {
            Path(str(path))
            for path in paths
            if path and classify(Path(str(path)), self.root, self.theme)[0] != "other"
        }
        if not relevant:
            return
        with self.lock:
            now = time.monotonic()
            if not self.pending:
                self.first_event = now
            self.pending |= relevant
            self.last_event = now
            self.lock.notify_all()

    def _run(self) -> None:
        while True:
            with self.lock:
                while not self.pending and not self.stopped:
                    self.lock.wait()
                if self.stopped:
                    return
                while not self.stopped:
                    now = time.monotonic()
                    due = min(self.last_event + self.quiet, self.first_event + MAX_DELAY)
                    if now >= due:
                        break
                    self.lock.wait(due - now)
                if self.stopped:
                    return
                batch, self.pending = self.pending, set()
            self.on_change(batch)
