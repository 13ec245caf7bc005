"""Hit ids planned while a run streams, so that output can name them before the save."""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

from ..migrations import line_key
from ..models import DeclarationLine, Hit

if TYPE_CHECKING:
    from .core import Store


class HitPlanner:
    """Hit ids for a run's hits as they are found, so that streamed output can name them.

    A line already flagged against the same recordation keeps its hit's id; a new case
    gets the next free id (checked again when the run is saved: see ``Store.save_run``).
    File digests are taken when a line without a declaration id first needs one.
    """

    def __init__(self, store: "Store") -> None:
        self.store = store
        with store.guard():
            self.first_new = int(store.conn.execute("SELECT COALESCE(MAX(hit_id), 0) FROM hits").fetchone()[0]) + 1
        self.next_id = self.first_new
        self.planned: dict[int, tuple[str, int]] = {}  # id(hit) -> (line key, hit id)
        self._cases: dict[tuple[str, str], int] = {}
        self._digests: dict[str, str] = {}
        self._hits: list[Hit] = []  # keeps every planned hit alive, so id(hit) stays unique
        self.renumbered = False

    def _digest(self, path: str) -> str:
        if path not in self._digests:
            digest = ""
            if path != "-" and os.path.isfile(path):
                import hashlib

                h = hashlib.sha256()
                with open(path, "rb") as f:
                    for block in iter(lambda: f.read(1 << 20), b""):
                        h.update(block)
                digest = h.hexdigest()
            self._digests[path] = digest
        return self._digests[path]

    def assign(self, hit: Hit, line: DeclarationLine) -> int:
        """The id ``hit`` has (or will have) in the store."""
        if hit.declaration_id.strip():
            key = line_key(hit.declaration_id, hit.item_no, None, hit.row)
        else:
            key = line_key("", "", self._digest(hit.file), hit.row)
        case = (key, hit.recordation_id)
        hit_id = self._cases.get(case)
        if hit_id is None:
            with self.store.guard():
                row = self.store.conn.execute(
                    "SELECT hit_id FROM hits WHERE line_key = ? AND recordation_id = ?", case
                ).fetchone()
            if row is not None:
                hit_id = int(row[0])
            else:
                hit_id = self.next_id
                self.next_id += 1
            self._cases[case] = hit_id
        self.planned[id(hit)] = (key, hit_id)
        self._hits.append(hit)
        return hit_id

