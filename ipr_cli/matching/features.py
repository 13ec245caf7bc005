"""Pure comparators between a span of declaration text and a mark, each explainable.

``typo_distance`` is a weighted optimal-string-alignment distance on look-alike keys:
letters an eye confuses (u/v, m/n, c/e, b/d, g/q) cost half an edit, and the edit
operations are returned so that the explanation can name them.
"""

from __future__ import annotations

from functools import lru_cache

from ..normalize import CACHE_SIZE, SYMBOL_LETTERS, char_table, script_name

# Letters easy to misread for one another, the one table of them: a substitution
# within a pair costs half an edit (``typo_distance``).  Written "xy": candidate
# retrieval folds x into y for the pairs in ``RETRIEVAL_PAIRS``.
MISREAD_PAIRS = ("uv", "nm", "nr", "ce", "bd", "qg", "il", "ji")
# The subset that candidate retrieval (index.py) folds together: "n"/"r" and "i"/"l"
# are left to the edit budget there (folding them would propose more candidates, and
# change which rivals a span meets).
RETRIEVAL_PAIRS = ("uv", "nm", "ce", "bd", "qg", "ji")
CHEAP_PAIRS = frozenset(frozenset(p) for p in MISREAD_PAIRS)


def _classes(pairs: tuple[str, ...]) -> dict[str, str]:
    """Each letter of ``pairs`` to the first (alphabetically) of the letters joined to it."""
    rep = {ch: ch for p in pairs for ch in p}

    def root(ch: str) -> str:
        while rep[ch] != ch:
            ch = rep[ch]
        return ch

    for x, y in pairs:
        a, b = sorted((root(x), root(y)))
        rep[b] = a
    return {ch: root(ch) for ch in rep if root(ch) != ch}


# Each cheap pair's letters folded into one class: the unit OSA distance between folded
# keys is a lower bound of ``typo_distance`` (a cheap substitution costs 0 instead of
# 0.5, every other operation at most the same 1), computed in C by rapidfuzz.
_CHEAP_CLASS = char_table(_classes(MISREAD_PAIRS))
# Retrieval's fold: x into y for each "xy" of ``RETRIEVAL_PAIRS``.
MISREAD = char_table({x: y for x, y in RETRIEVAL_PAIRS})


_INF = float("inf")
_OSA = None  # rapidfuzz.distance.OSA, imported when first needed (start-up time)


def _osa():
    global _OSA
    if _OSA is None:
        from rapidfuzz.distance import OSA

        _OSA = OSA
    return _OSA


def typo_estimate(a: str, b: str, limit: float) -> tuple[float, tuple[str, ...] | None]:
    """``typo_distance(a, b)`` when it is at most ``limit`` (else some value above it),
    mostly without its Python table: the operations are None when no look-alike letter
    is among them and they are left to ask ``typo_distance`` for (if wanted).

    The unit distance between the keys with look-alike letters folded together is a
    lower bound, and between the keys as they are an upper bound; when the two agree,
    that is the distance, and an alignment with a half-cost letter would have to cost
    less than the lower bound.
    """
    osa = _OSA or _osa()
    lower = osa.distance(a.translate(_CHEAP_CLASS), b.translate(_CHEAP_CLASS),
                         score_cutoff=None if limit == float("inf") else int(limit) + 1)
    if lower > limit:
        return float(lower), None
    if osa.distance(a, b, score_cutoff=lower) == lower:
        return float(lower), None
    return typo_distance(a, b)


_CHEAP = frozenset(x + y for pair in CHEAP_PAIRS for x in pair for y in pair if x != y)


def _sub_cost(a: str, b: str) -> float:
    if a == b:
        return 0.0
    return 0.5 if a + b in _CHEAP else 1.0


@lru_cache(maxsize=CACHE_SIZE)
def typo_distance(a: str, b: str) -> tuple[float, tuple[str, ...]]:
    """Weighted edit distance from span key ``a`` to mark key ``b``, with the operations.

    """
    n, m = len(a), len(b)
    # Only cells within ``band`` of the diagonal are filled, the unit OSA distance (in
    # C): the weighted distance is at most that, a path through a cell ``k`` off the
    # diagonal costs at least ``k``, so every cell the result and the backtrace read
    # holds its exact value, and the others (left infinite) compare unequal as before.
    band = int((_OSA or _osa()).distance(a, b))
    d = [[_INF] * (m + 1) for _ in range(n + 1)]
    first = d[0]
    for j in range(min(m, band) + 1):
        first[j] = float(j)
    cheap = _CHEAP
    before = ""
    for i in range(1, n + 1):
        ai = a[i - 1]
        row, prev = d[i], d[i - 1]
        if i <= band:
            row[0] = float(i)
        left = row[i - band - 1] if i > band else row[0]
        for j in range(max(1, i - band), min(m, i + band) + 1):
            bj = b[j - 1]
            best = prev[j - 1] + (0.0 if ai == bj else 0.5 if ai + bj in cheap else 1.0)
            up = prev[j] + 1
            if up < best:
                best = up
            if left + 1 < best:
                best = left + 1
            # The last two letters of a and b swapped (a transposition).
            if bj == before and j > 1 and b[j - 2] == ai and ai != bj:
                t = d[i - 2][j - 2] + 1
                if t < best:
                    best = t
            row[j] = left = best
        before = ai
    return d[n][m], _backtrace(a, b, d)


def _backtrace(a: str, b: str, d: list[list[float]]) -> tuple[str, ...]:
    """The edit operations along the cheapest path of ``typo_distance``'s table ``d``."""
    n, m = len(a), len(b)
    ops: list[str] = []
    i, j = n, m
    while i > 0 or j > 0:
        cur = d[i][j]
        if (i > 1 and j > 1 and a[i - 1] == b[j - 2] and a[i - 2] == b[j - 1]
                and a[i - 1] != b[j - 1] and abs(d[i - 2][j - 2] + 1 - cur) < 1e-9):
            ops.append("swap")
            i, j = i - 2, j - 2
        elif i > 0 and j > 0 and abs(d[i - 1][j - 1] + _sub_cost(a[i - 1], b[j - 1]) - cur) < 1e-9:
            if a[i - 1] != b[j - 1]:
                if _sub_cost(a[i - 1], b[j - 1]) < 1:
                    ops.append(f"misread:{a[i - 1]}:{b[j - 1]}")
                else:
                    ops.append("replace")
            i, j = i - 1, j - 1
        elif i > 0 and abs(d[i - 1][j] + 1 - cur) < 1e-9:
            doubled = (i > 1 and a[i - 1] == a[i - 2]) or (i < n and a[i - 1] == a[i])
            ops.append("double" if doubled else "extra")
            i -= 1
        else:
            ops.append("omit")
            j -= 1
    return tuple(reversed(ops))


_OP_WORDS = {
    "omit": ("one letter left out", "{n} letters left out"),
    "extra": ("one letter added", "{n} letters added"),
    "double": ("a letter doubled", "{n} letters doubled"),
    "swap": ("two letters swapped", "{n} pairs of letters swapped"),
    "replace": ("one letter changed", "{n} letters changed"),
}


def describe_ops(ops: tuple[str, ...]) -> list[str]:
    """The edit operations in plain words: ``one letter left out``, ``two letters swapped``."""
    out = []
    for op in ("omit", "extra", "double", "swap", "replace"):
        n = ops.count(op)
        if n:
            one, many = _OP_WORDS[op]
            out.append(one if n == 1 else many.format(n=n))
    for op in ops:
        if op.startswith("misread:"):
            _, got, want = op.split(":")
            phrase = f'look-alike "{got}" for "{want}"'
            if phrase not in out:
                out.append(phrase)
    return out


def has_misread(ops: tuple[str, ...]) -> bool:
    """True when one of the edits is a look-alike letter (u for v, c for e)."""
    return any(op.startswith("misread:") for op in ops)


def describe_lookalikes(span_fold: str, mark_fold: str) -> list[str]:
    """Look-alike characters in the span named in plain words: ``digit 3 for E``, ``Cyrillic "а" for "a"``."""
    from difflib import SequenceMatcher

    out: list[str] = []
    sm = SequenceMatcher(None, span_fold, mark_fold, autojunk=False)
    for tag, i1, i2, j1, j2 in sm.get_opcodes():
        if tag != "replace":
            continue
        got, want = span_fold[i1:i2], mark_fold[j1:j2]
        if len(got) == len(want):
            pairs = zip(got, want)
        else:
            pairs = [(got, want)]
        for g, w in pairs:
            out.append(_lookalike_phrase(g, w))
    seen: list[str] = []
    for phrase in out:
        if phrase not in seen:
            seen.append(phrase)
    return seen


def _lookalike_phrase(got: str, want: str) -> str:
    if len(got) == 1 and got.isdigit():
        return f"digit {got} for {want.upper()}"
    if len(got) == 1 and got in SYMBOL_LETTERS:
        return f'symbol "{got}" for {want.upper()}'
    if len(got) == 1 and not got.isascii():
        return f'{script_name(got)} "{got}" for "{want}"'
    return f'"{got}" for "{want}"'

