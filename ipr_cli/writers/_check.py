"""Writers for ``ipr check``: one object per format with ``write(hit, line)`` and
``close(summary)``.  Machine formats carry exactly the SPEC fields; the summary only
goes into the formats meant for people (table, html)."""

from __future__ import annotations

import csv
import sys
import tempfile
from typing import Any, TextIO

from ipr_cli.models import HIT_FIELDS, SUPPLY_CHAIN_FIELDS, DeclarationLine, Hit
from ipr_cli.writers._text import csv_cell, dumps

# The SPEC's top-level keys before "hits", in order.
META_KEYS: tuple[str, ...] = ("schema_version", "ipr_version", "run_id", "as_of", "files")
_SPOOL_BYTES = 4 * 1024 * 1024


def hit_object(hit: Hit, line: DeclarationLine) -> dict[str, Any]:
    """The SPEC's hit object, plus (additive) ``reason_codes`` — the name of the rule
    behind each of ``reasons``, in the same order — and the line's supply-chain fields
    that it has."""
    record = hit.to_dict()
    record["reason_codes"] = list(hit.reason_codes)
    for name in SUPPLY_CHAIN_FIELDS:
        value = getattr(line, name, "")
        if value:
            record[name] = value
    return record


class CheckWriter:
    """Base class: receives hits in file/row/score order, then the run's summary."""

    def __init__(self, stream: TextIO, meta: dict[str, Any], *, color: bool | None = None, verbose: bool = False) -> None:
        self.stream = stream
        self.meta = meta
        self.color = color
        self.verbose = verbose
        self.hit_count = 0
        self.ids: dict[str, Any] | None = None

    def write(self, hit: Hit, line: DeclarationLine, ids: dict[str, Any] | None = None) -> None:
        """Write one hit; ``ids`` (``run_id``, ``hit_id``) when the run is saved in the store."""
        self.hit_count += 1
        self.ids = ids
        self._write(hit, line)

    def record(self, hit: Hit, line: DeclarationLine | None = None) -> dict[str, Any]:
        """The SPEC's hit object, plus the line's supply-chain fields that it has and
        ``run_id`` and ``hit_id`` of a saved run."""
        record = hit.to_dict() if line is None else hit_object(hit, line)
        if self.ids:
            record.update(self.ids)
        return record

    def _write(self, hit: Hit, line: DeclarationLine) -> None:
        raise NotImplementedError

    def close(self, summary: dict[str, Any]) -> None:
        """Write what remains (totals, summary) and flush; the stream stays open."""
        self.stream.flush()


class JsonLinesWriter(CheckWriter):
    """One hit object per line.  On standard output each is flushed as it goes, so a
    consumer can follow along; an ``--output`` file appears whole at the end anyway."""

    def __init__(self, stream: TextIO, meta: dict[str, Any], **kwargs: Any) -> None:
        super().__init__(stream, meta, **kwargs)
        self._follow = stream is sys.stdout

    def _write(self, hit: Hit, line: DeclarationLine) -> None:
        self.stream.write(dumps(self.record(hit, line)) + "\n")
        if self._follow:
            self.stream.flush()


class JsonWriter(CheckWriter):
    """The SPEC object.  ``lines_read`` comes before ``hits`` but is known only at the
    end, so hits are spooled (in memory, on disk past a few MB) until ``close``."""

    def __init__(self, stream: TextIO, meta: dict[str, Any], **kwargs: Any) -> None:
        super().__init__(stream, meta, **kwargs)
        self._spool = tempfile.SpooledTemporaryFile(
            max_size=_SPOOL_BYTES, mode="w+", encoding="utf-8", newline=""
        )

    def _write(self, hit: Hit, line: DeclarationLine) -> None:
        if self.hit_count > 1:
            self._spool.write(",\n")
        # Indented as json.dumps(document, indent=2) would indent a hit.
        self._spool.write("    " + dumps(self.record(hit, line), indent=2).replace("\n", "\n    "))

    def close(self, summary: dict[str, Any]) -> None:
        out = self.stream
        head = {key: self.meta.get(key) for key in META_KEYS}
        head["lines_read"] = summary.get("lines_read", 0)
        head["lines_flagged"] = summary.get("lines_flagged", 0)
        out.write("{\n")
        for key, value in head.items():
            out.write(f"  {dumps(key)}: {dumps(value, indent=2).replace(chr(10), chr(10) + '  ')},\n")
        if self.hit_count == 0:
            out.write('  "hits": []\n}\n')
        else:
            out.write('  "hits": [\n')
            self._spool.seek(0)
            while chunk := self._spool.read(64 * 1024):
                out.write(chunk)
            out.write("\n  ]\n}\n")
        self._spool.close()
        super().close(summary)


class CsvWriter(CheckWriter):
    """Header and one row per hit; every text cell neutralised against formulas."""

    def __init__(self, stream: TextIO, meta: dict[str, Any], **kwargs: Any) -> None:
        super().__init__(stream, meta, **kwargs)
        # The default dialect (RFC 4180, "\r\n"): with lineterminator="\n" the csv module
        # leaves a cell holding a bare "\r" unquoted, and readers then split the row there.
        self._csv = csv.writer(stream)
        self._csv.writerow(HIT_FIELDS)

    def _write(self, hit: Hit, line: DeclarationLine) -> None:
        record = hit.to_dict()
        self._csv.writerow([csv_cell(record[name]) for name in HIT_FIELDS])
