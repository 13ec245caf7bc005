"""The records that travel through the matcher: a finding, the corroboration it needs, a line's result."""

from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple

from ..models import Hit
from .index import Form
from .scorer import Reason, text_points

# How much corroboration a finding needs before it is flagged (``Finding.needs``):
# none; context (goods in scope, the brand column); or the brand column only.
NONE, CONTEXT, BRAND_ONLY = 0, 1, 2


class Reading(NamedTuple):
    """A form of a mark that a span of text may stand for, judged on the text alone."""

    form: Form
    reasons: tuple[Reason, ...]
    needs: int                  # NONE, CONTEXT or BRAND_ONLY


class Finding(NamedTuple):
    """A form of a mark found in one field value, judged on the text alone (a tuple:
    a batch's findings are made, sent between processes and read by the million)."""

    form: Form
    start: int
    end: int
    matched_text: str
    reasons: tuple[Reason, ...]
    needs: int                  # NONE, CONTEXT or BRAND_ONLY
    standalone: bool            # the match is a whole word of the text
    text_score: float           # 100 plus the points of the reasons (``text_points``)


def finding(reading: Reading, start: int, end: int, matched_text: str, standalone: bool) -> Finding:
    """The finding of a reading at ``start:end`` of a field value."""
    form, reasons, needs = reading
    return Finding(form, start, end, matched_text, reasons, needs, standalone, text_points(reasons))


@dataclass(frozen=True)
class Screening:
    """The result of screening one line: its hits, and hits an allow-list withheld,
    best first."""

    hits: tuple[Hit, ...] = ()
    suppressed: tuple[Hit, ...] = ()


CLEAN = Screening()  # the result of nearly every line, shared (test with ``is``)
