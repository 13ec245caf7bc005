"""The SQLite store: opening (and migrating) it, and every query.  No printing here.

One file, WAL journal, a busy timeout, readable by its owner only.  Every write runs
in one ``BEGIN IMMEDIATE`` transaction, so a failure or a kill leaves the store as it
was before the command.  Errors are the project's own (``StoreError``,
``NotFoundError``, ``UsageError``); the command line maps them to exit codes.

Modules: ``paths`` (where the store lives, busy timeout, user and time), ``connection``
(ownership, read-only look, schema check, SQLite errors), ``core`` (the ``Store``
class), ``values`` (stored-value checks, rows as stored), ``planner`` (hit ids of a
streaming run), ``cases`` (the queries of casework: runs, hits, decisions, allow and
deny lists).
"""

from __future__ import annotations

from ..recordations import from_store_row, from_store_rows
from .connection import store_error
from .core import ImportResult, Store
from .paths import (
    APP_NAME,
    DEFAULT_BUSY_TIMEOUT,
    MAX_BUSY_TIMEOUT,
    adopt_legacy_store,
    busy_timeout,
    current_user,
    default_path,
    legacy_default_path,
    now,
    resolve_path,
)
from .planner import HitPlanner
from .values import line_record, stored_value_problem, to_store_row

__all__ = [
    "APP_NAME",
    "DEFAULT_BUSY_TIMEOUT",
    "MAX_BUSY_TIMEOUT",
    "HitPlanner",
    "ImportResult",
    "Store",
    "adopt_legacy_store",
    "busy_timeout",
    "current_user",
    "default_path",
    "from_store_row",
    "from_store_rows",
    "legacy_default_path",
    "line_record",
    "now",
    "resolve_path",
    "store_error",
    "stored_value_problem",
    "to_store_row",
]
