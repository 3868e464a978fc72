"""Garbage collection around long-lived parsed sites (digest.memory), as serve uses it."""

from __future__ import annotations

import gc
import shutil
import weakref
from collections.abc import Iterator
from pathlib import Path

import pytest

from digest import memory
from digest.serve.server import LiveSite, ServeOptions
from digest.theme import theme_dir

SITES = Path(__file__).parent / "sites"


class Cycle:
    """An object in a reference cycle with itself: only the cyclic collector frees it."""

    def __init__(self) -> None:
        self.me = self


@pytest.fixture(autouse=True)
def thawed() -> Iterator[None]:
    """Whatever a test freezes is thawed again, for the tests after it."""
    yield
    gc.unfreeze()
    gc.collect()


def test_keep_live_collects_what_is_dropped_then_freezes_the_rest():
    dropped, kept = Cycle(), Cycle()
    gone = weakref.ref(dropped)
    del dropped
    memory.keep_live(everything=False)
    assert gone() is None  # garbage made since the last freeze is collected, not frozen
    assert gc.get_freeze_count() > 0
    assert not any(obj is kept for obj in gc.get_objects())  # frozen: no collection scans it


def test_a_frozen_cycle_is_freed_only_when_everything_is_thawed():
    frozen = Cycle()
    gone = weakref.ref(frozen)
    memory.keep_live(everything=False)
    del frozen
    memory.keep_live(everything=False)
    assert gone() is not None  # frozen objects are never collected
    memory.keep_live(everything=True)
    assert gone() is None


@pytest.fixture
def live(tmp_path: Path) -> Iterator[LiveSite]:
    site = tmp_path / "site"
    shutil.copytree(SITES / "basic", site)
    served = LiveSite(ServeOptions(site_dir=site), log=lambda _: None)
    served.rebuild()
    yield served
    served.close()


def test_serve_keeps_its_parsed_site_out_of_collections(live: LiveSite):
    issue = live.options.site_dir / "content/issues/3-third.md"
    environment = weakref.ref(live.engine.env)
    issue.write_text(issue.read_text().replace("Short one.", "Edited once."))
    live.rebuild([issue])
    assert not live.problems
    assert live.engine.env is environment()  # an issue edit keeps the environment
    assert gc.get_freeze_count() > 0
    assert not any(obj is live.engine.env for obj in gc.get_objects())


def test_a_template_edit_frees_the_replaced_environment(live: LiveSite):
    """Jinja's environment is full of reference cycles: frozen, it would never be freed."""
    environment = weakref.ref(live.engine.env)
    override = live.options.site_dir / "templates/partials/footer.html"
    override.parent.mkdir(parents=True)
    text = (theme_dir() / "templates/partials/footer.html").read_text(encoding="utf-8")
    override.write_text(text + "<!-- local footer -->\n", encoding="utf-8")
    live.rebuild([override])
    assert not live.problems
    assert environment() is None


def test_edits_leave_no_objects_behind(live: LiveSite):
    """Nothing a rebuild drops may stay frozen, and no memo may keep old issues."""
    issue = live.options.site_dir / "content/issues/3-third.md"
    original = issue.read_text()

    def edit(number: int) -> int:
        issue.write_text(original.replace("Short one.", f"Edit {number:03d}."))
        live.rebuild([issue])
        assert not live.problems
        return gc.get_freeze_count() + len(gc.get_objects())

    counts = [edit(number) for number in range(10)]
    assert counts[4:] == [counts[4]] * 6  # the memos of earlier rounds are dropped by then
