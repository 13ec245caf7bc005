"""What goods a description names, read from the HS nomenclature's own words.

Used when a line has no HS code: ``PEAR CIDER VINEGAR`` names chapter 22 goods, so a
recordation for computers does not cover it. Word → chapter statistics are built once
from ``data/harmonized-system.csv`` (chapter, heading and subheading texts).
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from functools import lru_cache

from ..normalize import CACHE_SIZE
from .. import hs
from .lexicon import stem

_WORD = re.compile(r"[a-z]+")

# Words that say nothing about what the goods are.
STOPWORDS = frozenset(
    """the and for with other than not nor but of or in on to by as at from its their this
    that such any all whether including excluding thereof therefor parts part accessories
    articles article kind kinds type types used use new sample samples retail pack packs
    packed bulk assorted set sets pcs pc piece pieces ctn carton cartons lot lots box
    boxes size sizes brand model made similar like etc each unit units per mm cm kg ml
    gram grams weight weighing exceeding less more white black red blue green grey gray
    navy khaki beige brown pink yellow small large medium mixed various free shape shaped
    style genuine original replica""".split()
)

# Below these a word is too rare or too spread out to name the goods.
MIN_WORD_COUNT = 2


@lru_cache(maxsize=1)
def chapter_stats() -> tuple[dict[str, dict[str, float]], dict[str, str]]:
    """P(chapter | word) for every HS word stem, and each chapter's short name."""
    counts: dict[str, Counter[str]] = defaultdict(Counter)
    names: dict[str, str] = {}
    for code, desc, level in hs.rows():
        chapter = code[:2]
        if level == 2:
            names[chapter] = _short_name(desc)
        weight = 3 if level == 2 else 2 if level == 4 else 1
        for w in set(_WORD.findall(desc.lower())):
            if len(w) >= 3 and w not in STOPWORDS:
                counts[stem(w)][chapter] += weight
    probs: dict[str, dict[str, float]] = {}
    for w, c in counts.items():
        total = sum(c.values())
        if total >= MIN_WORD_COUNT:
            probs[w] = {ch: n / total for ch, n in c.items()}
            # How much to trust the word: rarely used words say little.
            probs[w][_SUPPORT] = min(1.0, total / FULL_SUPPORT)
    return probs, names


_SUPPORT = "support"
FULL_SUPPORT = 8.0


def _short_name(desc: str) -> str:
    head = re.split(r"[;,(]", desc, maxsplit=1)[0].strip().lower()
    return head or desc.lower()


def chapter_name(chapter: str) -> str:
    """A chapter's short name in plain words, e.g. ``64`` → ``footwear``."""
    return chapter_stats()[1].get(chapter, f"chapter {chapter}")


@lru_cache(maxsize=CACHE_SIZE)
def word_chapters(word: str) -> dict[str, float] | None:
    """P(chapter | word) for one description word, or None when HS text never uses it."""
    w = word.lower()
    if len(w) < 3 or w in STOPWORDS or not w.isalpha():
        return None
    probs = chapter_stats()[0]
    return probs.get(stem(w)) or probs.get(w)


def scope_chapters(hs_scope: tuple[str, ...]) -> frozenset[str]:
    """The HS chapters (two digits) a recordation's scope touches."""
    return frozenset(p[:2] for p in hs_scope if len(p) >= 2)


def description_words(text: str) -> list[tuple[str, float]]:
    """The words of a description with the weight of what they say about the goods.

    The first phrase names the goods (its last word, the head noun, most of all);
    later phrases add materials and packing, which say less.
    """
    out: list[tuple[str, float]] = []
    segments = [seg for seg in _SEGMENT.split(text.lower()) if _WORD.search(seg)]
    for n, seg in enumerate(segments):
        words = [w for w in _WORD.findall(seg) if len(w) >= 3 and w not in STOPWORDS]
        for i, w in enumerate(words):
            if n == 0:
                weight = HEAD_WEIGHT if i == len(words) - 1 else 1.0
            else:
                weight = LATER_WEIGHT
            out.append((w, weight))
    return out


def goods_verdict(words: list[tuple[str, float]], chapters: frozenset[str]) -> tuple[str, str]:
    """Whether weighted description words name goods inside ``chapters``: ('in'|'out'|'unknown', chapter).

    Each known word votes with its chapter distribution, weighted by its place and by
    how concentrated it is; 'out' needs most of the vote elsewhere and little inside.
    """
    return verdict_of(goods_votes(words), chapters)


def goods_votes(words: list[tuple[str, float]]) -> tuple[dict[str, float], float, bool]:
    """The votes of weighted description words (see ``goods_verdict``): per chapter, in
    all, and whether the first phrase names known goods (not just materials after it)."""
    total: dict[str, float] = defaultdict(float)
    weight_sum = 0.0
    goods_named = False
    for w, place in words:
        dist = word_chapters(w)
        if not dist:
            continue
        support = dist.get(_SUPPORT, 1.0)
        weight = max(p for ch, p in dist.items() if ch != _SUPPORT) * place * support
        weight_sum += weight
        if place > LATER_WEIGHT:
            goods_named = True
        for ch, p in dist.items():
            if ch != _SUPPORT:
                total[ch] += weight * p
    return dict(total), weight_sum, goods_named


def verdict_of(votes: tuple[dict[str, float], float, bool], chapters: frozenset[str]) -> tuple[str, str]:
    """``goods_verdict`` from the words' votes (``goods_votes``)."""
    total, weight_sum, goods_named = votes
    if weight_sum <= 0:
        return "unknown", ""
    mass_in = sum(v for ch, v in total.items() if ch in chapters) / weight_sum
    top_ch = max(total, key=total.get)
    top = total[top_ch] / weight_sum
    if mass_in >= IN_MASS:
        best_in = max((ch for ch in total if ch in chapters), key=total.get)
        return "in", best_in
    # Materials and packing alone (no known word in the first phrase) must be plainer.
    need_top = OUT_MIN_TOP if goods_named else OUT_MIN_TOP_MATERIALS
    if mass_in < OUT_MAX_IN and top >= need_top and top_ch not in chapters:
        return "out", top_ch
    return "unknown", ""


_SEGMENT = re.compile(r"[,;()\[\]/:]|\s[-–]\s")
HEAD_WEIGHT = 2.0
LATER_WEIGHT = 0.3
IN_MASS = 0.3
OUT_MAX_IN = 0.1
OUT_MIN_TOP = 0.3
OUT_MIN_TOP_MATERIALS = 0.6
