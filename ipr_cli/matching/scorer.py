"""Named penalties and bonuses that add up to a score, and the thresholds that judge it.

Like a beets match distance: each applied rule is a ``Reason`` with its points, and
the reasons sorted by weight *are* the explanation an officer reads.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import NamedTuple

# A line scoring at least HIT_THRESHOLD is held for inspection; at least
# REVIEW_THRESHOLD, it is shown for review; below, it is not flagged.
HIT_THRESHOLD = 80
REVIEW_THRESHOLD = 60

# Penalty per typing edit, by mark length: longer marks survive more edits.
def edit_penalty(length: int) -> float:
    """Points one typing edit costs on a mark of ``length`` letters."""
    if length <= 5:
        return 18.0
    if length <= 8:
        return 14.0
    return 10.0


LOOKALIKE_PENALTY = 1.0         # per look-alike character (a disguise, not a doubt)
LOOKALIKE_MAX = 3.0
SPACING_PENALTY = 2.0           # letters spaced, split or punctuated
FIRST_LETTER_PENALTY = 6.0      # first letter differs
AFFIX_PENALTY = 6.0             # mark glued to a product word or model code
TRUNCATED_PENALTY = 12.0        # last word cut short
FIRST_WORD_PENALTY = 18.0       # only the (distinctive) first word of the mark
SOUNDS_LIKE_EDIT = 0.75         # a sound-alike respelling counts as this many edits

ORIGIN_BONUS = 6.0
UNIT_VALUE_BONUS = 8.0
DENY_BONUS = 10.0


class Reason(NamedTuple):
    """One applied rule: its name, its points (negative lowers the score) and its words
    (a tuple: findings carry them between processes by the thousand)."""

    name: str
    points: float
    text: str


@dataclass
class Tally:
    """The running score of one candidate: 100 plus the points of its reasons."""

    reasons: list[Reason] = field(default_factory=list)

    def add(self, name: str, points: float, text: str) -> None:
        self.reasons.append(Reason(name, points, text))

    @property
    def score(self) -> int:
        total = 100.0 + sum([r.points for r in self.reasons])
        return max(0, min(100, round(total)))

    def texts(self) -> tuple[str, ...]:
        """The reasons in plain words: disguise first, then context, largest effect first."""
        return tuple(dict.fromkeys([r.text for r in self.reasons if r.text]))
