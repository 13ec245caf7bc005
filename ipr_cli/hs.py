"""The HS 2022 nomenclature shipped with the package (public domain, UN Comtrade)."""

from __future__ import annotations

import csv
from functools import lru_cache
from importlib import resources


@lru_cache(maxsize=1)
def rows() -> tuple[tuple[str, str, int], ...]:
    """The HS 2022 nomenclature as (code, description, level) rows, in file order."""
    out = []
    with resources.files("ipr_cli.data").joinpath("harmonized-system.csv").open(
        encoding="utf-8-sig", newline=""
    ) as f:
        for row in csv.DictReader(f):
            code = (row.get("hscode") or "").strip()
            if code.isdigit():
                out.append((code, row.get("description") or "", int(row.get("level") or 0)))
    return tuple(out)


@lru_cache(maxsize=1)
def nomenclature() -> dict[str, str]:
    """Every HS 2022 chapter, heading and subheading code mapped to its description."""
    return {code: desc for code, desc, _ in rows()}


def unknown_part(prefix: str) -> str | None:
    """The first 2-, 4- or 6-digit part of ``prefix`` that is not an HS 2022 code, if any."""
    codes = nomenclature()
    for n in (2, 4, 6):
        if len(prefix) >= n and prefix[:n] not in codes:
            return prefix[:n]
    return None


def describe(code: str) -> str:
    """The description of the longest known HS part of ``code`` ('' if none)."""
    codes = nomenclature()
    for n in (6, 4, 2):
        if len(code) >= n and code[:n] in codes:
            return codes[code[:n]]
    return ""
