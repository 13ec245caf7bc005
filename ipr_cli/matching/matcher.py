"""The matcher: finds recorded marks in declaration lines and judges them in context.

``Matcher(recordations, context).screen(line, default_date)`` returns a ``Screening``.
The pipeline: ``spans`` finds the candidate spans of a field value and reads them
(``reading``) against the forms the index (``index``) proposes, on the text alone,
cached per span and per field value; here each recordation's best finding on a line
meets the line's facts (``rules``), the score comes from the points (``scorer``), and
how distinctive the reading is, weighed with what corroborates it (``evidence``),
decides whether it is a hit, a review or nothing.
No database, no printing.
"""

from __future__ import annotations

import datetime as dt
from typing import Iterable, NamedTuple

from ..models import DeclarationLine, Hit, Recordation, ScreeningContext, hs_digits
from ..normalize import CACHE_SIZE, skeleton
from . import evidence as E
from . import rules as R
from .goods import description_words, goods_text, goods_votes, head_goods, scope_chapters
from .index import IndexCache, MarkIndex, is_common
from .memo import FieldCache, evict_oldest
from .records import BRAND_ONLY, CLEAN, CONTEXT, Finding, Screening
from .scorer import REVIEW_THRESHOLD, SIGNAL_SLACK, Tally, verdict_for
from .signals import signals_in
from .spans import SpanSearch

# Field values remembered with their findings (see FieldCache), bounded so that memory
# stops growing early in a large batch (issue 4).  The field cache lives in the main
# process, which holds less than a worker: 60,000 values there stay under a worker's
# peak; 100,000 would send 6 % fewer values to the workers (2 % of their time) for
# 17 MiB more, near the 20 % bound.
FIELD_CACHE_SIZE = 3 * CACHE_SIZE
VOTES_CACHE_SIZE = 2_000  # descriptions' goods votes (a dict each): see _goods_votes
EVIDENCE_CACHE_SIZE = 20_000  # findings' evidence reasons (a short tuple each): see _weigh
BRAND_BONUS = 2.0  # a mark in the brand column outranks the same mark in the description


class Best(NamedTuple):
    """A recordation's best finding on a line."""

    text_score: float           # the finding's text score, plus the brand column's bonus
    finding: Finding
    field_name: str             # "description" or "brand"


class Judged(NamedTuple):
    """A best finding that the context rules let through."""

    best: Best
    rec_index: int
    tally: Tally
    force_review: bool
    withheld: bool              # by the allow list


class Matcher:
    """Screens declaration lines against recordations; build once, call ``screen`` often."""

    def __init__(self, recordations: Iterable[Recordation], context: ScreeningContext | None = None,
                 cache_dir: IndexCache | None = None):
        self.recordations: list[Recordation] = list(recordations)
        self.context = context or ScreeningContext()
        # cache_dir: where a large index may be kept between runs (see index.py).
        self.index = MarkIndex(self.recordations, cache_dir=cache_dir)
        self.spans = SpanSearch(self.index, [r.mark for r in self.recordations])
        # The findings of field values met lately (see ``batch``, which fills it from workers).
        self.field_cache = FieldCache(FIELD_CACHE_SIZE)
        self._votes_cache: dict[str, tuple] = {}  # see _goods_votes
        self._evidence_cache: dict[tuple, tuple] = {}  # see _weigh
        self._active_cache: dict[dt.date, list[bool]] = {}
        self._rules: list[R.Rules | None] = [None] * len(self.recordations)  # see _rules_of

    def screen(self, line: DeclarationLine, default_date: dt.date,
               found: dict[str, tuple[Finding, ...]] | None = None) -> Screening:
        """Screen one line: every in-force recordation whose mark it carries, judged in context.

        ``found``: the text-only findings of the line's field values, when the caller
        has them (see ``batch``); else they are looked up or searched.
        """
        description, brand = line.description, line.brand
        if found is None:
            cached = self.field_cache.get
            if (not description or cached(description) == ()) and (not brand or cached(brand) == ()):
                return CLEAN  # the common case: no mark anywhere in the text, known already
            findings = self.findings
        else:
            if (not description or found[description] == ()) and (not brand or found[brand] == ()):
                return CLEAN
            findings = found.__getitem__
        on = line.date or default_date
        hs = hs_digits(line.hs_code)
        judged = self._judged(line, on, hs, self._best(description, brand, findings))
        hits: list[Hit] = []
        withheld: list[Hit] = []
        for one in judged:
            if _outmatched(one.best, judged):
                continue
            (withheld if one.withheld else hits).append(self._hit(line, one))
        if not hits and not withheld:
            return CLEAN
        hits.sort(key=lambda h: (-h.score, h.recordation_id))
        withheld.sort(key=lambda h: (-h.score, h.recordation_id))
        return Screening(tuple(hits), tuple(withheld))

    def findings(self, text: str) -> tuple[Finding, ...]:
        """The text-only findings of one field value, cached."""
        cached = self.field_cache.get(text)
        if cached is None:
            cached = tuple(self.spans.find(text))
            self.field_cache.add((text,), (cached,))
        return cached

    # ----------------------------------------------------------------- context

    @staticmethod
    def _best(description: str, brand: str, findings) -> dict[int, Best]:
        """Each recordation's best finding in the line's description and brand."""
        best: dict[int, Best] = {}
        for field_name, text, bonus in (("description", description, 0.0), ("brand", brand, BRAND_BONUS)):
            if not text:
                continue
            for finding in findings(text):
                rec = finding.form.rec
                score = finding.text_score + bonus
                prev = best.get(rec)
                if prev is None or score > prev.text_score:
                    best[rec] = Best(score, finding, field_name)
        return best

    def _judged(self, line: DeclarationLine, on: dt.date, hs: str, best: dict[int, Best]) -> list[Judged]:
        """The best findings that the context rules let through."""
        active = self._active(on)
        # Goods outside a recordation's HS scope refuse every finding of it on this line,
        # and so does a recordation not in force on the date: tested once, for its best.
        scoped = len(hs) >= 2
        recordations = self.recordations
        facts = R.facts_of(line)
        kept = [(rec_index, one) for rec_index, one in best.items()
                if active[rec_index] and not (scoped and not recordations[rec_index].covers_hs(hs))]
        # The line's signals are read only when a finding is close enough to the bar
        # for them to count: ``_judge`` refuses one further below it whatever they are
        # (and reading them is most of the work for a line whose findings are all weak).
        signals: tuple[str, ...] = ()
        bar = REVIEW_THRESHOLD - SIGNAL_SLACK
        if any(round(min(100.0, one.finding.text_score)) >= bar for _, one in kept):
            signals = tuple(dict.fromkeys(signals_in(line.description) + signals_in(line.brand)))
        out = []
        for rec_index, one in kept:
            judged = self._judge(line, on, rec_index, one, hs, facts, signals)
            if judged is not None:
                out.append(judged)
        return out

    def _active(self, on: dt.date) -> list[bool]:
        cached = self._active_cache.get(on)
        if cached is None:
            cached = [r.in_force(on) for r in self.recordations]
            self._active_cache[on] = cached
        return cached

    def _judge(self, line: DeclarationLine, on: dt.date, rec_index: int, best: Best, hs: str,
               facts: R.Facts, signals: tuple[str, ...] = ()) -> Judged | None:
        """Apply the context rules to one finding; None when the line is not flagged.

        ``hs``: the digits of the line's HS code (within the recordation's scope: see
        ``_judged``); ``signals``: the line's counterfeit signals, which lower the bar a
        reading must clear a little (``SIGNAL_SLACK``; a four-letter mark's typo then
        needs the goods' word, not the brand column's) and lift the finding to ``hit``.  The cheap refusals come first: in a large register most findings
        are refused, and this runs for each of them.
        """
        finding, field_name = best.finding, best.field_name
        needs = finding.needs
        if needs == BRAND_ONLY and field_name != "brand":
            if not signals:
                return None
            needs = CONTEXT
        if round(min(100.0, finding.text_score)) < REVIEW_THRESHOLD - (SIGNAL_SLACK if signals else 0.0):
            return None  # context reasons below add no points before this test
        rec = self.recordations[rec_index]
        rules = self._rules[rec_index] or self._rules_of(rec_index)
        tally = Tally(list(finding.reasons))
        if field_name == "brand":
            tally.reasons.append(R.IN_BRAND)
        corroborated = self._corroborated(line, best, rec, rules, hs, tally)
        if corroborated is None or needs == CONTEXT and not corroborated:
            return None
        channel = R.authorized_channel(facts, rules)
        if channel is R.AUTHORIZED:
            return None
        force_review = channel is not None
        signal = R.counterfeit_signal(signals, tally.reasons)
        if signal is not None:
            tally.reasons.append(signal)
        for reason in (channel or R.origin_outside(facts, rules), R.unit_value_below(line, rec),
                       R.deny_listed(self.context.deny, facts, rec)):
            if reason is not None:
                tally.reasons.append(reason)
        capped = self._weigh(line, best, rec, rules, hs, tally)
        if capped == E.DROP:
            return None
        force_review = force_review or capped == E.REVIEW
        withheld = R.allowed(self.context.allow, facts, rec, on) is not None
        return Judged(best, rec_index, tally, force_review, withheld)

    def _weigh(self, line: DeclarationLine, best: Best, rec: Recordation, rules: R.Rules, hs: str,
               tally: Tally) -> str | None:
        """The evidence model (``evidence``): how distinctive the reading is, its reasons
        added to ``tally``, weighed with the corroboration already there and the noisy
        channel's doubt; what it allows (``evidence.DROP``, ``evidence.REVIEW`` or None)."""
        finding = best.finding
        field_name = best.field_name
        # Text only: the same finding in the same field value has the same reasons (a
        # day's batch judges one listing's finding on line after line).  The form is
        # named by identity: the index's forms last as long as the matcher.
        key = (field_name, line.description if field_name == "description" else line.brand,
               id(finding.form), finding.start, finding.end)
        reasons = self._evidence_cache.get(key)
        if reasons is None:
            if len(self._evidence_cache) >= EVIDENCE_CACHE_SIZE:
                evict_oldest(self._evidence_cache)
            reasons = self._evidence_cache[key] = tuple(
                E.reasons_of(finding, field_name, line.description, rules.common, self._is_mark))
        tally.reasons.extend(reasons)
        in_scope = bool(hs) or not rec.hs_scope or any(r.name == "goods_in_scope" for r in tally.reasons)
        return E.cap(tally.reasons, in_scope)

    def _corroborated(self, line: DeclarationLine, best: Best, rec: Recordation, rules: R.Rules,
                      hs: str, tally: Tally) -> bool | None:
        """Whether the line's goods or brand column corroborate the finding (the goods
        rule's reason added to ``tally``); None when the goods are out of scope."""
        finding = best.finding
        corroborated = best.field_name == "brand"
        if len(hs) >= 2:
            # Goods inside a stated scope corroborate; an empty scope says nothing.
            return corroborated or bool(rec.hs_scope) or (finding.standalone and not finding.form.common)
        if rec.hs_scope:
            text = goods_text(line.description or "", finding.start, finding.end) \
                if best.field_name == "description" else line.description or ""
            goods = R.goods_without_code(self._goods_votes(text), rules.chapters, head_goods(text), rec.hs_scope)
            if goods is R.OUT_OF_SCOPE:
                return None
            tally.reasons.append(goods)
            return corroborated or goods.name == "goods_in_scope"
        if not finding.form.common:
            return corroborated or finding.standalone
        return corroborated

    def _hit(self, line: DeclarationLine, judged: Judged) -> Hit:
        """The hit of a judged finding (made only for the findings no other outmatches)."""
        rec = self.recordations[judged.rec_index]
        finding = judged.best.finding
        score = judged.tally.score
        return Hit(
            file=line.file, row=line.row, declaration_id=line.declaration_id, item_no=line.item_no,
            recordation_id=rec.recordation_id, mark=rec.mark, holder=rec.holder,
            score=score, verdict=verdict_for(score, judged.force_review), matched_text=finding.matched_text,
            reasons=judged.tally.texts(), field=judged.best.field_name, span=(finding.start, finding.end),
            reason_codes=judged.tally.codes(),
        )

    def _rules_of(self, rec_index: int) -> R.Rules:
        """The context rules of one recordation in the form ``_judge`` tests them (made
        when first needed: a check against 100,000 recordations meets few of them)."""
        rec = self.recordations[rec_index]
        rules = R.Rules(
            chapters=scope_chapters(rec.hs_scope),
            importers=frozenset(a.strip().casefold() for a in rec.authorized_importers if a.strip()),
            origins=frozenset(o.strip().upper() for o in rec.authorized_origins if o.strip()),
            common=is_common(rec.mark) and len(rec.mark.replace("-", " ").split()) == 1,
        )
        self._rules[rec_index] = rules
        return rules

    def _is_mark(self, word: str) -> bool:
        """True when ``word`` is some recordation's mark or alias as it stands."""
        return skeleton(word) in self.index.by_key

    def _goods_votes(self, text: str):
        """What the description's words outside the matched span (``goods.goods_text``)
        say the goods are (``goods_votes``); remembered, as the findings of many marks share a span."""
        votes = self._votes_cache.get(text)
        if votes is None:
            if len(self._votes_cache) >= VOTES_CACHE_SIZE:
                evict_oldest(self._votes_cache)
            votes = self._votes_cache[text] = goods_votes(description_words(text))
        return votes


def _outmatched(best: Best, judged: list[Judged]) -> bool:
    """True when the same words read as another mark more closely: in a large register
    many marks lie one edit apart, and text that is one mark exactly is not a typo of
    its neighbours (ties are kept: the officer sees both)."""
    finding = best.finding
    for other in judged:
        o = other.best
        if (
            o.field_name == best.field_name
            and o.finding.form.rec != finding.form.rec
            and o.text_score > best.text_score
            and o.finding.start < finding.end
            and finding.start < o.finding.end
        ):
            return True
    return False
