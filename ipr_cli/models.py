"""Plain data shared by every layer: recordations, declaration lines, hits.

Frozen dataclasses (a named tuple for the declaration line, built millions of times a
night) with no behaviour beyond small derived properties, so that the
matcher, the store, the readers and the writers can exchange them without knowing
about one another.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal
from enum import Enum
from typing import NamedTuple


def hs_digits(code: str) -> str:
    """The digits of an HS code as declared: ``6403.91`` → ``640391``."""
    return code if code.isdigit() else "".join(ch for ch in code if ch.isdigit())


class Verdict(str, Enum):
    """How strongly a line is flagged: ``hit`` means hold for inspection."""

    HIT = "hit"
    REVIEW = "review"

    @property
    def rank(self) -> int:
        return 2 if self is Verdict.HIT else 1


class Status(str, Enum):
    ACTIVE = "active"
    SUSPENDED = "suspended"
    EXPIRED = "expired"


# The SPEC's recordation columns, in the canonical export order.
RECORDATION_FIELDS: tuple[str, ...] = (
    "recordation_id",
    "mark",
    "holder",
    "aliases",
    "hs_scope",
    "nice_classes",
    "registration_no",
    "valid_from",
    "valid_until",
    "status",
    "authorized_importers",
    "authorized_origins",
    "min_unit_value",
    "currency",
    "contact",
    "notes",
)
LIST_FIELDS = frozenset(
    {"aliases", "hs_scope", "nice_classes", "authorized_importers", "authorized_origins"}
)

# Limits on what a recordation may hold.  Matching work grows with the square of a
# form's length (its deletion neighbourhood) times its cut-short forms: one mark of
# 3,000 characters made every later check need more than 8 GiB.  Registered word marks
# are far shorter than these.
MARK_MAX_CHARS = 100      # a mark, and each alias
ALIASES_MAX = 50          # aliases of one recordation
# Prices per unit (min_unit_value) lie within 0 .. this; beyond it a number is a typo.
MONEY_MAX = 10 ** 12


@dataclass(frozen=True)
class Recordation:
    """A trademark recorded with customs by its holder."""

    recordation_id: str
    mark: str
    holder: str
    valid_until: dt.date
    aliases: tuple[str, ...] = ()
    hs_scope: tuple[str, ...] = ()
    nice_classes: tuple[int, ...] = ()
    registration_no: str = ""
    valid_from: dt.date | None = None
    status: Status = Status.ACTIVE
    authorized_importers: tuple[str, ...] = ()
    authorized_origins: tuple[str, ...] = ()
    min_unit_value: Decimal | None = None
    currency: str = ""
    contact: str = ""
    notes: str = ""

    def in_force(self, on: dt.date) -> bool:
        """True when the recordation is active and ``on`` lies within its validity."""
        if self.status is not Status.ACTIVE:
            return False
        if self.valid_from is not None and on < self.valid_from:
            return False
        return on <= self.valid_until

    def status_on(self, day: dt.date) -> str:
        """The status as it stands on ``day``: an active recordation whose ``valid_until``
        has passed is ``expired`` whatever the stored status says."""
        if self.status is Status.ACTIVE and self.valid_until < day:
            return Status.EXPIRED.value
        return self.status.value

    def covers_hs(self, hs_code: str) -> bool:
        """True when ``hs_code`` falls under the HS scope (an empty scope covers all)."""
        scope = self.hs_scope
        if not scope:
            return True
        code = hs_digits(hs_code)
        if code.startswith(scope if scope.__class__ is tuple else tuple(scope)):
            return True
        # A code shorter than a scope entry is covered when it begins that entry.
        n = len(code)
        if n >= 2:
            for entry in scope:
                if len(entry) > n and entry.startswith(code):
                    return True
        return False

    def to_record(self) -> dict[str, str]:
        """The recordation as flat strings, in SPEC column order (lists joined by ``;``)."""
        out: dict[str, str] = {}
        for name in RECORDATION_FIELDS:
            value = getattr(self, name)
            if name in LIST_FIELDS:
                out[name] = ";".join(str(v) for v in value)
            elif isinstance(value, Enum):
                out[name] = value.value
            elif value is None:
                out[name] = ""
            elif isinstance(value, dt.date):
                out[name] = value.isoformat()
            else:
                out[name] = str(value)
        return out


class DeclarationLine(NamedTuple):
    """One line of an import declaration, as read from a file.

    A named tuple rather than a frozen dataclass: a nightly batch builds millions of
    them, and a tuple is built in a tenth of the time.
    """

    file: str
    row: int
    description: str
    declaration_id: str = ""
    item_no: str = ""
    date: dt.date | None = None
    importer: str = ""
    origin: str = ""
    hs_code: str = ""
    brand: str = ""
    quantity: Decimal | None = None
    value: Decimal | None = None
    currency: str = ""
    # Supply-chain fields (optional; partner intelligence matches on them, exchange sends them).
    exporter: str = ""
    transport_document: str = ""
    container: str = ""
    port_of_loading: str = ""

    @property
    def unit_value(self) -> Decimal | None:
        if self.value is None or not self.quantity:
            return None
        return self.value / self.quantity


# The optional supply-chain fields of a line, kept with its hits (additive JSON fields).
SUPPLY_CHAIN_FIELDS: tuple[str, ...] = ("exporter", "transport_document", "container", "port_of_loading")
# The fields of a declaration line, in the order of its columns (and of every listing of a line).
DECLARATION_FIELDS: tuple[str, ...] = (
    "declaration_id", "item_no", "date", "importer", "origin", "hs_code", "description", "brand", "quantity",
    "value", "currency", *SUPPLY_CHAIN_FIELDS,
)
# The SPEC's hit object, in order (also the CSV columns of ``ipr check``).
HIT_FIELDS: tuple[str, ...] = ("file", "row", "declaration_id", "item_no", "recordation_id", "mark", "holder",
                               "score", "verdict", "matched_text", "reasons")


@dataclass(frozen=True)
class Hit:
    """A declaration line flagged against one recordation, with the why."""

    file: str
    row: int
    declaration_id: str
    item_no: str
    recordation_id: str
    mark: str
    holder: str
    score: int
    verdict: Verdict
    matched_text: str
    reasons: tuple[str, ...] = ()
    # Where the matched text stands, for highlighting: which field and the span in it.
    field: str = "description"
    span: tuple[int, int] | None = None
    # The named rule behind each of ``reasons`` (``scorer.Reason.name``: "typo", "origin",
    # "unit_value"…), in the same order; empty for a hit read back from the store.
    reason_codes: tuple[str, ...] = ()

    def to_dict(self) -> dict:
        """The SPEC's hit object (``schema_version`` 1)."""
        return {
            "file": self.file,
            "row": self.row,
            "declaration_id": self.declaration_id,
            "item_no": self.item_no,
            "recordation_id": self.recordation_id,
            "mark": self.mark,
            "holder": self.holder,
            "score": self.score,
            "verdict": self.verdict.value,
            "matched_text": self.matched_text,
            "reasons": list(self.reasons),
        }


@dataclass
class Suppression:
    """An allow-list entry: lines of this importer (and origin) are not flagged."""

    recordation_id: str
    importer: str
    origin: str = ""
    until: dt.date | None = None
    reason: str = ""


@dataclass
class DenyEntry:
    """A deny-list entry: lines of this importer weigh more."""

    importer: str
    recordation_id: str = ""
    reason: str = ""


@dataclass
class ScreeningContext:
    """Everything besides recordations that changes how a line is judged."""

    allow: list[Suppression] = field(default_factory=list)
    deny: list[DenyEntry] = field(default_factory=list)
