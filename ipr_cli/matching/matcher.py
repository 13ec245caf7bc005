"""The matcher: finds recorded marks in declaration lines and judges them in context.

``Matcher(recordations, context).screen(line, default_date)`` returns a ``Screening``.
Text work (spans, keys, candidate look-ups, disguise scoring) depends only on the text
and is cached per span and per field value; context rules (validity, HS scope,
authorized importers and origins, price floor, allow and deny lists) are applied per
line. No database, no printing.
"""

from __future__ import annotations

import datetime as dt
import itertools
import re
import unicodedata
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from functools import lru_cache
from typing import Iterable, NamedTuple

from ..models import DeclarationLine, Hit, Recordation, ScreeningContext, Verdict
from ..normalize import CACHE_SIZE, CJK_CHAR, atoms, char_letter, fold, is_cjk, phonetic, plain, skeleton_variants
from ..normalize import words as words_of
from .features import describe_lookalikes, describe_ops, has_misread, typo_distance, typo_estimate
from .goods import chapter_name, description_words, goods_votes, scope_chapters, verdict_of
from .index import Form, MarkIndex, edit_budget
from .lexicon import is_affix_word, is_word
from .scorer import (
    AFFIX_PENALTY,
    DENY_BONUS,
    FIRST_LETTER_PENALTY,
    FIRST_WORD_PENALTY,
    HIT_THRESHOLD,
    LOOKALIKE_MAX,
    LOOKALIKE_PENALTY,
    ORIGIN_BONUS,
    REVIEW_THRESHOLD,
    SOUNDS_LIKE_EDIT,
    SPACING_PENALTY,
    TRUNCATED_PENALTY,
    UNIT_VALUE_BONUS,
    Reason,
    Tally,
    edit_penalty,
)

# Most atoms one candidate span may join (spaced-out letters: "T O M M Y").
MAX_SPAN_ATOMS = 14
# How much corroboration a finding needs before it is flagged.
NONE, CONTEXT, BRAND_ONLY = 0, 1, 2
# A rival mark this many points behind the best reading of a span is dropped.
RIVAL_MARGIN = 10.0
# Field values remembered with their findings, and spans with their matches: bounded
# so that memory stops growing early in a large batch (issue 4: peak memory within
# 20 % between 100 k and 1 M lines).  The trie of word runs (see _find) is the largest
# memo per entry; a larger one is faster on a long batch but costs that bound.  Sizes
# measured on the synthetic batch of benchmarks/speed.py: a day's batch judges some
# 50,000 distinct spans, and twice this trie cost 5 MiB more for 8 % less search time.
# The field cache (see FieldCache) lives in the main process, which holds less than a
# worker: 60,000 values there stay under a worker's peak; 100,000 would send 6 % fewer
# values to the workers (2 % of their time) for 17 MiB more, near the 20 % bound.
FIELD_CACHE_SIZE = 3 * CACHE_SIZE
SPAN_CACHE_SIZE = 50_000
TRIE_SIZE = 60_000
VOTES_CACHE_SIZE = 2_000  # descriptions' goods votes (a dict each): see _goods_votes
_IN_BRAND = Reason("brand", 0.0, "mark in brand column")
_STOP = object()  # a trie node past which no run can match
_LEAF = object()  # the children of a trie node that no longer run can extend
# A span holding this many characters that no mark key has is no mark: each costs a
# whole edit (three already exceed the largest budget), and even a sound-alike must
# be within three characters of the mark's length.
FOREIGN_LIMIT = 4


class Finding(NamedTuple):
    """A form of a mark found in one field value, judged on the text alone (a tuple:
    a batch's findings are made, sent between processes and read by the million)."""

    form: Form
    start: int
    end: int
    matched_text: str
    reasons: tuple[Reason, ...]
    needs_corroboration: int    # NONE, CONTEXT (goods in scope, brand column) or BRAND_ONLY
    standalone: bool            # the match is a whole word of the text
    text_score: float           # 100 plus the points of the reasons


def _finding(form: Form, start: int, end: int, matched_text: str, reasons: tuple[Reason, ...],
             needs_corroboration: int, standalone: bool) -> Finding:
    return Finding(form, start, end, matched_text, reasons, needs_corroboration, standalone,
                   100.0 + sum(r.points for r in reasons))


class _Rules(NamedTuple):
    chapters: object                # scope_chapters(): for guessing goods from words
    importers: frozenset[str]       # authorized importers, case-folded
    origins: frozenset[str]         # authorized origins, upper case


@dataclass(frozen=True)
class Screening:
    """The result of screening one line: its hits, and hits an allow-list withheld,
    best first."""

    hits: tuple[Hit, ...] = ()
    suppressed: tuple[Hit, ...] = ()


CLEAN = Screening()  # the result of nearly every line, shared (test with ``is``)


class Matcher:
    """Screens declaration lines against recordations; build once, call ``screen`` often."""

    def __init__(self, recordations: Iterable[Recordation], context: ScreeningContext | None = None,
                 cache_dir: str | None = None):
        self.recordations: list[Recordation] = list(recordations)
        self.context = context or ScreeningContext()
        # cache_dir: where a large index may be kept between runs (see index.py).
        self.index = MarkIndex(self.recordations, cache_dir=cache_dir)
        self._span_cache: dict[tuple[str, ...], tuple[tuple[Form, tuple[Reason, ...], int], ...]] = {}
        self._affix_cache: dict[tuple[str, ...], tuple[tuple[Form, int, tuple[Reason, ...], int], ...]] = {}
        # The findings of field values met lately (the caller of ``remember`` may look here).
        self.field_cache = FieldCache(FIELD_CACHE_SIZE)
        self._atom_cache: dict[str, tuple[str, str, int, bool, bool, bool, bool, int]] = {}
        self._trie: dict[str, list | object] = {}  # see _find
        self._native_cache: dict[str, list[tuple[int, int, Form]]] = {}  # see _native_findings
        self._votes_cache: dict[str, tuple] = {}  # see _goods_votes
        self._trie_nodes = 0
        self._active_cache: dict[dt.date, list[bool]] = {}
        self._rules: list[_Rules | None] = [None] * len(self.recordations)  # see _rules_of
        self._form_ids: dict[int, int] | None = None  # see find_texts

    # ----------------------------------------------------------------- public API

    def screen(self, line: DeclarationLine, default_date: dt.date,
               found: dict[str, tuple[Finding, ...]] | None = None) -> Screening:
        """Screen one line: every in-force recordation whose mark it carries, judged in context.

        ``found``: the text-only findings of the line's field values, when the caller
        has them (see ``field_cache`` and ``remember``); else they are looked up or searched.
        """
        description, brand = line.description, line.brand
        if found is None:
            cached = self.field_cache.get
            if (not description or cached(description) == ()) and (not brand or cached(brand) == ()):
                return CLEAN  # the common case: no mark anywhere in the text, known already
            findings = self._findings
        else:
            if (not description or found[description] == ()) and (not brand or found[brand] == ()):
                return CLEAN
            findings = found.__getitem__
        on = line.date or default_date
        active = self._active(on)
        hs = line.hs_code
        if not hs.isdigit():
            hs = "".join(ch for ch in hs if ch.isdigit())
        # Goods outside a recordation's HS scope refuse every finding of it on this line:
        # tested here, before the best finding of each recordation is chosen and judged.
        scoped = len(hs) >= 2
        recordations = self.recordations
        best: dict[int, tuple[float, Finding, str]] = {}
        for field_name, text, bonus in (("description", description, 0.0), ("brand", brand, 2.0)):
            if not text:
                continue
            for finding in findings(text):
                rec = finding.form.rec
                score = finding.text_score + bonus
                prev = best.get(rec)
                if prev is None or score > prev[0]:
                    best[rec] = (score, finding, field_name)
        # The line's own facts, once: the context rules test them for each recordation.
        facts = (line.importer.strip().casefold(), line.origin.strip().upper())
        judged_all = []
        for rec_index, (text_score, finding, field_name) in best.items():
            # (A recordation not in force on the date, or whose HS scope the goods are
            # outside, refuses all its findings alike: tested once, for its best.)
            if not active[rec_index] or scoped and not recordations[rec_index].covers_hs(hs):
                continue
            judged = self._judge(line, on, rec_index, finding, field_name, hs, facts)
            if judged is not None:
                judged_all.append((text_score, finding, field_name, rec_index, judged))
        hits: list[Hit] = []
        withheld: list[Hit] = []
        for text_score, finding, field_name, rec_index, (tally, force_review, suppressed) in judged_all:
            if _outmatched(text_score, finding, field_name, judged_all):
                continue
            hit = self._hit(line, rec_index, finding, field_name, tally, force_review)
            (withheld if suppressed else hits).append(hit)
        if not hits and not withheld:
            return CLEAN
        hits.sort(key=lambda h: (-h.score, h.recordation_id))
        withheld.sort(key=lambda h: (-h.score, h.recordation_id))
        return Screening(tuple(hits), tuple(withheld))

    # ----------------------------------------------------------------- batch support

    def find_texts(self, texts: Iterable[str]) -> list[tuple[tuple, ...]]:
        """The text-only findings of each field value (what a worker process computes),
        compact for sending back: a finding's form is named by its place in the index."""
        if self._form_ids is None:
            self._form_ids = {id(form): k for k, form in enumerate(self.index.forms)}
        ids = self._form_ids
        out: list[tuple[tuple, ...]] = []  # not cached: the caller caches
        for text in texts:
            found = self._find(text)  # most often none
            out.append(tuple([(ids[id(f.form)], *f[1:]) for f in found]) if found else ())
        return out

    def remember(self, texts: list[str], found: Iterable[tuple[tuple, ...]]) -> list[tuple[Finding, ...]]:
        """Cache findings computed by a worker (``find_texts``); returns them as ``Finding``s."""
        forms = self.index.forms
        findings = [tuple(Finding(forms[k], *rest) for k, *rest in compact) if compact else ()
                    for compact in found]
        self.field_cache.add(texts, findings)
        return findings

    # ----------------------------------------------------------------- context

    def _active(self, on: dt.date) -> list[bool]:
        cached = self._active_cache.get(on)
        if cached is None:
            cached = [r.in_force(on) for r in self.recordations]
            self._active_cache[on] = cached
        return cached

    def _judge(self, line: DeclarationLine, on: dt.date, rec_index: int, finding: Finding,
               field_name: str, hs: str, facts: tuple[str, str]) -> tuple[Tally, bool, bool] | None:
        """Apply the context rules to one finding: ``(tally, forced to review, withheld by
        the allow list)``, or None when the line is not flagged.

        ``hs``: the digits of the line's HS code (within the recordation's scope: see
        ``screen``); ``facts``: the line's importer (case-folded) and origin (upper
        case).  The cheap refusals come first: in a large register most findings are
        refused, and this runs for each of them.
        """
        need = finding.needs_corroboration
        if need == BRAND_ONLY and field_name != "brand":
            return None
        if round(min(100.0, finding.text_score)) < REVIEW_THRESHOLD:
            return None  # context reasons below add no points before this test
        rec = self.recordations[rec_index]
        rules = self._rules[rec_index] or self._rules_of(rec_index)
        tally = Tally(list(finding.reasons))
        if field_name == "brand":
            tally.reasons.append(_IN_BRAND)
        corroborated = field_name == "brand"
        if len(hs) >= 2:
            # Goods inside a stated scope corroborate; an empty scope says nothing.
            corroborated = corroborated or bool(rec.hs_scope) or (
                finding.standalone and not finding.form.common)
        elif rec.hs_scope:
            verdict, chapter = verdict_of(self._goods_votes(line.description, finding, field_name), rules.chapters)
            if verdict == "out":
                return None
            if verdict == "in":
                corroborated = True
                tally.add("goods", 0.0,
                          f"no HS code; description suggests goods in scope ({chapter_name(chapter)})")
            else:
                tally.add("goods", 0.0, "no HS code; goods not named plainly, treated as in scope")
        elif not finding.form.common:
            corroborated = corroborated or finding.standalone
        if need == CONTEXT and not corroborated:
            return None
        force_review = False
        importer, origin = facts
        origins = rules.origins
        if importer and importer in rules.importers:
            if not origins or origin in origins:
                return None
            force_review = True
            tally.add("authorized_wrong_origin", 0.0,
                      f"authorized importer {line.importer.strip()} but origin {origin or 'unknown'} not authorized")
        elif origins and origin and origin not in origins:
            tally.add("origin", ORIGIN_BONUS,
                      f"origin {origin} outside authorized origins ({', '.join(sorted(origins))})")
        unit = _unit_value(line) if rec.min_unit_value is not None and rec.currency else None
        if (unit is not None
                and line.currency.strip().upper() == rec.currency.strip().upper()
                and unit < rec.min_unit_value):
            tally.add("unit_value", UNIT_VALUE_BONUS,
                      f"unit value {_money(unit)} {rec.currency.upper()} below genuine minimum "
                      f"{_money(rec.min_unit_value)} {rec.currency.upper()}")
        for entry in self.context.deny:
            if entry.importer.strip().casefold() == importer and importer and (
                    not entry.recordation_id or entry.recordation_id == rec.recordation_id):
                why = f": {entry.reason}" if entry.reason else ""
                tally.add("deny", DENY_BONUS, f"importer {line.importer.strip()} on deny list{why}")
                break
        for entry in self.context.allow:
            if entry.recordation_id != rec.recordation_id:
                continue
            if entry.importer.strip().casefold() != importer or not importer:
                continue
            if entry.origin and entry.origin.strip().upper() != origin:
                continue
            if entry.until is not None and on > entry.until:
                continue
            return tally, force_review, True
        return tally, force_review, False

    def _hit(self, line: DeclarationLine, rec_index: int, finding: Finding, field_name: str,
             tally: Tally, force_review: bool) -> Hit:
        """The hit of a judged finding (made only for the findings no other outmatches)."""
        rec = self.recordations[rec_index]
        score = tally.score
        verdict = Verdict.HIT if score >= HIT_THRESHOLD and not force_review else Verdict.REVIEW
        return Hit(
            file=line.file, row=line.row, declaration_id=line.declaration_id, item_no=line.item_no,
            recordation_id=rec.recordation_id, mark=rec.mark, holder=rec.holder,
            score=score, verdict=verdict, matched_text=finding.matched_text,
            reasons=tally.texts(), field=field_name, span=(finding.start, finding.end),
        )

    def _rules_of(self, rec_index: int) -> _Rules:
        """The context rules of one recordation in the form ``_judge`` tests them (made
        when first needed: a check against 100,000 recordations meets few of them)."""
        rec = self.recordations[rec_index]
        rules = _Rules(
            chapters=scope_chapters(rec.hs_scope),
            importers=frozenset(a.strip().casefold() for a in rec.authorized_importers if a.strip()),
            origins=frozenset(o.strip().upper() for o in rec.authorized_origins if o.strip()),
        )
        self._rules[rec_index] = rules
        return rules

    def _goods_votes(self, description: str, finding: Finding, field_name: str):
        """What the description's words outside the matched span say the goods are
        (``goods_votes``); remembered, as the findings of many marks share a span."""
        text = description or ""
        if field_name == "description":
            text = text[:finding.start] + " " + text[finding.end:]
        votes = self._votes_cache.get(text)
        if votes is None:
            if len(self._votes_cache) >= VOTES_CACHE_SIZE:
                _evict_oldest(self._votes_cache)
            votes = self._votes_cache[text] = goods_votes(description_words(text))
        return votes

    # ----------------------------------------------------------------- text findings

    def _findings(self, text: str) -> tuple[Finding, ...]:
        cached = self.field_cache.get(text)
        if cached is None:
            cached = tuple(self._find(text))
            self.field_cache.add((text,), (cached,))
        return cached

    def _find(self, text: str) -> list[Finding]:
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
        """
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
                    readings = node[9]
                    if readings is None:
                        readings = self._exact_readings(node, words, i, j)
                else:
                    readings = node[1]
                    if readings is None:
                        readings = self._readings(node, words, i, j)
                if readings:
                    found.extend((i, j, matches, standalone) for matches, standalone in readings)
                j += 1
                if j == end:
                    break
                children = node[0]
                if children is _LEAF:
                    break
                word = words[j]
                if children is None:
                    nxt = grow(node, words, i, j)
                    node[0] = {word: nxt}
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
                for form, reasons, weak in matches:
                    out.append(_finding(form, start, end, text[start:end], reasons, weak, standalone))
        out.extend(self._native_findings(text))
        return out

    def _grow(self, parent: list | None, words: list[str], i: int, j: int) -> list | object:
        """The trie node for the run ``words[i..j]`` (``parent``: the node for ``words[i..j-1]``),
        or ``_STOP`` when no longer run from ``i`` can match.

        A node is ``[children, readings, key length, long words, blocked, prefix cut,
        foreign, foreign in all, key of a blocked run, exact readings]``; the readings
        are None until ``_readings`` or ``_exact_readings`` judges them.  *Foreign* counts
        the characters that no mark key has (model numbers, sizes) in the words a mark
        glued to an affix cannot cut off.  Each costs a whole edit, and no mark may carry
        more than ``FOREIGN_LIMIT`` of them.
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
            if parent[6] >= FOREIGN_LIMIT:
                return _STOP
            total, long_atoms, blocked, prefix = parent[2] + size, parent[3], parent[4] or blocker, parent[5]
            fixed, every = parent[6] + foreign, parent[7] + foreign
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
        joined = None  # the run's key, kept while only an exact key can match
        if blocked and j > i:
            # An ordinary word no mark uses: only the mark itself, written out, can match,
            # so the run goes on only while its key begins some mark key.
            if total > max_len or every:
                return _STOP
            if parent[8] is not None:
                joined = parent[8] + key
            else:
                joined = "".join(self._atom_info(w)[1] for w in words[i:j + 1])
            if not index.begins_key(joined):
                return _STOP
            readings = self._spelt(joined, words, i, j)
            return [None, readings, total, long_atoms, blocked, prefix, fixed, every, joined, readings]
        if blocked:
            # An ordinary word no mark uses begins a run: only a mark key it begins
            # can go on (see above), and most begin none; such a word on its own is
            # judged now, and is no node at all when it reads as no mark.
            node = [None, None, total, long_atoms, blocked, prefix, fixed, every, key, None]
            if index.begins_key(key):
                return node
            node[0] = _LEAF
            return node if self._readings(node, words, i, j) else _STOP
        return [None, None, total, long_atoms, blocked, prefix, fixed, every, joined, None]

    def _readings(self, node: list, words: list[str], i: int, j: int) -> tuple:
        """The readings of the run ``words[i..j]`` (its trie node ``node``): the marks its
        words stand for, and marks glued to an affix in its first or last word."""
        index = self.index
        atom_info = self._atom_info
        parts = tuple(atom_info(w)[0] for w in words[i:j + 1])
        readings = []
        if node[2] <= index.max_len + 2 and node[7] < FOREIGN_LIMIT:
            found = self._span_matches(parts)
            if found:
                readings.append((found, True))
        if (atom_info(words[j])[5] or node[5]) and node[3] <= index.max_words:
            glued = self._affix_matches(parts)
            if glued:
                readings.append((tuple((form, reasons, weak) for form, _, reasons, weak in glued), False))
        node[1] = readings = tuple(readings)
        return readings

    def _exact_readings(self, node: list, words: list[str], i: int, j: int) -> tuple:
        """The readings of a run inside a longer run of spaced-out letters: only a mark
        (or alias) whose key the letters spell exactly."""
        readings = ()
        if not node[7]:
            readings = self._spelt("".join(self._atom_info(w)[1] for w in words[i:j + 1]), words, i, j)
        node[9] = readings
        return readings

    def _spelt(self, key: str, words: list[str], i: int, j: int) -> tuple:
        """The readings of the run ``words[i..j]`` when only a mark spelt exactly counts:
        none unless its key ``key`` is a mark's."""
        if key in self.index.by_key:
            found = self._span_matches(tuple(self._atom_info(w)[0] for w in words[i:j + 1]))
            if found:
                return ((found, True),)
        return ()

    def _atom_info(self, atom: str) -> tuple[str, str, int, bool, bool, bool, bool, int]:
        """What ``_find`` needs of one word, cached (words repeat across a batch far more
        than whole descriptions): NFKC text, look-alike key and its length, CJK, blocker,
        whether a suffix or a prefix may be cut off it, characters no mark key has."""
        info = self._atom_cache.get(atom)
        if info is None:
            r = unicodedata.normalize("NFKC", atom)
            key = span_keys((r,))[0]
            # A word longer than this ends every span before its affixes are looked at
            # (and looking would cost time and memory quadratic in its length).
            cuts = affix_cuts(r) if len(key) <= self.index.max_len + 14 else ((), ())
            alphabet = self.index.alphabet
            info = (r, key, len(key), not r.isascii() and is_cjk(r[0]), self._blocks(r),
                    bool(cuts[0]), bool(cuts[1]), sum(1 for ch in key if ch not in alphabet))
            if len(self._atom_cache) >= SPAN_CACHE_SIZE:
                _evict_oldest(self._atom_cache)
            self._atom_cache[atom] = info
        return info

    def _blocks(self, atom: str) -> bool:
        """True for an ordinary word of four or more letters that no multi-word mark uses."""
        w = plain(atom)
        return len(w) >= 4 and is_word(w) and w not in self.index.mark_words

    def _span_matches(self, parts: tuple[str, ...]) -> tuple[tuple[Form, tuple[Reason, ...], int], ...]:
        cached = self._span_cache.get(parts)
        if cached is None:
            if len(self._span_cache) >= SPAN_CACHE_SIZE:
                _evict_oldest(self._span_cache)
            cached = tuple(self._match_span(parts))
            self._span_cache[parts] = cached
        return cached

    def _match_span(self, parts: tuple[str, ...]):
        """Forms a span of atoms (joined) stands for, with the disguise reasons."""
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
        yield from self._judge_keys(span_keys(parts), folded, phon, parts, multi, span_word, "")

    def _judge_keys(self, keys: tuple[str, ...], folded: str, phon: str, parts: tuple[str, ...],
                    multi: bool, span_word: bool, glued: str):
        """Judge every candidate form for any of the span's look-alike keys; best per form."""
        index = self.index
        best: dict[int, tuple[float, tuple]] = {}
        for key in keys[:1] if span_word else keys:
            if len(key) < 2:
                continue
            if span_word:
                # An ordinary word (or words) can only be the mark itself, never a disguise.
                cands = {key} if key in index.by_key else set()
            else:
                cands = index.candidates(key, phon)
                if key in index.by_key:
                    cands.add(key)
            # Sorted: ties between forms must not depend on the string hash seed.
            for mark_key in sorted(cands):
                for form in index.by_key[mark_key]:
                    if glued and form.kind in ("truncated", "first_word"):
                        continue
                    judged = self._judge_text(form, key, folded, phon, parts, multi, span_word, glued)
                    if judged is None:
                        continue
                    score = sum(r.points for r in judged[1])
                    prev = best.get(id(form))
                    if prev is None or score > prev[0]:
                        best[id(form)] = (score, judged)
        if not best:
            return
        # A span that is one mark exactly (or nearly) is not a typo of another.
        top = max(score for score, _ in best.values())
        exact = any(not any(r.name in ("typo", "sounds_like") for r in judged[1]) for _, judged in best.values())
        for score, judged in best.values():
            typo = any(r.name in ("typo", "sounds_like") for r in judged[1])
            if exact and typo or score < top - RIVAL_MARGIN:
                continue
            yield _explained(*judged)

    def _judge_text(self, form: Form, key: str, folded: str, phon: str, parts: tuple[str, ...],
                    multi: bool, span_word: bool, glued: str = ""):
        """Score a span against one form on the text alone; None when it is no match.

        Returns ``(form, reasons, level, disguise)``; the disguise (look-alike letters,
        edits) is put in words by ``_explained`` only for the readings that are kept."""
        k = len(form.key)
        if form.short:
            if key != form.key or folded != form.fold or glued:
                return None
        if abs(len(key) - k) > edit_budget(k) + 1:
            return None
        if key == form.key:
            dist, ops = 0.0, ()
        elif phon and phon == form.phon and len(form.phon) >= 4:
            dist, ops = typo_estimate(key, form.key, float("inf"))
        else:
            # Not a sound-alike: the weighted distance must fit the largest budget.
            limit = edit_budget(k) + 0.5
            dist, ops = typo_estimate(key, form.key, limit)
            if dist > limit:
                return None
        sounds = dist > 0 and bool(phon) and phon == form.phon and len(form.phon) >= 4
        eff = min(dist, SOUNDS_LIKE_EDIT) if sounds else dist
        budget = edit_budget(k)
        if glued and k < 5 and budget >= 1:
            budget = 0.5  # glued to something weak: the mark itself must be clear
        if k >= 5 and not glued and ops and has_misread(ops):
            budget += 0.5  # a look-alike letter on top of a typo: two disguises at once
        if eff > budget:
            return None
        if span_word and dist > 0:
            return None  # an ordinary word near a mark is not a disguise of it
        level = CONTEXT if (form.common or form.short or form.kind == "first_word") else NONE
        if k <= 4 and eff >= 1:
            if key[:1] != form.key[:1]:
                return None
            level = BRAND_ONLY  # a typo of a four-letter mark: only the brand column tells
        if multi and span_word and form.words < len([p for p in parts if len(p) >= 2]):
            level = max(level, CONTEXT)  # ordinary words that happen to join into the mark
        weak = level
        reasons: list[Reason] = []
        full = self.recordations[form.rec].mark
        if form.kind == "alias":
            reasons.append(Reason("alias", 0.0, f"registered alias {form.text}"))
        elif form.kind == "truncated":
            reasons.append(Reason("truncated", -TRUNCATED_PENALTY, f'mark cut short: "{form.text}" for {full}'))
        elif form.kind == "first_word":
            reasons.append(Reason("first_word", -FIRST_WORD_PENALTY,
                                  f'first word of the mark only: "{form.text}" for {full}'))
        if dist == 0 and folded == form.fold and form.kind == "mark":
            if not multi or len(parts) == form.words:
                reasons.insert(0, Reason("exact", 0.0, f"exact mark {full}"))
        looks: list[str] | tuple[str, ...] = ()
        if folded != form.fold:
            looks = _lookalikes(folded, form.fold, "".join(parts)) if dist == 0 else _lookalike_chars("".join(parts))
            if looks:
                reasons.append(Reason("lookalike", -min(LOOKALIKE_MAX, LOOKALIKE_PENALTY * len(looks)), ""))
        edits = None  # (key, operations or None): edits to name in the explanation
        if dist > 0:
            if sounds and dist > 1:
                reasons.append(Reason("sounds_like", -edit_penalty(k) * eff,
                                      f"sounds like {form.text} ({''.join(parts).upper()})"))
            elif sounds:
                reasons.append(Reason("sounds_like", -edit_penalty(k) * eff, ""))
                edits = (key, ops)
            else:
                reasons.append(Reason("typo", -edit_penalty(k) * eff, ""))
                edits = (key, ops)
            if key[:1] != form.key[:1]:
                reasons.append(Reason("first_letter", -FIRST_LETTER_PENALTY, "first letter differs"))
        if multi and len(parts) != form.words:
            shown = " ".join(parts).upper() if len(parts) > 1 else parts[0].upper()
            reasons.append(Reason("spacing", -SPACING_PENALTY, f'letters spaced or punctuated: "{shown}"'))
        elif not multi and form.words > 1:
            reasons.append(Reason("joined", -SPACING_PENALTY, "words of the mark joined"))
        if glued:
            reasons.append(Reason("affix", -AFFIX_PENALTY, f'mark glued to "{glued.upper()}"'))
        return form, tuple(reasons), weak, (looks, edits) if looks or edits else None

    def _affix_matches(self, parts: tuple[str, ...]):
        cached = self._affix_cache.get(parts)
        if cached is None:
            if len(self._affix_cache) >= SPAN_CACHE_SIZE:
                _evict_oldest(self._affix_cache)
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
            if not (lo <= len(keys[0]) <= hi):
                continue
            joined = "".join(mark_parts)
            folded = plain(joined)
            for form, reasons, weak in self._judge_keys(keys, folded, phonetic(joined), mark_parts,
                                                        len(mark_parts) > 1, is_word(folded), affix_plain):
                if form.rec in seen:
                    continue
                seen.add(form.rec)
                yield form, 0, reasons, weak

    def _native_findings(self, text: str) -> list[Finding]:
        """Aliases in Hangul, Chinese or Japanese found inside the text, spaced or not."""
        if not self.index.native or text.isascii():
            return []
        # The text's CJK characters run together; a batch repeats a few product words
        # ("화장품"), so what they hold is remembered.
        raw = "".join(CJK_CHAR.findall(text))
        if not raw:
            return []
        held = self._native_cache.get(raw)
        if held is None:
            if len(self._native_cache) >= SPAN_CACHE_SIZE:
                _evict_oldest(self._native_cache)
            held = self._native_cache[raw] = self.index.native_in("".join(fold(ch) for ch in raw))
        if not held:
            return []
        positions = [m.start() for m in CJK_CHAR.finditer(text)]
        out = []
        for s, e, form in held:
            start, end = positions[s], positions[e - 1] + 1
            before = text[start - 1] if start > 0 else " "
            after = text[end] if end < len(text) else " "
            standalone = not is_cjk(before) and not is_cjk(after)
            weak = CONTEXT if len(form.key) <= 2 else NONE  # two characters: often an ordinary word
            reasons = (Reason("alias", 0.0, f"registered alias {form.text}"),)
            out.append(_finding(form, start, end, text[start:end], reasons, weak, standalone))
        return out


def _explained(form: Form, reasons: tuple[Reason, ...], weak: int, disguise) -> tuple[Form, tuple[Reason, ...], int]:
    """A reading of ``_judge_text`` with its disguise named first: look-alike letters,
    then the edits (worked out now when the estimate did not need them)."""
    if disguise is None:
        return form, reasons, weak
    looks, edits = disguise
    named = list(looks)
    if edits is not None:
        key, ops = edits
        named.extend(describe_ops(typo_distance(key, form.key)[1] if ops is None else ops))
    if not named:
        return form, reasons, weak
    return form, (Reason("disguise", 0.0, "mark disguised: " + ", ".join(named)),) + reasons, weak


def _outmatched(text_score: float, finding: Finding, field_name: str, judged: list) -> bool:
    """True when the same words read as another mark more closely: in a large register
    many marks lie one edit apart, and text that is one mark exactly is not a typo of
    its neighbours (ties are kept: the officer sees both)."""
    for other_score, other, other_field, _, _ in judged:  # (text score, finding, field, rec, judgement)
        if (
            other_field == field_name
            and other.form.rec != finding.form.rec
            and other_score > text_score
            and other.start < finding.end
            and finding.start < other.end
        ):
            return True
    return False


def _evict_oldest(cache: dict) -> None:
    """Forget the older half of a full memo (dicts keep insertion order): memory stays
    bounded, and what the batch still uses is simply looked up again."""
    for key in list(itertools.islice(cache, len(cache) // 2)):
        del cache[key]


class FieldCache:
    """The findings of the field values met lately, bounded: a segmented LRU.

    Most of a day's distinct descriptions occur once, and a plain LRU would let them
    push out the ones that keep coming back.  A value enters on probation (oldest
    forgotten first); met again, it moves to the protected part, kept in order of use,
    whose oldest go back to probation when it is full.  (On the synthetic day of
    benchmarks/speed.py this sends a tenth fewer values to the workers than emptying
    a full memo but for the values met again since it was last emptied.)  Both parts
    are plain dicts, trimmed a few thousand entries at a time: a dict forgets its
    oldest entries fastest in bulk.
    """

    def __init__(self, size: int) -> None:
        self.protected_size = max(1, size * 2 // 5)
        self.probation_size = max(1, size - self.protected_size)
        self._slack = size // 16
        self._protected: dict[str, tuple] = {}
        self._probation: dict[str, tuple] = {}

    def __len__(self) -> int:
        return len(self._protected) + len(self._probation)

    def get(self, text: str) -> tuple | None:
        protected = self._protected
        found = protected.get(text)
        if found is not None:
            del protected[text]  # to the end: used last
            protected[text] = found
            return found
        found = self._probation.pop(text, None)
        if found is not None:
            protected[text] = found
        return found

    def add(self, texts: Iterable[str], findings: Iterable[tuple]) -> None:
        """Cache the findings of values not cached yet."""
        protected, probation = self._protected, self._probation
        if len(protected) > self.protected_size + self._slack:
            for text in list(itertools.islice(protected, len(protected) - self.protected_size)):
                probation[text] = protected.pop(text)
        probation.update(zip(texts, findings))
        if len(probation) > self.probation_size + self._slack:
            for text in list(itertools.islice(probation, len(probation) - self.probation_size)):
                del probation[text]


_QUANTITY = re.compile(
    r"\d+(?:[.,]\d+)?(?:|[a-z]|mm|cm|ml|kg|mg|gb|tb|mb|kb|kw|mw|hz|oz|lb|in|ft|pc|pcs|mah|kva|gsm|ah|wh|cc)"
)


@lru_cache(maxsize=CACHE_SIZE)
def affix_cuts(atom: str) -> tuple[tuple[int, ...], tuple[int, ...]]:
    """Where a word may split into mark + glued affix: (cuts before a suffix, cuts after a prefix)."""
    if len(atom) < 6 or is_word(plain(atom)):
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
    variants = [(plain(p),) if is_number(plain(p)) else skeleton_variants(p) for p in parts]
    base = "".join(v[0] for v in variants)
    merged = "".join(v[-1] for v in variants)
    return (base,) if merged == base else (base, merged)


def _lookalikes(folded: str, mark_fold: str, raw: str) -> list[str]:
    """Look-alike characters of a span whose skeleton equals the mark's, in plain words."""
    span = "".join(ch for ch in fold(raw) if ch.isalnum() or char_letter(ch))
    return describe_lookalikes(span, mark_fold)


@lru_cache(maxsize=CACHE_SIZE)
def _lookalike_chars(raw: str) -> tuple[str, ...]:
    """Digits, symbols and foreign letters used as Latin letters in a span (the same
    for every candidate mark of the span: cached)."""
    out: list[str] = []
    for ch in fold(raw):
        if ch.isascii() and ch.isalpha():
            continue
        letter = char_letter(ch)
        if not letter or letter == ch or not letter.isalpha():
            continue
        phrase = describe_lookalikes(ch, letter)
        for p in phrase:
            if p not in out:
                out.append(p)
    return tuple(out)


def _unit_value(line: DeclarationLine) -> Decimal | None:
    try:
        return line.unit_value
    except (InvalidOperation, ZeroDivisionError):
        return None


def _money(value: Decimal) -> str:
    """A price shown plainly: ``3.92``, ``10``."""
    q = value.quantize(Decimal("0.01"))
    text = f"{q:f}"
    return text[:-3] if text.endswith(".00") else text
