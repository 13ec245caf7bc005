"""Re-screening against the recordations added or changed since a date.

Screening an archive against a handful of new recordations is fast because the index
holds only their marks.  But a mark's finding can depend on the others: a reading that
another recorded mark explains better is dropped (see the matcher's rivals).  A line
flagged against only the changed recordations is therefore screened again against the
whole register, and only the hits of changed recordations that this full screening
gives are kept — exactly the hits a full run gives for them, at the cost of a full
screening of the few lines the first pass flagged.

The first pass must miss none of those lines, so its matcher searches as the whole
register's would: the index's register-wide limits (the characters some mark key has,
the words of multi-word marks, the longest key, the most words in a form) decide which
spans of a line are searched at all, and with only a few marks they would search less.
``RegisterLimits`` carries the whole register's limits to the first pass's matchers,
here and on cluster workers.

Searching every span of every line as the whole register's matcher would costs about
what the full run costs, whatever the number of changed marks.  So the first pass's
matcher first asks ``rescreen_filter.ChangedMarksFilter`` of each field value whether
any of its spans could be read as a form of the changed recordations at all (a few
string operations, derived from the reading's own limits: see that module); a value
that cannot is not searched, which is most of an archive.  A value that can is
searched and confirmed as above.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Iterator

from .models import DeclarationLine, Hit


class RegisterLimits:
    """The register-wide limits of an index (see the module docstring); calling it on a
    matcher of fewer recordations makes that matcher search the spans the whole
    register's would (it may then find more, never less)."""

    NAMES = ("alphabet", "mark_words", "max_len", "max_words")

    def __init__(self, index) -> None:
        self.values = {name: getattr(index, name) for name in self.NAMES}

    def __call__(self, matcher) -> None:
        index = matcher.index
        index.alphabet = index.alphabet | self.values["alphabet"]
        index.mark_words = index.mark_words | self.values["mark_words"]
        index.max_len = max(index.max_len, self.values["max_len"])
        index.max_words = max(index.max_words, self.values["max_words"])
        only_possible(matcher)


def only_possible(matcher) -> None:
    """Make ``matcher`` (of the changed recordations) search only the field values in
    which one of their forms could be read (``rescreen_filter``); the others have no
    finding of them (an empty list, as the search itself would say)."""
    from .rescreen_filter import ChangedMarksFilter

    keeps = ChangedMarksFilter(matcher.recordations).keeps
    find = matcher.spans.find

    def filtered(text: str) -> list:
        return find(text) if keeps(text) else []

    matcher.spans.find = filtered


def confirmed(
    screened: Iterable[tuple[DeclarationLine, list[Hit]]],
    matcher,
    changed: set[str],
    *,
    as_of: dt.date,
    min_score: int,
    summary,
) -> Iterator[tuple[DeclarationLine, list[Hit]]]:
    """The ``(line, hits)`` of ``screened`` (a run against the changed recordations)
    as ``matcher`` (of the whole register) judges them, keeping only hits of
    ``changed`` ones; the run's ``summary`` counts are corrected to match."""
    for line, hits in screened:
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
