"""``--output`` written atomically: a temporary file in the same directory, renamed
into place only when everything was written."""

from __future__ import annotations

import contextlib
import io
import os
import stat
import sys
import tempfile
from collections.abc import Iterator
from typing import TextIO

from ipr_cli.errors import StoreError, UsageError


class _GuardedFile(io.FileIO):
    """A raw file whose write errors (disk full, quota, I/O error) become StoreError
    (exit 3), so they are told apart from errors of the code that feeds the writer."""

    def __init__(self, fd: int, display: str) -> None:
        super().__init__(fd, "w", closefd=True)
        self._display = display

    def write(self, data):  # type: ignore[override]
        try:
            return super().write(data)
        except OSError as exc:
            raise _write_error(self._display, exc) from exc


def _write_error(display: str, exc: OSError) -> StoreError:
    return StoreError(
        f"Could not write {display}: {exc.strerror or exc}.",
        hint="Free some disk space or choose another --output; the file was left as it was.",
    )


def _umask() -> int:
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("Umask:"):
                    return int(line.split()[1], 8)
    except (OSError, ValueError, IndexError):
        pass
    mask = os.umask(0o022)  # no other way to read it; set it straight back
    os.umask(mask)
    return mask


@contextlib.contextmanager
def atomic_output(path: str | os.PathLike[str] | None) -> Iterator[TextIO]:
    """Yield a UTF-8 text stream (``newline=""``) that replaces ``path`` only on success.

    The data goes to a temporary file next to ``path``; when the block ends without an
    exception the file is flushed, fsynced and renamed over ``path`` (an existing file
    keeps its permissions, a new one gets the umask's).  On any exception — Ctrl-C
    included — the temporary file is removed and an existing ``path`` is untouched.
    ``None`` or ``"-"`` yields ``sys.stdout``, which is flushed but not closed.

    Raises UsageError (exit 2) when ``path`` cannot be created there, StoreError
    (exit 3) when writing fails part way (disk full).
    """
    if path is None or os.fspath(path) == "-":
        yield sys.stdout
        sys.stdout.flush()
        return

    display = os.fspath(path)
    target = os.path.realpath(display)  # write through a symlink, do not replace it
    if os.path.isdir(target):
        raise UsageError(f"--output {display} is a directory.", hint="Give a file name.")
    directory = os.path.dirname(target) or "."
    try:
        existing = os.stat(target)
    except OSError:
        existing = None
    if existing is not None and not stat.S_ISREG(existing.st_mode):
        # A device or a pipe (/dev/null, a FIFO, /dev/stdout) is written to, never
        # replaced: renaming a file over /dev/null would break the whole system.
        try:
            special = open(target, "w", encoding="utf-8", newline="")  # noqa: SIM115
        except OSError as exc:
            raise UsageError(f"Cannot write --output {display}: {exc.strerror or exc}.") from exc
        with special:
            yield special
        return
    try:
        mode = os.stat(target).st_mode & 0o7777
    except FileNotFoundError:
        mode = 0o666 & ~_umask()
    except OSError:
        mode = 0o666 & ~_umask()
    try:
        fd, temp = tempfile.mkstemp(
            prefix="." + os.path.basename(target) + ".", suffix=".tmp", dir=directory
        )
    except OSError as exc:
        raise UsageError(
            f"Cannot write --output {display}: {exc.strerror or exc}.",
            hint="Check that the directory exists and that you may write there.",
        ) from exc

    stream: io.TextIOWrapper | None = None
    try:
        raw = _GuardedFile(fd, display)
        stream = io.TextIOWrapper(io.BufferedWriter(raw, 1 << 16), encoding="utf-8", newline="")
        yield stream
        try:
            stream.flush()
            os.fsync(stream.fileno())
            os.chmod(temp, mode)
            stream.close()
            os.replace(temp, target)
        except StoreError:
            raise
        except OSError as exc:
            raise _write_error(display, exc) from exc
        _fsync_directory(directory)
    except BaseException:
        if stream is not None and not stream.closed:
            with contextlib.suppress(Exception):
                stream.close()
        elif stream is None:
            with contextlib.suppress(OSError):
                os.close(fd)
        with contextlib.suppress(OSError):
            os.unlink(temp)
        raise


def _fsync_directory(directory: str) -> None:
    """Make the rename itself durable (best effort: not every platform allows it)."""
    try:
        dir_fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(dir_fd)
    except OSError:
        pass
    finally:
        os.close(dir_fd)
