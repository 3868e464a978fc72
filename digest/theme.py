"""Where the default theme lives: inside the wheel, or at the top of a source checkout."""

from __future__ import annotations

from pathlib import Path

_PACKAGED = Path(__file__).parent / "theme"
_CHECKOUT = Path(__file__).resolve().parent.parent


def theme_dir() -> Path:
    """The folder holding the theme's `templates/` and `static/`.

    A wheel carries them in digest/theme/; an editable install runs from the
    repository, whose own templates/ and static/ are the theme.
    """
    if (_PACKAGED / "templates").is_dir():
        return _PACKAGED
    return _CHECKOUT
