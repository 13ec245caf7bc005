"""One screening run: read declaration files, match each line, count what happened.

The CLI drives this and picks the writer; nothing here prints or touches Typer.
"""

from __future__ import annotations

import collections
import datetime as dt
import gc
import itertools
import multiprocessing
import operator
import os
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field

from .gctuning import collections_rare, cycle_collector_paused
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
) -> Iterator[tuple[DeclarationLine, list[Hit]]]:
    """Yield ``(line, hits)`` for every flagged line, in file and row order.

    All files are opened (and their columns checked) before the first line is
    screened, so a bad second file fails the run before any output.  ``workers``
    processes (default: one per available core) search the text of large batches;
    the result is the same with any number of them.  ``cache_dir``: where the index
    of a large set of recordations may be kept between runs.
    """
    from .matching import Matcher
    from .readers import DeclarationReader

    started = time.perf_counter()
    readers = [DeclarationReader(path, encoding=encoding, columns=columns, strict=strict) for path in files]
    pool = None
    with collections_rare():  # millions of objects, no reference cycles: see gctuning
        try:
            with cycle_collector_paused():
                matcher = Matcher(recordations, context=context, cache_dir=cache_dir)
                # The register and the index last as long as the run: frozen, the collector
                # never scans them again (nor touches them in the workers, which share them
                # copy-on-write).
                gc.freeze()
            pool = _Workers(matcher, default_workers() if workers is None else workers)
            yield from _screen_readers(files, readers, matcher, pool, as_of, min_score, summary, progress)
        finally:
            if pool is not None:
                pool.close()
            gc.unfreeze()
    summary.duration_s = time.perf_counter() - started


def _screen_readers(files, readers, matcher, pool, as_of, min_score, summary, progress):
    for path, reader in zip(files, readers):
        info = FileInfo(path=path)
        summary.files.append(info)
        for count, flagged in pool.screened(reader, as_of):
            summary.lines_read += count
            info.lines += count
            for line, screening in flagged:  # seldom: most lines carry no mark
                if screening.suppressed:
                    summary.suppressed += 1
                    summary.suppressed_hits.extend(screening.suppressed)
                hits = [h for h in screening.hits if h.score >= min_score]
                if hits:
                    summary.lines_flagged += 1
                    for h in hits:
                        summary.by_verdict[h.verdict.value] += 1
                    yield line, hits
            if progress is not None:
                progress(path, reader.bytes_read, reader.bytes_total)
        summary.problems.extend((p.file, p.row, p.field, p.message) for p in reader.problems)
        info.sha256 = reader.sha256()
        if progress is not None:
            progress(path, reader.bytes_read, reader.bytes_total)


def worst_verdict(summary: Summary) -> Verdict | None:
    if summary.by_verdict.get("hit"):
        return Verdict.HIT
    if summary.by_verdict.get("review"):
        return Verdict.REVIEW
    return None


# ----------------------------------------------------------------------------- workers
#
# The costly part of screening is searching a field value for marks, and it depends on
# the text alone.  Lines are read here in batches; the batch's field values that the
# matcher has not seen yet (a day's batch repeats most descriptions) go to worker
# processes forked after the matcher is built, which return the text-only findings.
# This process caches them and then screens the batch's lines itself, in order, with
# the context rules; so output streams in file/row order and is the same as with one
# process.  A few batches are in flight at a time, which bounds memory.

# Workers start at once for a file this large, else after this many lines: small checks
# never fork.
PARALLEL_BYTES = 1 << 20
PARALLEL_AFTER = 5_000
PROGRESS_LINES = 512  # lines screened between progress reports, without workers
# Large batches, one per worker at a time: less work per line in this process (a
# batch's values are gathered, sent and remembered together), and the workers are kept
# busy while this process reads the next batch.  (Measured on the synthetic batch of
# benchmarks/speed.py: 2,000 lines with 3 in flight per worker took 5-8 % longer.)
BATCH_LINES = 10_000
IN_FLIGHT_PER_WORKER = 1

_WORKER_MATCHER = None
_DESCRIPTION = operator.attrgetter("description")
_BRAND = operator.attrgetter("brand")


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


def _worker_init() -> None:
    import signal

    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the parent's to handle


def _worker_find(texts: list[str]) -> list:
    return _WORKER_MATCHER.find_texts(texts)


class _Workers:
    """Feeds unseen field values to forked worker processes; screens lines in order."""

    def __init__(self, matcher, workers: int) -> None:
        self.matcher = matcher
        self.workers = workers
        self.pool = None
        self.lines_seen = 0
        self.enabled = workers > 1 and "fork" in multiprocessing.get_all_start_methods()

    def _start(self) -> None:
        global _WORKER_MATCHER
        _WORKER_MATCHER = self.matcher
        gc.freeze()  # what the matcher learnt since screen_files froze it: shared too, not copied
        ctx = multiprocessing.get_context("fork")
        self.pool = ctx.Pool(self.workers, initializer=_worker_init)

    def close(self) -> None:
        global _WORKER_MATCHER
        if self.pool is not None:
            self.pool.terminate()
            self.pool.join()
            self.pool = None
            _WORKER_MATCHER = None

    def screened(self, reader, as_of: dt.date) -> Iterator[tuple[int, list[tuple[DeclarationLine, object]]]]:
        """``(lines, flagged)`` for each run of ``reader``'s lines, in order: how many
        lines were screened, and ``(line, screening)`` for those with hits or hits
        withheld (a clean line costs no more than its screening)."""
        from .matching.matcher import CLEAN

        screen = self.matcher.screen
        lines = iter(reader)
        if self.enabled and self.pool is None and (reader.bytes_total or 0) >= PARALLEL_BYTES:
            self._start()
        while self.pool is None:
            flagged = []
            count = 0
            failed = None
            try:
                for line in itertools.islice(lines, PROGRESS_LINES):
                    count += 1
                    screening = screen(line, as_of)
                    if screening is not CLEAN:
                        flagged.append((line, screening))
            except Exception as exc:  # a bad row with --strict: the lines before it count
                failed = exc
            if count:
                yield count, flagged
            if failed is not None:
                raise failed
            if not count:
                return
            self.lines_seen += count
            if self.enabled and self.lines_seen >= PARALLEL_AFTER:
                self._start()
        matcher = self.matcher
        cached = matcher.field_cache.get  # findings of a value, or None when not cached
        # Each batch keeps the findings of its own field values until it is screened
        # (the cache may have forgotten them by then); a value that an earlier batch in
        # flight has sent is filled in from that batch's when it comes back.
        pending: dict[str, dict] = {}  # value sent to a worker -> the findings of its batch
        queue: collections.deque = collections.deque()
        limit = IN_FLIGHT_PER_WORKER * self.workers
        failed = None
        while True:
            batch = []
            try:
                for line in itertools.islice(lines, BATCH_LINES):
                    batch.append(line)
            except Exception as exc:  # a bad row with --strict: stop where one process would
                failed = exc
            if batch:
                # The batch's distinct field values, in order (C-level: most repeat).
                found: dict[str, tuple] = dict.fromkeys(map(_DESCRIPTION, batch))
                found.update(dict.fromkeys(map(_BRAND, batch)))
                found.pop("", None)
                texts: list[str] = []
                waiting: list[tuple[str, dict]] = []
                for text in found:
                    owner = pending.get(text)
                    if owner is not None:
                        waiting.append((text, owner))
                        found[text] = ()  # filled in below, before the batch is screened
                        continue
                    got = cached(text)
                    if got is None:
                        texts.append(text)
                        pending[text] = found
                        got = ()
                    found[text] = got
                job = self.pool.apply_async(_worker_find, (texts,)) if texts else None
                queue.append((batch, found, texts, waiting, job))
            end = failed is not None or not batch
            while queue and (len(queue) > limit or end):
                done, found, texts, waiting, job = queue.popleft()
                if job is not None:
                    found.update(zip(texts, matcher.remember(texts, job.get())))
                    for text in texts:
                        del pending[text]
                for text, owner in waiting:
                    found[text] = owner[text]
                # Only a line holding a value with findings needs the context rules.
                marked = {text for text, findings in found.items() if findings}
                flagged = []
                if marked:
                    for line in done:
                        if line.description in marked or line.brand in marked:
                            screening = screen(line, as_of, found)
                            if screening is not CLEAN:
                                flagged.append((line, screening))
                yield len(done), flagged
            if failed is not None:
                raise failed
            if end:
                return
