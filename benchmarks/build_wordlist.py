#!/usr/bin/env python3
"""Build ipr_cli/data/english-words.csv: common English words, for the matcher's
"is this a dictionary word" test (PUMPS is a word, so it is not a disguised mark PUMO).

usage: python benchmarks/build_wordlist.py [DICT_DIR]

DICT_DIR holds the SCOWL word lists as shipped by Debian's wamerican and wbritish
packages (default /usr/share/dict; `apt-get download wamerican wbritish` and
`dpkg -x` them anywhere). Only lower-case entries (common words, not proper names)
of 2-20 ASCII letters are kept; possessives are dropped.

SCOWL is Copyright 2000-2011 by Kevin Atkinson; permission to use, copy, modify,
distribute and sell these word lists, the associated scripts, the output created
from the scripts, and its documentation for any purpose is hereby granted without
fee, provided that the above copyright notice appears in all copies and that both
that copyright notice and this permission notice appear in supporting documentation.
"""
import os
import sys

FILES = ("american-english", "british-english")


def main(argv: list[str]) -> int:
    src = argv[1] if len(argv) > 1 else "/usr/share/dict"
    words: set[str] = set()
    for name in FILES:
        with open(os.path.join(src, name), encoding="utf-8", errors="ignore") as f:
            for line in f:
                w = line.strip()
                if w.isascii() and w.isalpha() and w.islower() and 2 <= len(w) <= 20:
                    words.add(w)
    out = os.path.join(os.path.dirname(__file__), "..", "ipr_cli", "data", "english-words.csv")
    with open(out, "w", encoding="utf-8", newline="\n") as f:
        f.write("word\n")
        for w in sorted(words):
            f.write(w + "\n")
    print(f"{len(words)} words -> {os.path.normpath(out)}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
