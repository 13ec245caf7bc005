#!/usr/bin/env python3
"""Screen a labelled set with the real `ipr` command line and print the scorer's figures.

usage: python benchmarks/quality.py [SETDIR ...]   (default: every development set)

Each SETDIR holds recordations.csv, declarations.csv and labels.csv; the scorer is the
development set's own score.py (eval-dev's for a set without one; eval-dev-wild's reads
its own labels and prints each category's share flagged and flagged as hit).  A fresh
store is made for every set.
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "tests" / "data"
SCORER = DATA / "eval-dev" / "score.py"


def ipr(*args: str, env_db: str, stdout=None) -> None:
    import os

    env = {**os.environ, "IPR_DB": env_db}
    subprocess.run([sys.executable, "-m", "ipr_cli", *args], check=True, env=env, stdout=stdout, cwd=ROOT)


def screen(setdir: Path, out: Path) -> float:
    """Import the set's recordations into a fresh store, screen its declarations; seconds taken."""
    with tempfile.TemporaryDirectory() as tmp:
        db = str(Path(tmp) / "eval.db")
        ipr("recordation", "import", str(setdir / "recordations.csv"), env_db=db, stdout=subprocess.DEVNULL)
        started = time.perf_counter()
        with open(out, "w", encoding="utf-8") as f:
            ipr("check", str(setdir / "declarations.csv"), "--format", "json", "--quiet", "--no-save", env_db=db, stdout=f)
        return time.perf_counter() - started


def score(setdir: Path, out: Path) -> str:
    own = setdir / "score.py"
    if own.exists() and "usage: python score.py OUT.json" in own.read_text(encoding="utf-8"):
        args = [str(own), str(out)]  # a per-category scorer that reads its own labels
    else:
        args = [str(SCORER), str(setdir), str(out)]
    return subprocess.run([sys.executable, *args], check=True, capture_output=True, text=True).stdout


def main(argv: list[str]) -> int:
    sets = [Path(a) for a in argv] or [DATA / "eval-dev", DATA / "eval-dev-hard", DATA / "eval-dev-wild"]
    for setdir in sets:
        with tempfile.TemporaryDirectory() as tmp:
            out = Path(tmp) / "out.json"
            seconds = screen(setdir, out)
            print(f"== {setdir.name}: ipr check took {seconds:.2f} s")
            print(score(setdir, out))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
