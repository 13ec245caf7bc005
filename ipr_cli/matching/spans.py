"""Span search: every run of words in a field value that may stand for a mark, and its readings.

``SpanSearch(index, marks).find(text)`` returns the ``Finding``s of one field value on
its text alone.  Runs of words are walked in a trie of the words met so far, so that a
batch's many values that repeat word runs ("MEN'S T-SHIRT", "BLACK XL") cost a look-up.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache
from typing import NamedTuple

from ..normalize import CACHE_SIZE, CJK_CHAR, atoms, fold, is_cjk, phonetic, plain, read_entities, skeleton_variants
from ..normalize import words as words_of
from .feedtext import as_written, closest, not_code, singulars, without_glued_symbol
from .index import MarkIndex
from .lexicon import is_affix_word, is_model_name, is_word
from .memo import evict_oldest
from .reading import TYPO_NAMES, best_readings
from .records import CONTEXT, NONE, Finding, Reading, finding
from .scorer import PLURAL_PENALTY, SPACING_PENALTY, Reason

# Most atoms one candidate span may join (spaced-out letters: "T O M M Y").
MAX_SPAN_ATOMS = 14
# Spans remembered with their readings, and the trie of word runs: bounded so that
# memory stops growing early in a large batch (issue 4: peak memory within 20 %
# between 100 k and 1 M lines).  The trie is the largest memo per entry; a larger one
# is faster on a long batch but costs that bound.  Sizes measured on the synthetic
# batch of benchmarks/speed.py: a day's batch judges some 50,000 distinct spans, and
# twice this trie cost 5 MiB more for 8 % less search time.
SPAN_CACHE_SIZE = 50_000
TRIE_SIZE = 60_000
_STOP = object()  # a trie node past which no run can match
_LEAF = object()  # the children of a trie node that no longer run can extend
# A span holding this many characters that no mark key has is no mark: each costs a
# whole edit (three already exceed the largest budget), and even a sound-alike must
# be within three characters of the mark's length.
FOREIGN_LIMIT = 4


class Word(NamedTuple):
    """What the span search needs of one word of a field value (cached per word)."""

    text: str                   # NFKC
    key: str                    # look-alike key
    size: int                   # length of the key
    cjk: bool                   # written in Hangul / CJK / kana
    blocker: bool               # an ordinary word no multi-word mark uses (see _blocks)
    suffix_cut: bool            # a suffix may be cut off it (a mark glued to a product word)
    prefix_cut: bool            # a prefix may be cut off it
    foreign: int                # characters that no mark key has


class _Node:
    """A node of the trie of word runs: the run ``words[i..j]`` from some start ``i``.

    Its readings are None until ``_readings`` or ``_exact_readings`` judges them.
    *Foreign* counts the characters that no mark key has (model numbers, sizes) in the
    words that a mark glued to an affix cannot cut off: each costs a whole edit, and no
    mark may carry more than ``FOREIGN_LIMIT`` of them.

    (A slotted class, not a list by position as before: profiled on the noisy batch of
    shared/bench/mknoisy.py, making nodes costs 0.2 % of the search, reading them no more.)
    """

    __slots__ = ("children", "readings", "size", "long_words", "blocked", "prefix_cut",
                 "foreign", "foreign_all", "joined", "exact")

    def __init__(self, size: int, long_words: int, blocked: bool, prefix_cut: bool,
                 foreign: int, foreign_all: int) -> None:
        self.children: dict | object | None = None  # next word -> node, or _LEAF
        self.readings: tuple | None = None  # ((readings, standalone), ...)
        self.size = size                    # key length of the run
        self.long_words = long_words        # words of three or more characters
        self.blocked = blocked              # holds an ordinary word no mark uses
        self.prefix_cut = prefix_cut        # its first word may lose a prefix
        self.foreign = foreign              # foreign characters outside a cuttable first word
        self.foreign_all = foreign_all      # foreign characters in all its words
        self.joined: str | None = None      # the run's key, kept while only an exact key can match
        self.exact: tuple | None = None     # readings when only a mark spelt exactly counts


class SpanSearch:
    """Finds the readings of every candidate span of a field value; holds the span memos."""

    def __init__(self, index: MarkIndex, marks: list[str]) -> None:
        self.index = index
        self.marks = marks  # each recordation's mark, by position (for the reasons' words)
        self._span_cache: dict[tuple[str, ...], tuple[Reading, ...]] = {}
        self._affix_cache: dict[tuple[str, ...], tuple[Reading, ...]] = {}
        self._atom_cache: dict[str, Word] = {}
        self._trie: dict[str, _Node | object] = {}  # see find
        self._trie_nodes = 0
        self._native_cache: dict[str, list] = {}  # see _native_findings

    def find(self, text: str) -> list[Finding]:
        """Every form of every mark found in one field value, judged on the text alone.

        Every run of up to ``MAX_SPAN_ATOMS`` words is a candidate span while its key is
        no longer than the longest mark allows (a little longer for a mark glued to a
        product word).  This runs for every new field value of a batch, and new values
        mostly repeat word runs met before ("MEN'S T-SHIRT", "BLACK XL"), so the runs
        are walked in a trie of words met so far (``_grow`` makes a node the first time,
        and a node's readings are judged the first time they are wanted); positions in
        the text are worked out only for the rare value with a finding.

        A span that begins inside a run of spaced-out letters ("G O L D E N B R I G H T")
        is read only as a mark written exactly: its first letters belong to a word
        before it, and read loosely every stretch of a long run is a typo of some mark
        in a large register.  (A run's loose readings begin where the run begins.)

        Text from a web feed is read as a browser shows it: HTML character references
        are decoded first (``Z&#79;RVEX``), and a finding's place and matched text are
        those of the text as it stands.
        """
        if "&" in text:
            decoded = read_entities(text)
            if decoded is not None:
                return as_written(self._find(decoded[0]), text, decoded[1], decoded[2])
        return self._find(text)

    def _find(self, text: str) -> list[Finding]:
        """``find`` in a text with no character reference left."""
        words = words_of(text)
        n = len(words)
        found: list[tuple[int, int, tuple, bool]] = []  # (first word, last word, matches, standalone)
        root = self._trie
        grow = self._grow
        previous = ""
        for i, word in enumerate(words):
            node = root.get(word)
            if node is None:
                node = root[word] = grow(None, words, i, i)
            inside = len(word) == 1 and len(previous) == 1  # within spaced-out letters
            previous = word
            if node is _STOP:
                continue
            j = i
            end = i + MAX_SPAN_ATOMS
            if end > n:
                end = n
            while True:
                if inside:
                    readings = node.exact
                    if readings is None:
                        readings = self._exact_readings(node, words, i, j)
                else:
                    readings = node.readings
                    if readings is None:
                        readings = self._readings(node, words, i, j)
                if readings:
                    found.extend((i, j, matches, standalone) for matches, standalone in readings)
                j += 1
                if j == end:
                    break
                children = node.children
                if children is _LEAF:
                    break
                word = words[j]
                if children is None:
                    nxt = grow(node, words, i, j)
                    node.children = {word: nxt}
                else:
                    nxt = children.get(word)
                    if nxt is None:
                        nxt = children[word] = grow(node, words, i, j)
                if nxt is _STOP:
                    break
                node = nxt
        out: list[Finding] = []
        if found:
            spans = atoms(text)
            for i, j, matches, standalone in found:
                start, end = spans[i][0], spans[j][1]
                # (Not the letters of a code, "XX-4958": feedtext.not_code.)
                for reading in not_code(matches, text, spans[j][0], end, j > i):
                    out.append(finding(reading, start, end, text[start:end], standalone))
        out.extend(self._native_findings(text))
        return out

    def _grow(self, parent: _Node | None, words: list[str], i: int, j: int) -> _Node | object:
        """The trie node for the run ``words[i..j]`` (``parent``: the node for ``words[i..j-1]``),
        or ``_STOP`` when no longer run from ``i`` can match.

        (See ``_Node``.)
        """
        self._trie_nodes += 1
        if self._trie_nodes > TRIE_SIZE:
            self._trie = {}  # the caller keeps its own node; later runs start afresh
            self._trie_nodes = 1
        word = words[j]
        raw, key, size, cjk, blocker, suffixed, prefixed, foreign = self._atom_cache.get(word) or self._atom_info(word)
        if cjk:
            return _STOP
        index = self.index
        if parent is None:
            total, long_atoms, blocked, prefix = size, 0, blocker, prefixed
            fixed, every = (0 if prefixed else foreign), foreign
        else:
            if parent.foreign >= FOREIGN_LIMIT:
                return _STOP
            total, long_atoms, blocked, prefix = parent.size + size, parent.long_words, parent.blocked or blocker, parent.prefix_cut
            fixed, every = parent.foreign + foreign, parent.foreign_all + foreign
        if size >= 3:
            long_atoms += 1
            if long_atoms > index.max_words + 1:
                return _STOP
        max_len = index.max_len + 2
        if total > max_len + 12:
            return _STOP
        if fixed >= FOREIGN_LIMIT and not (suffixed or prefix):
            # Too many characters no mark has (a model number) for any reading of this
            # run, none of them in an affix to cut off, and every longer run has them too.
            return _STOP
        if blocked:
            if total > max_len and j > i:
                return _STOP
            return self._grow_blocked(parent, words, i, j, key,
                                      _Node(total, long_atoms, blocked, prefix, fixed, every))
        return _Node(total, long_atoms, blocked, prefix, fixed, every)

    def _grow_blocked(self, parent: _Node | None, words: list[str], i: int, j: int, key: str,
                      node: _Node) -> _Node | object:
        """``_grow`` for a run that holds an ordinary word no mark uses: only the mark
        itself, written out, can match, so the run goes on only while its key begins
        some mark key (``node``: the new node, its key and readings not set yet)."""
        index = self.index
        if j > i:
            if node.foreign_all:  # characters no mark key has
                return _STOP
            if parent.joined is not None:
                joined = parent.joined + key
            else:
                joined = "".join(self._atom_info(w).key for w in words[i:j + 1])
            if not index.begins_key(joined):
                return _STOP
            node.readings = node.exact = self._spelt(joined, words, i, j)
            node.joined = joined
            return node
        # Such a word begins the run: most begin no mark key; on its own it is judged
        # now, and is no node at all when it reads as no mark.
        node.joined = key
        if index.begins_key(key):
            return node
        node.children = _LEAF
        return node if self._readings(node, words, i, j) else _STOP

    def _readings(self, node: _Node, words: list[str], i: int, j: int) -> tuple:
        """The readings of the run ``words[i..j]`` (its trie node ``node``): the marks its
        words stand for, and marks glued to an affix in its first or last word."""
        index = self.index
        cached, atom_info = self._atom_cache.get, self._atom_info
        infos = [cached(w) or atom_info(w) for w in words[i:j + 1]]
        parts = tuple([info.text for info in infos])
        readings = []
        if node.size <= index.max_len + 2 and node.foreign_all < FOREIGN_LIMIT:
            found = self._span_matches(parts)
            if found:
                readings.append((found, True))
        if (infos[-1].suffix_cut or node.prefix_cut) and node.long_words <= index.max_words:
            glued = self._affix_matches(parts)
            if glued:
                readings.append((glued, False))
        node.readings = readings = tuple(readings)
        return readings

    def _exact_readings(self, node: _Node, words: list[str], i: int, j: int) -> tuple:
        """The readings of a run inside a longer run of spaced-out letters: only a mark
        (or alias) whose key the letters spell exactly."""
        readings = ()
        if not node.foreign_all:
            readings = self._spelt("".join(self._atom_info(w).key for w in words[i:j + 1]), words, i, j)
        node.exact = readings
        return readings

    def _spelt(self, key: str, words: list[str], i: int, j: int) -> tuple:
        """The readings of the run ``words[i..j]`` when only a mark spelt exactly counts:
        none unless its key ``key`` is a mark's."""
        if key in self.index.by_key:
            found = self._span_matches(tuple(self._atom_info(w).text for w in words[i:j + 1]))
            if found:
                return ((found, True),)
        return ()

    def _atom_info(self, atom: str) -> Word:
        """What ``find`` needs of one word, cached (words repeat across a batch far more
        than whole descriptions): NFKC text, look-alike key and its length, CJK, blocker,
        whether a suffix or a prefix may be cut off it, characters no mark key has."""
        info = self._atom_cache.get(atom)
        if info is None:
            ascii = atom.isascii()
            r = atom if ascii else unicodedata.normalize("NFKC", atom)  # (ASCII is NFKC)
            key = span_keys((r,))[0]
            # A word longer than this ends every span before its affixes are looked at
            # (and looking would cost time and memory quadratic in its length).
            cuts = affix_cuts(r) if len(key) <= self.index.max_len + 14 else ((), ())
            info = Word(r, key, len(key), not ascii and not r.isascii() and is_cjk(r[0]), self._blocks(r),
                        bool(cuts[0]), bool(cuts[1]), len(key.translate(self.index.strange)))
            if len(self._atom_cache) >= SPAN_CACHE_SIZE:
                evict_oldest(self._atom_cache)
            self._atom_cache[atom] = info
        return info

    def _blocks(self, atom: str) -> bool:
        """True for an ordinary word of four or more letters that no multi-word mark uses."""
        w = plain(atom)
        return len(w) >= 4 and is_word(w) and w not in self.index.mark_words

    def _span_matches(self, parts: tuple[str, ...]) -> tuple[Reading, ...]:
        cached = self._span_cache.get(parts)
        if cached is None:
            if len(self._span_cache) >= SPAN_CACHE_SIZE:
                evict_oldest(self._span_cache)
            cached = tuple(self._match_span(parts))
            self._span_cache[parts] = cached
        return cached

    def _match_span(self, parts: tuple[str, ...]):
        """Forms a span of atoms (joined) stands for, with the disguise reasons.

        Two more readings, the closer reading of each form kept: a symbol glued before
        the span or a "!" after it ("@MARK", "$MARK", "MARK!") read as a symbol apart;
        and a coined mark's plural or possessive ("MARKS", "MARKS'", "MARKIES") read as
        the mark spelt exactly, unless the word is an ordinary one (a dictionary-word
        mark's plural is read as today: as an ordinary word).
        """
        bare, symbol = without_glued_symbol(parts)
        readings: list[Reading] = []
        glued: tuple[Reason, ...] = ()
        if symbol:
            glued = (Reason("glued_symbol", -SPACING_PENALTY, f'symbol "{symbol}" glued to the mark'),)
            readings.extend(r._replace(reasons=r.reasons + glued) for r in self._read_parts(bare))
        by_key = self.index.by_key
        for stem in singulars(bare):
            if not any(k in by_key for k in span_keys(stem)):
                continue  # only a mark spelt exactly counts (below): its key must be one
            plural = (Reason("plural", -PLURAL_PENALTY, f'plural or possessive: "{bare[-1].upper()}"'),) + glued
            readings.extend(r._replace(reasons=r.reasons + plural) for r in self._read_parts(stem)
                            if not r.form.common and not any(x.name in TYPO_NAMES for x in r.reasons))
        if not readings:
            yield from self._read_parts(parts)
            return
        yield from closest(readings + list(self._read_parts(parts)))

    def _read_parts(self, parts: tuple[str, ...]):
        """The readings of a span of atoms, its words as written."""
        joined = "".join(parts)
        folded = plain(joined)
        multi = len(parts) > 1
        plains = [plain(p) for p in parts]
        word_parts = [w for w in plains if len(w) >= 2]
        if multi:
            span_word = bool(word_parts) and all(is_word(w) or is_number(w) for w in word_parts) \
                and not all(is_number(w) for w in word_parts)
            # A joined span holding an ordinary word that no mark uses is no disguise of a mark.
            mark_words = self.index.mark_words
            if any(len(w) >= 4 and w not in mark_words and is_word(w) for w in word_parts):
                span_word = True
        else:
            span_word = is_word(folded)
        phon = "" if span_word else phonetic(joined)
        yield from best_readings(self.index, self.marks, span_keys(parts), folded, phon, parts, multi, span_word, "")

    def _affix_matches(self, parts: tuple[str, ...]):
        cached = self._affix_cache.get(parts)
        if cached is None:
            if len(self._affix_cache) >= SPAN_CACHE_SIZE:
                evict_oldest(self._affix_cache)
            cached = tuple(self._match_affix(parts))
            self._affix_cache[parts] = cached
        return cached

    def _match_affix(self, parts: tuple[str, ...]):
        """Marks glued to a product word, series word or model code ("ZORVEXAIR", "TOPKLAVORA")."""
        index = self.index
        lo, hi = 4, index.max_len + 1
        seen: set[int] = set()
        splits = []
        # Suffix glued to the last word, or prefix glued to the first word.
        suffix_cuts, _ = affix_cuts(parts[-1])
        _, prefix_cuts = affix_cuts(parts[0])
        for cut in suffix_cuts:
            splits.append((parts[:-1] + (parts[-1][:cut],), parts[-1][cut:]))
        for cut in prefix_cuts:
            splits.append(((parts[0][cut:],) + parts[1:], parts[0][:cut]))
        for mark_parts, affix in splits:
            affix_plain = plain(affix)
            if not is_affix_word(affix_plain):
                continue
            keys = span_keys(mark_parts)
            # (A mark of three letters only before a model name: "<MARK>FLIP6", see reading.read_span.)
            if not ((lo if not is_model_name(affix_plain) else 3) <= len(keys[0]) <= hi):
                continue
            joined = "".join(mark_parts)
            folded = plain(joined)
            for reading in best_readings(self.index, self.marks, keys, folded, phonetic(joined), mark_parts,
                                         len(mark_parts) > 1, is_word(folded), affix_plain):
                if reading.form.rec in seen:
                    continue
                seen.add(reading.form.rec)
                yield reading

    def _native_findings(self, text: str) -> list[Finding]:
        """Aliases in Hangul, Chinese or Japanese found inside the text, spaced or not."""
        if not self.index.native or text.isascii():
            return []
        # The text's CJK characters run together; a batch repeats a few product words
        # ("화장품"), so what they hold is remembered.
        raw = "".join(_CJK_LETTER.findall(text))
        if not raw:
            return []
        held = self._native_cache.get(raw)
        if held is None:
            if len(self._native_cache) >= SPAN_CACHE_SIZE:
                evict_oldest(self._native_cache)
            held = self._native_cache[raw] = self.index.native_in("".join(fold(ch) for ch in raw))
        if not held:
            return []
        positions = [m.start() for m in _CJK_LETTER.finditer(text)]
        out = []
        for s, e, form in held:
            start, end = positions[s], positions[e - 1] + 1
            before = text[start - 1] if start > 0 else " "
            after = text[end] if end < len(text) else " "
            standalone = not is_cjk(before) and not is_cjk(after)
            needs = CONTEXT if len(form.key) <= 2 else NONE  # two characters: often an ordinary word
            reasons = (Reason("alias", 0.0, f"registered alias {form.text}"),)
            out.append(finding(Reading(form, reasons, needs), start, end, text[start:end], standalone))
        return out


# A Hangul, CJK or kana character that is part of a word: not the katakana middle dot
# that spaces a foreign name ("ゾル・ベック") nor a detached sound mark; aliases are
# keyed without them.
_CJK_LETTER = re.compile(CJK_CHAR.pattern.replace("\u3040-\u30ff", "\u3040-\u309a\u309d-\u309f\u30a1-\u30fa\u30fc-\u30ff"))

_QUANTITY = re.compile(
    r"\d+(?:[.,]\d+)?(?:|[a-z]|mm|cm|ml|kg|mg|gb|tb|mb|kb|kw|mw|hz|oz|lb|in|ft|pc|pcs|mah|kva|gsm|ah|wh|cc)"
)


@lru_cache(maxsize=CACHE_SIZE)
def affix_cuts(atom: str) -> tuple[tuple[int, ...], tuple[int, ...]]:
    """Where a word may split into mark + glued affix: (cuts before a suffix, cuts after a prefix)."""
    if len(atom) < 6:
        return (), ()
    if atom.isascii() and atom.isalnum():
        # (A new word costs this for every place in it: an ASCII word's plain letters
        # are its lower case, cut anywhere.)
        folded = atom.lower()
        if is_word(folded):
            return (), ()
        places = range(2, len(atom) - 1)
        return (tuple([c for c in places if is_affix_word(folded[c:])]),
                tuple([c for c in places if is_affix_word(folded[:c])]))
    if is_word(plain(atom)):
        return (), ()
    suffix = tuple(c for c in range(2, len(atom) - 1) if is_affix_word(plain(atom[c:])))
    prefix = tuple(c for c in range(2, len(atom) - 1) if is_affix_word(plain(atom[:c])))
    return suffix, prefix


@lru_cache(maxsize=CACHE_SIZE)
def is_number(text: str) -> bool:
    """True for quantities and sizes such as ``500ml``, ``128gb`` or ``4k``: not letters in disguise."""
    return _QUANTITY.fullmatch(text) is not None


@lru_cache(maxsize=CACHE_SIZE)
def span_keys(parts: tuple[str, ...]) -> tuple[str, ...]:
    """The look-alike keys of a span of atoms joined: plain, and with letter pairs merged."""
    if len(parts) == 1:
        return _word_keys(parts[0])
    variants = [_word_keys(p) for p in parts]  # (each word's, remembered: runs share words)
    base = "".join([v[0] for v in variants])
    merged = "".join([v[-1] for v in variants])
    return (base,) if merged == base else (base, merged)


@lru_cache(maxsize=CACHE_SIZE)
def _word_keys(part: str) -> tuple[str, ...]:
    """``span_keys`` of one atom."""
    folded = plain(part)
    return (folded,) if is_number(folded) else skeleton_variants(part)
