"""Casework on a store: runs, hits, decisions, allow and deny lists, stats and lint.

Every function takes an open :class:`~ipr_cli.store.Store`; writers call it inside
``store.write()`` (they open the transaction themselves where one call is one change).
No printing and no Typer here: the CLI picks the output.

Modules: ``runs`` (runs, saved hits and their filter), ``decisions`` (decisions, allow
and deny lists), ``lint`` (recordations that weaken screening), ``reporting`` (stats,
the holder export, report data).  The SQL is in ``ipr_cli.store.cases``.
"""

from __future__ import annotations

from .runs import (
    STATUSES,
    DECISIONS,
    SPEC_HIT_FIELDS,
    HIT_FIELDS,
    LINE_FIELDS,
    parse_date,
    list_runs,
    resolve_run,
    get_run,
    HitFilter,
    hit_rows,
    hit_dict,
    MAX_ID,
    parse_hit_id,
    get_hit,
)
from .decisions import (
    DecisionResult,
    normalise_decision,
    decide,
    add_allow,
    list_allow,
    remove_allow,
    add_deny,
    list_deny,
    remove_deny,
)
from .lint import (
    Finding,
    NEAR_MIN,
    LINT_PROBLEMS,
    lint,
)
from .reporting import (
    stats,
    EXPORT_FIELDS,
    REDACTED,
    holder_names,
    export_for_holder,
    report_data,
)

__all__ = [
    "DECISIONS",
    "DecisionResult",
    "EXPORT_FIELDS",
    "Finding",
    "HIT_FIELDS",
    "HitFilter",
    "LINE_FIELDS",
    "LINT_PROBLEMS",
    "MAX_ID",
    "NEAR_MIN",
    "REDACTED",
    "SPEC_HIT_FIELDS",
    "STATUSES",
    "add_allow",
    "add_deny",
    "decide",
    "export_for_holder",
    "get_hit",
    "get_run",
    "hit_dict",
    "hit_rows",
    "holder_names",
    "lint",
    "list_allow",
    "list_deny",
    "list_runs",
    "normalise_decision",
    "parse_date",
    "parse_hit_id",
    "remove_allow",
    "remove_deny",
    "report_data",
    "resolve_run",
    "stats",
]
