"""Named penalties and bonuses that add up to a score, and the thresholds that judge it.

Like a beets match distance: each applied rule is a ``Reason`` with its points, and
the reasons sorted by weight *are* the explanation an officer reads.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import NamedTuple

from ..models import Verdict

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
PLURAL_PENALTY = 2.0            # a coined mark's plural or possessive (MARKS, MARKS')
FIRST_LETTER_PENALTY = 6.0      # first letter differs
AFFIX_PENALTY = 6.0             # mark glued to a product word or model code
TRUNCATED_PENALTY = 12.0        # last word cut short
FIRST_WORD_PENALTY = 18.0       # only the (distinctive) first word of the mark
SOUNDS_LIKE_EDIT = 0.75         # a sound-alike respelling counts as this many edits
VOWEL_PENALTY = 7.0             # per vowel left out of a long mark (TRAVLNOX)
COMMON_WORD_PENALTY = 10.0      # as close to a common word as to the mark (the noisy channel)

ORIGIN_BONUS = 6.0
UNIT_VALUE_BONUS = 8.0
DENY_BONUS = 10.0
# A counterfeit signal on the line (REPLICA, 1:1, 짝퉁): this many points, and at least
# enough to reach HIT_THRESHOLD; and a reading this many points below
# REVIEW_THRESHOLD is still judged (a misspelt mark next to "1:1 REPLICA").
SIGNAL_BONUS = 10.0
SIGNAL_SLACK = 10.0


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
        return score_of(self.reasons)

    def texts(self) -> tuple[str, ...]:
        """The reasons in plain words, each once, in the order the rules gave them: the
        text's (the disguise named first, then what the form is: alias, cut short,
        spaced, glued), then the context's (brand column, goods, origin, unit value,
        deny list).  Not sorted by points: that order is the output's contract."""
        return tuple(dict.fromkeys([r.text for r in self.reasons if r.text]))

    def codes(self) -> tuple[str, ...]:
        """The name of the rule behind each of ``texts()``, in the same order."""
        first: dict[str, str] = {}
        for r in self.reasons:
            if r.text and r.text not in first:
                first[r.text] = r.name
        return tuple(first.values())


def text_points(reasons) -> float:
    """100 plus the points of ``reasons``: the unrounded score, for comparing readings."""
    return 100.0 + sum([r.points for r in reasons])


def score_of(reasons) -> int:
    """The score of ``reasons``: ``text_points`` rounded into 0..100."""
    return max(0, min(100, round(text_points(reasons))))


def verdict_for(score: int, force_review: bool) -> Verdict:
    """``hit`` at ``HIT_THRESHOLD`` or more unless a rule forced review; else ``review``."""
    return Verdict.HIT if score >= HIT_THRESHOLD and not force_review else Verdict.REVIEW
