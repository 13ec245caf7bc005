"""Find recorded marks in declaration lines, disguised or not, and judge them in context.

Public API::

    from ipr_cli.matching import Matcher, Screening, CLEAN, Batches
    m = Matcher(recordations, context=None)   # builds the index once
    s = m.screen(line, default_date)           # s.hits, s.suppressed (CLEAN: neither)
    b = Batches(m, workers)                    # a run of lines, worker processes for large ones
    for count, flagged in b.screened(lines, default_date): ...
    b.close()

The pipeline, one module each: ``spans`` (span search: the candidate runs of words of
a field value), ``index`` (candidate retrieval over mark keys), ``reading`` (one span
read against one form: the disguise in named reasons), ``features`` (pure comparators),
``rules`` (context rules, small pure functions), ``scorer`` (named points → score →
verdict); ``matcher`` runs them for one line, ``batch`` for a run of lines, with every
cache (``memo``) and the worker protocol.  ``goods`` guesses goods from words (HS
nomenclature), ``lexicon`` knows dictionary words, ``records`` holds the shared records.
"""

from .batch import Batches
from .matcher import Matcher
from .records import CLEAN, Screening
from .scorer import HIT_THRESHOLD, REVIEW_THRESHOLD

__all__ = ["Batches", "CLEAN", "Matcher", "Screening", "HIT_THRESHOLD", "REVIEW_THRESHOLD"]
