"""Values derived from objects, found again by identity from one build to the next.

Issues hold dicts, so they cannot be hashed; but an unchanged issue keeps its object from
one rebuild to the next (the serve loop and the parse cache hand the same one back), so
what was derived from it can be found by identity. Each entry keeps its object alive, so
an identity cannot be taken over by another object while cached, and `rotate()` drops
whatever the last round did not ask for.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable
from typing import Generic, TypeVar

V = TypeVar("V")


class IdentityMemo(Generic[V]):
    def __init__(self) -> None:
        self.old: dict[tuple[int, Hashable], tuple[object, V]] = {}
        self.new: dict[tuple[int, Hashable], tuple[object, V]] = {}

    def rotate(self) -> None:
        """Start a round: entries not asked for in the last one are dropped at the next."""
        self.old, self.new = self.new, {}

    def clear(self) -> None:
        """Drop everything, so the objects held are freed."""
        self.old, self.new = {}, {}

    def get(self, owner: object, make: Callable[[], V], kind: Hashable = None) -> V:
        """make(), or what it gave for this very `owner` (and `kind`) in this round or the last."""
        key = (id(owner), kind)
        found = self.new.get(key) or self.old.get(key)
        if found is None or found[0] is not owner:
            found = (owner, make())
        self.new[key] = found
        return found[1]
