#!/usr/bin/env python3
"""Capture ``ipr check`` output on the development sets and fixtures, to prove a change keeps it.

usage: python benchmarks/golden.py capture DIR     write every output into DIR
       python benchmarks/golden.py compare DIR     capture again and report differences

For each set (``fixtures/``, the development sets beside the repository in
``../shared/eval-dev*``, a noisy batch from ``../shared/bench/mknoisy.py`` and a
synthetic batch from ``benchmarks/speed.py``) the recordations are imported into a
temporary store and ``ipr check --no-save -v --as-of 2026-11-15`` runs in every format
(table with ``COLUMNS`` fixed, json, jsonl, csv, html), with one and with two worker
processes for the larger sets; then every other command on the fixtures, and every
``--help``.  Run ids and run times are replaced by placeholders; additive JSON fields
(``reason_codes``) are taken out of the new output before comparing;
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
    (re.compile(r"\b20\d\d-\d\d-\d\d[T ]\d\d:\d\d(?::\d\d(?:\.\d+)?)?(?:[+-]\d\d:\d\d|Z)?"), "STAMP"),
)
# The run's duration in ``ipr runs list --format csv`` (a bare number between counts).
_CSV_DURATION = re.compile(rb"^(RUN-ID,.*,\d+,\d+,|\s*duration_s\s+)\d+(?:\.\d+)?(,\d+\r?$| )", re.M)
LIST = ("table", "json", "jsonl", "csv")
# Every other command that writes output, on the fixtures after one saved run and a few
# decisions (``--help`` of every command too: option names, flags and help must stay).
_COMMANDS = [
    ["recordation", "list", "--format", f] for f in LIST] + [
    ["recordation", "show", "KCS-TM-2021-000101", "--format", f] for f in ("table", "json")] + [
    ["recordation", "search", "nike", "--format", f] for f in LIST] + [
    ["recordation", "export", "--format", f] for f in ("csv", "json")] + [
    ["recordation", "lint", "--as-of", AS_OF, "--format", f] for f in LIST] + [
    ["runs", "list", "--format", f] for f in LIST] + [
    ["runs", "show", "latest", "--format", f] for f in ("table", "json")] + [
    ["hits", "list", "--format", f] for f in LIST] + [
    ["hits", "show", "1", "--format", f] for f in ("table", "json")] + [
    ["hits", "show", "2", "--format", f] for f in ("table", "json")] + [
    ["hits", "export", "--holder", "Nike", "--status", "all", "--format", f] for f in ("csv", "json")] + [
    ["report", "latest", "--format", f] for f in ("html", "csv", "json")] + [
    ["stats", "--format", f] for f in LIST] + [
    ["audit", "--format", f] for f in LIST] + [
    ["allow", "list", "--format", f] for f in LIST] + [
    ["deny", "list", "--format", f] for f in LIST] + [
    ["exchange", "list", "--format", f] for f in LIST] + [
    ["recordation", "list", "--format", "xml"], ["check", "x.csv", "--format", "xml"],
    ["report", "latest", "--format", "table"], ["stats", "--format", "html"],
]
_SETUP = [
    ["decide", "1", "hold", "--note", "checked"],
    ["decide", "2", "false-positive", "--note", "licensee", "--allow"],
    ["deny", "add", "--importer", "KR7001001", "--reason", "seizure 2025-118"],
]


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
        capture_commands(dest, work)
        if os.environ.get("GOLDEN_COMMANDS_ONLY"):
            return ["check sets (GOLDEN_COMMANDS_ONLY)"]
        sets, skipped = _sets(work)
        chosen = os.environ.get("GOLDEN_SETS")  # e.g. fixtures,eval-dev: only these (a quicker check)
        if chosen:
            skipped += [s[0] for s in sets if s[0] not in chosen.split(",")]
            sets = [s for s in sets if s[0] in chosen.split(",")]
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


def _help_paths() -> list[list[str]]:
    """Every command and group of ``ipr``, as argument lists."""
    import typer.main

    from ipr_cli.cli import app

    paths: list[list[str]] = []

    def walk(cmd, path):
        paths.append(path)
        for name, sub in sorted(getattr(cmd, "commands", {}).items()):
            walk(sub, path + [name])

    walk(typer.main.get_command(app), [])
    return paths


def capture_commands(dest: Path, work: Path) -> None:
    """The output of every other command on the fixtures, and every ``--help``."""
    db = work / "commands.db"
    fx = ROOT / "fixtures"
    log = []
    for args in (["recordation", "import", "recordations.csv"],
                 ["check", "declarations.csv", "--as-of", AS_OF, "--format", "json"], *_SETUP, *_COMMANDS):
        done = _ipr(args, db, fx)
        log.append(f"$ ipr {' '.join(args)}\nexit {done.returncode}\n".encode() + _CSV_DURATION.sub(rb"\1T\2", _clean(done.stdout, work))
                   + b"--- stderr\n" + _clean(done.stderr, work))
    (dest / "commands.out").write_bytes(b"\n".join(log))
    sys.path.insert(0, str(ROOT))
    helps = []
    for path in _help_paths():
        done = _ipr([*path, "--help"], db, fx)
        helps.append(f"$ ipr {' '.join(path)} --help\nexit {done.returncode}\n".encode() + done.stdout + done.stderr)
    (dest / "help.out").write_bytes(b"\n".join(helps))


# Additive fields of the JSON hit objects, taken out of the new output before comparing:
# ``reason_codes`` (the rule behind each reason, issue 16).
_ADDITIVE = re.compile(rb',\s*"reason_codes": \[[^\]]*\]')


def compare(golden: Path) -> int:
    with tempfile.TemporaryDirectory(prefix="ipr-golden-now-") as tmp:
        now = Path(tmp)
        skipped = capture(now)
        bad = 0
        names = sorted({p.name for p in golden.iterdir()} | {p.name for p in now.iterdir()})
        if os.environ.get("GOLDEN_SETS") or os.environ.get("GOLDEN_COMMANDS_ONLY"):
            names = sorted(p.name for p in now.iterdir())  # only what was captured again
        for name in names:
            a, b = golden / name, now / name
            if not a.exists() or not b.exists():
                print(f"MISSING {name}: {'before' if not a.exists() else 'after'}")
                bad += 1
                continue
            if a.read_bytes() != _ADDITIVE.sub(b"", b.read_bytes()):
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
