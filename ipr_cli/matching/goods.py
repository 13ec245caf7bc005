"""What goods a description names, read from the HS nomenclature's own words.

Used when a line has no HS code: ``PEAR CIDER VINEGAR`` names chapter 22 goods, so a
recordation for computers does not cover it. Word → chapter statistics are built once
from ``data/harmonized-system.csv`` (chapter, heading and subheading texts).
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from typing import NamedTuple
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


# ----------------------------------------------------------------- heading level

# Wording that says the goods are made for, or fit, other goods: what follows it names
# the goods they fit, not the goods themselves ("CASE FOR <MARK> PHONES").
COMPAT = re.compile(
    r"(?<![^\W_])(?:(?:replacement|spare)\s+(?:\w+\s+){0,2}for|compatible\s+(?:with|for)|"
    r"suitable\s+for|designed\s+for|made\s+for|fits?|fit\s+for|to\s+fit|for\s+use\s+with|works\s+with|"
    r"for)(?![^\W_])[\s:]*(?:(?:the|all|new|your)\s+)?$"
    r"|(?:호환|용|用|適用|适用|対応)\s*$",
    re.IGNORECASE,
)
_PHRASE_END = re.compile(r"[,;()\[\]]|\s[-–]\s")


class Compat(NamedTuple):
    """Compatibility wording just before a mark: its words, and where the goods' own words end."""

    wording: str
    goods_end: int


def compat_before(description: str, start: int) -> Compat | None:
    """The compatibility wording right before ``description[start:]`` (``CASE FOR``,
    ``COMPATIBLE WITH``, ``FITS``, ``REPLACEMENT … FOR``), in the same phrase; None if none."""
    before = description[:start]
    cut = max((m.end() for m in _PHRASE_END.finditer(before)), default=0)
    phrase = before[cut:]
    m = COMPAT.search(phrase)
    if m is None:
        return None
    wording = " ".join(m.group().split()).upper()
    goods_end = cut + m.start()
    if wording.startswith(("REPLACEMENT", "SPARE")):  # "REPLACEMENT BAND FOR": the band is the goods
        goods_end = cut + m.start() + m.group().lower().rfind("for")
    return Compat(wording.rstrip(":").strip(), goods_end)


def goods_text(description: str, start: int, end: int) -> str:
    """The words of a description that say what the goods are, around a mark found at
    ``start:end``: before compatibility wording only the words before it (``DUST COVER``
    of ``DUST COVER FOR <MARK> CONSOLE``), else the description less the mark."""
    compat = compat_before(description, start)
    if compat is not None:
        return description[:compat.goods_end]
    return description[:start] + " " + description[end:]


class Named(NamedTuple):
    """Goods a description names by a noun the HS does not spell out (``goods-nouns.csv``)."""

    noun: str
    headings: tuple[str, ...]
    what: str


@lru_cache(maxsize=1)
def noun_table() -> dict[str, Named]:
    """Accessory and e-commerce goods nouns with the HS headings that hold them."""
    import csv
    from importlib import resources

    text = (resources.files("ipr_cli") / "data" / "goods-nouns.csv").read_text(encoding="utf-8-sig")
    out: dict[str, Named] = {}
    for row in csv.DictReader(text.splitlines()):
        noun = (row.get("noun") or "").strip().lower()
        if noun:
            out[noun] = Named(noun, tuple(h for h in row["headings"].split("|") if h), row.get("what") or "")
    return out


_TOKEN = re.compile(r"[^\W\d_]")


@lru_cache(maxsize=CACHE_SIZE)
def head_goods(text: str) -> Named | None:
    """The goods the first phrase of ``text`` names by its head noun (its last word), when
    the noun is one of ``noun_table``; a Hangul, Chinese or kana noun may end a longer word."""
    segments = [seg for seg in _SEGMENT.split(text) if _TOKEN.search(seg)]
    if not segments:
        return None
    words = [w for w in (t.strip(".,;:!?'\"*#") for t in segments[0].lower().split()) if w.isalpha()]
    if not words:
        return None
    table = noun_table()
    head = words[-1]
    found = table.get(head)
    if found is None and not head.isascii():
        found = next((n for w, n in table.items() if not w.isascii() and head.endswith(w)), None)
    return found


def heading_name(heading: str) -> str:
    """A heading's short name in plain words, e.g. ``9113`` → ``watch straps``."""
    return heading_names().get(heading, f"heading {heading}")


@lru_cache(maxsize=1)
def heading_names() -> dict[str, str]:
    return {code: _short_name(desc) for code, desc, level in hs.rows() if level == 4}


def headings_in_scope(headings: tuple[str, ...], hs_scope: tuple[str, ...]) -> str | None:
    """The first of ``headings`` a recordation's HS scope covers (in part or whole), or None."""
    for h in headings:
        for p in hs_scope:
            if h.startswith(p) or p.startswith(h):
                return h
    return None
