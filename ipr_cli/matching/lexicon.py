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
    if len(text) >= 3 and (text in goods_words() or stem(text) in goods_words()):
        return True
    if len(text) >= 4 and text in english_words():
        return True
    return is_compound_word(text)


@lru_cache(maxsize=CACHE_SIZE)
def is_compound_word(text: str) -> bool:
    """True for two goods words written as one (BRAKEPADS, SPARKPLUG, TSHIRT), not for one word."""
    if is_word(text) or text in SERIES_WORDS:
        return False
    for i in range(1, len(text) - 2):
        head, tail = text[:i], text[i:]
        if (len(head) >= 3 and is_word(head) or head == "t" and len(tail) >= 4) and len(tail) >= 3 and is_word(tail):
            return True
    return False


@lru_cache(maxsize=1)
def first_names() -> frozenset[str]:
    """Given names (US Census 1990 first names, lower-cased; see ``data/README.md``): a
    misspelt mark that reads as one of them is weak evidence."""
    rows = csv.reader(_data_text("first-names.csv").splitlines())
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
