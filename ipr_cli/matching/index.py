"""Candidate retrieval: an index over the comparison keys of every recorded form.

Every mark and alias gives one or more *forms* (the mark itself, its registered
aliases, the mark cut short). Forms are found by exact look-alike key, by a
deletion neighbourhood within the mark's edit budget (SymSpell-style, so no
first-letter blocking), by sound-alike key, and — for aliases in Hangul, Chinese or
Japanese — by substring inside unspaced text. Retrieval only proposes; the scorer
decides.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from typing import Iterable

from ..models import Recordation
from ..normalize import has_cjk, phonetic, plain, skeleton
from .lexicon import is_word

# Shortest last-word stub kept when a multi-word mark is cut short ("KLAVORA BENT").
TRUNCATE_MIN = 4
# A first word standing for the whole mark must be at least this long and not a word.
FIRST_WORD_MIN = 6


def edit_budget(length: int) -> int:
    """How many typing edits a mark of ``length`` look-alike letters may carry."""
    if length <= 3:
        return 0
    if length <= 8:
        return 1
    return 2


@dataclass(frozen=True)
class Form:
    """One searchable form of a recordation's mark."""

    rec: int            # position of the recordation in the matcher's list
    text: str           # as registered, e.g. "KLAVORA BENTI", "卓维"
    kind: str           # "mark", "alias", "truncated", "first_word"
    key: str            # look-alike skeleton, separators removed
    fold: str           # folded letters and digits, separators removed
    phon: str           # sound-alike key
    words: int          # number of words in the form
    common: bool        # made only of dictionary words (GOLDEN PEAR, BLUE OCEAN)
    native: bool        # written in Hangul / CJK / kana

    @property
    def short(self) -> bool:
        """Very short forms (three letters or fewer) match exact keys only."""
        return len(self.key) <= 3


def deletions(key: str, depth: int) -> set[str]:
    """Every string obtained by deleting up to ``depth`` characters from ``key``."""
    out = {key}
    frontier = {key}
    for _ in range(min(depth, len(key) - 1)):
        nxt = set()
        for s in frontier:
            for i in range(len(s)):
                nxt.add(s[:i] + s[i + 1:])
        out |= nxt
        frontier = nxt
    return out


# Letters easily misread for one another, folded together for retrieval only.
MISREAD = str.maketrans({"u": "v", "n": "m", "c": "e", "b": "d", "q": "g", "j": "i"})


def undouble(key: str) -> str:
    """The key with doubled letters written once: ``zorrvvex`` → ``zorvex``."""
    out = []
    for ch in key:
        if not out or out[-1] != ch:
            out.append(ch)
    return "".join(out)


def forms_of(rec_index: int, rec: Recordation) -> list[Form]:
    """The searchable forms of one recordation: mark, aliases, and the mark cut short."""
    out: list[Form] = []
    seen: set[tuple[str, str]] = set()

    def add(text: str, kind: str) -> None:
        text = text.strip()
        if not text:
            return
        native = has_cjk(text)
        key = plain(text) if native else skeleton(text)
        if not key or (key, kind) in seen:
            return
        seen.add((key, kind))
        words = text.replace("-", " ").split()
        common = not native and all(is_word(plain(w)) for w in words if plain(w))
        out.append(Form(rec_index, text, kind, key, plain(text), phonetic(text),
                        len(words), common, native))

    add(rec.mark, "mark")
    for alias in rec.aliases:
        add(alias, "alias")
    for text in (rec.mark, *[a for a in rec.aliases if not has_cjk(a)]):
        words = text.replace("-", " ").split()
        if len(words) < 2:
            continue
        head = " ".join(words[:-1])
        last = plain(words[-1])
        for cut in range(TRUNCATE_MIN, len(last)):
            add(f"{head} {last[:cut].upper()}", "truncated")
        first = plain(words[0])
        if len(first) >= FIRST_WORD_MIN and not is_word(first):
            add(words[0], "first_word")
    return out


class MarkIndex:
    """Look-up structures over all forms: exact key, deletions, sound-alike, native text."""

    def __init__(self, recordations: Iterable[Recordation]) -> None:
        self.forms: list[Form] = []
        for i, rec in enumerate(recordations):
            self.forms.extend(forms_of(i, rec))
        self.by_key: dict[str, list[Form]] = defaultdict(list)
        self.by_delete: dict[str, set[str]] = defaultdict(set)
        self.by_phon: dict[str, set[str]] = defaultdict(set)
        self.native: dict[str, list[Form]] = defaultdict(list)
        for form in self.forms:
            if form.native:
                self.native[form.key].append(form)
                continue
            self.by_key[form.key].append(form)
            for d in deletions(form.key, edit_budget(len(form.key))):
                self.by_delete[d].add(form.key)
            single = undouble(form.key)
            if single != form.key:
                for d in deletions(single, 1):
                    self.by_delete[d].add(form.key)
            misread = form.key.translate(MISREAD)
            if misread != form.key:
                for d in deletions(misread, 1):
                    self.by_delete[d].add(form.key)
            if len(form.key) >= 4:
                self.by_phon[form.phon].add(form.key)
        self.max_len = max((len(k) for k in self.by_key), default=0)
        self.min_len = min((len(k) for k in self.by_key), default=0)
        self.native_lengths = sorted({len(k) for k in self.native}, reverse=True)
        self.max_words = max((f.words for f in self.forms), default=1)
        self._cand_cache: dict[tuple[str, str], frozenset[str]] = {}
        # Words of multi-word marks ("balance", "north"): a joined span may contain them.
        self.mark_words = frozenset(
            plain(w) for f in self.forms if f.words > 1 for w in f.text.replace("-", " ").split()
        )

    def candidates(self, key: str, phon: str) -> set[str]:
        """Mark keys that may lie within their edit budget of ``key`` (or sound like it)."""
        cached = self._cand_cache.get((key, phon))
        if cached is None:
            if len(self._cand_cache) > 500_000:
                self._cand_cache.clear()
            cached = self._candidates(key, phon)
            self._cand_cache[(key, phon)] = cached
        return set(cached)

    def _candidates(self, key: str, phon: str) -> frozenset[str]:
        out: set[str] = set()
        if not key:
            return frozenset()
        depth = 2 if len(key) >= 8 else 1
        by_delete = self.by_delete
        variants = deletions(key, depth)
        single = undouble(key)
        if single != key:
            variants |= deletions(single, 1)  # a doubled letter on top of another slip
        misread = key.translate(MISREAD)
        if misread != key:
            variants |= deletions(misread, 1)  # look-alike letters (c for e) on top of another slip
        for d in variants:
            hit = by_delete.get(d)
            if hit:
                out |= hit
        hit = self.by_phon.get(phon)
        if hit:
            out |= hit
        return frozenset(out)

    def native_in(self, text: str) -> list[tuple[int, int, Form]]:
        """Native-script aliases inside ``text`` (folded, unspaced): (start, end, form)."""
        found: list[tuple[int, int, Form]] = []
        n = len(text)
        for length in self.native_lengths:
            for i in range(0, n - length + 1):
                forms = self.native.get(text[i:i + length])
                if forms:
                    found.extend((i, i + length, f) for f in forms)
        return found
