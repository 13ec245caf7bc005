"""``recordation lint``: recordations that weaken screening, one finding per problem."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass

from ..store import Store


# -- lint --------------------------------------------------------------------------------


@dataclass
class Finding:
    recordation_id: str
    mark: str
    holder: str
    problem: str  # expiring, expired, no-contact, no-hs-scope, short-mark, common-word, collision
    detail: str

    def as_dict(self) -> dict:
        return {"recordation_id": self.recordation_id, "mark": self.mark, "holder": self.holder,
                "problem": self.problem, "detail": self.detail}


NEAR_MIN = 6


def _near(key: str, by_length: dict) -> Iterator[tuple[str, str, str]]:
    """Forms whose look-alike key is exactly one edit from ``key`` (same length ± 1)."""
    if len(key) < NEAR_MIN:
        return
    from rapidfuzz import process
    from rapidfuzz.distance import Levenshtein

    for length in (len(key) - 1, len(key), len(key) + 1):
        bucket = by_length.get(length)
        if not bucket:
            continue
        keys = [k for k, _ in bucket]
        for other, distance, index in process.extract(key, keys, scorer=Levenshtein.distance, score_cutoff=1,
                                                      limit=None):
            if other != key and distance <= 1:
                yield from bucket[index][1]


LINT_PROBLEMS = ("expired", "expiring", "no-contact", "no-hs-scope", "short-mark", "common-word", "collision")


def lint(store: Store, *, days: int = 90, today: dt.date | None = None) -> list[Finding]:
    """Recordations that weaken screening, one finding per problem, in id then problem order."""
    today = today or dt.date.today()
    recs = store.recordations()
    forms = _forms(recs)
    # Near misses (one edit apart) only for keys of NEAR_MIN letters or more: shorter
    # marks are one letter from too many others to be worth a finding.
    by_length: dict[int, list[tuple[str, list[tuple[str, str, str]]]]] = defaultdict(list)
    for key, owners in forms.items():
        if len(key) >= NEAR_MIN:
            by_length[len(key)].append((key, owners))
    findings: list[Finding] = []
    for rec in recs:
        for check in (_validity(rec, today, days), _gaps(rec), _weak_mark(rec), _collisions(rec, forms, by_length)):
            for problem, detail in check:
                findings.append(Finding(rec.recordation_id, rec.mark, rec.holder, problem, detail))
    order = {p: i for i, p in enumerate(LINT_PROBLEMS)}
    findings.sort(key=lambda f: (f.recordation_id, order.get(f.problem, 99), f.detail))
    return findings


def _forms(recs) -> dict[str, list[tuple[str, str, str]]]:
    """Every form a recordation protects, by look-alike key, to find other holders' marks."""
    from ..normalize import skeleton

    forms: dict[str, list[tuple[str, str, str]]] = defaultdict(list)
    for rec in recs:
        for form in (rec.mark, *rec.aliases):
            key = skeleton(form)
            if key:
                forms[key].append((rec.recordation_id, rec.holder, form))
    return forms


def _validity(rec, today: dt.date, days: int) -> Iterator[tuple[str, str]]:
    if rec.status.value != "active":
        return
    if rec.valid_until < today:
        yield "expired", f"valid until {rec.valid_until.isoformat()} but still marked active"
    elif rec.valid_until <= today + dt.timedelta(days=days):
        left = (rec.valid_until - today).days
        yield "expiring", f"valid until {rec.valid_until.isoformat()} ({left} days left); ask the holder to renew"


def _gaps(rec) -> Iterator[tuple[str, str]]:
    if not rec.contact.strip():
        yield "no-contact", "no contact point: a hold cannot be notified to the holder"
    if not rec.hs_scope:
        yield "no-hs-scope", "no HS scope: every kind of goods is screened, which raises false positives"


def _weak_mark(rec) -> Iterator[tuple[str, str]]:
    """What the matcher calls short and common (matching.index), so that the warning
    says what screening does."""
    from ..matching.index import is_common, is_short
    from ..normalize import has_cjk, plain, skeleton

    key = plain(rec.mark) if has_cjk(rec.mark) else skeleton(rec.mark)
    if key and is_short(key):
        yield "short-mark", f"mark {rec.mark!r} has {len(key)} characters: flags need corroboration"
    elif key and not has_cjk(rec.mark) and is_common(rec.mark):
        yield "common-word", f"mark {rec.mark!r} is made of dictionary words: flags need corroboration"


def _collisions(rec, forms: dict, by_length: dict) -> Iterator[tuple[str, str]]:
    """Other holders' marks that look the same (first), then ones a letter away."""
    from ..normalize import skeleton

    seen: set[str] = set()
    lookups = (
        ("looks the same as", lambda key: forms.get(key, [])),
        ("is one letter from", lambda key: _near(key, by_length)),
    )
    for relation, lookup in lookups:
        for form in (rec.mark, *rec.aliases):
            for other_id, other_holder, other_form in lookup(skeleton(form)):
                if other_id == rec.recordation_id or other_holder.casefold() == rec.holder.casefold():
                    continue
                if other_id not in seen:
                    seen.add(other_id)
                    yield "collision", f"{form!r} {relation} {other_form!r} of {other_id} ({other_holder})"


