#!/usr/bin/env python3
"""Capture ``ipr check`` output on the development sets and fixtures, to prove a change keeps it.

usage: python benchmarks/golden.py capture DIR     write every output into DIR
       python benchmarks/golden.py compare DIR     capture again and report differences

For each set (``fixtures/``, the development sets beside the repository in
``../shared/eval-dev*``, a noisy batch from ``../shared/bench/mknoisy.py`` and a
synthetic batch from ``benchmarks/speed.py``) the recordations are imported into a
temporary store and ``ipr check --no-save -v --as-of 2026-11-15`` runs in every format
(table with ``COLUMNS`` fixed, json, jsonl, csv, html), with one and with two worker
processes for the larger sets.  Run ids and run times are replaced by placeholders;
everything else must be byte-identical.  Sets whose data is absent are skipped, and
the run says which.
"""

from __future__ import annotations

import difflib
import os
import random
import re
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# The shared data sets beside the repository (``$IPR_SHARED`` elsewhere).
SHARED = Path(os.environ.get("IPR_SHARED") or ROOT / ".." / "shared")
FORMATS = ("table", "json", "jsonl", "csv", "html")
AS_OF = "2026-11-15"
_VOLATILE = (
    (re.compile(r"\b\d{8}-\d{6}-[0-9a-f]{6}\b"), "RUN-ID"),
    (re.compile(r"(Time\s+)\d+(?:\.\d+)? (m?s) *│"), r"\1T \2 │"),
    (re.compile(r'"duration_s": [0-9.]+'), '"duration_s": T'),
)


def _ipr(args: list[str], db: Path, cwd: Path) -> subprocess.CompletedProcess:
    """``ipr ARGS`` of this tree, run in ``cwd`` (files named relative to it, so that
    the output does not depend on where the tree or the data lie)."""
    env = dict(os.environ, IPR_DB=str(db), COLUMNS="160", NO_COLOR="1", IPR_CACHE_DIR=str(db.parent / "cache"),
               PYTHONPATH=str(ROOT))
    env.pop("IPR_FORMAT", None)
    return subprocess.run([sys.executable, "-m", "ipr_cli", *args], env=env, capture_output=True, cwd=cwd)


def _clean(data: bytes, work: Path | None = None) -> bytes:
    text = data.decode("utf-8", "replace")
    if work is not None:
        text = text.replace(str(work), "TMP")  # generated sets live in a new directory each run
    for pattern, repl in _VOLATILE:
        text = pattern.sub(repl, text)
    return text.encode("utf-8")


def _sets(work: Path) -> tuple[list[tuple[str, Path, Path, tuple[str, ...], tuple[int, ...]]], list[str]]:
    """(name, recordations, declarations, formats, worker counts) of each set; the skipped."""
    sets = [("fixtures", ROOT / "fixtures" / "recordations.csv", ROOT / "fixtures" / "declarations.csv",
             FORMATS, (1,))]
    skipped = []
    for name in ("eval-dev", "eval-dev-hard", "eval-dev-wild"):
        d = SHARED / name
        if (d / "declarations.csv").exists():
            sets.append((name, d / "recordations.csv", d / "declarations.csv", FORMATS, (1, 2)))
        else:
            skipped.append(f"{name} (no {d})")
    mknoisy = SHARED / "bench" / "mknoisy.py"
    if mknoisy.exists() and (SHARED / "eval-dev" / "recordations.csv").exists():
        out = work / "noisy"
        subprocess.run([sys.executable, str(mknoisy), str(SHARED / "eval-dev" / "recordations.csv"), str(out),
                        "--lines", "20000", "--recordations", "3000"], check=True, capture_output=True)
        sets.append(("noisy", out / "recordations.csv", out / "declarations.csv", ("jsonl", "table"), (1, 2)))
    else:
        skipped.append("noisy (no shared/bench/mknoisy.py)")
    sys.path.insert(0, str(ROOT / "benchmarks"))
    import speed

    goods = speed.hs_goods()
    marks = speed.make_marks(100_000, random.Random(speed.SEED))
    rec = work / "speed-recordations.csv"
    decl = work / "speed-declarations.csv"
    speed.write_recordations(rec, marks, goods, 2_000)
    speed.write_declarations(decl, 30_000, marks, goods)
    sets.append(("speed", rec, decl, ("jsonl", "csv"), (1, 2)))
    return sets, skipped


def capture(dest: Path) -> list[str]:
    dest.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="ipr-golden-") as tmp:
        work = Path(tmp)
        sets, skipped = _sets(work)
        for name, rec, decl, formats, workers in sets:
            db = work / f"{name}.db"
            done = _ipr(["recordation", "import", rec.name], db, rec.parent)
            (dest / f"{name}.import.out").write_bytes(_clean(done.stdout + done.stderr, work))
            for fmt in formats:
                for n in workers:
                    done = _ipr(["check", decl.name, "--no-save", "-v", "--as-of", AS_OF, "--format", fmt,
                                 "--workers", str(n)], db, decl.parent)
                    base = dest / f"{name}.{fmt}.j{n}"
                    base.with_suffix(base.suffix + ".out").write_bytes(_clean(done.stdout, work))
                    base.with_suffix(base.suffix + ".err").write_bytes(
                        _clean(done.stderr, work) + f"exit {done.returncode}\n".encode())
    return skipped


def compare(golden: Path) -> int:
    with tempfile.TemporaryDirectory(prefix="ipr-golden-now-") as tmp:
        now = Path(tmp)
        skipped = capture(now)
        bad = 0
        names = sorted({p.name for p in golden.iterdir()} | {p.name for p in now.iterdir()})
        for name in names:
            a, b = golden / name, now / name
            if not a.exists() or not b.exists():
                print(f"MISSING {name}: {'before' if not a.exists() else 'after'}")
                bad += 1
                continue
            if a.read_bytes() != b.read_bytes():
                bad += 1
                print(f"DIFFERS {name}")
                diff = difflib.unified_diff(a.read_text(errors="replace").splitlines(),
                                            b.read_text(errors="replace").splitlines(), lineterm="", n=1)
                for line in list(diff)[:12]:
                    print("   ", line[:300])
        print(f"{len(names)} outputs compared, {bad} differ" + (f"; skipped: {', '.join(skipped)}" if skipped else ""))
        return 1 if bad else 0


def main(argv: list[str]) -> int:
    if len(argv) != 2 or argv[0] not in ("capture", "compare"):
        print(__doc__.split("\n\n")[1], file=sys.stderr)
        return 2
    if argv[0] == "capture":
        skipped = capture(Path(argv[1]))
        print(f"captured into {argv[1]}" + (f"; skipped: {', '.join(skipped)}" if skipped else ""))
        return 0
    return compare(Path(argv[1]))


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
