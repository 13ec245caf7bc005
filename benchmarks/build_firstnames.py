#!/usr/bin/env python3
"""Build ipr_cli/data/first-names.csv: given names, for the matcher's "does this
misspelling read as a name" test (EVAN is a name, as close to it as to a mark EVIAN).

usage: python benchmarks/build_firstnames.py NAMES_DIR

NAMES_DIR holds the US Census Bureau's 1990 first-name files `dist.male.first` and
`dist.female.first` (public domain; shipped, among others, in the `names` package's
source distribution on PyPI: `pip download --no-deps names==0.3.0`, unpack, use its
`names/` folder). Every name of 3-20 ASCII letters given to at least 0.005 % of
people (of either sex) is kept, lower-cased: common names, not every rare spelling.
"""
import os
import sys

FILES = ("dist.male.first", "dist.female.first")
MIN_PERCENT = 0.005


def main(argv: list[str]) -> int:
    if len(argv) != 2:
        print(__doc__.strip().splitlines()[3], file=sys.stderr)
        return 2
    names: set[str] = set()
    for name in FILES:
        with open(os.path.join(argv[1], name), encoding="ascii", errors="ignore") as f:
            for line in f:
                parts = line.split()
                if len(parts) > 1 and parts[0].isalpha() and 3 <= len(parts[0]) <= 20 \
                        and float(parts[1]) >= MIN_PERCENT:
                    names.add(parts[0].lower())
    out = os.path.join(os.path.dirname(__file__), "..", "ipr_cli", "data", "first-names.csv")
    with open(out, "w", encoding="utf-8", newline="\n") as f:
        f.write("name\n")
        for n in sorted(names):
            f.write(n + "\n")
    print(f"{len(names)} names -> {os.path.normpath(out)}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
