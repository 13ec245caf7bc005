"""The one exception tree of ipr.  Core code raises these; only ``cli/`` exits.

    IprError                 exit 4  something unexpected
    ├── UsageError           exit 2  bad option or value given on the command line
    ├── InputError           exit 2  a file that cannot be read or holds bad data
    │   └── ValidationError  exit 2  rows that break the recordation rules (all listed)
    ├── NotFoundError        exit 2  no such recordation, hit, run or store
    └── StoreError           exit 3  the store is busy, corrupt or the disk is full
        └── OutputError      exit 3  the output (a file, standard output) could not be written

Interrupts (Ctrl-C) are not errors: the CLI maps ``KeyboardInterrupt`` to exit 130.
"""

from __future__ import annotations


class IprError(Exception):
    """Base class; ``exit_code`` is what the CLI exits with, ``hint`` what to do next."""

    exit_code = 4

    def __init__(self, message: str, *, hint: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint


class UsageError(IprError):
    exit_code = 2


class InputError(IprError):
    exit_code = 2


class ValidationError(InputError):
    """Invalid rows of an input file; ``problems`` holds one line per bad field."""

    def __init__(self, message: str, problems: list[str], *, hint: str = "") -> None:
        super().__init__(message, hint=hint)
        self.problems = problems


class NotFoundError(IprError):
    exit_code = 2


class StoreError(IprError):
    exit_code = 3


class OutputError(StoreError):
    """Writing the result failed part way: disk full, quota, I/O error."""
