"""The noisy channel: how closely a span reads as ordinary words mistyped, against how
closely it reads as a mark (issue 13), and vowels left out of a long mark.

A misspelt word is far more often an ordinary word mistyped than a mark in disguise.
``plain_reading`` finds the common words a span mistypes as closely as it mistypes a
form (``reading`` names the weak reading with ``rules.common_word_typo``); ``slips``
weighs both readings alike, the classic typing slips at half an edit.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

from ..normalize import CACHE_SIZE, fold, plain
from .features import CHEAP_PAIRS
from .index import Form, MarkIndex
from .lexicon import NEAR_WORD_LIMIT, english_words, is_everyday, near_words


def bare(text: str) -> str:
    """Folded letters without their accents: ``Hermès`` → ``hermes``."""
    if text.isascii():  # (no accents: the folded letters and digits, at C speed)
        return plain(text)
    return "".join(ch for ch in unicodedata.normalize("NFKD", fold(text)) if ch.isalnum())


def plain_reading(index: MarkIndex, form: Form, parts: tuple[str, ...], folded: str, glued: str,
                  mark: str) -> tuple[tuple[str, ...], bool]:
    """The common words that a span mistypes as closely as it mistypes the form, or (),
    and whether they are everyday words (common words as written, or everyday goods
    wording mistyped: ``lexicon.is_everyday``) rather than rarer goods words.

    Only a span of plain letters that differs from the form (a typo, a look-alike
    letter, words joined or spaced, a glued affix) is looked at.  The span's words are
    read one by one: a word of the mark counts as plain only if it is a dictionary
    word (GOLDEN in GOLDEN PEAR), and a misspelt word is read as the nearest common word
    that is neither a word of the mark nor a registered form.  The span is weak when
    those words' typing edits add up to no more than the span's edits from the form
    (one more for a glued affix: the glue is a disguise of its own).
    """
    from rapidfuzz.distance import OSA

    if form.native or not typed(parts):
        return (), False  # digits or symbols for letters: a disguise, not a typing error
    letters = bare(folded)
    target = bare(form.fold)
    if not letters.isascii() or not letters.isalpha() or not glued and vowels_dropped(letters, target) >= 2:
        return (), False  # (vowels left out of a long mark: a known disguise, not a typing error)
    if glued:
        limit = min(NEAR_WORD_LIMIT, OSA.distance(letters, target) + 1)
        cost = slips(letters, target) + 1
        # Which side the affix stood on is not known here: try both.
        variants = [parts[:-1] + (parts[-1] + glued,), (glued + parts[0],) + parts[1:]]
    else:
        if letters == target:
            return (), False
        limit = min(NEAR_WORD_LIMIT, OSA.distance(letters, target))
        cost = slips(letters, target)
        variants = [parts]
    own = {bare(w) for w in (mark + " " + form.text).replace("-", " ").split()}
    own.add(target)
    registered = _registered(index)
    for variant in variants:
        found = _plain_words(variant, own, registered, limit, cost, bool(glued))
        if found[0]:
            return found
    return (), False


def _registered(index: MarkIndex) -> frozenset[str]:
    """The letters of every Latin form of the index: a registered mark is no plain word
    for another mark's reading (made when first asked for, kept on the index)."""
    table = getattr(index, "_reading_registered", None)
    if table is None:
        table = frozenset(bare(f.fold) for forms in index.by_key.values() for f in forms if not f.native)
        index._reading_registered = table
    return table


@lru_cache(maxsize=CACHE_SIZE)
def slips(a: str, b: str) -> float:
    """Typing edits from ``b`` (meant) to ``a`` (typed), the classic slips costing half:
    a letter doubled (ZORVVEX), a doubled letter typed once (TOLAREX for TOLLAREX),
    two letters swapped (ZROVEX), and a letter an eye confuses for another (``features.MISREAD_PAIRS``).
    Both readings of a span are weighed with it: a span that is one classic slip from
    the mark and one plain edit from a word is nearer the mark."""
    # (Row by row, the costs of each letter worked out once: the same sums of halves
    # and ones as the table written out, a few times faster.)
    n, m = len(a), len(b)
    cost_a = [0.5 if _doubled(a, i) else 1.0 for i in range(n)]
    cost_b = [0.5 if _doubled(b, j) else 1.0 for j in range(m)]
    cheap = CHEAP_SUBSTITUTIONS
    before = None  # row i - 2
    prev = [0.0] * (m + 1)  # row i - 1
    for j in range(1, m + 1):
        prev[j] = prev[j - 1] + cost_b[j - 1]
    for i in range(1, n + 1):
        x = a[i - 1]
        gap = cost_a[i - 1]
        row = [prev[0] + gap] + [0.0] * m
        for j in range(1, m + 1):
            y = b[j - 1]
            best = prev[j - 1] + (0.0 if x == y else 0.5 if x + y in cheap else 1.0)
            best = min(best, prev[j] + gap, row[j - 1] + cost_b[j - 1])
            if i > 1 and j > 1 and x == b[j - 2] and a[i - 2] == y and x != y:
                best = min(best, before[j - 2] + 0.5)
            row[j] = best
        before, prev = prev, row
    return prev[m]


CHEAP_SUBSTITUTIONS = frozenset(x + y for pair in CHEAP_PAIRS for x in pair for y in pair if x != y)


def _sub(x: str, y: str) -> float:
    """A letter typed for another: half for letters an eye confuses (``features``)."""
    return 0.0 if x == y else 0.5 if x + y in CHEAP_SUBSTITUTIONS else 1.0


def _doubled(text: str, i: int) -> bool:
    return i > 0 and text[i - 1] == text[i] or i + 1 < len(text) and text[i + 1] == text[i]


def _plain_words(parts: tuple[str, ...], own: set[str], registered: frozenset[str], limit: int,
                 cost: float, glued: bool) -> tuple[tuple[str, ...], bool]:
    """The common words ``parts`` mistype within ``limit`` edits in all and no more
    ``slips`` than ``cost`` (the span's from the mark), or (); and whether each is
    everyday (see ``plain_reading``; for a mark glued to an affix, any goods word is:
    a goods word mistyped is likelier than a mark glued to a piece of it)."""
    out: list[str] = []
    total = 0
    slipped = 0.0
    initials = 0
    everyday = True
    for part in parts:
        p = bare(part)
        if not p:
            continue
        if len(p) >= 3 and p in own and len(parts) > 1 and not _all_common(parts):
            return (), False  # a whole word of the mark beside a misspelt one ("KLAVORA BENTY")
        if len(p) == 1:
            initials += 1  # an initial or abbreviation ("N.E.C."): plain beside words
            out.append(p)
            continue
        if p in own:
            if p not in english_words():
                return (), False  # a word of the mark no dictionary has: no plain reading
            out.append(p)
            continue
        best = _nearest(p, limit - total, own, registered, glued)
        if best is None:
            return (), False
        total += best[0]
        slipped += best[2]
        everyday = everyday and not best[3][1]
        out.append(best[1])
    if initials == len(out):
        return (), False  # letters spaced out ("Z O R V E K"): no plain reading
    if out and total <= limit and slipped <= cost:
        return tuple(out), everyday
    return (), False


def _nearest(p: str, budget: int, own: set[str], registered: frozenset[str], any_goods: bool):
    """The word ``p`` reads as within ``budget`` edits, fewest slips first and of equals
    an everyday word (any goods word if ``any_goods``): (edits, word, slips, rank), or None."""
    best = None
    for dist, word in near_words(p, budget):
        if word not in own and word not in registered:
            slip = slips(p, word)
            rank = (slip, not (dist == 0 or any_goods or is_everyday(word)))
            if best is None or rank < best[3]:
                best = (dist, word, slip, rank)
    return best


def _all_common(parts: tuple[str, ...]) -> bool:
    """True when every word of two letters or more is a common word as written."""
    return all(near_words(p, 0) for p in map(bare, parts) if len(p) >= 2)


def typed(parts: tuple[str, ...]) -> bool:
    """True when the span is written in letters only (accents, apostrophes, hyphens and
    dots aside): no digit or symbol stands for a letter."""
    for part in parts:
        if part.isascii():  # (no combining marks: letters and "'.-" only, matched in C)
            if _TYPED_ASCII.fullmatch(part) is None:
                return False
            continue
        for ch in unicodedata.normalize("NFKD", part):
            if not (ch.isascii() and ch.isalpha() or unicodedata.combining(ch) or ch in "'’.-"):
                return False
    return True



_TYPED_ASCII = re.compile(r"[A-Za-z'.\-]*")

VOWELS = frozenset("aeiou")
# Long marks only (``VOWELS_MIN_MARK`` letters or more), and at least this many
# consonants must be left: fewer read as too many marks.
VOWELS_MIN_MARK = 6
VOWELS_MIN_LEFT = 4


def vowels_dropped(letters: str, target: str) -> int:
    """How many vowels of ``target`` the letters leave out, all else as written (0 when
    anything else differs, or the first letter is left out)."""
    if len(letters) >= len(target) or not letters or letters[0] != target[0]:
        return 0
    j = dropped = 0
    for ch in target:
        if j < len(letters) and letters[j] == ch:
            j += 1
        elif ch in VOWELS:
            dropped += 1
        else:
            return 0
    return dropped if j == len(letters) else 0


def consonants(letters: str) -> str:
    return letters.translate(_NO_VOWELS)


_NO_VOWELS = str.maketrans(dict.fromkeys(VOWELS))


def devowelled(index: MarkIndex) -> dict[str, list[Form]]:
    """The index's long Latin marks and aliases by their consonants (made when first
    asked for, kept on the index)."""
    table = getattr(index, "_reading_devowelled", None)
    if table is None:
        table = {}
        for forms in index.by_key.values():
            for form in forms:
                if form.native or form.kind not in ("mark", "alias"):
                    continue
                target = bare(form.fold)
                left = consonants(target)
                if len(target) >= VOWELS_MIN_MARK and len(left) >= VOWELS_MIN_LEFT and target.isalpha():
                    table.setdefault(left, []).append(form)
        index._reading_devowelled = table
    return table


