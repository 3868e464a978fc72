"""Reading time that is right for Chinese, English and both mixed in one issue.

Chinese text has no spaces, so words cannot be counted the English way: CJK
characters are counted one by one, Latin text word by word, each at its own
reading speed, and the two times are added.
"""

from __future__ import annotations

import html
import re

CJK_PER_MINUTE = 300
WORDS_PER_MINUTE = 200

_TAG = re.compile(r"<[^>]+>")
_CJK_RUN = re.compile(
    r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uac00-\ud7af\U00020000-\U0002fa1f]+"
)
_WORD = re.compile(r"[A-Za-z0-9\u00c0-\u024f\u0400-\u04ff]+(?:['’.-][A-Za-z0-9\u00c0-\u024f]+)*")


def text_of_html(fragment: str) -> str:
    return html.unescape(_TAG.sub(" ", fragment))


def count_text(text: str) -> tuple[int, int]:
    """(CJK characters, other words) in `text`."""
    others = _CJK_RUN.split(text)  # splitting at runs, not characters: half the time
    return len(text) - sum(map(len, others)), len(_WORD.findall(" ".join(others)))


def reading_minutes(text: str) -> int:
    """Whole minutes, at least one."""
    cjk, words = count_text(text)
    return max(1, round(cjk / CJK_PER_MINUTE + words / WORDS_PER_MINUTE))
