"""What every output of ipr shares, kept light (no Rich): the paths no ``--output`` may
name, and write errors (a full disk) reported as such, on files and standard output."""

from __future__ import annotations

import contextlib
import io
import os
import stat
import sys

from ipr_cli.errors import OutputError, UsageError

# The output formats (``--format``): of ``ipr check``, and of listing and ``show`` commands.
FORMATS: tuple[str, ...] = ("table", "json", "jsonl", "csv", "html")
LIST_FORMATS: tuple[str, ...] = ("table", "json", "jsonl", "csv")

# (path as the user gave it, realpath, what it is) of every path --output must not name.
_PROTECTED: list[tuple[str, str, str]] = []


def protect_from_output(path: str | os.PathLike[str], what: str) -> None:
    """Refuse ``--output`` naming ``path`` from now on; ``what`` says what it is
    (``"the store"``, ``"an input file of this run"``)."""
    text = os.fspath(path)
    if not text or text == "-":
        return
    try:
        mode = os.stat(text).st_mode
    except OSError:
        mode = None
    if mode is not None and not (stat.S_ISREG(mode) or stat.S_ISDIR(mode)):
        return  # a terminal or a pipe as input (/dev/stdin) may well be the output too
    _PROTECTED.append((text, os.path.realpath(text), what))


def protect_store_from_output(path: str | os.PathLike[str]) -> None:
    """The store and the files SQLite keeps beside it."""
    text = os.fspath(path)
    protect_from_output(text, "the store")
    for suffix in ("-wal", "-shm", "-journal"):
        protect_from_output(text + suffix, "a file of the store")


def clear_protected() -> None:
    """Forget the protected paths (each command registers its own)."""
    _PROTECTED.clear()


def _same_file(a: str, b: str) -> bool:
    try:
        return os.path.samefile(a, b)
    except OSError:
        return False


def refuse_protected(display: str, target: str) -> None:
    for given, real, what in _PROTECTED:
        if target == real or _same_file(display, given):
            raise UsageError(
                f"--output {display} is {what} ({given}); writing the result there would destroy it.",
                hint="Choose another file for --output.",
            )


class _GuardedFile(io.FileIO):
    """A raw file whose write errors (disk full, quota, I/O error) become OutputError
    (exit 3), so they are told apart from errors of the code that feeds the writer.
    A closed pipe stays a BrokenPipeError: the reader went away, nothing failed."""

    def __init__(self, fd: int, display: str, *, closefd: bool = True) -> None:
        super().__init__(fd, "w", closefd=closefd)
        self._display = display

    def write(self, data):  # type: ignore[override]
        try:
            return super().write(data)
        except BrokenPipeError:
            raise
        except OSError as exc:
            raise write_error(self._display, exc) from exc


def write_error(display: str, exc: OSError) -> OutputError:
    """The error for a write to ``display`` that failed (exit 3)."""
    return OutputError(
        f"Could not write {display}: {exc.strerror or exc}.",
        hint="Free some disk space or write elsewhere; a file given with --output was left as it was.",
    )


def guard_stdout() -> None:
    """Make a failed write to standard output (a full disk) an OutputError naming it,
    instead of an unexpected OSError.  Called once by the command line's entry point."""
    stream = sys.stdout
    try:
        fd = stream.fileno()
        encoding = stream.encoding
        errors = stream.errors
        tty = stream.isatty()
    except (AttributeError, OSError, ValueError):
        return
    with contextlib.suppress(Exception):
        stream.flush()
    raw = _GuardedFile(fd, "standard output", closefd=False)
    sys.stdout = io.TextIOWrapper(
        io.BufferedWriter(raw, 1 << 16), encoding=encoding, errors=errors, line_buffering=tty
    )
