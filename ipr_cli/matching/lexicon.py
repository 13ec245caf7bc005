"""Which strings are ordinary words: the English word list, the HS goods vocabulary,
given names and countries.

A mark made of dictionary words (GOLDEN PEAR) needs corroboration before it is
flagged, and a dictionary word near a mark (PUMPS, CHANNEL) is not a disguise of it.
"""

from __future__ import annotations

import csv
import re
from functools import lru_cache
from importlib import resources

from .. import hs
from ..normalize import CACHE_SIZE

_WORD = re.compile(r"[a-z]+")

# Marketing and series words glued to marks ("ZORVEXAIR", "GENUINEZORVEX", "ZORVEXPRO").
SERIES_WORDS = frozenset(
    """air pro max top new mini plus lite ultra elite super real genuine original
    official premium classic sport sports kids usb led hd neo one go x""".split()
)


def _data_text(name: str) -> str:
    return (resources.files("ipr_cli") / "data" / name).read_text(encoding="utf-8-sig")


@lru_cache(maxsize=1)
def english_words() -> frozenset[str]:
    """Common English words (SCOWL, lower-case entries only: no proper names)."""
    rows = csv.reader(_data_text("english-words.csv").splitlines())
    next(rows, None)
    return frozenset(r[0] for r in rows if r)


@lru_cache(maxsize=1)
def goods_words() -> frozenset[str]:
    """Every word of three or more letters used in the HS nomenclature descriptions."""
    words: set[str] = set()
    for _, desc, _ in hs.rows():
        words.update(w for w in _WORD.findall(desc.lower()) if len(w) >= 3)
    return frozenset(words)


def stem(word: str) -> str:
    """A light English stem for goods words: plural endings removed (``shoes`` → ``shoe``)."""
    if len(word) <= 3:
        return word
    if word.endswith("ies") and len(word) > 4:
        return word[:-3] + "y"
    if word.endswith(("sses", "ches", "shes", "xes", "zes")):
        return word[:-2]
    if word.endswith("s") and not word.endswith(("ss", "us", "is")):
        return word[:-1]
    return word


@lru_cache(maxsize=CACHE_SIZE)
def is_word(text: str) -> bool:
    """True when the folded letters form an ordinary English or goods word (PUMPS, CHANNEL)."""
    if not text.isascii() or not text.isalpha():
        return False
    return text in english_words() or (len(text) >= 3 and text in goods_words())


@lru_cache(maxsize=1)
def _all_words() -> frozenset[str]:
    """Every ordinary word: what ``is_word`` accepts among ASCII letters (goods words
    have three letters or more)."""
    return english_words() | goods_words()


@lru_cache(maxsize=CACHE_SIZE)
def is_affix_word(text: str) -> bool:
    """True when ``text`` may stand glued to a mark: a goods word, series word or model code."""
    if not text or not text.isascii():
        return False
    if text.isalnum() and any(c.isdigit() for c in text) and any(c.isalpha() for c in text):
        return len(text) >= 2
    if text.isdigit():
        return len(text) >= 3  # a model number ("<MARK>42143")
    if not text.isalpha():
        return False
    if text in SERIES_WORDS:
        return True
    if len(text) >= 5 and _is_plain_affix(text[:-1]):
        return True  # a series or goods word with a model letter ("<MARK>SERIESX")
    goods = goods_words()
    if len(text) >= 3 and (text in goods or stem(text) in goods):
        return True
    if len(text) >= 4 and text in english_words():
        return True
    return is_compound_word(text)


def _is_plain_affix(text: str) -> bool:
    """A series word, goods word or English word of four letters or more."""
    return text in SERIES_WORDS or (len(text) >= 3 and (text in goods_words() or stem(text) in goods_words())) \
        or (len(text) >= 4 and text in english_words())


_MODEL_NAME = re.compile(r"([a-z]{3,})(\d{1,4})")


@lru_cache(maxsize=CACHE_SIZE)
def is_model_name(text: str) -> bool:
    """A model name glued to a short mark: a word of three letters or more and a number
    ("<MARK>FLIP6"); unlike a code ("<MARK>A1700"), it may follow a mark of three letters."""
    m = _MODEL_NAME.fullmatch(text)
    return m is not None and m.group(1) in english_words()


@lru_cache(maxsize=CACHE_SIZE)
def is_compound_word(text: str) -> bool:
    """True for two goods words written as one (BRAKEPADS, SPARKPLUG, TSHIRT), not for one word."""
    if is_word(text) or text in SERIES_WORDS:
        return False
    if not (text.isascii() and text.isalpha()):
        return False  # (no part of it is a word)
    # A new word costs this for every place it may be cut (see spans.affix_cuts): the
    # tails that are words first, looked up in C, then their heads.
    words = _all_words()
    n = len(text)
    for i in [i for i in range(1, n - 2) if text[i:] in words]:
        if i >= 3 and text[:i] in words or i == 1 and text[0] == "t" and n - 1 >= 4:
            return True
    return False


@lru_cache(maxsize=1)
def first_names() -> frozenset[str]:
    """Given names (US Census 1990 first names, lower-cased; see ``data/README.md``): a
    misspelt mark that reads as one of them is weak evidence."""
    rows = csv.reader(_data_text("first-names.csv").splitlines())
    next(rows, None)
    return frozenset(r[0] for r in rows if r)


# ---------------------------------------------------------------- the noisy channel
#
# A misspelt word is far more often an ordinary word mistyped than a mark in disguise:
# a reading is weak when the span is as close to a common word as to the mark.  A span
# that *is* a common word needs no typing error to be read so: the common words are the
# English word list, the HS goods vocabulary and the most frequent English words of
# everyday text (names and places among them: ``frequent-words.csv``, built by
# benchmarks/build_frequent_words.py).  A misspelt span is read as a mistyped goods
# word only (``goods_word_counts``): that is what declarations are made of, and a
# misspelt mark lies one letter from some rare word or name as often as not.

# How far (typing edits) a common word is looked for; two covers every edit budget.
NEAR_WORD_LIMIT = 2
_LETTERS = "abcdefghijklmnopqrstuvwxyz"


@lru_cache(maxsize=1)
def frequent_words() -> frozenset[str]:
    """The most frequent English words of everyday text (lower case, ASCII letters)."""
    rows = csv.reader(_data_text("frequent-words.csv").splitlines())
    next(rows, None)
    return frozenset(r[0] for r in rows if r)


@lru_cache(maxsize=1)
def country_names() -> frozenset[str]:
    """Every country's name, common name and official name (pycountry), lower-cased."""
    import pycountry

    out: set[str] = set()
    for c in pycountry.countries:
        for attr in ("name", "common_name", "official_name"):
            value = getattr(c, attr, None)
            if value:
                out.add(value.lower())
    return frozenset(out)


@lru_cache(maxsize=CACHE_SIZE)
def is_name(text: str) -> bool:
    """True when ``text`` (any case) is a given name or a country's name."""
    t = text.strip().lower()
    return bool(t) and (t in first_names() or t in country_names())


@lru_cache(maxsize=1)
def common_words() -> frozenset[str]:
    """Every word the noisy channel reads as ordinary: English, goods and frequent words."""
    return english_words() | frozenset(w for w in goods_words() if len(w) >= 3) | frequent_words()


# A goods word used in at least this many HS descriptions is everyday declaration
# wording (PARTS, WOVEN, COTTON, CITRUS: some 1,100 words); a span that mistypes one is
# read as that word.  A rarer goods word (MAIZE, BRAKE) is no likelier a typing
# error's source than a mark is: a span that mistypes one is sent to review at most.
EVERYDAY_MIN_DESCRIPTIONS = 10


@lru_cache(maxsize=1)
def goods_word_counts() -> dict[str, int]:
    """Each goods word of three letters or more: in how many HS descriptions it is used."""
    counts: dict[str, int] = {}
    for _, desc, _ in hs.rows():
        for w in set(_WORD.findall(desc.lower())):
            if len(w) >= 3:
                counts[w] = counts.get(w, 0) + 1
    return counts


def is_everyday(word: str) -> bool:
    """A goods word of everyday declaration wording (``EVERYDAY_MIN_DESCRIPTIONS``)."""
    return goods_word_counts().get(word, 0) >= EVERYDAY_MIN_DESCRIPTIONS


@lru_cache(maxsize=1)
def _typed_by_length() -> dict[int, tuple[str, ...]]:
    by: dict[int, list[str]] = {}
    for w in sorted(goods_word_counts()):
        by.setdefault(len(w), []).append(w)
    return {n: tuple(ws) for n, ws in by.items()}


def _edits1(word: str) -> set[str]:
    """Every string one typing edit (omit, add, change, swap) from ``word``."""
    splits = [(word[:i], word[i:]) for i in range(len(word) + 1)]
    out = {a + b[1:] for a, b in splits if b}
    out.update(a + b[1] + b[0] + b[2:] for a, b in splits if len(b) > 1)
    out.update(a + c + b[1:] for a, b in splits if b for c in _LETTERS)
    out.update(a + c + b for a, b in splits for c in _LETTERS)
    return out


@lru_cache(maxsize=CACHE_SIZE)
def near_words(text: str, limit: int) -> tuple[tuple[int, str], ...]:
    """The words ``text`` (lower-case ASCII letters) may be read as, closest first, as
    (typing edits, word): itself when a common word, and the goods words within
    ``limit`` (0..2) edits; words of one letter are not looked for."""
    if not text.isascii() or not text.isalpha() or len(text) < 2:
        return ()
    found = [(0, text)] if text in common_words() else []
    words = goods_word_counts().keys()
    if limit >= 1:
        found.extend((1, w) for w in sorted(_edits1(text) & words) if w != text)
    if limit >= 2 and len(text) >= 4:
        from rapidfuzz.distance import OSA
        from rapidfuzz.process import extract

        seen = {w for _, w in found}
        for n in range(len(text) - 2, len(text) + 3):
            bucket = _typed_by_length().get(n)
            if bucket and n >= 2:
                found.extend((int(d), w) for w, d, _ in extract(text, bucket, scorer=OSA.distance,
                                                                 score_cutoff=2, limit=None)
                             if d == 2 and w not in seen)
    return tuple(sorted(found))
