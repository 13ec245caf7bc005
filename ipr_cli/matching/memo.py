"""Bounded memos of the matcher: a segmented LRU for field values, and halving for the others."""

from __future__ import annotations

import itertools
from typing import Iterable


def evict_oldest(cache: dict) -> None:
    """Forget the older half of a full memo (dicts keep insertion order): memory stays
    bounded, and what the batch still uses is simply looked up again."""
    for key in list(itertools.islice(cache, len(cache) // 2)):
        del cache[key]


class FieldCache:
    """The findings of the field values met lately, bounded: a segmented LRU.

    Most of a day's distinct descriptions occur once, and a plain LRU would let them
    push out the ones that keep coming back.  A value enters on probation (oldest
    forgotten first); met again, it moves to the protected part, kept in order of use,
    whose oldest go back to probation when it is full.  (On the synthetic day of
    benchmarks/speed.py this sends a tenth fewer values to the workers than emptying
    a full memo but for the values met again since it was last emptied.)  Both parts
    are plain dicts, trimmed a few thousand entries at a time: a dict forgets its
    oldest entries fastest in bulk.
    """

    def __init__(self, size: int) -> None:
        self.protected_size = max(1, size * 2 // 5)
        self.probation_size = max(1, size - self.protected_size)
        self._slack = size // 16
        self._protected: dict[str, tuple] = {}
        self._probation: dict[str, tuple] = {}

    def __len__(self) -> int:
        return len(self._protected) + len(self._probation)

    def get(self, text: str) -> tuple | None:
        protected = self._protected
        found = protected.get(text)
        if found is not None:
            del protected[text]  # to the end: used last
            protected[text] = found
            return found
        found = self._probation.pop(text, None)
        if found is not None:
            protected[text] = found
        return found

    def add(self, texts: Iterable[str], findings: Iterable[tuple]) -> None:
        """Cache the findings of values not cached yet."""
        protected, probation = self._protected, self._probation
        if len(protected) > self.protected_size + self._slack:
            for text in list(itertools.islice(protected, len(protected) - self.protected_size)):
                probation[text] = protected.pop(text)
        probation.update(zip(texts, findings))
        if len(probation) > self.probation_size + self._slack:
            for text in list(itertools.islice(probation, len(probation) - self.probation_size)):
                del probation[text]
