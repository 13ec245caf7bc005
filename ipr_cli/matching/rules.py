"""Context rules: what a declaration line's facts say about one finding, each a small pure function.

Each rule returns a named ``Reason`` (its points add to the score) or None.  A few
reasons decide more than points, and are named here: ``AUTHORIZED`` (a genuine channel:
not flagged), ``OUT_OF_SCOPE`` (goods outside the recordation's HS scope: not flagged),
``ALLOWED`` (withheld by the allow list); ``authorized_wrong_origin`` sends a line to
review; ``counterfeit_signal`` lifts a finding to ``hit`` strength.  ``Matcher`` applies them in the order of this module.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from collections.abc import Sequence
from typing import NamedTuple

from ..models import DeclarationLine, DenyEntry, Recordation, Suppression
from .goods import Named, chapter_name, heading_name, headings_in_scope, verdict_of
from .scorer import (COMMON_WORD_PENALTY, DENY_BONUS, HIT_THRESHOLD, ORIGIN_BONUS, SIGNAL_BONUS, UNIT_VALUE_BONUS,
                     Reason, text_points)

AUTHORIZED = Reason("authorized", 0.0, "")
OUT_OF_SCOPE = Reason("out_of_scope", 0.0, "")
ALLOWED = Reason("allowed", 0.0, "")
IN_BRAND = Reason("brand", 0.0, "mark in brand column")


class Rules(NamedTuple):
    """One recordation's context rules in the form they are tested (made when first needed)."""

    chapters: object                # goods.scope_chapters(): for guessing goods from words
    importers: frozenset[str]       # authorized importers, case-folded
    origins: frozenset[str]         # authorized origins, upper case
    common: bool                    # the mark is one dictionary word (index.is_common)


class Facts(NamedTuple):
    """A line's own facts, worked out once for all its findings."""

    importer: str                   # case-folded
    origin: str                     # upper case
    shown_importer: str             # as declared, stripped


def facts_of(line: DeclarationLine) -> Facts:
    importer = line.importer.strip()
    return Facts(importer.casefold(), line.origin.strip().upper(), importer)


def goods_without_code(votes, chapters, head: Named | None = None, hs_scope: tuple[str, ...] = ()) -> Reason:
    """No HS code on the line: what the description's words say of a scoped recordation's goods.

    ``head``: the goods the description names by its head noun (``goods.head_goods``: a
    case, a strap, insoles), judged at heading level; else the words' chapter votes."""
    if head is not None:
        heading = headings_in_scope(head.headings, hs_scope)
        if heading is None:
            return OUT_OF_SCOPE
        return Reason("goods_in_scope", 0.0,
                      f'no HS code; "{head.noun.upper()}" names goods of heading {heading} ({heading_name(heading)})')
    verdict, chapter = verdict_of(votes, chapters)
    if verdict == "out":
        return OUT_OF_SCOPE
    if verdict == "in":
        return Reason("goods_in_scope", 0.0,
                      f"no HS code; description suggests goods in scope ({chapter_name(chapter)})")
    return Reason("goods_unknown", 0.0, "no HS code; goods not named plainly, treated as in scope")


def common_word_typo(words: Sequence[str], mark: str, everyday: bool = True) -> Reason | None:
    """The noisy-channel view (issue 13): a span that reads as the common ``words``
    mistyped as closely as it reads as ``mark`` is weak evidence (a typing error in an
    ordinary word is far more likely than a disguised mark).  Everyday words (common
    words as written, everyday goods wording mistyped): ``common_word``, flagged only
    with strong corroboration; rarer goods words: ``goods_word``, flagged for review at
    most (``evidence.cap`` weighs both).  None when no words are given."""
    if not words:
        return None
    shown = " ".join(w.upper() for w in words)
    kind = "common word" if everyday else "goods word"
    return Reason("common_word" if everyday else "goods_word", -COMMON_WORD_PENALTY,
                  f'reads as the {kind}{"s" if len(words) > 1 else ""} "{shown}" mistyped as closely as {mark}')


def authorized_channel(facts: Facts, rules: Rules) -> Reason | None:
    """An authorized importer: ``AUTHORIZED`` from an authorized origin, else sent to review."""
    importer, origin, shown = facts
    if not importer or importer not in rules.importers:
        return None
    if not rules.origins or origin in rules.origins:
        return AUTHORIZED
    return Reason("authorized_wrong_origin", 0.0,
                  f"authorized importer {shown} but origin {origin or 'unknown'} not authorized")


def counterfeit_signal(signals: Sequence[str], reasons) -> Reason | None:
    """Counterfeit signals on the line (``signals.signals_in``): ``SIGNAL_BONUS`` points,
    and at least enough to lift the finding (its ``reasons`` so far) to ``HIT_THRESHOLD``."""
    if not signals:
        return None
    points = max(SIGNAL_BONUS, HIT_THRESHOLD - text_points(reasons))
    return Reason("counterfeit_signal", points,
                  "counterfeit signal: " + ", ".join(f'"{s}"' for s in signals))


def origin_outside(facts: Facts, rules: Rules) -> Reason | None:
    """Goods from a country outside the recordation's authorized origins."""
    origins, origin = rules.origins, facts.origin
    if origins and origin and origin not in origins:
        return Reason("origin", ORIGIN_BONUS,
                      f"origin {origin} outside authorized origins ({', '.join(sorted(origins))})")
    return None


def unit_value_below(line: DeclarationLine, rec: Recordation) -> Reason | None:
    """A unit price below the genuine goods' minimum, in the recordation's currency."""
    if rec.min_unit_value is None or not rec.currency:
        return None
    unit = _unit_value(line)
    if unit is None or line.currency.strip().upper() != rec.currency.strip().upper() or unit >= rec.min_unit_value:
        return None
    currency = rec.currency.upper()
    return Reason("unit_value", UNIT_VALUE_BONUS,
                  f"unit value {_money(unit)} {currency} below genuine minimum {_money(rec.min_unit_value)} {currency}")


def deny_listed(deny: Sequence[DenyEntry], facts: Facts, rec: Recordation) -> Reason | None:
    """The importer is on the deny list (for every recordation, or for this one)."""
    importer = facts.importer
    if not importer:
        return None
    for entry in deny:
        if entry.importer.strip().casefold() == importer and (
                not entry.recordation_id or entry.recordation_id == rec.recordation_id):
            why = f": {entry.reason}" if entry.reason else ""
            return Reason("deny", DENY_BONUS, f"importer {facts.shown_importer} on deny list{why}")
    return None


def allowed(allow: Sequence[Suppression], facts: Facts, rec: Recordation, on: dt.date) -> Reason | None:
    """``ALLOWED`` when the allow list withholds this importer's (and origin's) lines of the recordation."""
    importer, origin, _ = facts
    if not importer:
        return None
    for entry in allow:
        if entry.recordation_id != rec.recordation_id:
            continue
        if entry.importer.strip().casefold() != importer:
            continue
        if entry.origin and entry.origin.strip().upper() != origin:
            continue
        if entry.until is not None and on > entry.until:
            continue
        return ALLOWED
    return None


def _unit_value(line: DeclarationLine) -> Decimal | None:
    try:
        return line.unit_value
    except ArithmeticError:  # (decimal's errors, overflow among them, and division by zero)
        return None


def _money(value: Decimal) -> str:
    """A price shown plainly: ``3.92``, ``10``; a number too large for cents, as ``1.000E+27``."""
    try:
        q = value.quantize(Decimal("0.01"))
    except ArithmeticError:  # more digits than decimal's precision: a stored value out of range
        return f"{value:.3E}"
    text = f"{q:f}"
    return text[:-3] if text.endswith(".00") else text
