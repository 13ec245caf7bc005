"""Which strings are ordinary words: the English word list and the HS goods vocabulary.

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
    if not text.isalpha():
        return False
    if text in SERIES_WORDS:
        return True
    goods = goods_words()
    if len(text) >= 3 and (text in goods or stem(text) in goods):
        return True
    if len(text) >= 4 and text in english_words():
        return True
    return is_compound_word(text)


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
