"""Re-screening against the recordations added or changed since a date.

Screening an archive against a handful of new recordations is fast because the index
holds only their marks.  But a mark's finding can depend on the others: a reading that
another recorded mark explains better is dropped (see the matcher's rivals).  A line
flagged against only the changed recordations is therefore screened again against the
whole register, and only the hits of changed recordations that this full screening
gives are kept — exactly the hits a full run gives for them, at the cost of a full
screening of the few lines the first pass flagged.  (Other recordations only ever take
findings away, so the first pass misses none of those lines.)
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Iterator, Sequence

from .models import DeclarationLine, Hit, Recordation, ScreeningContext


def confirmed(
    screened: Iterable[tuple[DeclarationLine, list[Hit]]],
    register: Sequence[Recordation],
    changed: set[str],
    *,
    as_of: dt.date,
    context: ScreeningContext | None,
    min_score: int,
    summary,
    cache_dir: str | None = None,
) -> Iterator[tuple[DeclarationLine, list[Hit]]]:
    """The ``(line, hits)`` of ``screened`` (a run against the changed recordations)
    as the whole ``register`` judges them, keeping only hits of ``changed`` ones; the
    run's ``summary`` counts are corrected to match."""
    matcher = None
    for line, hits in screened:
        if matcher is None:  # built only when something was flagged
            from .matching import Matcher

            matcher = Matcher(register, context=context, cache_dir=cache_dir)
        keep = [h for h in matcher.screen(line, as_of).hits
                if h.recordation_id in changed and h.score >= min_score]
        for h in hits:
            summary.by_verdict[h.verdict.value] -= 1
        for h in keep:
            summary.by_verdict[h.verdict.value] += 1
        if keep:
            yield line, keep
        else:
            summary.lines_flagged -= 1
