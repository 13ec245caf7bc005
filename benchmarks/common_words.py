#!/usr/bin/env python3
"""Common English words near a recorded mark, each on a line in that mark's HS scope:
how many does `ipr check` flag?  (issue 13, criterion 4)

usage: python benchmarks/common_words.py [--top N] [--skip K] [SETDIR ...]
       (default: the 30,000 most frequent English words; both development sets)

The package's own list of frequent words (ipr_cli/data/frequent-words.csv) holds the
50,000 most frequent: `--top 80000 --skip 50000` measures words it does not hold.

Takes the N most frequent English words (the `wordfreq` package, a test dependency),
keeps those one or two typing edits (optimal string alignment, letters only) from a
mark of the sets' recordations, and writes one line per (word, mark):
`WORD ASSORTED GOODS`, with an HS code inside that mark's scope, dated inside its
validity, from no authorized importer.  One `ipr check` screens them all; it prints
the share flagged at all and the share flagged as `hit`, and the words flagged.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "tests" / "data"
SETS = (DATA / "eval-dev", DATA / "eval-dev-hard")
COLUMNS = ["declaration_id", "item_no", "date", "importer", "origin", "hs_code", "description", "brand",
           "quantity", "value", "currency"]


def frequent_words(top: int, skip: int = 0) -> list[str]:
    """The ``top`` most frequent English words but the first ``skip``, ASCII letters only, upper case."""
    from wordfreq import top_n_list

    return [w.upper() for w in top_n_list("en", top)[skip:] if w.isascii() and w.isalpha() and len(w) >= 2]


def _letters(text: str) -> str:
    return "".join(ch for ch in text.upper() if ch.isascii() and ch.isalpha())


def _hs_codes() -> list[str]:
    from ipr_cli import hs

    return sorted(code for code, _, level in hs.rows() if len(code) == 6)


def near_pairs(recordations: list[dict], words: list[str]) -> list[tuple[str, dict]]:
    """(word, recordation) for every word one or two edits from the recordation's mark."""
    from rapidfuzz.distance import OSA
    from rapidfuzz.process import extract

    active = [r for r in recordations if r["status"] in ("", "active") and _letters(r["mark"])]
    marks = [_letters(r["mark"]) for r in active]
    pairs = []
    for word in words:
        for _, dist, i in extract(word, marks, scorer=OSA.distance, score_cutoff=2, limit=None):
            if 1 <= dist <= 2:
                pairs.append((word, active[i]))
    return pairs


def write_lines(pairs: list[tuple[str, dict]], path: Path) -> None:
    """One declaration line per pair: the word, plain goods words, an HS code in scope."""
    codes = _hs_codes()
    with open(path, "w", encoding="utf-8", newline="") as f:
        w = csv.writer(f)
        w.writerow(COLUMNS)
        for n, (word, rec) in enumerate(pairs):
            prefixes = [p.strip() for p in rec["hs_scope"].split(";") if p.strip()]
            code = ""
            if prefixes:
                code = next((c for c in codes if c.startswith(prefixes[0][:6])), "")
            date = max(rec["valid_from"] or "2026-01-01", "2026-01-01")
            w.writerow([f"CW{n:07d}", 1, date, "KR0000001", "", code, f"{word} ASSORTED GOODS", "",
                        1, "100.00", "USD"])


def screen(recordation_files: list[Path], lines: Path) -> list[dict]:
    """Import the recordations into a fresh store and screen ``lines``; the hits."""
    with tempfile.TemporaryDirectory() as tmp:
        env = {**os.environ, "IPR_DB": str(Path(tmp) / "cw.db")}
        for f in recordation_files:
            subprocess.run([sys.executable, "-m", "ipr_cli", "recordation", "import", str(f)], check=True, env=env,
                           stdout=subprocess.DEVNULL, cwd=ROOT)
        out = subprocess.run([sys.executable, "-m", "ipr_cli", "check", str(lines), "--format", "json", "--quiet",
                              "--no-save"], env=env, capture_output=True, text=True, cwd=ROOT)
        if out.returncode not in (0, 1):
            raise SystemExit(out.stderr)
        return json.loads(out.stdout)["hits"]


def measure(sets=SETS, top: int = 30_000, workdir: Path | None = None, skip: int = 0) -> dict:
    """Build the lines for ``sets`` and screen them: counts, shares and the words flagged."""
    recordations: dict[str, dict] = {}
    files = []
    for setdir in sets:
        files.append(setdir / "recordations.csv")
        for r in csv.DictReader(open(setdir / "recordations.csv", encoding="utf-8-sig")):
            recordations.setdefault(r["recordation_id"], r)
    pairs = near_pairs(list(recordations.values()), frequent_words(top, skip))
    with tempfile.TemporaryDirectory() as tmp:
        where = Path(workdir or tmp)
        lines = where / "common-words.csv"
        write_lines(pairs, lines)
        # One store for all sets: the second import of a shared recordation is skipped.
        hits = screen(files[:1] if len(files) == 1 else _merged(files, where), lines)
    flagged = {int(h["row"]) for h in hits}
    as_hit = {int(h["row"]) for h in hits if h["verdict"] == "hit"}
    return {
        "lines": len(pairs),
        "flagged": len(flagged),
        "hit": len(as_hit),
        "flagged_share": len(flagged) / max(1, len(pairs)),
        "hit_share": len(as_hit) / max(1, len(pairs)),
        "examples": sorted({f'{pairs[r - 1][0]}→{h["mark"]} {h["verdict"]} {h["score"]}'
                            for h in hits for r in [int(h["row"])]}),
    }


def _merged(files: list[Path], where: Path) -> list[Path]:
    """The recordation files as one file with each recordation once."""
    seen: set[str] = set()
    out = where / "recordations.csv"
    with open(out, "w", encoding="utf-8", newline="") as f:
        writer = None
        for path in files:
            for r in csv.DictReader(open(path, encoding="utf-8-sig")):
                if r["recordation_id"] in seen:
                    continue
                seen.add(r["recordation_id"])
                if writer is None:
                    writer = csv.DictWriter(f, fieldnames=list(r))
                    writer.writeheader()
                writer.writerow(r)
    return [out]


def main(argv: list[str]) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--top", type=int, default=30_000)
    ap.add_argument("--skip", type=int, default=0,
                    help="leave out the SKIP most frequent words (e.g. 50000: words beyond the list the package ships)")
    ap.add_argument("sets", nargs="*", type=Path)
    a = ap.parse_args(argv)
    m = measure(tuple(a.sets) or SETS, a.top, skip=a.skip)
    print(f"common words near a mark: {m['lines']} lines; flagged {m['flagged_share']:.4f} ({m['flagged']}), "
          f"as hit {m['hit_share']:.4f} ({m['hit']})")
    for e in m["examples"][:40]:
        print("  ", e)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
