"""Pure text normalisation steps used to compare marks with declaration text.

Each step is a small pure function; the matcher combines them into comparison keys:

- ``fold``: Unicode NFKC plus case folding (full-width letters, ligatures, case);
- ``skeleton``: a look-alike key in which characters that look the same are the same
  (Unicode TR39 confusables, digits and symbols used as letters, ``rn`` for ``m``);
- ``phonetic``: a sound-alike key (C/K, PH/F, doubled letters, X/KS, silent final E);
- ``atoms``: the words of a text with their positions, for candidate spans;
- ``read_entities``: HTML character references decoded, as a browser shows them.
"""

from __future__ import annotations

import html
import json
import re
import unicodedata
from functools import lru_cache
from importlib import resources

from anyascii import anyascii

# Entries kept by each memo of text work (here and in ``matching``).  Small enough that
# every memo is full early in a large batch, so memory stops growing there (a day's
# batch streams in constant memory); large enough to hold a batch's common words.
CACHE_SIZE = 20_000

# Digits and symbols used as letters ("N1KE", "ADIDA$", "@PPLE", "D¥SON").
SYMBOL_LETTERS: dict[str, str] = {
    "0": "o", "1": "i", "3": "e", "4": "a", "5": "s", "7": "t", "8": "b",
    "@": "a", "$": "s", "!": "i", "|": "l", "€": "e", "¥": "y",
}
# The symbols of SYMBOL_LETTERS that may stand glued before a word ("$MARK", "@MARK").
GLUED_SYMBOLS = "$@!|€¥"
# Letter sequences that read as one letter at a glance.
MULTI_LOOKALIKES: tuple[tuple[str, str], ...] = (
    ("rn", "m"), ("nn", "m"), ("vv", "w"), ("cl", "d"), ("lc", "k"), ("lh", "h"),
)


def char_table(pairs: dict[str, str]) -> str:
    """A ``str.translate`` table that maps each character of ``pairs`` to its value and
    leaves every other as it is: a string indexed by code point (Latin-1), which
    CPython reads several times faster than the dict ``str.maketrans`` makes, where
    each character left as it is costs a failed look-up."""
    table = [chr(i) for i in range(256)]
    for old, new in pairs.items():
        table[ord(old)] = new
    return "".join(table)


# Letters merged into one class in the skeleton because fonts make them alike.
CLASS_MERGE = char_table({"l": "i"})

_LATIN_LETTER = re.compile(r"[a-z]")


def fold(text: str) -> str:
    """The text as Unicode NFKC, case folded: ``Ｚｏｒｖｅｘ`` and ``ZORVEX`` give ``zorvex``."""
    # NFKC again after casefold: casefold can undo NFKC (ß + U+0301 → "ss" + U+0301,
    # which NFKC recomposes to "sś"), and folding must be idempotent.
    return unicodedata.normalize("NFKC", unicodedata.normalize("NFKC", text).casefold())


def is_cjk(ch: str) -> bool:
    """True for Hangul, CJK ideographs and Japanese kana, which carry aliases unspaced."""
    o = ord(ch)
    return (
        0x1100 <= o <= 0x11FF
        or 0x3040 <= o <= 0x30FF
        or 0x3130 <= o <= 0x318F
        or 0x3400 <= o <= 0x9FFF
        or 0xAC00 <= o <= 0xD7AF
        or 0xF900 <= o <= 0xFAFF
        or 0x31F0 <= o <= 0x31FF
        or 0xFF66 <= o <= 0xFF9F
    )


# The ranges of ``is_cjk`` (and kana extensions, half-width katakana), for searching
# whole strings at C speed.
CJK_CHAR = re.compile(
    "[\u1100-\u11ff\u3040-\u30ff\u3130-\u318f\u3400-\u9fff\uac00-\ud7af"
    "\uf900-\ufaff\u31f0-\u31ff\uff66-\uff9f]"
)


def has_cjk(text: str) -> bool:
    """True when the text contains Hangul, CJK or kana characters."""
    return not text.isascii() and CJK_CHAR.search(text) is not None


@lru_cache(maxsize=1)
def confusable_letters() -> dict[str, str]:
    """Map each non-ASCII character that looks like one Latin letter to that letter."""
    import confusable_homoglyphs

    path = resources.files(confusable_homoglyphs) / "confusables.json"
    data = json.loads(path.read_text(encoding="utf-8"))
    out: dict[str, str] = {}
    for ch, entries in data.items():
        if len(ch) != 1 or ch.isascii() or is_cjk(ch):
            continue
        for entry in entries:
            target = entry.get("c", "")
            if len(target) == 1 and target.isascii() and target.isalpha():
                out[ch] = target.lower()
                break
    # Folding must not undo the map: add the case-folded forms too.
    for ch, letter in list(out.items()):
        for variant in (ch.lower(), ch.upper(), fold(ch)):
            if len(variant) == 1 and not variant.isascii():
                out.setdefault(variant, letter)
    return out


@lru_cache(maxsize=4096)
def char_letter(ch: str) -> str:
    """The Latin letters a single folded character stands for ('' when none)."""
    if ch.isascii():
        if ch.isalpha():
            return ch.lower()
        if ch.isdigit():
            return SYMBOL_LETTERS.get(ch, ch)
        return SYMBOL_LETTERS.get(ch, "")
    if is_cjk(ch):
        return ch
    letter = SYMBOL_LETTERS.get(ch) or confusable_letters().get(ch)
    if letter:
        return letter
    folded = fold(ch)
    if folded != ch and len(folded) == 1:
        return char_letter(folded)
    decomposed = unicodedata.normalize("NFKD", ch)
    base = "".join(c for c in decomposed if not unicodedata.combining(c))
    if base and base.isascii():
        return "".join(c.lower() for c in base if c.isalnum())
    if unicodedata.category(ch).startswith(("L", "N")):
        return "".join(c.lower() for c in anyascii(ch) if c.isascii() and c.isalpha())
    return ""


@lru_cache(maxsize=CACHE_SIZE)
def plain(text: str) -> str:
    """Folded letters and digits only, separators removed: ``Z.O.R.V.E.X`` gives ``zorvex``."""
    if text.isascii():  # (folded ASCII is its lower case: the same letters, at C speed)
        return text.lower().translate(_ASCII_NOT_ALNUM)
    return "".join(ch for ch in fold(text) if ch.isalnum())


_ASCII_NOT_ALNUM = str.maketrans(dict.fromkeys(chr(o) for o in range(128) if not chr(o).isalnum()))


@lru_cache(maxsize=CACHE_SIZE)
def skeleton_variants(text: str) -> tuple[str, ...]:
    """The look-alike key, plus the key with letter pairs read as one (``rn`` → ``m``)."""
    base = skeleton(text)
    merged = letters_of(text)
    for seq, single in MULTI_LOOKALIKES:
        if seq in merged:
            merged = merged.replace(seq, single)
    merged = merged.translate(CLASS_MERGE)
    return (base,) if merged == base else (base, merged)


@lru_cache(maxsize=CACHE_SIZE)
def skeleton(text: str) -> str:
    """The look-alike key: ``Z0RV3X``, ``ZОRVЕX`` (Cyrillic О, Е) and ``Ｚｏｒｖｅｘ`` all give ``zorvex``.

    Separators are dropped; ``l`` and ``i`` share one class (``1``, ``|``, ``!`` too).
    Letter pairs that read as one letter (``rn``) are left to ``skeleton_variants``.
    """
    return letters_of(text).translate(CLASS_MERGE)


# In order; a plain string is replaced as it is (str.replace: as re.sub would, faster).
# (The rules as written; ``phonetic`` applies them in fewer passes, to the same effect:
# tests/test_normalize.py compares the two.)
PHONETIC_RULES: tuple[tuple[re.Pattern[str] | str, str], ...] = tuple(
    (re.compile(p) if any(c in p for c in "()[]\\") else p, r)
    for p, r in (
        (r"([a-z])\1+", r"\1"),
        (r"ph", "f"),
        (r"ck", "k"),
        (r"c(?=[eiy])", "s"),
        (r"c", "k"),
        (r"q", "k"),
        (r"x", "ks"),
        (r"z", "s"),
        (r"y", "i"),
        (r"ie\b", "i"),
        (r"ee", "i"),
        (r"(?<=[a-z]{3})e\b", ""),
        (r"([a-z])\1+", r"\1"),
    )
)
_NOT_LATIN = re.compile(r"[^a-z]+")
_DOUBLED = re.compile(r"([a-z])\1+")
_SOFT_C = re.compile(r"c(?=[eiy])")
# The single-letter rules (C→K, Q→K, X→KS, Z→S, Y→I) at once: none reads another's output.
_SOUND_LETTERS = str.maketrans({"c": "k", "q": "k", "x": "ks", "z": "s", "y": "i"})


@lru_cache(maxsize=CACHE_SIZE)
def phonetic(text: str) -> str:
    """A sound-alike key: ``PHALKON``/``FALKON``, ``ZORVEKS``/``ZORVEX``, ``KITTIE``/``KITTY`` agree.

    Rules: PH→F, CK/C/Q→K (C before E/I/Y→S), X→KS, Z→S, Y→I, EE→I, a silent final E
    dropped, doubled letters single (``PHONETIC_RULES``, in order).  The key holds
    Latin letters only, so a word boundary is its end.
    """
    key = letters_of(text)
    if not (key.isascii() and key.isalpha() and key.islower()):  # (else nothing to take out)
        key = _NOT_LATIN.sub("", key)
    if _DOUBLED.search(key) is not None:  # (a search costs less than a substitution)
        key = _DOUBLED.sub(r"\1", key)
    if "ph" in key:
        key = key.replace("ph", "f")
    if "c" in key:
        key = _SOFT_C.sub("s", key.replace("ck", "k"))
    key = key.translate(_SOUND_LETTERS)
    if key.endswith("ie"):
        key = key[:-1]
    if "ee" in key:
        key = key.replace("ee", "i")
    if len(key) >= 4 and key[-1] == "e":
        key = key[:-1]
    return _DOUBLED.sub(r"\1", key) if _DOUBLED.search(key) is not None else key


@lru_cache(maxsize=CACHE_SIZE)
def letters_of(text: str) -> str:
    """The Latin letters (and CJK characters) a text reads as, one character at a time.

    Case matters before folding: Greek capital Ν reads as N, small ν as v.
    """
    if text.isascii():  # (ASCII is NFKC: one table, the same letters, at C speed)
        return text.translate(_ASCII_LETTERS)
    return "".join(char_letter(ch) for ch in unicodedata.normalize("NFKC", text))


# ``char_letter`` of every ASCII character, as a ``str.translate`` table.
_ASCII_LETTERS = str.maketrans({chr(o): char_letter(chr(o)) for o in range(128)})


# A word: letters/digits, with symbols that stand for letters inside it ("CONVER$E"):
# each symbol (one at a time) followed by a letter or digit, and a last "!".
_ATOM = re.compile(r"[$@!|€¥]?[^\W_]+(?:[$@!|€¥][^\W_]+)*!?")
_SCRIPT_RUN = re.compile(CJK_CHAR.pattern + "+|" + CJK_CHAR.pattern.replace("[", "[^", 1) + "+")


def atoms(text: str) -> list[tuple[int, int]]:
    """The (start, end) positions of the words of ``text``; Latin and CJK runs are split apart."""
    out: list[tuple[int, int]] = []
    for m in _ATOM.finditer(text):
        start, end = m.span()
        word = m.group()
        if word.isascii() or CJK_CHAR.search(word) is None:
            out.append((start, end))
            continue
        out.extend((start + r.start(), start + r.end()) for r in _SCRIPT_RUN.finditer(word))
    return out


def words(text: str) -> list[str]:
    """The words of ``text`` as ``atoms`` finds them, without their positions (faster)."""
    found = _ATOM.findall(text)
    if text.isascii() or CJK_CHAR.search(text) is None:
        return found
    out: list[str] = []
    for word in found:
        if word.isascii() or CJK_CHAR.search(word) is None:
            out.append(word)
        else:
            out.extend(_SCRIPT_RUN.findall(word))
    return out


def script_name(ch: str) -> str:
    """The script of a character in plain words: ``Cyrillic``, ``Greek``, ``full-width``."""
    try:
        name = unicodedata.name(ch)
    except ValueError:
        return "unusual"
    if name.startswith("FULLWIDTH"):
        return "full-width"
    first = name.split()[0]
    return first.capitalize()


# An HTML character reference: numeric (``&#79;``, ``&#x43;``, the ``;`` optional) or
# named (``&Eacute;``, ``&amp;``: the ``;`` required, so ``AT&T`` and ``R&Dept`` stay).
_ENTITY = re.compile(r"&(?:#[0-9]{1,7};?|#[xX][0-9a-fA-F]{1,6};?|[A-Za-z][A-Za-z0-9]{1,31};)")


def _entity(ref: str) -> str:
    """One character reference decoded, or ``ref`` itself when it names nothing; an
    upper-cased feed's ``&EACUTE;`` read as ``&eacute;``."""
    for form in (ref, ref.lower(), ref[:2] + ref[2:].lower()):
        out = html.unescape(form)
        if out != form:
            return out
    return ref


@lru_cache(maxsize=CACHE_SIZE)
def read_entities(text: str) -> tuple[str, tuple[int, ...], tuple[int, ...]] | None:
    """``text`` with its HTML character references decoded (``Z&#79;RVEX`` → ``ZORVEX``,
    ``SMITH &amp; SONS`` → ``SMITH & SONS``), and where each decoded character begins and
    ends in ``text``; None when ``text`` has none."""
    if "&" not in text:
        return None
    out: list[str] = []
    starts: list[int] = []
    ends: list[int] = []
    at = 0
    for m in _ENTITY.finditer(text):
        decoded = _entity(m.group())
        if decoded == m.group():
            continue
        for i in range(at, m.start()):
            out.append(text[i])
            starts.append(i)
            ends.append(i + 1)
        for ch in decoded:
            out.append(ch)
            starts.append(m.start())
            ends.append(m.end())
        at = m.end()
    if not at:
        return None
    for i in range(at, len(text)):
        out.append(text[i])
        starts.append(i)
        ends.append(i + 1)
    return "".join(out), tuple(starts), tuple(ends)
