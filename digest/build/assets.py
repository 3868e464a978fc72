"""Copying the static files into the site: stylesheets and scripts minified on the way.

The theme's CSS and JS are written for people to read (comments, one rule a line); a
reader's browser needs none of that. rcssmin and rjsmin remove comments and spacing
only, never renaming anything, so a minified file behaves as its source does.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import rcssmin
import rjsmin

_MINIFIERS = {".css": rcssmin.cssmin, ".js": rjsmin.jsmin}


def copy_asset(source: Path, target: Path) -> None:
    """Copy `source` to `target`, minifying a .css or .js file that reads as UTF-8."""
    minify = _MINIFIERS.get(source.suffix.lower())
    if minify is not None:
        data = source.read_bytes()
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError:
            pass
        else:
            target.write_bytes(minify(text).encode("utf-8"))
            return
    shutil.copyfile(source, target)
