"""Find recorded marks in declaration lines, disguised or not, and judge them in context.

Public API::

    from ipr_cli.matching import Matcher, Screening, HIT_THRESHOLD, REVIEW_THRESHOLD
    m = Matcher(recordations, context=None)   # builds the index once
    s = m.screen(line, default_date)           # s.hits, s.suppressed

Modules: ``index`` (candidate retrieval over mark keys), ``features`` (pure
comparators), ``scorer`` (named penalties → score → verdict), ``goods`` (what goods a
description names, from the HS nomenclature), ``lexicon`` (dictionary words),
``matcher`` (spans, caching and context rules).
"""

from .matcher import Matcher, Screening
from .scorer import HIT_THRESHOLD, REVIEW_THRESHOLD

__all__ = ["Matcher", "Screening", "HIT_THRESHOLD", "REVIEW_THRESHOLD"]
