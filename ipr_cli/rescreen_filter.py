"""An exact prefilter for re-screening: field values that cannot hold a changed mark.

``--recordations-changed-since`` screens an archive against a few recordations, and the
span search costs about the same per line whatever the number of marks (rescreen.py).
So each field value is first asked a question that a few C-speed string operations
answer: could any span of this text be read as a form of the changed recordations at
all?  When not, the value has no finding of those forms — under the matcher of the
whole register as under the first pass's — and is not searched.

Why "not" is safe.  A span is read as a (Latin) form of key ``K`` (``k`` characters,
edit budget ``b = edit_budget(k)``) only when (``reading.read_span`` / ``_edits``):

* the weighted typo distance from the span's key ``S`` is at most ``b + 0.5``, so the
  unit OSA distance between the keys with look-alike letters folded together
  (``features._CHEAP_CLASS``, its lower bound) is at most ``b`` — the **typo** test; or
* the span sounds like the form: its sound-alike key (``normalize.phonetic``) equals the
  form's, of four or more letters — the **sound** test.

A short form (three characters or fewer) is read only where the span's folded letters
(``plain``) are the form's, neither cut by an affix nor typo'd: see *Short forms*.

*Typo test.*  ``S`` is the key of a run of the text's words (``normalize.words``, the
span search's own tokeniser) joined without separators, perhaps cut shorter (an affix,
a plural ending, a glued symbol).  Every key character comes from one character of that
run (``letters_of``; a number keeps its digits, which no mark key has), or from a letter
pair read as one (``rn``/``nn`` → ``m``, ``vv`` → ``w``, ``cl`` → ``d``, ``lc`` → ``k``,
``lh`` → ``h``), or is the ``y`` of a plural ``ies`` read as its singular; so a stretch
of ``S`` is found in the text's joined, folded letters ``U`` when each of its characters
may also be matched by its pair (``m`` by ``mm``, ``d`` by ``ci``...), a ``y`` by an
``i``, and an arbitrary one by one or two characters.  With ``b = 0``, ``K`` itself
must be found so.  With ``b = 1``, ``S`` holds ``K`` with at most one edit: one of the
patterns of ``K``'s OSA neighbourhood (a character dropped, changed, added, or two
swapped) is found.  With ``b = 2``, ``K`` is cut into halves ``A`` and ``B``.  Without
a swap across the cut, either one half is intact, or each carries one edit and nothing
stands between them: ``A`` or ``B`` is found, or a pattern of ``A``'s neighbourhood
followed by one of ``B``'s.  With such a swap, ``A[:-1]`` + ``B[0]`` + ``A[-1]`` or
``B[0]`` + ``A[-1]`` + ``B[1:]`` is intact.  (A form with a larger budget, or with a key
of other than ASCII characters, gets no filter: every text is kept.)

*Short forms.*  Their span is a run of whole words, the last perhaps read without a
plural S, ES or IES (then Y), the first without a glued symbol; so the form's letters
are found in ``W`` — the text's letters and digits in lower case, every other character
a space — at a word's start, spaces allowed between them, ending a word or followed by
S or ES that end it (a closing Y also matched by IE).

*Sound test.*  Map letters to sound classes (C/K/Q/S/X/Z one, F/P one, E/I/Y one, H
dropped) and squeeze repeated classes into one: every rewrite of ``phonetic`` keeps that
image, except the silent final E, which drops a last class.  So the image of the
form's sound-alike key is found in the image of the text's joined letters.

HTML character references are decoded first, as the span search decodes them.  A
text with a word holding a non-ASCII character other than Hangul, Chinese or Japanese
(look-alike scripts, full-width or accented letters) is not reasoned about: it is kept,
and searched as before.  A word in Hangul, Chinese or Japanese is left out of ``U`` (no
Latin span runs through it: the span search stops there; joining its neighbours only
offers more), and a form written in those scripts (a native alias) is looked for as the
span search looks for it: its key among the text's letters in those scripts, run
together.
"""

from __future__ import annotations

import re

from .matching.features import _CHEAP_CLASS
from .matching.index import MarkIndex, edit_budget
from .matching.spans import _CJK_LETTER
from .matching.noisy import VOWELS
from .normalize import CJK_CHAR, MULTI_LOOKALIKES, SYMBOL_LETTERS, char_table, fold, read_entities
from .normalize import words as words_of

# A word character (ASCII) as the letter it reads as (``letters_of``).
_LETTERS = {**{c: c.lower() for c in "ABCDEFGHIJKLMNOPQRSTUVWXYZ"},
            **{c: v for c, v in SYMBOL_LETTERS.items() if ord(c) < 128}}
# Key letters (skeleton: "l" read as "i") with look-alike letters folded together.
_FOLD = char_table({"l": "i"})
# Sound classes of letters (see the module docstring).
_SOUND = {**{c: "k" for c in "cqsxz"}, "p": "f", "e": "i", "y": "i"}
_REPEATS = re.compile(rb"(.)\1+")
# Characters that a word of an ASCII text may hold but that are no letter or digit.
_SYMBOLS = frozenset("$@!|")
_CJK_RUN = re.compile(CJK_CHAR.pattern + "+")


def _folded(text: str) -> str:
    return text.translate(_FOLD).translate(_CHEAP_CLASS)


def _byte_table(mapping) -> bytes:
    """A ``bytes.translate`` table: each ASCII character through ``mapping`` (one character each)."""
    return bytes(ord(mapping(chr(i))) if i < 128 else i for i in range(256))


# ASCII text -> the key letters of its words, folded (with the characters that are no
# letter or digit deleted: only for text whose words are its runs of letters and digits).
_FOLD_BYTES = _byte_table(lambda c: _folded(_LETTERS.get(c, c)))
_NOT_ALNUM = bytes(i for i in range(128) if not chr(i).isalnum())
# Letters (as read) -> their sound classes; "h" and everything but letters deleted.
_SOUND_BYTES = _byte_table(lambda c: _SOUND.get(c, c))
_NOT_SOUNDED = bytes(i for i in range(256) if not (97 <= i <= 122) or i == ord("h"))
_READ_BYTES = _byte_table(lambda c: _LETTERS.get(c, c))  # text -> letters as read
# ASCII text -> ``W``: its letters and digits in lower case, every other character a space.
_WORDS_BYTES = _byte_table(lambda c: c.lower() if c.isalnum() else " ")
# ASCII text -> the sound classes of the letters its words read as (digits that read as
# no letter, "h" and every character that is no letter or digit deleted).
_HEARD_BYTES = _byte_table(lambda c: _SOUND.get(_LETTERS.get(c, c), _LETTERS.get(c, c)))
_NOT_HEARD = bytes(i for i in range(256) if not ("a" <= _LETTERS.get(chr(i), chr(i)) <= "z") or chr(i) in "hH")


# What may stand in ``U`` for one character of a span's key (folded).
_STANDS_FOR = {
    _folded(single): f"(?:{re.escape(_folded(single))}|{re.escape(_folded(pair))})"
    for pair, single in MULTI_LOOKALIKES
}
_STANDS_FOR["y"] = "[yi]"
_ANY = ".{1,2}"


def _char(ch: str) -> str:
    return _STANDS_FOR.get(ch) or re.escape(ch)


def _pattern(chars: list[str | None]) -> str:
    """A stretch of key characters (None: any one) as a pattern over ``U``."""
    return "".join(_ANY if ch is None else _char(ch) for ch in chars)


def _neighbourhood(key: str) -> list[str]:
    """Patterns of every stretch within OSA distance 1 of ``key`` (folded)."""
    k = list(key)
    out = {_pattern(k)}
    for i in range(len(k)):
        out.add(_pattern(k[:i] + k[i + 1:]))            # dropped
        out.add(_pattern(k[:i] + [None] + k[i + 1:]))   # changed
        out.add(_pattern(k[:i] + [None] + k[i:]))       # added
        if i + 1 < len(k) and k[i] != k[i + 1]:
            out.add(_pattern(k[:i] + [k[i + 1], k[i]] + k[i + 2:]))  # swapped
    out.add(_pattern(k + [None]))                       # added at the end
    return sorted(p for p in out if p)


def typo_patterns(key: str, budget: int) -> list[str] | None:
    """The patterns one of which a span within ``budget`` edits of ``key`` shows in
    ``U`` (see the module docstring); None when the filter has none for this budget."""
    key = _folded(key)
    if budget == 0:
        return [_pattern(list(key))]
    if budget == 1:
        return _neighbourhood(key)
    if budget == 2 and len(key) >= 4:
        half = len(key) // 2
        a, b = key[:half], key[half:]
        both = f"(?:{'|'.join(_neighbourhood(a))})(?:{'|'.join(_neighbourhood(b))})"
        return [_pattern(list(a)), _pattern(list(b)), both,
                _pattern(list(a[:-1] + b[0] + a[-1])), _pattern(list(b[0] + a[-1] + b[1:]))]
    return None


def devowelled_patterns(key: str) -> list[str]:
    """The pattern a span that leaves out vowels of ``key`` (and nothing else) shows in
    ``U``: every vowel optional (``reading.vowel_readings``, which reads up to one vowel
    more than the edit budget); none for a key of fewer than two vowels."""
    if sum(ch in VOWELS for ch in key) < 2:
        return []
    return ["".join(f"(?:{_char(_folded(ch))})?" if ch in VOWELS else _char(_folded(ch)) for ch in key)]


def whole_word_pattern(fold: str) -> bytes:
    """A short form's folded letters as whole words of ``W`` (see the module docstring),
    or glued to a model name (``<MARK>FLIP6``: ``lexicon.is_model_name``)."""
    chars = [re.escape(c).encode("ascii") for c in fold]
    if fold.endswith("y"):
        chars[-1] = b"(?:y|ie)"  # a plural IES read as Y
    return b"(?<![a-z0-9])" + b" *".join(chars) + b"(?:e?s)?(?:(?![a-z0-9])|(?=[a-z]{3,}[0-9]))"


def sound_image(letters: bytes) -> bytes:
    """The sound-class image of letters as read (ASCII; see the module docstring)."""
    return _REPEATS.sub(rb"\1", letters.translate(_SOUND_BYTES, _NOT_SOUNDED))


def sound_pattern(image: bytes) -> bytes:
    """A pattern finding ``image`` in the image of a text before its repeats are squeezed."""
    return b"".join(re.escape(bytes([c])) + b"+" for c in image)


class ChangedMarksFilter:
    """``keeps(text)``: False only when no span of ``text`` can be read as a form of the
    given recordations (see the module docstring).  Picklable: cluster workers get it."""

    def __init__(self, recordations) -> None:
        patterns: set[str] = set()
        sounds: set[str] = set()
        whole: set[bytes] = set()
        self.everything = False
        self.native: list[str] = []  # keys of forms in Hangul, Chinese or Japanese
        for form in MarkIndex(list(recordations)).forms:
            if form.native:
                self.native.append(form.key)
                continue
            if form.short:
                if form.fold.isascii():  # (else no ASCII span spells it, and other text is kept)
                    whole.add(whole_word_pattern(form.fold))
                continue
            found = typo_patterns(form.key, edit_budget(len(form.key))) if form.key.isascii() else None
            if found is None:
                self.everything = True
                continue
            patterns.update(found)
            patterns.update(devowelled_patterns(form.key))
            if len(form.phon) >= 4:
                sounds.add(sound_image(form.phon.encode("ascii")))
        self.sounds = re.compile(b"|".join(sound_pattern(s) for s in sorted(sounds))) if sounds else None
        self.whole = re.compile(b"|".join(sorted(whole))) if whole else None
        # Longest first: the search only asks whether any matches.
        self.typo = re.compile("|".join(sorted(patterns, key=len, reverse=True)).encode("ascii")) if patterns else None

    def keeps(self, text: str) -> bool:
        if self.everything:
            return True
        if "&" in text:
            decoded = read_entities(text)  # as the span search reads it
            if decoded is not None:
                text = decoded[0]
        if not text.isascii():
            if self._native_in(text):
                return True
            # A word in Hangul, Chinese or Japanese ends every Latin span (the span search
            # stops there): left out, its neighbours joined (which only offers more).
            text = _CJK_RUN.sub(" ", text)
        if text.isascii() and _SYMBOLS.isdisjoint(text):
            # The words are the runs of letters and digits: joined, they are the text
            # without its other characters.
            raw = text.encode("ascii")
            return self._finds(raw.translate(_FOLD_BYTES, _NOT_ALNUM), raw.translate(_HEARD_BYTES, _NOT_HEARD),
                               raw.translate(_WORDS_BYTES))
        words = words_of(text)
        if not all(word.isascii() for word in words):
            return True  # look-alike letters of other scripts, accents: not reasoned about here
        raw = "".join(words).encode("ascii")
        return self._finds(raw.translate(_FOLD_BYTES), raw.translate(_READ_BYTES).translate(_SOUND_BYTES, _NOT_SOUNDED),
                           " ".join(words).encode("ascii").translate(_WORDS_BYTES))

    def _native_in(self, text: str) -> bool:
        """A form in Hangul, Chinese or Japanese is found in the text's such letters run
        together (``SpanSearch._native_findings``): whether some form's key is among them."""
        if not self.native:
            return False
        held = "".join(fold(ch) for ch in _CJK_LETTER.findall(text))
        return any(key in held for key in self.native)

    def _finds(self, folded: bytes, heard: bytes, words: bytes) -> bool:
        """The typo test on the folded key letters ``U``, the sound test on their sound
        classes, the short forms' test on ``W`` (see the module docstring)."""
        if self.typo is not None and self.typo.search(folded):
            return True
        if self.sounds is not None and self.sounds.search(heard):
            return True
        return self.whole is not None and self.whole.search(words) is not None
