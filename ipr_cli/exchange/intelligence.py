"""Partner intelligence: what partners seized, applied to the hits of a check."""

from __future__ import annotations

import dataclasses
import re
import sqlite3
from collections.abc import Iterable, Iterator, Sequence
from functools import lru_cache
from pathlib import Path

from rapidfuzz.fuzz import ratio as _ratio  # (C++: a few microseconds a pair)
from rapidfuzz.process import extractOne as _extract_one

from ..models import DeclarationLine, Hit
from ..normalize import fold, plain
from ..store import Store
from .package import CONTAINER_BONUS, EXPORTER_BONUS, EXPORTER_SIMILARITY, MAX_BONUS, ROUTE_BONUS


# Legal-form words, after folding: abbreviations mapped to one spelling, so that
# ``CO., LTD`` and ``COMPANY LIMITED`` read alike; then left out of the comparison.
_LEGAL_SPELLING = {
    "co": "company", "cie": "company", "corp": "corporation", "inc": "incorporated", "incorp": "incorporated",
    "ltd": "limited", "ltda": "limited", "lim": "limited", "intl": "international", "int'l": "international",
    "mfg": "manufacturing", "mfr": "manufacturing", "trdg": "trading", "trd": "trading", "ind": "industrial",
    "pte": "private", "pvt": "private", "plc": "plc", "llc": "llc", "gmbh": "gmbh", "bhd": "berhad",
    "sdn": "sendirian", "imp": "import", "exp": "export", "and": "&",
}
_LEGAL_FORMS = frozenset({
    "company", "limited", "corporation", "incorporated", "private", "plc", "llc", "llp", "gmbh", "ag", "sa",
    "sarl", "sas", "srl", "spa", "bv", "nv", "kg", "oy", "ab", "as", "kk", "berhad", "sendirian", "pty",
    "the", "&", "jsc", "ojsc", "pjsc", "ooo", "zao", "sro", "sp", "zoo",
})
_NAME_WORD = re.compile(r"&|[^\W_]+")


@lru_cache(maxsize=50_000)
def company_key(name: str) -> str:
    """A company name as compared: folded, punctuation gone, legal forms left out
    (``Shenzhen Huaxing Trading CO., LTD`` and ``SHENZHEN HUAXING TRADING COMPANY LIMITED``
    give ``shenzhen huaxing trading``)."""
    text = fold(name).replace(".", "").replace("'", "")
    words = [_LEGAL_SPELLING.get(w, w) for w in _NAME_WORD.findall(text)]
    core = [w for w in words if w not in _LEGAL_FORMS]
    return " ".join(core or words)


_NOT_ALNUM = re.compile(r"[\W_]+")


@lru_cache(maxsize=50_000)
def _plain_code(text: str) -> str:
    """A container number or port code as compared: letters and digits, upper case."""
    return _NOT_ALNUM.sub("", text.upper())


@dataclasses.dataclass(frozen=True)
class _Seizure:
    partner: str
    date: str
    mark: str


def _latest(seizures: Iterable[_Seizure]) -> tuple[_Seizure, ...]:
    """The most recent seizure of each partner, by partner."""
    out: dict[str, _Seizure] = {}
    for s in seizures:
        if s.partner not in out or s.date > out[s.partner].date:
            out[s.partner] = s
    return tuple(out[p] for p in sorted(out))




class _MarkIntel:
    """A partner's seizures for one mark, indexed by exporter, container and route
    (for each, the latest seizure of each partner)."""

    def __init__(self, rows: Iterable) -> None:
        exporters: dict[str, list[_Seizure]] = {}
        containers: dict[str, list[_Seizure]] = {}
        routes: dict[tuple[str, str], list[_Seizure]] = {}
        for partner, date, mark, exporter, container, port, origin in rows:
            seizure = _Seizure(partner, date, mark)
            if exporter and (key := company_key(exporter)):
                exporters.setdefault(key, []).append(seizure)
            if container and (key := _plain_code(container)):
                containers.setdefault(key, []).append(seizure)
            if port and (key := _plain_code(port)):
                routes.setdefault((key, (origin or "").upper()), []).append(seizure)
        self.exporters = {k: _latest(v) for k, v in exporters.items()}
        self.containers = {k: _latest(v) for k, v in containers.items()}
        self.routes = {k: _latest(v) for k, v in routes.items()}
        # Fuzzy comparison is a token-sort ratio: the words of each name sorted once here.
        self._sorted = {" ".join(sorted(k.split())): k for k in self.exporters}
        self._choices = list(self._sorted)
        self._fuzzy: dict[str, tuple[_Seizure, ...]] = {}

    def by_exporter(self, name: str) -> tuple[_Seizure, ...]:
        """The latest seizures of an exporter of the same name, or nearly (one or two typos)."""
        key = company_key(name)
        if not key:
            return ()
        found = self.exporters.get(key)
        if found is not None:
            return found
        if len(key) < 8 or not self._choices:  # a short name must be the same name
            return ()
        found = self._fuzzy.get(key)
        if found is None:
            query = " ".join(sorted(key.split()))
            best = _extract_one(query, self._choices, scorer=_ratio, score_cutoff=EXPORTER_SIMILARITY)
            found = self.exporters[self._sorted[best[0]]] if best else ()
            if len(self._fuzzy) < 10_000:
                self._fuzzy[key] = found
        return found


class PartnerIntelligence:
    """Partners' confirmed seizures applied to the hits of a check (see :meth:`apply`).

    Seizures are read from the store per mark, when a hit for that mark first needs
    them: a check whose lines carry no exporter, container or port costs nothing more.
    """

    def __init__(self, path: Path, partner_ids: frozenset[str] = frozenset()) -> None:
        self.path = path
        self.partner_ids = partner_ids
        self._conn: sqlite3.Connection | None = None
        self._marks: dict[str, _MarkIntel] = {}

    @classmethod
    def load(cls, store: Store, partner_recordations: Sequence = ()) -> "PartnerIntelligence | None":
        """The store's partner intelligence, or ``None`` when there is none to apply."""
        with store.guard():
            any_seizure = store.conn.execute(
                "SELECT 1 FROM partner_outcomes WHERE decision IN ('hold', 'seized') LIMIT 1"
            ).fetchone()
        ids = frozenset(r.recordation_id for r in partner_recordations)
        if any_seizure is None and not ids:
            return None
        return cls(store.path, ids)

    def close(self) -> None:
        if self._conn is not None:
            self._conn.close()
            self._conn = None

    def _mark(self, mark: str) -> _MarkIntel:
        key = plain(mark)
        intel = self._marks.get(key)
        if intel is None:
            if self._conn is None:
                self._conn = sqlite3.connect(Path(self.path).resolve().as_uri() + "?mode=ro", uri=True)
            rows = self._conn.execute(
                "SELECT partner, date, mark, exporter, container, port_of_loading, origin FROM partner_outcomes"
                " WHERE mark_key = ? AND decision IN ('hold', 'seized')", (key,)
            ).fetchall()
            intel = self._marks[key] = _MarkIntel(rows)
        return intel

    def refined(self, screened: Iterable[tuple[DeclarationLine, list[Hit]]]) -> Iterator[tuple[DeclarationLine, list[Hit]]]:
        """``(line, hits)`` of a check, each line's hits through :meth:`apply`.

        Applied to what screening yields (locally, on a cluster, or re-screened), so the
        matcher and the run's counts are untouched: intelligence changes a hit's score
        and reasons, never its verdict or whether the line is flagged.
        """
        try:
            for line, hits in screened:
                yield line, list(self.apply(line, hits))
        finally:
            self.close()

    def apply(self, line: DeclarationLine, hits: Sequence[Hit]) -> Sequence[Hit]:
        """``hits`` with partner intelligence: a finding whose line shares its exporter
        (compared as names), container or route with a partner's seizure for the same
        mark scores more and names the seizure; a hit on a partner's recordation names
        the partner.  The verdict is left as the matcher judged it."""
        if not hits or not (line.exporter or line.container or line.port_of_loading or self.partner_ids):
            return hits
        out = []
        for hit in hits:
            reasons: list[str] = []
            codes: list[str] = []  # the rule behind each reason (reason_codes)
            if hit.recordation_id in self.partner_ids:
                partner = hit.recordation_id.split(":", 1)[0]
                reasons.append(f"recorded by {partner} customs (partner recordation), not here")
                codes.append("partner_recordation")
            bonus = 0
            if line.exporter or line.container or line.port_of_loading:
                bonus = _seizure_reasons(line, self._mark(hit.mark), reasons, codes)
            if not reasons:
                out.append(hit)
                continue
            score = min(100, hit.score + min(bonus, MAX_BONUS))
            out.append(dataclasses.replace(hit, score=score, reasons=(*hit.reasons, *reasons),
                                           reason_codes=(*hit.reason_codes, *codes)))
        out.sort(key=lambda h: (-h.score, h.recordation_id))
        return out


def _seizure_reasons(line: DeclarationLine, intel: _MarkIntel, reasons: list[str],
                     codes: list[str]) -> int:
    """Add to ``reasons`` (and their rule names to ``codes``) the partners' seizures of this mark that share the line's exporter,
    container or route; return the bonus they earn (before the ``MAX_BONUS`` cap)."""
    bonus = 0
    if line.exporter and intel.exporters:
        seized = intel.by_exporter(line.exporter)
        for s in seized:
            reasons.append(f"exporter seized by {s.partner} customs on {s.date} for {s.mark}")
            codes.append("partner_exporter")
        bonus += EXPORTER_BONUS if seized else 0
    if line.container and intel.containers:
        box = _plain_code(line.container)
        seized = intel.containers.get(box, ())
        for s in seized:
            reasons.append(f"container {box} seized by {s.partner} customs on {s.date} for {s.mark}")
            codes.append("partner_container")
        bonus += CONTAINER_BONUS if seized else 0
    if line.port_of_loading and intel.routes:
        port = _plain_code(line.port_of_loading)
        origin = line.origin.upper()
        seized = intel.routes.get((port, origin), ())
        where = port + (f" (origin {origin})" if origin else "")
        for s in seized:
            reasons.append(f"route from {where} seized by {s.partner} customs on {s.date} for {s.mark}")
            codes.append("partner_route")
        bonus += ROUTE_BONUS if seized else 0
    return bonus
