#!/usr/bin/env python3
"""Build a noisy, high-entropy declaration batch for measuring speed and false flags.

(A copy of the shared bench/mknoisy.py, reading the HS nomenclature the package ships:
the same seed gives the same batch.  tests/test_reading_noisy.py uses it.)

Real declaration text is not the tidy, repetitive wording of a tariff book: it carries
typing errors, model codes, sizes, colours, piece counts and words in other scripts, and
almost every description is unique.  This script writes such a batch:

  declarations.csv  N lines; wording from the HS nomenclature, every word of four or more
                    letters mistyped with probability --typo (one letter replaced), a model
                    code on every line, sizes, colours, counts, Korean and Chinese words;
                    about --marked of the lines carry a recorded mark (plain, case-changed,
                    leet or spaced) with an HS code in that mark's scope
  labels.csv        row, kind (marked / unmarked), recordation_id of the planted mark
  recordations.csv  the given recordations, padded to --recordations with coined marks

usage: mknoisy.py RECORDATIONS.csv OUTDIR [--lines 1000000] [--recordations 10000]
                  [--typo 0.15] [--marked 0.03] [--seed 1]

Deterministic for a given seed.  Score a run with score_noisy.py.
"""
import argparse
import csv
import pathlib
import random
import string

HERE = pathlib.Path(__file__).resolve().parent
HS_CSV = HERE.parent / "ipr_cli" / "data" / "harmonized-system.csv"  # (the same file as shared/data/hs)

COLOURS = "BLACK WHITE RED NAVY GREY BEIGE KHAKI OLIVE PINK TEAL".split()
KOREAN = "남성용 여성용 아동용 운동화 가방 시계 화장품 부품 세트 신품".split()
CHINESE = "男士 女士 儿童 运动鞋 手袋 手表 化妆品 配件 套装 新款".split()
SYLLABLES = "ba ko mi ru se ta vo ne li pa du ki zo re ma fu no sa te gi".split()
LEET = str.maketrans({"O": "0", "I": "1", "E": "3", "A": "4", "S": "5"})


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("recordations")
    ap.add_argument("outdir")
    ap.add_argument("--lines", type=int, default=1_000_000)
    ap.add_argument("--recordations", dest="n_recordations", type=int, default=10_000)
    ap.add_argument("--typo", type=float, default=0.15)
    ap.add_argument("--marked", type=float, default=0.03)
    ap.add_argument("--seed", type=int, default=1)
    a = ap.parse_args()
    rnd = random.Random(a.seed)
    out = pathlib.Path(a.outdir)
    out.mkdir(parents=True, exist_ok=True)

    hs = [r for r in csv.DictReader(open(HS_CSV, encoding="utf-8-sig")) if r["level"] == "6"]
    recs = list(csv.DictReader(open(a.recordations, encoding="utf-8-sig")))
    fields = list(recs[0].keys())
    seen = {r["mark"].upper() for r in recs}
    while len(recs) < a.n_recordations:
        mark = "".join(rnd.choice(SYLLABLES) for _ in range(rnd.randint(2, 4))).upper()
        if mark in seen:
            continue
        seen.add(mark)
        r = dict.fromkeys(fields, "")
        r.update(recordation_id=f"COIN-{len(recs):06d}", mark=mark, holder=f"{mark.title()} Ltd",
                 hs_scope=rnd.choice(hs)["hscode"][:4], valid_from="2024-01-01",
                 valid_until="2031-12-31", status="active")
        recs.append(r)
    recs = recs[:a.n_recordations]
    with open(out / "recordations.csv", "w", newline="", encoding="utf-8") as f:
        w = csv.DictWriter(f, fieldnames=fields)
        w.writeheader()
        w.writerows(recs)

    plantable = [r for r in recs if r["status"] in ("", "active") and r["hs_scope"]
                 and not r["authorized_origins"] and not r["authorized_importers"]
                 and r["valid_from"] <= "2026-11-20" < r["valid_until"] and len(r["mark"]) >= 4]

    def typo(word):
        if len(word) < 4 or not word.isalpha() or rnd.random() >= a.typo:
            return word
        i = rnd.randrange(len(word))
        return word[:i] + rnd.choice(string.ascii_uppercase) + word[i + 1:]

    def disguise(mark):
        kind = rnd.choice(["plain", "plain", "case", "leet", "spaced"])
        if kind == "case":
            return mark.title()
        if kind == "leet":
            return mark.translate(LEET)
        if kind == "spaced" and " " not in mark:
            return " ".join(mark)
        return mark

    with open(out / "declarations.csv", "w", newline="", encoding="utf-8") as f, \
         open(out / "labels.csv", "w", newline="", encoding="utf-8") as g:
        w = csv.writer(f)
        lw = csv.writer(g)
        w.writerow(["declaration_id", "item_no", "date", "importer", "origin", "hs_code",
                    "description", "brand", "quantity", "value", "currency"])
        lw.writerow(["row", "kind", "recordation_id"])
        for i in range(a.lines):
            h = rnd.choice(hs)
            words = h["description"].upper().replace(";", " ").replace(",", " ").split()[:10]
            desc = [typo(x) for x in words[:rnd.randint(2, 7)]]
            desc.append(f"{rnd.choice(string.ascii_uppercase)}{rnd.choice(string.ascii_uppercase)}-{rnd.randint(100, 99999)}")
            if rnd.random() < 0.5:
                desc.append(f"SIZE {rnd.choice(['S', 'M', 'L', 'XL', str(rnd.randint(30, 46))])}")
            if rnd.random() < 0.5:
                desc.append(rnd.choice(COLOURS))
            if rnd.random() < 0.15:
                desc.append(rnd.choice(KOREAN))
            if rnd.random() < 0.10:
                desc.append(rnd.choice(CHINESE))
            if rnd.random() < 0.30:
                desc.append(f"{rnd.randint(1, 999)} PCS")
            code = h["hscode"] if rnd.random() < 0.8 else ""
            label = ("unmarked", "")
            if plantable and rnd.random() < a.marked:
                r = rnd.choice(plantable)
                desc.insert(rnd.randint(0, 1), disguise(r["mark"].upper()))
                prefix = rnd.choice([p for p in r["hs_scope"].split(";") if p])
                codes = [x["hscode"] for x in hs if x["hscode"].startswith(prefix[:6])]
                code = rnd.choice(codes) if codes else ""
                label = ("marked", r["recordation_id"])
            w.writerow([f"N{i // 4:09d}", i % 4 + 1, "2026-11-20", f"KR{rnd.randint(0, 9999999):07d}",
                        rnd.choice(["CN", "VN", "HK", "TR", "IN", "US", "IT"]), code, " ".join(desc), "",
                        rnd.randint(1, 500), f"{rnd.random() * 5000:.2f}", "USD"])
            lw.writerow([i + 1, *label])


if __name__ == "__main__":
    main()
