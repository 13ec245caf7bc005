#!/usr/bin/env python3
"""How fast ``ipr check`` screens a national day's declarations (issues 4 and 14).

usage: python benchmarks/speed.py [--quick] [--batch tidy|noisy|both] [--workers N] [--keep DIR]

Two batches, each measured against ``csv.reader`` over the same file in the same run:

* tidy: the deterministic synthetic batch described below (listings that recur, a small
  vocabulary: the per-run caches answer most look-ups);
* noisy: ``../shared/bench/mknoisy.py`` (every description new, about 15 % of words
  mistyped, model codes and sizes), screened against its 10 k recordations and against
  100 k (the same generator's longer list, of which the 10 k are the first).

For each batch it measures, on the same files:

  (a) ``ipr check FILE --format jsonl --output F --quiet --no-save`` end to end, as a
      subprocess: wall time and peak RSS (``os.wait4``: that child's own peak; with
      worker processes, the largest of the main process and its workers);
  (b) ``csv.reader`` over the same file (every row read, nothing else);
  (c) the naive screener — rapidfuzz ``process.extract`` with ``fuzz.partial_ratio`` of
      each line (description + brand) against every mark, cut-off 85 — on a 2,000-line
      sample, extrapolated linearly to the whole file;

and prints the ratios the issues' acceptance criteria name.  Sizes: 100 k and 1 M
lines against 10 k and 100 k recordations (``--quick``: 20 k and 100 k lines, 1 k and
10 k recordations, a 500-line naive sample).

The synthetic (tidy) batch
--------------------------
* Goods descriptions are drawn from the HS nomenclature text shipped with ``ipr``
  (``ipr_cli/data/harmonized-system.csv``, six-digit subheadings: the product noun of
  the heading, a qualifier of the subheading) written the way e-commerce declarations
  word them: upper or mixed case, a material or colour, a size, a pack count, a model
  code ("MEN'S T-SHIRT COTTON BLACK XL 2PCS"), sometimes a Korean product word.
* Repetition: a day's low-value consignments are dominated by the same listings sold
  many times by a few platforms, so lines pick a *listing* from a catalogue with a
  Zipf-like (s = 1.1) popularity; the catalogue holds 15 % as many listings as the file
  has lines.  Half of the lines then vary the listing (colour, size, pack count, as the
  platforms' variant pickers do), so the file still has a long tail of distinct
  descriptions; the script prints the distinct fraction of (description, brand) pairs
  it produced (about half at 100 k lines, 44 % at 1 M).
  This is deliberately less repetitive than real express-cargo data, where the top
  listings repeat far more, so that de-duplication is not flattered.
* Brands: most lines have none ("NO BRAND", "GENERIC" or empty); about 10 % carry an
  unrecorded maker's name (coined, never a recorded mark) — these reach the fuzzy
  look-ups, as the real long tail of small brands does.
* About 3 % of lines carry a recorded mark in the description or the brand column,
  exactly or disguised: digits or Cyrillic letters for Latin ones, spacing or dots,
  a typo, a doubled letter, a glued product word, a cut-short mark.
* Recordations: one list of 100 k is generated and the 1 k / 10 k sets are its prefixes,
  so every set records the marks the lines carry (these come from the first 1 k).
  Marks mix real-looking ones (English words and surnames joined, "SILVER HARBOR",
  "HALLMOND") and coined ones from syllables ("ZORVEX", "KLAVORA"); none is taken from
  the development sets.  HS scopes, validity, authorized importers/origins and price
  floors are filled in for a share of them.
"""

from __future__ import annotations

import argparse
import bisect
import csv
import itertools
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
MKNOISY = ROOT.parent / "shared" / "bench" / "mknoisy.py"
HS_FILE = ROOT / "ipr_cli" / "data" / "harmonized-system.csv"
SEED = 20261127
NAIVE_CUTOFF = 85

# ----------------------------------------------------------------------------- marks

SYLLABLES = (
    "ka ko ki zor vex lan mi ro ta bel dra ven qua tri lo ser fin gal mon pex nor vik sal dor "
    "tek zan bri cor del fa gen hal jor kel lum mar nix ol pra rin sol tor ul vor wex xan yel "
    "zim bra cle dro fle gro kra pli sto tru vla zu ne ra li sa ve po du te ax ix ox ek ar"
).split()
ENDINGS = ("", "", "", "a", "o", "ex", "ix", "on", "ia", "ora", "ent", "is", "us", "ax", "elle", "ino")
WORDS = (
    "silver harbor golden pear blue ocean north ridge stone river red maple green valley "
    "crown eagle star light iron horse white peak royal oak black swan sun bird ever bright "
    "wild fox urban trail morning dew true north lucky cat grand arch sea breeze cedar hill "
    "polar bear summit point bright path happy bee swift wave snow field amber leaf titan forge"
).split()
SURNAMES = (
    "hallmond whitcombe ashford pembrook larkin delacroix moretti fairbanks kessler holloway "
    "brennan castellano okafor lindqvist marchetti vasquez thornbury abernathy kowalski sinclair"
).split()
ORIGINS = ("CN", "CN", "CN", "HK", "VN", "US", "KR", "JP", "TR", "IT", "DE", "FR", "IN", "TH", "ID")
CURRENCIES = ("USD", "USD", "USD", "CNY", "EUR", "KRW", "JPY")
HANGUL = "가나다라마바사아자차카타파하고노도로모보소오조초코토포호구누두루무부수우주추쿠투푸후"


def coined(rnd: random.Random) -> str:
    n = rnd.choice((2, 2, 2, 3, 3))
    word = "".join(rnd.choice(SYLLABLES) for _ in range(n)) + rnd.choice(ENDINGS)
    return word.upper()


def real_looking(rnd: random.Random) -> str:
    kind = rnd.random()
    if kind < 0.45:
        return f"{rnd.choice(WORDS)} {rnd.choice(WORDS)}".upper()
    if kind < 0.7:
        return rnd.choice(SURNAMES).upper() + rnd.choice(("", "", " & CO", " SPORT", " HOME"))
    return (rnd.choice(WORDS) + rnd.choice(SYLLABLES) + rnd.choice(ENDINGS)).upper()


def make_marks(n: int, rnd: random.Random) -> list[str]:
    marks: list[str] = []
    seen: set[str] = set()
    while len(marks) < n:
        mark = coined(rnd) if rnd.random() < 0.7 else real_looking(rnd)
        key = mark.replace(" ", "")
        if len(key) < 4 or key in seen:
            continue
        seen.add(key)
        marks.append(mark)
    return marks


# ----------------------------------------------------------------------------- goods


def hs_goods() -> list[tuple[str, str]]:
    """(hs6, short description) pairs from the HS nomenclature, product noun first."""
    rows = list(csv.DictReader(open(HS_FILE, encoding="utf-8")))
    headings = {r["hscode"]: r["description"] for r in rows if r["level"] == "4"}
    out = []
    for r in rows:
        if r["level"] != "6":
            continue
        head = headings.get(r["hscode"][:4], "")
        noun = head.split(";")[0].split(",")[0].strip()
        sub = r["description"].split(";")[-1].split(",")[0].strip()
        sub = sub.replace("n.e.c.", "").replace("other than", "").strip(" ()")
        if not noun or len(noun) > 60:
            continue
        text = noun if not sub or sub.lower() in noun.lower() or len(sub) > 40 else f"{noun}, {sub}"
        out.append((r["hscode"], text))
    return out


COLOURS = ("BLACK", "WHITE", "RED", "NAVY", "GREY", "PINK", "BEIGE", "GREEN", "BLUE", "KHAKI")
MATERIALS = ("COTTON", "100% COTTON", "POLYESTER", "PU LEATHER", "STAINLESS STEEL", "PLASTIC", "ABS",
             "SILICONE", "NYLON", "WOOD", "ALUMINIUM", "GLASS", "CERAMIC", "WOOL BLEND")
SIZES = ("S", "M", "L", "XL", "XXL", "FREE SIZE", "230MM", "250MM", "500ML", "1L", "10CM", "2M", "64GB", "128GB")
PREFIXES = ("", "", "", "MEN'S ", "WOMEN'S ", "KIDS ", "NEW ", "HOT SALE ", "2026 ", "PORTABLE ")
KOREAN = ("", "", "", "", "", " 티셔츠", " 가방", " 신발", " 케이스", " 장난감", " 화장품", " 운동화")
GENERIC_BRANDS = ("", "", "", "", "", "", "NO BRAND", "GENERIC", "NONE", "N/A", "OEM", "UNBRANDED")


def listing(rnd: random.Random, goods: list[tuple[str, str]]) -> tuple[str, str]:
    hs, text = rnd.choice(goods)
    words = [rnd.choice(PREFIXES) + text]
    if rnd.random() < 0.5:
        words.append(rnd.choice(MATERIALS))
    if rnd.random() < 0.3:
        words.append(f"MODEL {rnd.choice('ABCDEFGHKMXZ')}{rnd.choice('ABCDEFGHKMXZ')}-{rnd.randint(100, 9999)}")
    desc = " ".join(words)
    desc = desc.upper() if rnd.random() < 0.75 else desc
    return hs, desc + rnd.choice(KOREAN)


def variant(rnd: random.Random, desc: str) -> str:
    r = rnd.random()
    if r < 0.5:
        return desc
    parts = [desc]
    if r < 0.8:
        parts.append(rnd.choice(COLOURS))
    if rnd.random() < 0.5:
        parts.append(rnd.choice(SIZES))
    if rnd.random() < 0.3:
        parts.append(f"{rnd.randint(1, 12)}PCS")
    return " ".join(parts)


CYRILLIC = {"A": "А", "E": "Е", "O": "О", "C": "С", "P": "Р", "X": "Х", "K": "К", "M": "М", "T": "Т"}
DIGITS = {"O": "0", "I": "1", "E": "3", "A": "4", "S": "5", "B": "8"}
AFFIXES = ("AIR", "PRO", "MAX", "SHOES", "BAG", "STYLE")


def disguise(rnd: random.Random, mark: str) -> str:
    kind = rnd.randrange(9)
    letters = list(mark)
    idx = [i for i, c in enumerate(letters) if c.isalpha()]
    if kind == 0:
        return mark
    if kind == 1:
        return mark.title()
    if kind in (2, 3):  # one letter written as a digit, or as a Cyrillic look-alike
        table = DIGITS if kind == 2 else CYRILLIC
        opts = [i for i in idx if letters[i] in table]
        if opts:
            i = rnd.choice(opts)
            letters[i] = table[letters[i]]
        return "".join(letters)
    if kind == 4:
        return " ".join(c for c in mark if c != " ")
    if kind == 5:
        return ".".join(c for c in mark if c != " ")
    if kind == 6 and len(idx) > 5:  # typo: two letters swapped
        i = rnd.choice(idx[1:-2])
        if letters[i + 1].isalpha():
            letters[i], letters[i + 1] = letters[i + 1], letters[i]
        return "".join(letters)
    if kind == 7 and idx:
        i = rnd.choice(idx[1:] or idx)
        letters.insert(i, letters[i])
        return "".join(letters)
    return mark.replace(" ", "") + rnd.choice(AFFIXES)


# ----------------------------------------------------------------------------- files


def write_recordations(path: Path, marks: list[str], goods: list[tuple[str, str]], n: int) -> None:
    rnd = random.Random(SEED + 1)
    chapters = sorted({hs[:2] for hs, _ in goods})
    with open(path, "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(["recordation_id", "mark", "holder", "aliases", "hs_scope", "valid_from", "valid_until",
                    "authorized_importers", "authorized_origins", "min_unit_value", "currency"])
        for i, mark in enumerate(marks[:n]):
            aliases = ""
            if rnd.random() < 0.03:
                aliases = "".join(rnd.choice(HANGUL) for _ in range(rnd.randint(3, 4)))
            scope = ""
            if rnd.random() < 0.6:
                scope = ";".join(rnd.sample(chapters, rnd.randint(1, 4)))
            until = "2031-12-31" if rnd.random() < 0.97 else "2025-06-30"
            importers = f"KR{rnd.randint(1_000_000, 9_999_999)}" if rnd.random() < 0.2 else ""
            origins = ";".join(rnd.sample(("US", "IT", "FR", "DE", "JP", "KR"), 2)) if rnd.random() < 0.3 else ""
            floor = str(rnd.choice((5, 20, 50, 100))) if rnd.random() < 0.3 else ""
            w.writerow([f"KCS-TM-2024-{i:06d}", mark, f"{mark.title()} Holdings", aliases, scope,
                        "2020-01-01", until, importers, origins, floor, "USD" if floor else ""])


def write_declarations(path: Path, n: int, marks: list[str], goods: list[tuple[str, str]]) -> dict:
    rnd = random.Random(SEED + 2)
    catalogue = [listing(rnd, goods) for _ in range(max(100, int(n * 0.15)))]
    # Zipf-like popularity over the catalogue (cumulative weights for bisect).
    weights = list(itertools.accumulate(1.0 / (k + 1) ** 1.1 for k in range(len(catalogue))))
    top = weights[-1]
    makers = make_marks(3000, random.Random(SEED + 3))
    recorded = {m.replace(" ", "") for m in marks}
    makers = [m for m in makers if m.replace(" ", "") not in recorded][:2000]
    # Marks carried by lines come from the first 1 k recordations (in every set).
    carried = marks[:1000]
    distinct: set[str] = set()
    marked = 0
    with open(path, "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(["declaration_id", "item_no", "date", "importer", "origin", "hs_code",
                    "description", "brand", "quantity", "value", "currency"])
        decl = 0
        item = 0
        for _ in range(n):
            if item == 0 or rnd.random() < 0.6:
                decl += 1
                item = 0
                importer = f"KR{rnd.randint(1_000_000, 9_999_999)}"
            item += 1
            k = bisect.bisect_left(weights, rnd.random() * top)
            hs, desc = catalogue[min(k, len(catalogue) - 1)]
            desc = variant(rnd, desc)
            brand = rnd.choice(GENERIC_BRANDS)
            if rnd.random() < 0.10:
                brand = rnd.choice(makers)
            if rnd.random() < 0.03:
                marked += 1
                shown = disguise(rnd, rnd.choice(carried))
                if rnd.random() < 0.5:
                    brand = shown
                else:
                    desc = f"{shown} {desc}" if rnd.random() < 0.7 else f"{desc} {shown}"
            hs_code = hs if rnd.random() < 0.85 else (hs + f"{rnd.randint(0, 9999):04d}" if rnd.random() < 0.5 else "")
            qty = rnd.randint(1, 20)
            value = f"{qty * rnd.uniform(0.5, 80):.2f}"
            distinct.add(desc + "\x00" + brand)
            w.writerow([f"{10000 + decl % 90000}-26-{decl:07d}", item, "2026-11-02", importer,
                        rnd.choice(ORIGINS), hs_code, desc, brand, qty, value, rnd.choice(CURRENCIES)])
    return {"lines": n, "distinct": len(distinct), "marked": marked}


# ----------------------------------------------------------------------------- measures


def run_ipr(args: list[str], db: Path, **kw) -> subprocess.CompletedProcess:
    env = {**os.environ, "IPR_DB": str(db)}
    return subprocess.run([sys.executable, "-m", "ipr_cli", *args], env=env, cwd=ROOT, check=True, **kw)


def measure_check(decl: Path, db: Path, out: Path, workers: int | None) -> tuple[float, float, int, float]:
    """Seconds, peak RSS (MiB) of the ``ipr check`` process and its workers, hits written,
    and the CPU seconds (user + system) of the process and its workers."""
    args = ["check", str(decl), "--format", "jsonl", "--output", str(out), "--quiet", "--no-save"]
    if workers:
        args += ["--workers", str(workers)]
    # The index cache (used from 5,000 recordations on) lives in the temp dir too:
    # cold on the first run against a store, warm on the next, as on a nightly job.
    env = {**os.environ, "IPR_DB": str(db), "IPR_CACHE_DIR": str(db.parent / "cache")}
    started = time.perf_counter()
    proc = subprocess.Popen([sys.executable, "-m", "ipr_cli", *args], env=env, cwd=ROOT)
    # wait4 gives this child's own resource usage (its peak RSS, with its worker
    # processes' largest when they are waited for: ru_maxrss of RUSAGE_CHILDREN is a max).
    _, status, usage = os.wait4(proc.pid, 0)
    seconds = time.perf_counter() - started
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode != 0:
        raise SystemExit(f"ipr check failed with exit {proc.returncode}")
    peak = usage.ru_maxrss / 1024
    with open(out, "rb") as f:
        hits = sum(1 for _ in f)
    return seconds, peak, hits, usage.ru_utime + usage.ru_stime


def measure_csv_reader(decl: Path) -> tuple[float, float]:
    """Best of three: wall seconds and CPU seconds of reading every row with ``csv.reader``."""
    best = cpu = float("inf")
    for _ in range(3):
        started, cpu_started = time.perf_counter(), time.process_time()
        with open(decl, newline="", encoding="utf-8") as f:
            for _row in csv.reader(f):
                pass
        best = min(best, time.perf_counter() - started)
        cpu = min(cpu, time.process_time() - cpu_started)
    return best, cpu


def measure_naive(decl: Path, marks: list[str], lines: int, sample: int) -> tuple[float, float]:
    """The naive screener on the first ``sample`` lines; (seconds for the sample, extrapolated)."""
    from rapidfuzz import fuzz, process, utils

    texts = []
    with open(decl, newline="", encoding="utf-8") as f:
        reader = csv.DictReader(f)
        for row in itertools.islice(reader, sample):
            texts.append(f"{row['description']} {row['brand']}")
    choices = [m for m in marks]
    started = time.perf_counter()
    for text in texts:
        process.extract(text, choices, scorer=fuzz.partial_ratio, processor=utils.default_process,
                        score_cutoff=NAIVE_CUTOFF, limit=None)
    seconds = time.perf_counter() - started
    return seconds, seconds * lines / len(texts)


def help_time() -> tuple[float, float]:
    """Best of 7: ``ipr --help`` and ``python -c "import typer"``.

    Both with their bytecode compiled, as an installed program runs: pip compiles a
    package's modules when it installs them, but an editable install's are compiled on
    first use, and never kept where PYTHONDONTWRITEBYTECODE is set (it is in some
    sandboxes): each run would then compile ipr's command modules again (~20 ms).
    """
    subprocess.run([sys.executable, "-m", "compileall", "-q", str(ROOT / "ipr_cli")], check=True)

    def best(cmd: list[str]) -> float:
        times = []
        for _ in range(7):
            started = time.perf_counter()
            subprocess.run(cmd, stdout=subprocess.DEVNULL, check=True, cwd=ROOT)
            times.append(time.perf_counter() - started)
        return min(times)
    return best([sys.executable, "-m", "ipr_cli", "--help"]), best([sys.executable, "-c", "import typer"])


def noisy_batch(tmp: Path, lines: int, rec_sizes: tuple[int, ...]) -> tuple[Path, dict[int, Path]]:
    """The noisy batch of ``lines`` lines and one recordation file per size (mknoisy.py).

    The lines are made against the smallest recordation set; a larger set is the same
    generator's longer list (its first entries are the smaller set), so that every size
    screens the very same file.
    """
    base = ROOT.parent / "shared" / "eval-dev" / "recordations.csv"
    small = min(rec_sizes)
    decl_dir = tmp / f"noisy-{lines}"
    if not (decl_dir / "declarations.csv").exists():
        subprocess.run([sys.executable, str(MKNOISY), str(base), str(decl_dir), "--lines", str(lines),
                        "--recordations", str(small)], check=True)
    recs = {small: decl_dir / "recordations.csv"}
    for n in rec_sizes:
        if n == small:
            continue
        rec_dir = tmp / f"noisy-recordations-{n}"
        if not (rec_dir / "recordations.csv").exists():
            subprocess.run([sys.executable, str(MKNOISY), str(base), str(rec_dir), "--lines", "0",
                            "--recordations", str(n)], check=True)
        recs[n] = rec_dir / "recordations.csv"
    return decl_dir / "declarations.csv", recs


def import_stores(tmp: Path, prefix: str, rec_files: dict[int, Path]) -> dict[int, Path]:
    dbs = {}
    for n, rec_file in rec_files.items():
        db = tmp / f"store-{prefix}-{n}.db"
        if not db.exists():
            run_ipr(["recordation", "import", str(rec_file)], db, stdout=subprocess.DEVNULL)
        dbs[n] = db
    return dbs


def measure_grid(name: str, tmp: Path, decls: dict[int, Path], dbs: dict[int, Path],
                 marks: list[str], naive_sample: int, workers: int | None) -> tuple[dict, dict]:
    """Screen every batch size against every store; print a row each; (results, csv times)."""
    print(f"\n== {name} batch: ipr check --format jsonl --output F --quiet --no-save; an index of "
          "5,000 recordations or more is built and cached on its first run, loaded from the cache after\n")
    hdr = (f"{'lines':>9} {'recs':>7} | {'ipr s':>7} {'lines/s':>9} {'RSS MiB':>8} {'hits':>7} | "
           f"{'csv s':>6} {'ipr/csv':>8} | {'ipr cpu':>8} {'csv cpu':>7} {'cpu/cpu':>8} | "
           f"{'naive s (extrap.)':>17} {'naive/ipr':>9}")
    print(hdr)
    print("-" * len(hdr))
    results: dict[tuple[int, int], dict] = {}
    csv_times = {n: measure_csv_reader(p) for n, p in decls.items()}
    naive_cache: dict[int, float] = {}
    for n_lines, decl in sorted(decls.items()):
        for n_recs, db in sorted(dbs.items()):
            out = tmp / f"hits-{name}-{n_lines}-{n_recs}.jsonl"
            seconds, peak, hits, cpu = measure_check(decl, db, out, workers)
            if n_recs not in naive_cache:
                naive_cache[n_recs] = measure_naive(decl, marks[:n_recs], 1, naive_sample)[1]
            naive = naive_cache[n_recs] * n_lines
            csv_s, csv_cpu = csv_times[n_lines]
            results[n_lines, n_recs] = {"s": seconds, "rss": peak, "csv": csv_s, "naive": naive,
                                        "cpu": cpu, "csv_cpu": csv_cpu}
            print(f"{n_lines:>9,} {n_recs:>7,} | {seconds:>7.2f} {n_lines / seconds:>9,.0f} {peak:>8.0f} "
                  f"{hits:>7,} | {csv_s:>6.2f} {seconds / csv_s:>8.1f} | {cpu:>8.2f} {csv_cpu:>7.2f} "
                  f"{cpu / csv_cpu:>8.1f} | {naive:>17,.0f} {naive / seconds:>9,.0f}", flush=True)
    return results, csv_times


def verdict(ok: bool) -> str:
    return "met" if ok else "NOT met"


def main(argv: list[str]) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--quick", action="store_true", help="smaller sizes, for a first look")
    ap.add_argument("--batch", choices=("tidy", "noisy", "both"), default="both", help="which batch to measure")
    ap.add_argument("--workers", type=int, default=None, help="pass --workers N to ipr check")
    ap.add_argument("--keep", metavar="DIR", help="generate the files in DIR and keep them")
    opts = ap.parse_args(argv)
    line_sizes = (20_000, 100_000) if opts.quick else (100_000, 1_000_000)
    rec_sizes = (1_000, 10_000) if opts.quick else (10_000, 100_000)
    naive_sample = 500 if opts.quick else 2_000
    if opts.batch != "tidy" and not MKNOISY.exists():
        ap.error(f"the noisy batch needs {MKNOISY} (the shared benchmark folder beside the checkout)")

    tmp = Path(opts.keep) if opts.keep else Path(tempfile.mkdtemp(prefix="ipr-speed-"))
    tmp.mkdir(parents=True, exist_ok=True)
    try:
        print(f"python {sys.version.split()[0]}, {os.cpu_count()} cores; files in {tmp}")
        t0 = time.perf_counter()
        goods = hs_goods()
        # Always the full list, so that the batches are the same in a quick run.
        marks = make_marks(100_000, random.Random(SEED))
        grids = {}
        if opts.batch in ("tidy", "both"):
            rec_files = {}
            for n in rec_sizes:
                rec_files[n] = tmp / f"recordations-{n}.csv"
                write_recordations(rec_files[n], marks, goods, n)
            dbs = import_stores(tmp, "tidy", rec_files)
            decls = {}
            for n in line_sizes:
                decls[n] = tmp / f"declarations-{n}.csv"
                stats = write_declarations(decls[n], n, marks, goods)
                print(f"tidy batch {n:>9,} lines: {stats['distinct'] / n:.0%} distinct (description, brand), "
                      f"{stats['marked'] / n:.1%} carry a recorded mark, {decls[n].stat().st_size / 1e6:.0f} MB")
            grids["tidy"] = (decls, dbs, marks)
        if opts.batch in ("noisy", "both"):
            decls = {}
            rec_files: dict[int, Path] = {}
            for n in line_sizes:
                decls[n], rec_files = noisy_batch(tmp, n, rec_sizes)
                print(f"noisy batch {n:>9,} lines (mknoisy.py), {decls[n].stat().st_size / 1e6:.0f} MB")
            dbs = import_stores(tmp, "noisy", rec_files)
            with open(rec_files[max(rec_sizes)], newline="", encoding="utf-8") as f:
                noisy_marks = [row["mark"] for row in csv.DictReader(f)]
            grids["noisy"] = (decls, dbs, noisy_marks)
        print(f"generated in {time.perf_counter() - t0:.0f} s")

        results = {name: measure_grid(name, tmp, decls, dbs, m, naive_sample, opts.workers)[0]
                   for name, (decls, dbs, m) in grids.items()}
        ipr_help, typer_import = help_time()

        big, small = max(line_sizes), min(line_sizes)
        lo, hi = min(rec_sizes), max(rec_sizes)
        print("\nAcceptance (issue 14; issue 4's naive and --help figures kept as a check):")
        limits = {"noisy": 25, "tidy": 6}
        for name, r in results.items():
            ratio = r[big, lo]["s"] / r[big, lo]["csv"]
            # CPU seconds as well: on a shared machine the wall-clock ratio moves with the
            # load; the CPU ratio (ipr's processes against csv.reader's) does not, and on
            # N idle cores the wall-clock ratio is about it divided by N.
            cpu_ratio = r[big, lo]["cpu"] / r[big, lo]["csv_cpu"]
            print(f" {name}: {big:,} lines × {lo:,} recs: ipr/csv.reader = {ratio:.1f}x "
                  f"(≤ {limits[name]})  {verdict(ratio <= limits[name])};  CPU seconds {r[big, lo]['cpu']:.1f} "
                  f"against {r[big, lo]['csv_cpu']:.2f}: {cpu_ratio:.1f}x ({cpu_ratio / (os.cpu_count() or 1):.1f}x "
                  f"per core)")
            grow_recs = r[big, hi]["s"] / r[big, lo]["s"]
            grow_cpu = r[big, hi]["cpu"] / r[big, lo]["cpu"]
            print(f" {name}: {hi:,} vs {lo:,} recs at {big:,} lines: {grow_recs:.2f}x time (≤ 1.5)  "
                  f"{verdict(grow_recs <= 1.5)};  {grow_cpu:.2f}x CPU seconds")
            peak_big, peak_small = r[big, lo]["rss"], r[small, lo]["rss"]
            worst = max(v["rss"] for v in r.values())
            grow = peak_big / peak_small - 1
            print(f" {name}: peak RSS {peak_small:.0f} MiB at {small:,} lines, {peak_big:.0f} MiB at {big:,} "
                  f"(+{grow:.0%}; ≤ +20 %), largest {worst:.0f} MiB (≤ 1024)  "
                  f"{verdict(worst <= 1024 and grow <= 0.2)}")
            print(f" {name}: naive screener / ipr = {r[big, lo]['naive'] / r[big, lo]['s']:,.0f}x (≥ 100)")
        c5 = ipr_help / typer_import
        print(f" ipr --help {ipr_help * 1000:.0f} ms, import typer {typer_import * 1000:.0f} ms (bytecode compiled): "
              f"{c5:.2f}x (≤ 1.5)  {verdict(c5 <= 1.5)}")
        print(" identical output with --workers 1 and the default: tests/test_speed_equivalence.py; "
              "development-set figures: benchmarks/quality.py")
    finally:
        if not opts.keep:
            shutil.rmtree(tmp, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
