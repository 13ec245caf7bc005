"""One screening run: read declaration files, match each line, count what happened.

The CLI drives this and picks the writer; nothing here prints or touches Typer.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field

from .models import DeclarationLine, Hit, Recordation, ScreeningContext, Verdict


@dataclass
class FileInfo:
    path: str
    sha256: str = ""
    lines: int = 0


@dataclass
class Summary:
    """Counts of one run, filled in while it goes."""

    files: list[FileInfo] = field(default_factory=list)
    lines_read: int = 0
    lines_flagged: int = 0
    by_verdict: dict[str, int] = field(default_factory=lambda: {"hit": 0, "review": 0})
    suppressed: int = 0
    suppressed_hits: list[Hit] = field(default_factory=list)
    problems: list[tuple[str, int, str, str]] = field(default_factory=list)
    duration_s: float = 0.0

    @property
    def skipped(self) -> int:
        return len({(p[0], p[1]) for p in self.problems})

    def as_dict(self) -> dict:
        return {
            "lines_read": self.lines_read,
            "lines_flagged": self.lines_flagged,
            "by_verdict": dict(self.by_verdict),
            "skipped": self.skipped,
            "suppressed": self.suppressed,
            "problems": list(self.problems),
            "duration_s": round(self.duration_s, 3),
        }


def sha256_of(path: str) -> str:
    if path == "-":
        return ""
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def screen_files(
    files: Sequence[str],
    recordations: Sequence[Recordation],
    *,
    as_of: dt.date,
    context: ScreeningContext | None = None,
    min_score: int = 0,
    encoding: str | None = None,
    columns: dict[str, str] | None = None,
    strict: bool = False,
    summary: Summary,
    progress: Callable[[str, int, int | None], None] | None = None,
) -> Iterator[tuple[DeclarationLine, list[Hit]]]:
    """Yield ``(line, hits)`` for every flagged line, in file and row order.

    All files are opened (and their columns checked) before the first line is
    screened, so a bad second file fails the run before any output.
    """
    from .matching import Matcher
    from .readers import DeclarationReader

    started = time.perf_counter()
    readers = [DeclarationReader(path, encoding=encoding, columns=columns, strict=strict) for path in files]
    matcher = Matcher(recordations, context=context)
    for path, reader in zip(files, readers):
        info = FileInfo(path=path, sha256=sha256_of(path))
        summary.files.append(info)
        for line in reader:
            screening = matcher.screen(line, as_of)
            summary.lines_read += 1
            info.lines += 1
            if screening.suppressed:
                summary.suppressed += 1
                summary.suppressed_hits.extend(screening.suppressed)
            hits = [h for h in screening.hits if h.score >= min_score]
            if hits:
                summary.lines_flagged += 1
                for h in hits:
                    summary.by_verdict[h.verdict.value] += 1
                yield line, hits
            if progress is not None and summary.lines_read % 512 == 0:
                progress(path, reader.bytes_read, reader.bytes_total)
        summary.problems.extend((p.file, p.row, p.field, p.message) for p in reader.problems)
        if progress is not None:
            progress(path, reader.bytes_read, reader.bytes_total)
    summary.duration_s = time.perf_counter() - started


def worst_verdict(summary: Summary) -> Verdict | None:
    if summary.by_verdict.get("hit"):
        return Verdict.HIT
    if summary.by_verdict.get("review"):
        return Verdict.REVIEW
    return None
