#!/usr/bin/env python3
"""Build ipr_cli/data/frequent-words.csv: the most frequent English words of everyday
text, for the matcher's noisy-channel step (a misspelt word as close to a common word,
a name or a place as to a mark is read as that word mistyped, not as the mark).

usage: python benchmarks/build_frequent_words.py [--top N]   (default 50,000)

Source: the `wordfreq` package (a test and benchmark dependency only, never needed at
run time): its English list of the N most frequent words, lower case, ASCII letters
only, three to twenty letters.  wordfreq's data is by Robyn Speer and contributors,
licensed CC BY-SA 4.0; the generated list keeps that licence (see ipr_cli/data/README.md).
"""
import argparse
import os
import sys


def main(argv: list[str]) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--top", type=int, default=50_000)
    a = ap.parse_args(argv)
    from wordfreq import top_n_list

    words = sorted({w for w in top_n_list("en", a.top) if w.isascii() and w.isalpha() and 3 <= len(w) <= 20})
    out = os.path.join(os.path.dirname(__file__), "..", "ipr_cli", "data", "frequent-words.csv")
    with open(out, "w", encoding="utf-8", newline="\n") as f:
        f.write("word\n")
        for w in words:
            f.write(w + "\n")
    print(f"{len(words)} words -> {os.path.normpath(out)}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
