"""Ranked fuzzy look-up of recordations, for a liaison who half-remembers a name."""

from __future__ import annotations

from collections.abc import Sequence

from .models import Recordation


def search_recordations(
    recordations: Sequence[Recordation], text: str, *, limit: int = 10, cutoff: float = 60.0
) -> list[tuple[Recordation, int, str]]:
    """Recordations whose mark, alias or holder is like ``text``: (recordation, score, what matched)."""
    from anyascii import anyascii
    from rapidfuzz import fuzz, process, utils

    choices: list[str] = []
    owners: list[int] = []
    for i, rec in enumerate(recordations):
        for name in (rec.mark, *rec.aliases, rec.holder):
            choices.append(name)
            owners.append(i)

    def key(s: str) -> str:
        return utils.default_process(anyascii(s))

    query = key(text)
    best: dict[int, tuple[float, str]] = {}
    for choice, score, idx in process.extract(
        query, [key(c) for c in choices], scorer=fuzz.WRatio, score_cutoff=cutoff, limit=None
    ):
        owner = owners[idx]
        if owner not in best or score > best[owner][0]:
            best[owner] = (score, choices[idx])
    ranked = sorted(best.items(), key=lambda item: (-item[1][0], recordations[item[0]].recordation_id))
    return [(recordations[i], round(score), matched) for i, (score, matched) in ranked[:limit]]
