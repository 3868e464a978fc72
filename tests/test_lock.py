"""One command at a time on a site: a second one says who holds the lock and waits."""

from __future__ import annotations

import shutil
import subprocess
import sys
import threading
from pathlib import Path

from digest.lock import LOCK, site_lock

SITES = Path(__file__).parent / "sites"

HOLDER = """
import sys, time
from pathlib import Path
from digest.lock import site_lock
site, go = Path(sys.argv[1]), Path(sys.argv[2])
with site_lock(site, "digest serve"):
    print("held", flush=True)
    for _ in range(600):  # bounded: a minute at most
        if go.exists():
            break
        time.sleep(0.1)
"""


def test_a_build_waits_for_the_command_holding_the_site_and_says_who(tmp_path):
    site = tmp_path / "site"
    shutil.copytree(SITES / "basic", site)
    go = tmp_path / "go"
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLDER, str(site), str(go)], stdout=subprocess.PIPE, text=True
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline() == "held\n"
        build = subprocess.Popen(
            [sys.executable, "-m", "digest.cli", "build", "--site", str(site), "--no-search"],
            stderr=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        assert build.stderr is not None
        line = build.stderr.readline()
        assert line.startswith(f"waiting for digest serve (pid {holder.pid}) to finish (")
        assert line.rstrip().endswith(".digest/lock)")
        assert build.poll() is None  # still waiting: nothing written meanwhile
        assert not (site / "_site").exists()
        go.touch()
        assert build.wait(60) == 0
        assert (site / "_site" / "index.html").is_file()
    finally:
        go.touch()
        holder.wait(60)


def test_a_command_inside_another_goes_on_and_another_thread_waits(tmp_path):
    order: list[str] = []
    with site_lock(tmp_path, "digest serve"):
        with site_lock(tmp_path, "digest build"):  # serve's own build: no waiting for itself
            order.append("inner")

        def other() -> None:
            with site_lock(tmp_path, "digest new"):
                order.append("thread")

        thread = threading.Thread(target=other)
        thread.start()
        thread.join(0.5)
        assert thread.is_alive()  # it waits for the lock this thread holds
        order.append("released")
    thread.join(30)
    assert order == ["inner", "released", "thread"]
    assert (tmp_path / LOCK).read_text() == ""  # nobody holds it now
