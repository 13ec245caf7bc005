"""Parquet in and out: declaration lines read by row group, hits written as a table.

Parquet needs ``pyarrow``, from the optional extra (``pip install "ipr-cli[dask]"``);
without it, naming a Parquet file is a usage error saying how to install it.

A *dataset* is one ``.parquet`` file, or a directory whose ``.parquet`` files (found
recursively, in path order) are read as one input: its rows are numbered 1, 2, ...
through the files in that order, and ``file`` of each line is the path as given.
Every file of a dataset must have the same columns.  Rows are streamed a row group at
a time, only the columns the reader needs; a cell becomes text as an XLSX cell does
(an ISO date, an integral number without ``.0``, an empty cell for a null).
"""

from __future__ import annotations

import contextlib
import hashlib
import os
from typing import Any, Iterator

from .errors import InputError, UsageError

INSTALL_HINT = 'install the optional extra: pip install "ipr-cli[dask]"'
MAGIC = b"PAR1"
SUFFIXES = (".parquet", ".parq", ".pq")


def require_pyarrow():
    """The ``pyarrow.parquet`` module, or a UsageError saying how to install it."""
    try:
        import pyarrow.parquet as pq
    except ImportError:
        raise UsageError("Parquet needs pyarrow, which is not installed.", hint=INSTALL_HINT) from None
    return pq


def is_parquet(path: str) -> bool:
    """Whether ``path`` names Parquet: a directory holding ``.parquet`` files, a file
    with a Parquet suffix, or a file that starts with the Parquet magic bytes."""
    if path == "-":
        return False
    if os.path.isdir(path):
        return bool(_dataset_files(path))
    if path.lower().endswith(SUFFIXES):
        return True
    try:
        with open(path, "rb") as f:
            return f.read(4) == MAGIC
    except OSError:
        return False


def _dataset_files(path: str) -> list[str]:
    found = []
    for root, dirs, files in os.walk(path):
        dirs[:] = sorted(d for d in dirs if not d.startswith((".", "_")))
        found.extend(os.path.join(root, f) for f in files
                     if f.lower().endswith(SUFFIXES) and not f.startswith((".", "_")))
    return sorted(found)


class ParquetDataset:
    """The files, columns and row groups of one Parquet input (no rows read yet)."""

    def __init__(self, path: str) -> None:
        pq = require_pyarrow()
        self.path = path
        self.shown = os.path.basename(path.rstrip(os.sep)) or path
        if os.path.isdir(path):
            self.files = _dataset_files(path)
            if not self.files:
                raise InputError(f"{path}: a directory without .parquet files",
                                 hint="give declaration files, or a directory of .parquet files")
        elif os.path.exists(path):
            self.files = [path]
        else:
            raise InputError(f"{path}: no such file", hint="check the path")
        self.headers: list[str] = []
        # (file index, row group index, rows in it, rows before it in the dataset)
        self.groups: list[tuple[int, int, int, int]] = []
        self.size = 0
        rows = 0
        for i, name in enumerate(self.files):
            try:
                meta = pq.ParquetFile(name).metadata
                self.size += os.path.getsize(name)
            except Exception as exc:  # noqa: BLE001 - pyarrow raises several kinds on bad files
                raise InputError(f"{name}: not a readable Parquet file ({type(exc).__name__}: {exc})"[:500]) from None
            names = list(meta.schema.to_arrow_schema().names)
            if i == 0:
                self.headers = [str(n).strip() for n in names]
            elif [str(n).strip() for n in names] != self.headers:
                raise InputError(f"{name}: its columns differ from those of {self.files[0]} in the same dataset",
                                 hint="read files with different columns as separate inputs")
            for g in range(meta.num_row_groups):
                n = meta.row_group(g).num_rows
                self.groups.append((i, g, n, rows))
                rows += n
        self.rows_total = rows

    def sha256(self) -> str:
        """The SHA-256 of the dataset's bytes, its files in order."""
        digest = hashlib.sha256()
        for name in self.files:
            with open(name, "rb") as f:
                for block in iter(lambda: f.read(1 << 20), b""):
                    digest.update(block)
        return digest.hexdigest()


class ParquetFormat:
    """Rows of a dataset (all row groups, or the ``groups`` given) as ``(row, cells)``,
    like the readers' other formats: cells are texts aligned with ``headers``."""

    name = "parquet"
    keyed = False
    encoding = None
    stream = None

    def __init__(self, path: str, groups: list[int] | None = None) -> None:
        self.dataset = ParquetDataset(path)
        self.headers = self.dataset.headers
        self.wanted = self.dataset.groups if groups is None else [self.dataset.groups[g] for g in groups]
        self.columns: list[int] | None = None
        self.rows_done = 0
        self.size = self.dataset.size
        self.op = self  # (the readers look for .op.size and .op.path)
        self.path = path

    def use_columns(self, indices: list[int]) -> None:
        """Read only these columns (the others read as empty)."""
        self.columns = sorted(set(indices))

    @property
    def bytes_read(self) -> int:
        total = self.dataset.rows_total
        return int(self.size * self.rows_done / total) if total else 0

    def sha256(self) -> str:
        return self.dataset.sha256()

    def rows(self) -> Iterator[tuple[int, list[str]]]:
        from .readers.values import _cell_text

        pq = require_pyarrow()
        width = len(self.headers)
        indices = list(range(width)) if self.columns is None else self.columns
        names = [self.headers[i] for i in indices]
        opened: dict[int, Any] = {}
        for file_index, group, _count, before in self.wanted:
            name = self.dataset.files[file_index]
            try:
                pf = opened.get(file_index)
                if pf is None:
                    opened.clear()
                    pf = opened[file_index] = pq.ParquetFile(name)
                table = pf.read_row_group(group, columns=names)
            except Exception as exc:  # noqa: BLE001
                raise InputError(f"{name}: row group {group} cannot be read ({type(exc).__name__}: {exc})"[:500]) from None
            columns = []
            for column in table.columns:
                values = column.to_pylist()
                if all(v.__class__ is str or v is None for v in values):
                    columns.append(["" if v is None else v for v in values])
                else:
                    columns.append([_cell_text(v) for v in values])
            blank = [""] * width
            for offset, cells in enumerate(zip(*columns)):
                row = blank.copy()
                for i, value in zip(indices, cells):
                    row[i] = value
                if any(cells):
                    yield before + offset + 1, row
            self.rows_done += table.num_rows

    def close(self) -> None:
        pass


# ----------------------------------------------------------------------------- output


@contextlib.contextmanager
def atomic_parquet_writer(path: str) -> Iterator[ParquetHitWriter]:
    """A hit writer on a temporary file beside ``path`` that replaces ``path`` only
    when the block ends without an error (the writer closed by then).  The store and the
    run's inputs are refused as ``--output``, as for every other format."""
    from . import tempfiles
    from .errors import StoreError
    from .outputs import refuse_protected

    target = os.path.realpath(path)
    refuse_protected(path, target)
    if os.path.isdir(target):
        raise UsageError(f"--output {path} is a directory.", hint="Give a file name.")
    directory, name = os.path.dirname(target) or ".", os.path.basename(target)
    try:
        tempfiles.sweep(directory, name)
        fd, tmp = tempfiles.create(directory, name)
    except OSError as exc:
        raise UsageError(f"--output {path}: cannot be created there ({exc.strerror or exc})") from None
    os.close(fd)
    writer = None
    try:
        writer = ParquetHitWriter(tmp)
        yield writer
        writer.close()
        os.replace(tmp, target)
    except OSError as exc:
        raise StoreError(f"{path}: cannot be written ({exc.strerror or exc})") from None
    finally:
        if writer is not None:
            writer.close()
        if os.path.exists(tmp):
            os.unlink(tmp)


class ParquetHitWriter:
    """Hits as a Parquet file: the columns of the SPEC's hit object (``reasons`` a list
    of strings) and ``reason_codes``, written in row groups as they come."""

    BATCH = 50_000

    def __init__(self, path: str) -> None:
        pq = require_pyarrow()
        import pyarrow as pa

        self.pa = pa
        self.schema = pa.schema([
            ("file", pa.string()), ("row", pa.int64()), ("declaration_id", pa.string()),
            ("item_no", pa.string()), ("recordation_id", pa.string()), ("mark", pa.string()),
            ("holder", pa.string()), ("score", pa.int64()), ("verdict", pa.string()),
            ("matched_text", pa.string()), ("reasons", pa.list_(pa.string())),
            ("reason_codes", pa.list_(pa.string())),  # additive, as in JSON
            ("run_id", pa.string()), ("hit_id", pa.int64()),  # null with --no-save
        ])
        self.writer = pq.ParquetWriter(path, self.schema)
        self.pending: list[dict] = []
        self.hit_count = 0

    def write(self, hit, line, ids: dict | None = None) -> None:
        """``ids``: the saved run's ``run_id`` and ``hit_id``, as JSON hits carry them."""
        row = hit.to_dict()
        row["reason_codes"] = list(hit.reason_codes)
        if ids:
            row.update(ids)
        self.pending.append(row)
        self.hit_count += 1
        if len(self.pending) >= self.BATCH:
            self._flush()

    def _flush(self) -> None:
        if self.pending:
            rows = [{k: r.get(k) for k in self.schema.names} for r in self.pending]
            self.writer.write_table(self.pa.Table.from_pylist(rows, schema=self.schema))
            self.pending = []

    def close(self, summary: dict | None = None) -> None:
        if self.writer is not None:
            self._flush()
            self.writer.close()
            self.writer = None
