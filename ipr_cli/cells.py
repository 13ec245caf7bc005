"""Spreadsheet formula safety for CSV cells: the rule the writers apply and the readers undo."""

from __future__ import annotations

import re

# OWASP "CSV injection": a cell starting with one of these may run as a formula.
_TRIGGERS = "=+-@\t\r"
# Neutralised: any run of quotes, then a trigger.  A quote is added in front of such a
# value (also when the value already starts with quotes), so that removing exactly one
# leading quote from values matching "'+trigger" gives back every original string.
_NEEDS_QUOTE = re.compile(r"'*[" + re.escape(_TRIGGERS) + "]")
_QUOTED = re.compile(r"'+[" + re.escape(_TRIGGERS) + "]")


def neutralise_cell(value: str) -> str:
    """Make a CSV cell show as text in a spreadsheet, never run as a formula.

    Values starting with ``= + - @``, tab or carriage return get a leading ``'``
    (the OWASP rule).  A value that already starts with quotes followed by such a
    character gets one more quote, so :func:`unneutralise_cell` restores every value.
    """
    if value and _NEEDS_QUOTE.match(value):
        return "'" + value
    return value


def unneutralise_cell(value: str) -> str:
    """Undo :func:`neutralise_cell`: ``unneutralise_cell(neutralise_cell(s)) == s``."""
    if value and _QUOTED.match(value):
        return value[1:]
    return value
