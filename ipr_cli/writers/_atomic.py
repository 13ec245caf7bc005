"""``--output`` written atomically: a temporary file in the same directory, renamed
into place only when everything was written.

Three kinds of target are not replaced by a rename:

* a path this run must never write — the store, its ``-wal``/``-shm``/``-journal``,
  an input file of the run (see :func:`protect_from_output`) — is refused (exit 2);
* a device, FIFO or socket (``/dev/null``, ``/dev/tty``, a named pipe) is written
  into: replacing it with a regular file would destroy the node;
* the run's own standard output or error (``/dev/stdout``, ``/dev/fd/1``,
  ``/proc/self/fd/1``, or a file that *is* standard output) is written through that
  stream, so ``-o /dev/stdout >> log`` appends as the shell was told to.
"""

from __future__ import annotations

import contextlib
import io
import os
import stat
import sys
from collections.abc import Iterator
from typing import TextIO

from ipr_cli import tempfiles
from ipr_cli.errors import OutputError, UsageError
from ipr_cli.outputs import (  # noqa: F401 - re-exported
    _GuardedFile,
    clear_protected,
    guard_stdout,
    protect_from_output,
    protect_store_from_output,
    refuse_protected,
    write_error,
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


def _standard_stream(info: os.stat_result) -> TextIO | None:
    """sys.stdout / sys.stderr when ``info`` is the file behind descriptor 1 / 2."""
    for fd, stream in ((1, sys.stdout), (2, sys.stderr)):
        try:
            other = os.fstat(fd)
        except OSError:
            continue
        if (other.st_dev, other.st_ino) == (info.st_dev, info.st_ino) and stream is not None:
            try:
                if stream.fileno() != fd:
                    continue
            except (AttributeError, OSError, ValueError):
                continue  # (a test runner's capture: not this descriptor)
            return stream
    return None


@contextlib.contextmanager
def atomic_output(path: str | os.PathLike[str] | None) -> Iterator[TextIO]:
    """Yield a UTF-8 text stream (``newline=""``) that replaces ``path`` only on success.

    The data goes to a temporary file next to ``path``; when the block ends without an
    exception the file is flushed, fsynced and renamed over ``path`` (an existing file
    keeps its permissions, a new one gets the umask's).  On any exception — Ctrl-C
    included — the temporary file is removed and an existing ``path`` is untouched;
    one a killed process left is removed by the next write of the same name.
    ``None`` or ``"-"`` yields ``sys.stdout``, which is flushed but not closed; so do
    ``/dev/stdout`` and the like.  A device or FIFO is written into, not replaced.

    Raises UsageError (exit 2) when ``path`` is protected or cannot be created there,
    OutputError (exit 3) when writing fails part way (disk full).
    """
    if path is None or os.fspath(path) == "-":
        yield sys.stdout
        sys.stdout.flush()
        return

    display = os.fspath(path)
    target = os.path.realpath(display)  # write through a symlink, do not replace it
    refuse_protected(display, target)
    try:
        info: os.stat_result | None = os.stat(display)
    except OSError:
        info = None
    if info is not None and stat.S_ISDIR(info.st_mode):
        raise UsageError(f"--output {display} is a directory.", hint="Give a file name.")
    if info is not None:
        stream = _standard_stream(info)
        if stream is not None:
            yield stream
            stream.flush()
            return
        if not stat.S_ISREG(info.st_mode):
            with _into_node(display) as node:
                yield node
            return

    directory = os.path.dirname(target) or "."
    name = os.path.basename(target)
    mode = info.st_mode & 0o7777 if info is not None else 0o666 & ~_umask()
    tempfiles.sweep(directory, name)
    try:
        fd, temp = tempfiles.create(directory, name)
    except OSError as exc:
        raise UsageError(
            f"Cannot write --output {display}: {exc.strerror or exc}.",
            hint="Check that the directory exists and that you may write there.",
        ) from exc

    stream_: io.TextIOWrapper | None = None
    try:
        raw = _GuardedFile(fd, display)
        stream_ = io.TextIOWrapper(io.BufferedWriter(raw, 1 << 16), encoding="utf-8", newline="")
        yield stream_
        try:
            stream_.flush()
            os.fsync(stream_.fileno())
            os.chmod(temp, mode)
            os.replace(temp, target)
            stream_.close()  # (after the rename: the lock is held until the name is gone)
        except OutputError:
            raise
        except OSError as exc:
            raise write_error(display, exc) from exc
        _fsync_directory(directory)
    except BaseException:
        if stream_ is not None and not stream_.closed:
            with contextlib.suppress(Exception):
                stream_.close()
        elif stream_ is None:
            with contextlib.suppress(OSError):
                os.close(fd)
        with contextlib.suppress(OSError):
            os.unlink(temp)
        raise


@contextlib.contextmanager
def _into_node(display: str) -> Iterator[TextIO]:
    """Write into a device, FIFO or socket as it is: never truncated, never replaced."""
    try:
        fd = os.open(display, os.O_WRONLY | getattr(os, "O_NOCTTY", 0) | getattr(os, "O_CLOEXEC", 0))
    except OSError as exc:
        raise UsageError(
            f"Cannot write --output {display}: {exc.strerror or exc}.",
            hint="Check that you may write there.",
        ) from exc
    stream = io.TextIOWrapper(io.BufferedWriter(_GuardedFile(fd, display), 1 << 16), encoding="utf-8", newline="")
    try:
        yield stream
        stream.flush()
    finally:
        with contextlib.suppress(Exception):
            stream.close()


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
