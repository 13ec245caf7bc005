"""One screening run: read declaration files, match each line, count what happened.

The CLI drives this and picks the writer; nothing here prints or touches Typer.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import os
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field

from .gctuning import collections_rare, cycle_collector_paused, freeze, unfrozen_after
from .models import DeclarationLine, Hit, Recordation, ScreeningContext, Verdict
from .readers import CUT_MARK, MATCH_CHARS

CUT_AT_LEAST = MATCH_CHARS - 100  # a cut description is at least this long


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
    problems: list[tuple[str, int, str, str]] = field(default_factory=list)  # the first few of each file
    problems_total: int = 0
    problem_rows: int = 0
    warnings: list[str] = field(default_factory=list)  # about the files' columns, for the user
    duration_s: float = 0.0

    @property
    def skipped(self) -> int:
        """Rows with a problem (skipped, or kept without a bad field)."""
        return self.problem_rows or len({(p[0], p[1]) for p in self.problems})

    def as_dict(self) -> dict:
        return {
            "lines_read": self.lines_read,
            "lines_flagged": self.lines_flagged,
            "by_verdict": dict(self.by_verdict),
            "skipped": self.skipped,
            "suppressed": self.suppressed,
            "problems": list(self.problems),
            "problems_total": max(self.problems_total, len(self.problems)),
            "duration_s": round(self.duration_s, 3),
        }


def new_run_id() -> str:
    """``20261127-203009-1a2b3c``: the local time the run started and six random hex digits."""
    import uuid

    return dt.datetime.now().strftime("%Y%m%d-%H%M%S-") + uuid.uuid4().hex[:6]


def _now() -> str:
    from .store import now

    return now()


@dataclass
class Run:
    """One run of ``ipr check``: what it screened, with which options, and its counts.

    Built when the run starts (the id names the run in the output before it is saved);
    ``record()`` is the row the store keeps once the run is over.
    """

    as_of: dt.date
    files: list[str]
    options: dict
    recordations_revision: int = 0
    summary: Summary = field(default_factory=Summary)
    run_id: str = field(default_factory=new_run_id)
    started_at: str = field(default_factory=_now)

    def meta(self) -> dict:
        """The head of the SPEC's JSON object (and of the other formats)."""
        from . import __version__

        return {"schema_version": 1, "ipr_version": __version__, "run_id": self.run_id,
                "as_of": self.as_of.isoformat(), "files": list(self.files)}

    def record(self) -> dict:
        """The run as the store saves it (``Store.save_run``), finished now."""
        summary = self.summary
        return {
            "run_id": self.run_id,
            "started_at": self.started_at,
            "finished_at": _now(),
            "as_of": self.as_of.isoformat(),
            "files": [vars(f) for f in summary.files],
            "options": dict(self.options),
            "recordations_revision": self.recordations_revision,
            "lines_read": summary.lines_read,
            "lines_flagged": summary.lines_flagged,
            "hits": summary.by_verdict["hit"],
            "reviews": summary.by_verdict["review"],
            "suppressed": summary.suppressed,
            "skipped": summary.skipped,
            "duration_s": round(summary.duration_s, 3),
        }


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
    workers: int | None = None,
    cache_dir: str | None = None,
    matcher_hook: Callable | None = None,
    header_row: int | None = None,
) -> Iterator[tuple[DeclarationLine, list[Hit]]]:
    """Yield ``(line, hits)`` for every flagged line, in file and row order.

    All files are opened (and their columns checked) before the first line is
    screened, so a bad second file fails the run before any output.  ``workers``
    processes (default: one per available core) search the text of large batches;
    the result is the same with any number of them.  ``cache_dir``: where the index
    of a large set of recordations may be kept between runs.  ``matcher_hook``: called
    with the matcher once it is built (see rescreen.py).
    """
    from .matching import Batches, Matcher
    from .matching.batch import PARALLEL_BYTES
    from .readers import DeclarationReader

    started = time.perf_counter()
    readers = [DeclarationReader(path, encoding=encoding, columns=columns, strict=strict, header_row=header_row)
               for path in files]
    summary.warnings.extend(w for reader in readers for w in reader.warnings)
    batches = None
    with collections_rare(), unfrozen_after():  # millions of objects, no reference cycles: see gctuning
        try:
            with cycle_collector_paused():
                matcher = Matcher(recordations, context=context, cache_dir=cache_dir)
                if matcher_hook is not None:
                    matcher_hook(matcher)
                # The register and the index last as long as the run: frozen, the collector
                # never scans them again (nor touches them in the workers, which share them
                # copy-on-write).
                freeze()
            batches = Batches(matcher, default_workers() if workers is None else workers)
            for path, reader in zip(files, readers):
                large = (reader.bytes_total or 0) >= PARALLEL_BYTES
                yield from _screen_file(path, reader, batches.screened(reader, as_of, large),
                                        min_score, summary, progress)
        finally:
            if batches is not None:
                batches.close()
    summary.duration_s = time.perf_counter() - started


def _screen_file(path, reader, screened, min_score, summary, progress):
    """Count one file's lines and flags into ``summary``; yield its flagged lines."""
    info = FileInfo(path=path)
    summary.files.append(info)
    for count, flagged in screened:
        summary.lines_read += count
        info.lines += count
        for line, screening in flagged:  # seldom: most lines carry no mark
            if screening.suppressed:
                summary.suppressed += 1
                summary.suppressed_hits.extend(screening.suppressed)
            hits = [h for h in screening.hits if h.score >= min_score]
            if hits and line.description.endswith(CUT_MARK) and len(line.description) > CUT_AT_LEAST:
                hits = [_cut_reason(h) for h in hits]
            if hits:
                summary.lines_flagged += 1
                for h in hits:
                    summary.by_verdict[h.verdict.value] += 1
                yield line, hits
        if progress is not None:
            progress(path, reader.bytes_read, reader.bytes_total)
    summary.problems.extend((p.file, p.row, p.field, p.message) for p in reader.problems)
    summary.problems_total += reader.problem_count
    summary.problem_rows += reader.problem_rows
    info.sha256 = reader.sha256()
    if progress is not None:
        progress(path, reader.bytes_read, reader.bytes_total)


def _cut_reason(hit: Hit) -> Hit:
    """The hit of a line whose description was cut for matching (see readers.MATCH_CHARS), saying so."""
    why = f"description cut: only its first {MATCH_CHARS:,} characters were screened"
    return dataclasses.replace(hit, reasons=(*hit.reasons, why), reason_codes=(*hit.reason_codes, "description_cut"))


def worst_verdict(summary: Summary) -> Verdict | None:
    if summary.by_verdict.get("hit"):
        return Verdict.HIT
    if summary.by_verdict.get("review"):
        return Verdict.REVIEW
    return None


# ----------------------------------------------------------------------------- workers


def default_cache_dir() -> str:
    """``$IPR_CACHE_DIR``, else ``$XDG_CACHE_HOME/ipr``, else ``~/.cache/ipr``."""
    chosen = os.environ.get("IPR_CACHE_DIR")
    if chosen:
        return os.path.expanduser(chosen)
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return os.path.join(base, "ipr")


def default_workers() -> int:
    """One worker per core this process may run on."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except (AttributeError, OSError):
        return max(1, os.cpu_count() or 1)
