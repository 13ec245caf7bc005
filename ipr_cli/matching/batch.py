"""Screening a run of lines in order, the field values searched by forked worker processes.

The costly part of screening is searching a field value for marks, and it depends on
the text alone.  Lines are taken in batches; the batch's field values that the
matcher has not met yet (a day's batch repeats most descriptions) are searched (by
worker processes forked after the matcher is built, once the run is large), and the
findings are cached; then this process screens the batch's lines itself, in order,
with the context rules.  So output streams in file/row order and is the same with any
number of processes.  A few batches are in flight at a time, which bounds memory.

Each worker learns the word runs it reads (the span search's memos), so a value goes
to the worker chosen by its first characters (``_shard``): the variants of one listing
("… BLACK XL", "… NAVY 2PCS") and a recurring brand are read by one worker, which
has met their words before, instead of being learnt again by each.
"""

from __future__ import annotations

import collections
import datetime as dt
import itertools
import multiprocessing
import multiprocessing.connection
import operator
import os
import queue
import threading
from collections.abc import Iterable, Iterator
from typing import NamedTuple

from ..gctuning import freeze
from ..models import DeclarationLine
from .matcher import Matcher
from .records import CLEAN, Finding, Screening

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
# A value goes to the worker chosen by this many of its first characters (see _shard).
SHARD_CHARS = 16

_WORKER: "Batches | None" = None  # in a worker process: the Batches it was forked from
_DESCRIPTION = operator.attrgetter("description")
_BRAND = operator.attrgetter("brand")


class _Batch:
    """One batch of lines on its way: its field values' findings, and the job searching the new ones."""

    __slots__ = ("lines", "found", "texts", "waiting", "job")

    def __init__(self, lines: list[DeclarationLine], found: dict[str, tuple], texts: list[str],
                 waiting: list[tuple[str, dict]], job) -> None:
        self.lines = lines
        self.found = found          # field value -> its findings (filled in when the job is done)
        self.texts = texts          # the values sent to the workers, in the order of ``job``
        self.waiting = waiting      # (value, the findings of the batch in flight that sent it)
        self.job = job              # the workers sent a part of ``texts`` (in order), or None


class Batches:
    """Screens runs of lines in order for one matcher; owns the worker processes."""

    def __init__(self, matcher: Matcher, workers: int) -> None:
        self.matcher = matcher
        self.workers = workers
        self.pool: list[_Worker] | None = None
        self._outbox: queue.SimpleQueue | None = None  # (worker, values) for the sending thread
        self.lines_seen = 0
        self.enabled = workers > 1 and "fork" in multiprocessing.get_all_start_methods()
        self._form_ids: dict[int, int] | None = None  # see find_packed

    def screened(self, lines: Iterable[DeclarationLine], as_of: dt.date,
                 large: bool = False) -> Iterator[tuple[int, list[tuple[DeclarationLine, Screening]]]]:
        """``(lines, flagged)`` for each run of ``lines``, in order: how many lines were
        screened, and ``(line, screening)`` for those with hits or hits withheld (a
        clean line costs no more than its screening).  ``large``: start the workers now.

        An error raised while reading (a bad row with --strict) ends the run where one
        process would: the lines before it are screened and counted first.
        """
        if large and self.enabled and self.pool is None:
            self._start()
        lines = iter(lines)
        # Each batch keeps the findings of its own field values until it is screened
        # (the cache may have forgotten them by then); a value that an earlier batch in
        # flight has sent is filled in from that batch's when it comes back.
        pending: dict[str, dict] = {}  # value sent to a worker -> the findings of its batch
        queue: collections.deque[_Batch] = collections.deque()
        while True:
            batch: list[DeclarationLine] = []
            failed = None
            try:
                # (extend keeps the lines read before an error)
                batch.extend(itertools.islice(lines, BATCH_LINES if self.pool is not None else PROGRESS_LINES))
            except Exception as exc:  # a bad row with --strict: the lines before it count
                failed = exc
            if batch:
                queue.append(self._send(batch, pending))
            end = failed is not None or not batch
            limit = IN_FLIGHT_PER_WORKER * self.workers if self.pool is not None else 0
            while queue and (len(queue) > limit or end):
                yield self._screen(queue.popleft(), pending, as_of)
            if failed is not None:
                raise failed
            if end:
                return
            if self.pool is None:
                self.lines_seen += len(batch)
                if self.enabled and self.lines_seen >= PARALLEL_AFTER:
                    self._start()

    def _send(self, lines: list[DeclarationLine], pending: dict[str, dict]) -> _Batch:
        """A batch with the findings of its distinct field values: cached, searched here,
        or sent to a worker."""
        cached = self.matcher.field_cache.get  # findings of a value, or None when not cached
        # The batch's distinct field values, in order (C-level: most repeat).
        found: dict[str, tuple] = dict.fromkeys(map(_DESCRIPTION, lines))
        found.update(dict.fromkeys(map(_BRAND, lines)))
        found.pop("", None)
        texts: list[str] = []
        waiting: list[tuple[str, dict]] = []
        for text in found:
            owner = pending.get(text)
            if owner is not None:
                waiting.append((text, owner))
                found[text] = ()  # filled in before the batch is screened
                continue
            got = cached(text)
            if got is None:
                texts.append(text)
                got = ()
            found[text] = got
        job = None
        if texts and self.pool is not None:
            for text in texts:
                pending[text] = found
            texts, job = self._post(texts)
        elif texts:
            find = self.matcher.spans.find
            findings = [tuple(find(text)) for text in texts]
            self.matcher.field_cache.add(texts, findings)
            found.update(zip(texts, findings))
            texts = []
        return _Batch(lines, found, texts, waiting, job)

    def _screen(self, batch: _Batch, pending: dict[str, dict],
                as_of: dt.date) -> tuple[int, list[tuple[DeclarationLine, Screening]]]:
        """Screen a batch whose findings are in (waiting for its worker's if need be)."""
        found = batch.found
        if batch.job is not None:
            found.update(zip(batch.texts, self.remember(batch.texts, self._receive(batch.job))))
            for text in batch.texts:
                del pending[text]
        for text, owner in batch.waiting:
            found[text] = owner[text]
        # Only a line holding a value with findings needs the context rules.
        marked = {text for text, findings in found.items() if findings}
        flagged = []
        if marked:
            screen = self.matcher.screen
            for line in batch.lines:
                if line.description in marked or line.brand in marked:
                    screening = screen(line, as_of, found)
                    if screening is not CLEAN:
                        flagged.append((line, screening))
        return len(batch.lines), flagged

    # ----------------------------------------------------------------- the worker protocol

    def find_packed(self, texts: Iterable[str]) -> list[tuple[tuple, ...]]:
        """The text-only findings of each field value (what a worker process computes),
        compact for sending back: a finding's form is named by its place in the index,
        and the finding is a plain tuple by position (``Finding`` without its form),
        which pickles smaller than a named record."""
        if self._form_ids is None:
            self._form_ids = {id(form): k for k, form in enumerate(self.matcher.index.forms)}
        ids = self._form_ids
        find = self.matcher.spans.find
        out: list[tuple[tuple, ...]] = []  # not cached: the caller caches
        for text in texts:
            found = find(text)  # most often none
            out.append(tuple([(ids[id(f.form)], *f[1:]) for f in found]) if found else ())
        return out

    def remember(self, texts: list[str], packed: Iterable[tuple[tuple, ...]]) -> list[tuple[Finding, ...]]:
        """Cache findings computed by a worker (``find_packed``); returns them as ``Finding``s."""
        forms = self.matcher.index.forms
        findings = [tuple(Finding(forms[k], *rest) for k, *rest in compact) if compact else ()
                    for compact in packed]
        self.matcher.field_cache.add(texts, findings)
        return findings

    def _post(self, texts: list[str]) -> tuple[list[str], list[int]]:
        """Send the values to their workers (``_shard``); the values in the order their
        findings will come back, and the workers sent to."""
        n = len(self.pool)
        parts: list[list[str]] = [[] for _ in range(n)]
        for text in texts:
            parts[hash(text[:SHARD_CHARS]) % n].append(text)
        ordered: list[str] = []
        job = []
        for k, part in enumerate(parts):
            if part:
                self._outbox.put((self.pool[k], part))
                ordered.extend(part)
                job.append(k)
        return ordered, job

    def _receive(self, job: list[int]) -> list:
        """The findings of a batch's values, from each worker it was sent to (each answers
        in the order it was asked, and batches are screened in the order they were sent)."""
        out: list = []
        for k in job:
            worker = self.pool[k]
            try:
                ok, answer = worker.results.recv()
            except (EOFError, OSError):
                raise RuntimeError(f"worker process {worker.process.pid} ended unexpectedly "
                                   f"(exit code {worker.process.exitcode})") from None
            if not ok:
                raise answer
            out.extend(answer)
        return out

    def _start(self) -> None:
        global _WORKER
        _WORKER = self
        freeze()  # what the matcher learnt since screen_files froze it: shared too, not copied
        ctx = multiprocessing.get_context("fork")
        workers = []
        ours: list = []  # this process's ends of every pipe so far: each worker closes its copies
        for _ in range(self.workers):  # every worker forked before the sending thread starts
            requests_in, requests = ctx.Pipe(duplex=False)
            results, results_out = ctx.Pipe(duplex=False)
            ours += [requests, results]
            process = ctx.Process(target=_serve, args=(requests_in, results_out, tuple(ours), os.getpid()),
                                  daemon=True)
            process.start()
            requests_in.close()
            results_out.close()
            workers.append(_Worker(process, requests, results))
        self.pool = workers
        # Values are sent by a thread: a worker writing a large answer that this process
        # has not read yet must never leave both sides waiting to write.
        self._outbox = queue.SimpleQueue()
        threading.Thread(target=_send_all, args=(self._outbox,), daemon=True, name="ipr-batch-send").start()

    def close(self) -> None:
        global _WORKER
        if self.pool is not None:
            self._outbox.put(None)
            for worker in self.pool:
                worker.process.terminate()
            for worker in self.pool:
                worker.process.join()
                worker.requests.close()
                worker.results.close()
            self.pool = None
            _WORKER = None


class _Worker(NamedTuple):
    """A worker process and this process's ends of its two pipes."""

    process: multiprocessing.process.BaseProcess
    requests: multiprocessing.connection.Connection  # values to search, written here
    results: multiprocessing.connection.Connection   # (ok, findings or the error), read here


def _send_all(outbox: queue.SimpleQueue) -> None:
    """The sending thread: each (worker, values) put in ``outbox``, in order, until None."""
    while True:
        item = outbox.get()
        if item is None:
            return
        worker, texts = item
        try:
            worker.requests.send(texts)
        except (OSError, ValueError):  # the worker was ended (the run is being closed)
            return


def _serve(requests, results, parents_ends, parent: int) -> None:
    """A worker process: the findings of each list of values it is sent, in order.

    It ends when the parent does, even when killed (SIGKILL runs no clean-up): with the
    parent's ends of the pipes closed here, the parent's death ends the requests, and a
    parent gone quiet is looked for once a second besides."""
    import signal

    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the parent's to handle
    for end in parents_ends:
        end.close()
    while True:
        try:
            while not requests.poll(1.0):
                if os.getppid() != parent:
                    return
            texts = requests.recv()
        except (EOFError, OSError):
            return
        try:
            answer = (True, _WORKER.find_packed(texts))
        except Exception as exc:  # raised again in the parent, as a pool would
            answer = (False, exc)
        try:
            results.send(answer)
        except OSError:  # the parent is gone
            return
        except Exception:  # an error that cannot be pickled: its words
            results.send((False, RuntimeError(repr(answer[1]))))
