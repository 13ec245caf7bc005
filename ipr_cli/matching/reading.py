"""Reading one span of text against the forms of marks: the disguise it shows, in named reasons.

A span is read on its text alone (the line's context comes later, in ``rules``): how
far its look-alike key lies from a form's, whether that fits the form's edit budget,
what corroboration a flag would need, and the reasons that name the disguise.
"""

from __future__ import annotations

from functools import lru_cache
from typing import NamedTuple

from ..normalize import CACHE_SIZE, char_letter, fold
from .features import describe_lookalikes, describe_ops, has_misread, typo_distance, typo_estimate
from .index import Form, MarkIndex, edit_budget
from .lexicon import is_model_name
from .noisy import VOWELS_MIN_LEFT, bare, consonants, devowelled, plain_reading, typed, vowels_dropped  # noqa: F401
from .records import BRAND_ONLY, CONTEXT, NONE, Reading
from .rules import common_word_typo
from .scorer import (
    VOWEL_PENALTY,
    AFFIX_PENALTY,
    FIRST_LETTER_PENALTY,
    FIRST_WORD_PENALTY,
    LOOKALIKE_MAX,
    LOOKALIKE_PENALTY,
    SOUNDS_LIKE_EDIT,
    SPACING_PENALTY,
    TRUNCATED_PENALTY,
    Reason,
    edit_penalty,
    text_points,
)

# A rival mark this many points behind the best reading of a span is dropped.
RIVAL_MARGIN = 10.0
TYPO_NAMES = ("typo", "sounds_like")  # the reasons of a reading that is no exact spelling


class Judged(NamedTuple):
    """A reading before its disguise is put in words (``explained``, for the kept ones only)."""

    form: Form
    reasons: tuple[Reason, ...]
    needs: int
    disguise: tuple | None      # (look-alike phrases, (key, edit operations or None)) or None


class Edits(NamedTuple):
    """How a span's key differs from a form's key."""

    dist: float                 # weighted edit distance (features.typo_distance)
    ops: tuple[str, ...] | None  # the edit operations, None when not worked out yet
    sounds: bool                # a sound-alike respelling
    eff: float                  # the edits that count against the budget


def best_readings(index: MarkIndex, marks: list[str], keys: tuple[str, ...], folded: str, phon: str,
                  parts: tuple[str, ...], multi: bool, span_word: bool, glued: str):
    """The readings of a span: every candidate form for any of its look-alike ``keys``,
    best per form, rivals far behind the best dropped (``marks``: each recordation's mark)."""
    best: dict[int, tuple[float, Judged]] = {}
    if multi and any(len(p) >= 2 and p.isdigit() for p in parts):
        phon = ""  # a number among the words is no letters in disguise ("ZO 543" does not sound like a mark)
    for key in keys[:1] if span_word else keys:
        if len(key) < 2:
            continue
        # Sorted: ties between forms must not depend on the string hash seed.
        for mark_key in sorted(_candidates(index, key, phon, span_word)):
            for form in index.by_key[mark_key]:
                if glued and form.kind in ("truncated", "first_word"):
                    continue
                judged = read_span(form, key, folded, phon, parts, multi, span_word, glued, marks[form.rec])
                if judged is None:
                    continue
                judged = _noisy_channel(index, judged, parts, folded, glued, marks[form.rec])
                score = text_points(judged.reasons)
                prev = best.get(id(form))
                if prev is None or score > prev[0]:
                    best[id(form)] = (score, judged)
    if best:
        yield from _kept(best)
    if not glued:  # (vowels left out: a disguise of its own, see vowel_readings)
        yield from vowel_readings(index, marks, folded, parts, multi, span_word, set(best))


def _candidates(index: MarkIndex, key: str, phon: str, span_word: bool) -> set[str]:
    """The mark keys the index proposes for one look-alike key of a span."""
    if span_word:
        # An ordinary word (or words) can only be the mark itself, never a disguise.
        return {key} if key in index.by_key else set()
    cands = index.candidates(key, phon)
    if key in index.by_key:
        cands.add(key)
    return cands


def _kept(best: dict[int, tuple[float, Judged]]):
    """The readings kept of a span's best per form, explained: a span that is one mark
    exactly (or nearly) is not a typo of another, and a rival far behind is dropped."""
    top = max(score for score, _ in best.values())
    exact = any(not any(r.name in TYPO_NAMES for r in judged.reasons) for _, judged in best.values())
    for score, judged in best.values():
        typo = any(r.name in TYPO_NAMES for r in judged.reasons)
        if exact and typo or score < top - RIVAL_MARGIN:
            continue
        yield explained(judged)


def read_span(form: Form, key: str, folded: str, phon: str, parts: tuple[str, ...],
              multi: bool, span_word: bool, glued: str, mark: str) -> Judged | None:
    """Read a span against one form on the text alone; None when it is no match.

    ``key``: one of the span's look-alike keys; ``folded``: its folded letters;
    ``phon``: its sound-alike key ("" for ordinary words); ``parts``: its words;
    ``multi``: more than one word; ``span_word``: made of ordinary words; ``glued``:
    the affix cut off it ("" if none); ``mark``: the recordation's mark, for the words.
    """
    if form.short and (key != form.key or folded != form.fold or glued and not is_model_name(glued)):
        return None  # (a short mark glued to anything but a model name: "<MARK>FLIP6")
    edits = _edits(form, key, phon, glued)
    if edits is None or span_word and edits.dist > 0:
        return None  # (an ordinary word near a mark is not a disguise of it)
    needs = _needs(form, key, edits.eff, parts, multi, span_word)
    if needs is None:
        return None
    reasons, disguise = _reasons(form, key, folded, parts, multi, glued, edits, mark)
    return Judged(form, reasons, needs, disguise)


def _edits(form: Form, key: str, phon: str, glued: str) -> Edits | None:
    """How ``key`` differs from the form's key, or None when beyond the form's edit budget."""
    k = len(form.key)
    if abs(len(key) - k) > edit_budget(k) + 1:
        return None
    if key == form.key:
        dist, ops = 0.0, ()
    elif phon and phon == form.phon and len(form.phon) >= 4:
        dist, ops = typo_estimate(key, form.key, float("inf"))
    else:
        # Not a sound-alike: the weighted distance must fit the largest budget.
        limit = edit_budget(k) + 0.5
        dist, ops = typo_estimate(key, form.key, limit)
        if dist > limit:
            return None
    sounds = dist > 0 and bool(phon) and phon == form.phon and len(form.phon) >= 4
    eff = min(dist, SOUNDS_LIKE_EDIT) if sounds else dist
    budget = edit_budget(k)
    if glued and k < 5 and budget >= 1:
        budget = 0.5  # glued to something weak: the mark itself must be clear
    if k >= 5 and not glued and ops and has_misread(ops):
        budget += 0.5  # a look-alike letter on top of a typo: two disguises at once
    if eff > budget:
        return None
    return Edits(dist, ops, sounds, eff)


def _needs(form: Form, key: str, eff: float, parts: tuple[str, ...], multi: bool, span_word: bool) -> int | None:
    """The corroboration a flag of this reading needs, or None when it is no reading."""
    needs = CONTEXT if (form.common or form.short or form.kind == "first_word") else NONE
    if len(form.key) <= 4 and eff >= 1:
        if key[:1] != form.key[:1]:
            return None
        needs = BRAND_ONLY  # a typo of a four-letter mark: only the brand column tells
    if multi and span_word and form.words < len([p for p in parts if len(p) >= 2]):
        needs = max(needs, CONTEXT)  # ordinary words that happen to join into the mark
    return needs


def _reasons(form: Form, key: str, folded: str, parts: tuple[str, ...], multi: bool, glued: str,
             edits: Edits, mark: str) -> tuple[tuple[Reason, ...], tuple | None]:
    """The reasons of a reading, and its disguise to put in words (see ``Judged``)."""
    dist = edits.dist
    reasons = _form_reasons(form, mark)
    if dist == 0 and folded == form.fold and form.kind == "mark":
        if not multi or len(parts) == form.words:
            reasons.insert(0, Reason("exact", 0.0, f"exact mark {mark}"))
    looks: list[str] | tuple[str, ...] = ()
    if folded != form.fold:
        looks = _lookalikes(folded, form.fold, "".join(parts)) if dist == 0 else _lookalike_chars("".join(parts))
        if looks:
            reasons.append(Reason("lookalike", -min(LOOKALIKE_MAX, LOOKALIKE_PENALTY * len(looks)), ""))
    named_edits = _edit_reasons(form, key, parts, edits, reasons) if dist > 0 else None
    if multi and len(parts) != form.words:
        shown = " ".join(parts).upper() if len(parts) > 1 else parts[0].upper()
        reasons.append(Reason("spacing", -SPACING_PENALTY, f'letters spaced or punctuated: "{shown}"'))
    elif not multi and form.words > 1:
        reasons.append(Reason("joined", -SPACING_PENALTY, "words of the mark joined"))
    if glued:
        reasons.append(Reason("affix", -AFFIX_PENALTY, f'mark glued to "{glued.upper()}"'))
    return tuple(reasons), (looks, named_edits) if looks or named_edits else None


def _form_reasons(form: Form, mark: str) -> list[Reason]:
    """What the form is, when not the mark itself: an alias, the mark cut short, its first word."""
    if form.kind == "alias":
        return [Reason("alias", 0.0, f"registered alias {form.text}")]
    if form.kind == "truncated":
        return [Reason("truncated", -TRUNCATED_PENALTY, f'mark cut short: "{form.text}" for {mark}')]
    if form.kind == "first_word":
        return [Reason("first_word", -FIRST_WORD_PENALTY, f'first word of the mark only: "{form.text}" for {mark}')]
    return []


def _edit_reasons(form: Form, key: str, parts: tuple[str, ...], edits: Edits, reasons: list[Reason]):
    """Add the reasons of a typo or sound-alike to ``reasons``; the edits to name in
    the explanation, ``(key, operations or None)``, or None."""
    k = len(form.key)
    dist, ops, sounds, eff = edits
    named_edits = None
    if sounds and dist > 1:
        reasons.append(Reason("sounds_like", -edit_penalty(k) * eff,
                              f"sounds like {form.text} ({''.join(parts).upper()})"))
    elif sounds:
        reasons.append(Reason("sounds_like", -edit_penalty(k) * eff, ""))
        named_edits = (key, ops)
    else:
        reasons.append(Reason("typo", -edit_penalty(k) * eff, ""))
        named_edits = (key, ops)
    if key[:1] != form.key[:1]:
        reasons.append(Reason("first_letter", -FIRST_LETTER_PENALTY, "first letter differs"))
    return named_edits


def explained(judged: Judged) -> Reading:
    """A reading with its disguise named first: look-alike letters, then the edits
    (worked out now when the estimate did not need them)."""
    form, reasons, needs, disguise = judged
    if disguise is None:
        return Reading(form, reasons, needs)
    looks, edits = disguise
    named = list(looks)
    if edits is not None:
        key, ops = edits
        named.extend(describe_ops(typo_distance(key, form.key)[1] if ops is None else ops))
    if not named:
        return Reading(form, reasons, needs)
    return Reading(form, (Reason("disguise", 0.0, "mark disguised: " + ", ".join(named)),) + reasons, needs)


def _lookalikes(folded: str, mark_fold: str, raw: str) -> list[str]:
    """Look-alike characters of a span whose skeleton equals the mark's, in plain words."""
    span = "".join(ch for ch in fold(raw) if ch.isalnum() or char_letter(ch))
    return describe_lookalikes(span, mark_fold)


@lru_cache(maxsize=CACHE_SIZE)
def _lookalike_chars(raw: str) -> tuple[str, ...]:
    """Digits, symbols and foreign letters used as Latin letters in a span (the same
    for every candidate mark of the span: cached)."""
    out: list[str] = []
    for ch in fold(raw):
        if ch.isascii() and ch.isalpha():
            continue
        letter = char_letter(ch)
        if not letter or letter == ch or not letter.isalpha():
            continue
        phrase = describe_lookalikes(ch, letter)
        for p in phrase:
            if p not in out:
                out.append(p)
    return tuple(out)


# ---------------------------------------------------------------- the noisy channel

def _noisy_channel(index: MarkIndex, judged: Judged, parts: tuple[str, ...], folded: str, glued: str,
                   mark: str) -> Judged:
    """A reading weakened when its span reads as common words mistyped as closely as
    it reads as the mark (``rules.common_word_typo``): it then needs corroboration
    beyond the goods (``evidence.cap``) and is flagged for review at most."""
    words, everyday = plain_reading(index, judged.form, parts, folded, glued, mark)
    reason = common_word_typo(words, mark, everyday) if words else None
    if reason is None:
        return judged
    return judged._replace(reasons=judged.reasons + (reason,))



# ---------------------------------------------------------------- vowels left out

def vowel_readings(index: MarkIndex, marks: list[str], folded: str, parts: tuple[str, ...], multi: bool,
                   span_word: bool, seen: set[int]):
    """Readings of a span that leaves out two or more vowels of a long mark
    (``TRAVLNOX``, ``KLVRA BENTI``): at most one more than the mark's edit budget; more
    than the budget needs the goods or the brand column to corroborate."""
    if span_word or not typed(parts):
        return
    letters = bare(folded)
    if len(letters) < VOWELS_MIN_LEFT or not letters.isascii() or not letters.isalpha():
        return
    for form in devowelled(index).get(consonants(letters), ()):
        if id(form) in seen:
            continue
        k = len(form.key)
        n = vowels_dropped(letters, bare(form.fold))
        if n < 2 or n > edit_budget(k) + 1:
            continue
        needs = CONTEXT if (form.common or n > edit_budget(k)) else NONE
        named = "two vowels" if n == 2 else f"{n} vowels"
        reasons = [Reason("disguise", 0.0, f"mark disguised: {named} left out")]
        reasons.extend(_form_reasons(form, marks[form.rec]))
        reasons.append(Reason("vowels_dropped", -VOWEL_PENALTY * n, ""))
        if multi and len(parts) != form.words:
            shown = " ".join(parts).upper()
            reasons.append(Reason("spacing", -SPACING_PENALTY, f'letters spaced or punctuated: "{shown}"'))
        elif not multi and form.words > 1:
            reasons.append(Reason("joined", -SPACING_PENALTY, "words of the mark joined"))
        yield Reading(form, tuple(reasons), needs)
