#!/usr/bin/env python3
"""Hostile input, the long run (issue 19, acceptance 3): Hypothesis-generated files fed to
``ipr`` until the count is reached, counting every outcome.

usage: python benchmarks/hostile.py [--inputs 100000] [--minutes 80] [--long-lines 40]

Inputs are drawn from the strategies of ``tests/robustness/test_hostile_input.py`` (the
suite runs a fixed sample of each): five in ten are declaration files given to
``ipr check`` (any bytes; CSV, JSON and XLSX shapes; numbers out of range; long
look-alike descriptions), two in ten recordation files given to ``ipr recordation
import`` (and ``--dry-run``), one in ten well-formed recordation files of hostile values
(over-long marks, thousands of aliases, prices of 1e27), two in ten exchange packages
given to ``ipr exchange import`` (valid packages of hostile content, most validly signed
with a partner key made in this run and trusted by the receiving store, some signed
with another key or not at all, some cut, bit-flipped or with raw JSON spliced in:
4,301-digit numbers, 100,000-deep nesting, lone surrogates).  A package imported (exit 0)
is followed by a check meeting what it holds (``--with-partner-recordations``); a package
refused (exit 2) must leave the partner tables, the packages and the audit trail as they
were.  The receiving store starts again from a copy every 200 packages.

Every input must end in exit 0 or 2 with no traceback (never 4, "a bug").  Measured and
printed: inputs tried, failures, peak RSS of this process (every command runs inside
it, so this bounds any one of them), the longest a single line took to screen (each
call of the matcher is timed, in CPU time: on a shared machine wall time measures the
neighbours; the checks run with one process so that the search is timed too) and, on
top, the worst of ``--long-lines`` lines of up to 1 MB of look-alike tokens read and
screened against 10,000 marks.  The figures must stay within 1 GiB and 1 s a line; the
script exits 1 when they do not.  Each command starts with ipr's memoising caches
empty (its caches of texts; the word lists stay loaded), as a new process would, and Hypothesis runs in rounds of ``--round`` inputs (it
remembers every input of a round).  ``--minutes`` stops early (the count reached is
printed): the machine may be shared.  Several runs may share the work: ``--seed``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import random
import resource
import shutil
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT / "tests" / "robustness"), str(ROOT / "tests"), str(ROOT / "benchmarks")]


class TimeUp(BaseException):
    """Raised inside a Hypothesis run to end it early (not an Exception: it is not a failure)."""


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--inputs", type=int, default=100_000)
    parser.add_argument("--minutes", type=float, default=80.0)
    parser.add_argument("--long-lines", type=int, default=40)
    parser.add_argument("--round", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=None)
    args = parser.parse_args(argv)

    work = Path(tempfile.mkdtemp(prefix="ipr-hostile-"))
    os.environ.update(IPR_DB=str(work / "check.db"), NO_COLOR="1", COLUMNS="200", XDG_DATA_HOME=str(work / "xdg"),
                      IPR_CACHE_DIR=str(work / "cache"))
    os.environ.pop("IPR_DEBUG", None)

    import typer.main
    from click.testing import CliRunner
    from hypothesis import HealthCheck, Phase, given, seed, settings
    from hypothesis import strategies as st

    import test_hostile_input as H
    from ipr_cli.cli import app
    from ipr_cli.matching import matcher as matcher_mod
    from ipr_cli.models import RECORDATION_FIELDS

    command = typer.main.get_command(app)  # built once: rebuilding it is most of a small run
    runner = CliRunner()

    # ipr's memoising caches of texts (not its loaders of word lists and tables, which
    # hold the same whatever the input), emptied before each command as in a new process.
    # (Looked for again whenever a module was imported: most of ipr is imported lazily.)
    caches: list = []
    modules_seen = [0]

    def find_caches() -> None:
        if len(sys.modules) != modules_seen[0]:
            modules_seen[0] = len(sys.modules)
            caches[:] = [f for name, module in list(sys.modules.items()) if name.startswith("ipr_cli")
                         for f in vars(module).values() if callable(getattr(f, "cache_clear", None))
                         and hasattr(f, "cache_info") and (f.cache_info().maxsize or 1 << 30) > 64]

    def ipr(*a: object):
        find_caches()
        for f in caches:
            f.cache_clear()
        return runner.invoke(command, [str(x) for x in a], catch_exceptions=True)

    # Each line's screening timed (workers are off: the search runs in this process).
    worst_line = [0.0, "", 0.0]  # CPU seconds, what, wall seconds
    screen = matcher_mod.Matcher.screen

    def timed(self, line, *rest, **kw):
        started, wall = time.thread_time(), time.perf_counter()
        try:
            return screen(self, line, *rest, **kw)
        finally:
            spent = time.thread_time() - started
            if spent > worst_line[0]:
                worst_line[:] = [spent, f"{len(line.description):,}-character description",
                                 time.perf_counter() - wall]

    matcher_mod.Matcher.screen = timed

    assert ipr("recordation", "import", ROOT / "fixtures" / "recordations.csv").exit_code == 0
    imports_db = work / "imports.db"
    counts = {"declaration files": 0, "recordation files": 0, "recordation rows": 0, "exchange packages": 0}
    exits: dict[str, dict[int, int]] = {k: {} for k in [*counts, "checks after an import"]}
    failures: list[str] = []
    deadline = time.monotonic() + args.minutes * 60
    started = time.monotonic()
    worst_input = [0.0, ""]  # CPU seconds of one whole command, what
    peak = [0.0, "", 0.0]  # peak RSS MiB so far; the command that raised it most, by how much

    def outcome(result, what: str, path: Path, spent: float, kind: str, extra: str = "") -> None:
        exits[kind][result.exit_code] = exits[kind].get(result.exit_code, 0) + 1
        text = (result.stderr if hasattr(result, "stderr") else "") + (result.output or "")
        # (Exit 4 is "Internal error"; the words alone may be data echoed in a message:
        # Hypothesis draws strings from the source it runs, and once drew "Internal error".)
        bad = result.exit_code not in (0, 2) or "Traceback (most recent call last)" in text
        if result.exception is not None and not isinstance(result.exception, SystemExit):
            bad = True
            text += f"\n{type(result.exception).__name__}: {result.exception}"
        if extra:
            bad, text = True, text + "\n" + extra
        if bad and len(failures) < 50:
            keep = work / f"failure-{len(failures)}{path.suffix}"
            path.replace(keep)
            failures.append(f"{what}: exit {result.exit_code} ({keep}): {text.strip()[-400:]}")
        elif bad:
            failures.append(what)
        if spent > worst_input[0]:
            worst_input[:] = [spent, what]
            if path.exists():
                shutil.copyfile(path, work / f"worst-time{path.suffix}")
        rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        if rss - peak[0] > peak[2]:  # the input that raised the peak most, kept to reproduce it
            peak[1:] = [what, rss - peak[0]]
            if path.exists():
                shutil.copyfile(path, work / f"peak-rss{path.suffix}")
        peak[0] = max(peak[0], rss)

    def tick() -> None:
        done = sum(counts.values())
        if done % 2000 == 0:
            rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
            print(f"  {done:,} inputs, {len(failures)} failures, worst line {worst_line[0]:.3f} s, "
                  f"peak RSS {rss:.0f} MiB, {time.monotonic() - started:.0f} s", file=sys.stderr, flush=True)
        if time.monotonic() > deadline:
            raise TimeUp

    def run_settings(n: int):
        return settings(max_examples=min(n, args.round), deadline=None, database=None, phases=[Phase.generate],
                        suppress_health_check=list(HealthCheck))

    files = work / "files"
    files.mkdir()
    share = {"declaration files": 5, "recordation files": 2, "recordation rows": 1, "exchange packages": 2}
    quota = {k: args.inputs * v // 10 for k, v in share.items()}
    quota["declaration files"] += args.inputs - sum(quota.values())

    @run_settings(quota["declaration files"])
    @given(data=H.hostile_bytes(H.DECLARATION_HEADERS), name=st.sampled_from(H.NAMES),
           fmt=st.sampled_from(["table", "json", "jsonl", "csv", "html"]))
    def declarations(data, name, fmt):
        counts["declaration files"] += 1
        path = files / name
        path.write_bytes(data)
        t = time.process_time()
        result = ipr("check", path, "--format", fmt, "--no-save", "--workers", "1")
        outcome(result, f"check {name} ({len(data):,} bytes)", path, time.process_time() - t, "declaration files")
        tick()

    @run_settings(quota["recordation files"])
    @given(data=H.hostile_bytes(list(RECORDATION_FIELDS)), name=st.sampled_from(["r.csv", "r.json", "r.jsonl", "r"]),
           dry=st.booleans())
    def recordation_files(data, name, dry):
        counts["recordation files"] += 1
        path = files / name
        path.write_bytes(data)
        t = time.process_time()
        result = ipr("--db", imports_db, "recordation", "import", path, *(["--dry-run"] if dry else []))
        outcome(result, f"import {name} ({len(data):,} bytes)", path, time.process_time() - t, "recordation files")
        tick()

    @run_settings(quota["recordation rows"])
    @given(rows=H.recordation_rows())
    def recordation_rows(rows):
        counts["recordation rows"] += 1
        path = files / "rows.csv"
        H.recordation_csv(path, rows)
        t = time.process_time()
        result = ipr("--db", imports_db, "recordation", "import", path)
        outcome(result, "import rows.csv", path, time.process_time() - t, "recordation rows")
        tick()

    # The receiving store (KR): recordations, its own key, and the partner's key made in this run trusted.
    exchange_db, exchange_template = work / "exchange.db", work / "exchange-template.db"
    assert ipr("--db", exchange_template, "recordation", "import", ROOT / "fixtures" / "recordations.csv").exit_code == 0
    assert ipr("--db", exchange_template, "exchange", "keygen", "--admin", H.EXCHANGE_RECEIVER,
               "--output", work / "KR.pub").exit_code == 0
    H.write_exchange_public_key(work / "FR.pub")
    assert ipr("--db", exchange_template, "exchange", "trust", H.EXCHANGE_SENDER, work / "FR.pub").exit_code == 0

    @run_settings(quota["exchange packages"])
    @given(data=H.exchange_packages())
    def exchange_packages(data):
        n = counts["exchange packages"]
        counts["exchange packages"] += 1
        if n % 200 == 0:  # a fresh receiving store now and then: the partner tables stay small to compare
            for suffix in ("-wal", "-shm"):
                Path(str(exchange_db) + suffix).unlink(missing_ok=True)
            shutil.copyfile(exchange_template, exchange_db)
        path = files / "package.json"
        path.write_bytes(data)
        before = H.partner_state(exchange_db)
        t = time.process_time()
        result = ipr("--db", exchange_db, "exchange", "import", path)
        spent = time.process_time() - t
        extra = ""
        if result.exit_code == 2 and H.partner_state(exchange_db) != before:
            extra = "refused, but the partner tables, packages or audit trail changed"
        outcome(result, f"exchange import ({len(data):,} bytes)", path, spent, "exchange packages", extra)
        if result.exit_code == 0 and not extra:  # what was imported, met by a check
            decl = files / "after.csv"
            decl.write_text(H.declaration_after(data), encoding="utf-8", errors="surrogatepass")
            t = time.process_time()
            result = ipr("--db", exchange_db, "check", decl, "--with-partner-recordations", "--no-save",
                         "--format", "json", "--workers", "1")
            outcome(result, "check after an exchange import", path if path.exists() else decl,
                    time.process_time() - t, "checks after an import")
        tick()

    print(f"Hostile inputs: up to {args.inputs:,} in {args.minutes:g} minutes (work dir {work})", file=sys.stderr)
    rnd_rounds = random.Random(args.seed)
    runs = {"declaration files": declarations, "recordation files": recordation_files,
            "recordation rows": recordation_rows, "exchange packages": exchange_packages}
    try:
        while True:  # rounds of each kind in turn, in proportion, so that a stop early leaves a fair mix
            behind = [k for k in runs if counts[k] < quota[k]]
            if not behind:
                break
            kind = min(behind, key=lambda k: counts[k] / quota[k])
            before = counts[kind]
            seed(rnd_rounds.getrandbits(64))(runs[kind])()  # a new round: Hypothesis forgets the last
            if counts[kind] == before:
                quota[kind] = 0
    except TimeUp:
        pass

    # One line of up to 1 MB of look-alike tokens, against 10,000 marks.
    long_worst = [0.0, 0]
    if args.long_lines:
        import speed

        from ipr_cli.matching import Matcher
        from ipr_cli.models import Recordation
        from ipr_cli.readers import DeclarationReader

        rnd = random.Random(19)
        marks = speed.make_marks(10_000, rnd)
        matcher = Matcher([Recordation(f"R{i}", m, "H", dt.date(2035, 1, 1)) for i, m in enumerate(marks)])
        for k in range(args.long_lines):
            size = rnd.choice([1_000, 5_000, 50_000, 1_000_000])
            words, n = [], 0
            while n < size:
                mark = rnd.choice(marks).replace(" ", "")
                at = rnd.randrange(len(mark))
                word = mark[:at] + rnd.choice("AEIOU0137X") + mark[at + 1:] if k % 2 else mark
                words.append(word)
                n += len(word) + 1
            path = files / "long.csv"
            path.write_text("description\n" + " ".join(words)[:size] + "\n", encoding="utf-8")
            t = time.process_time()
            with DeclarationReader(str(path)) as reader:
                for line in reader:
                    screen(matcher, line, dt.date(2026, 1, 1))
            spent = time.process_time() - t
            if spent > long_worst[0]:
                long_worst[:] = [spent, size]

    elapsed = time.monotonic() - started
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    total = sum(counts.values())
    print(f"hostile inputs tried: {total:,} ({', '.join(f'{v:,} {k}' for k, v in counts.items())}) "
          f"in {elapsed / 60:.1f} min, every command in this process through Click's runner")
    for kind, codes in exits.items():
        print(f"exit codes, {kind}: " + (", ".join(f"{k}: {v:,}" for k, v in sorted(codes.items())) or "none"))
    print(f"failures (exit other than 0/2, or a traceback): {len(failures)}")
    for f in failures[:20]:
        print("  " + f)
    print(f"worst time per line (one matcher call, CPU): {worst_line[0]:.3f} s ({worst_line[1]}; "
          f"{worst_line[2]:.3f} s wall on this machine)")
    print(f"worst whole command (CPU): {worst_input[0]:.3f} s ({worst_input[1]})")
    if args.long_lines:
        print(f"worst line of look-alike tokens against 10,000 marks ({args.long_lines} lines up to 1 MB, read and "
              f"screened, CPU): {long_worst[0]:.3f} s (a {long_worst[1]:,}-character line)")
    print(f"peak RSS: {rss:.0f} MiB (raised most, by {peak[2]:.0f} MiB, by: {peak[1]}; that input and the slowest are kept in {work})")
    ok = not failures and rss <= 1024 and worst_line[0] <= 1.0 and long_worst[0] <= 1.0
    print("PASS" if ok else "FAIL")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
