"""Screening on a Dask cluster: the same run as :func:`screening.screen_files`, with
the partitions of the inputs (see partitions.py) screened on Dask workers.

The client (this process) checks every input and plans its partitions, sends the
register and the screening context to every worker once (``scatter(broadcast=True)``),
where each worker builds its matcher once per run and keeps it for all the run's
tasks; it then submits one task per partition and gathers their results as they
complete (for progress), handing them on in input and row order.  Workers only read
the inputs (they must see the same paths) and never touch the store: the caller saves
the run in the local store exactly as without a cluster.

A worker that dies mid-run loses nothing: its tasks run again elsewhere (Dask's
``allowed-failures``), and a task that fails with an error is retried (``RETRIES``).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import logging
import os
import threading
import time
import uuid
from collections.abc import Callable, Iterator, Sequence

from .errors import InputError, IprError, UsageError
from .gctuning import collections_rare, cycle_collector_paused, freeze, release_frozen
from .models import DeclarationLine, Hit, Recordation, ScreeningContext
from .screening import FileInfo, Summary

INSTALL_HINT = 'install the optional extra: pip install "ipr-cli[dask]"'
CONNECT_TIMEOUT_S = 8  # with the probe: an unreachable scheduler is told within 15 s
PROBE_TIMEOUT_S = 5
RETRIES = 3

# -------------------------------------------------------------------- on each worker

_LOCK = threading.Lock()
_MATCHER: tuple[str, object] | None = None  # (run token, matcher) of the latest run
_BUILDS = 0


def index_builds() -> int:
    """How many matchers this worker process has built (one per run it took part in)."""
    return _BUILDS


def _matcher_for(payload: tuple[str, list[Recordation], ScreeningContext]):
    global _MATCHER, _BUILDS
    token, recordations, context, hook, version = payload
    from . import __version__

    if version != __version__:
        raise UsageError(f"A Dask worker runs ipr {__version__}, this client ipr {version}.",
                         hint="install the same ipr version on the client and every worker")
    with _LOCK:
        if _MATCHER is None or _MATCHER[0] != token:
            from .matching import Matcher

            _MATCHER = None  # the last run's index goes before this one's is built
            release_frozen()
            with cycle_collector_paused():
                matcher = Matcher(recordations, context=context)
                if hook is not None:
                    hook(matcher)
                _MATCHER = (token, matcher)
                freeze()  # the index lasts the run: the collector never scans it again (see gctuning)
            _BUILDS += 1
        return _MATCHER[1]


def screen_part(payload, part, as_of: dt.date, encoding: str | None, columns: dict | None,
                strict: bool, header_row: int | None = None) -> tuple:
    """Screen one partition on a worker: ``("ok", lines, flagged, problems)`` with
    ``flagged`` the ``(line, hits, withheld)`` of each line with hits or withheld hits,
    or ``("error", exit kind, message, hint)`` for bad input (an error crosses back as
    plain values, never as a pickled exception)."""
    from .matching.matcher import CLEAN
    from .readers import DeclarationReader

    try:
        matcher = _matcher_for(payload)
        screen = matcher.screen
        flagged = []
        with collections_rare(), DeclarationReader(part.source, encoding=encoding, columns=columns, strict=strict,
                               part=part.part, row_offset=part.row_offset, header_row=header_row) as reader:
            for line in reader:
                screening = screen(line, as_of)
                if screening is not CLEAN:
                    flagged.append((line, screening.hits, screening.suppressed))
            problems = [(part.path, p.row, p.field, p.message) for p in reader.problems]
            lines = reader.lines_read
        if part.source != part.path:  # lines and hits name the file as the user gave it
            flagged = [(line._replace(file=part.path), _named(hits, part.path), _named(withheld, part.path))
                       for line, hits, withheld in flagged]
        return ("ok", lines, flagged, problems)
    except IprError as exc:
        return ("error", type(exc).__name__, exc.message, exc.hint)


def _named(hits, path: str) -> tuple:
    return tuple(dataclasses.replace(h, file=path) for h in hits)


# -------------------------------------------------------------------- on the client


def _dask():
    try:
        import distributed
    except ImportError:
        raise UsageError("--scheduler needs Dask, which is not installed.", hint=INSTALL_HINT) from None
    return distributed


def _require_dask() -> None:
    """UsageError saying how to install Dask unless it is installed (without importing it)."""
    import importlib.util

    try:
        found = importlib.util.find_spec("distributed") is not None
    except (ImportError, ValueError):
        found = False
    if not found:
        _dask()  # raises the install hint (or imports, if find_spec was wrong)


def connect(address: str, workers: int | None):
    """A Dask client of the scheduler at ``address`` (``local``: a new local cluster of
    ``workers`` single-threaded processes).  Unreachable: UsageError naming it (call
    :func:`probe` first for a quick answer)."""
    distributed = _dask()
    for name in ("distributed", "distributed.client", "distributed.scheduler", "distributed.worker",
                 "distributed.nanny", "distributed.core", "distributed.comm"):
        logging.getLogger(name).setLevel(logging.ERROR)
    if address == "local":
        from .screening import default_workers

        cluster = distributed.LocalCluster(
            n_workers=workers or default_workers(), threads_per_worker=1, processes=True,
            dashboard_address=":0", silence_logs=logging.ERROR,
        )
        return distributed.Client(cluster, set_as_default=False)
    try:
        return distributed.Client(address, timeout=CONNECT_TIMEOUT_S, set_as_default=False)
    except Exception as exc:  # noqa: BLE001 - Dask raises many kinds for a bad peer
        raise _unreachable(address, exc) from None


def _unreachable(address: str, exc: BaseException) -> UsageError:
    why = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
    return UsageError(
        f"Cannot reach the Dask scheduler at {address} ({why})"[:400],
        hint="start it with `dask scheduler` (and workers with `dask worker ADDRESS`), "
             "or check --scheduler / $IPR_SCHEDULER",
    )


def probe(address: str) -> None:
    """Check that a Dask scheduler answers at ``address``, quickly: a refused or
    silent TCP port, or a peer that is not a Dask scheduler (an HTTP proxy), is a
    UsageError within PROBE_TIMEOUT_S + CONNECT_TIMEOUT_S seconds."""
    import asyncio
    import socket
    from urllib.parse import urlsplit

    url = urlsplit(address)
    try:
        if url.scheme in ("tcp", "tls") and url.hostname and url.port:
            # (before Dask is imported, which takes seconds on a busy machine)
            with socket.create_connection((url.hostname, url.port), timeout=PROBE_TIMEOUT_S):
                pass
    except OSError as exc:
        raise _unreachable(address, exc) from None
    _dask()
    try:
        from distributed.core import rpc

        async def identity():
            peer = rpc(address, timeout=CONNECT_TIMEOUT_S)
            try:
                return await peer.identity()
            finally:
                await peer.close_rpc()

        answer = asyncio.run(asyncio.wait_for(identity(), CONNECT_TIMEOUT_S))
    except (OSError, asyncio.TimeoutError) as exc:
        raise _unreachable(address, exc) from None
    except Exception:  # noqa: BLE001 - a peer that is not Dask: MemoryError on its "frame" length...
        answer = None
    if not isinstance(answer, dict) or answer.get("type") != "Scheduler":
        raise UsageError(f"The peer at {address} answers, but not as a Dask scheduler.",
                         hint="give the address of a `dask scheduler` (tcp://HOST:8786 by default)")


def screen_on_cluster(
    files: Sequence[str],
    recordations: Sequence[Recordation],
    *,
    address: str,
    as_of: dt.date,
    context: ScreeningContext | None = None,
    min_score: int = 0,
    encoding: str | None = None,
    columns: dict[str, str] | None = None,
    strict: bool = False,
    summary: Summary,
    progress: Callable[[str, int, int | None], None] | None = None,
    workers: int | None = None,
    matcher_hook: Callable | None = None,
    header_row: int | None = None,
) -> Iterator[tuple[DeclarationLine, list[Hit]]]:
    """Yield ``(line, hits)`` for every flagged line, in file and row order, as
    :func:`screening.screen_files` does, the lines screened on the cluster at
    ``address``.  The scheduler is probed, then every input checked, then the work sent.
    ``matcher_hook`` (picklable) is called with each worker's matcher once built."""
    from .partitions import plan
    from .readers import DeclarationReader

    started = time.perf_counter()
    if "-" in files:
        raise UsageError("Standard input cannot be screened on a cluster.",
                         hint="save it to a file that the workers can read")
    _require_dask()
    if address != "local":
        if "://" not in address:
            address = "tcp://" + address  # as Dask reads HOST:PORT
        probe(address)  # an unreachable scheduler is told before the inputs are read
    infos = []
    for path in files:
        with DeclarationReader(path, encoding=encoding, columns=columns, strict=strict,
                               header_row=header_row) as reader:
            summary.warnings.extend(reader.warnings)
            infos.append((reader.encoding, reader.format, reader.bytes_total, reader))
    parts = plan(list(files), [i[0] for i in infos], [i[1] for i in infos], [i[2] for i in infos])
    client = connect(address, workers)
    try:
        yield from _run(client, files, parts, infos, recordations, context or ScreeningContext(), as_of,
                        min_score, [i[0] for i in infos], columns, strict, summary, progress, matcher_hook,
                        header_row)
    finally:
        cluster = getattr(client, "cluster", None) if address == "local" else None
        client.close()
        if cluster is not None:
            cluster.close()
    summary.duration_s = time.perf_counter() - started


def _run(client, files, parts, infos, recordations, context, as_of, min_score, encodings, columns, strict,
         summary, progress, hook, header_row=None):
    from distributed import as_completed

    from . import __version__

    token = uuid.uuid4().hex
    # A single-element list: scatter sends the element, not each recordation apart.
    [payload] = client.scatter([(token, list(recordations), context, hook, __version__)], broadcast=True,
                                hash=False)
    futures = [
        client.submit(screen_part, payload, part, as_of, encodings[part.file_index], columns, strict, header_row,
                      key=f"ipr-screen-{token}-{i}", retries=RETRIES, pure=False)
        for i, part in enumerate(parts)
    ]
    # The inputs' SHA-256 for the saved run, read here while the workers screen.
    hashes = [info[3].sha256() for info in infos]
    position = {f.key: i for i, f in enumerate(futures)}
    done_bytes = [0] * len(files)
    totals = [sum(p.size for p in parts if p.file_index == k) for k in range(len(files))]
    results: dict[int, tuple] = {}
    next_part = 0
    file_infos: dict[int, FileInfo] = {}
    try:
        for future in as_completed(futures, loop=client.loop):
            i = position[future.key]
            result = future.result()
            futures[i] = None  # type: ignore[call-overload]  # (its data is released as we go)
            if result[0] == "error":
                _, kind, message, hint = result
                raise (UsageError if kind == "UsageError" else InputError)(message, hint=hint)
            results[i] = result
            k = parts[i].file_index
            done_bytes[k] += parts[i].size
            if progress is not None:
                progress(files[k], done_bytes[k], totals[k])
            while next_part in results:
                part = parts[next_part]
                info = file_infos.get(part.file_index)
                if info is None:
                    info = file_infos[part.file_index] = FileInfo(path=part.path, sha256=hashes[part.file_index])
                    summary.files.append(info)
                yield from _tally_part(results.pop(next_part), info, summary, min_score)
                next_part += 1
    finally:
        client.cancel([f for f in futures if f is not None])
        del payload


def _tally_part(result: tuple, info: FileInfo, summary, min_score: int):
    """Count one part's result into the run (in part order) and yield its flagged lines."""
    _, count, flagged, problems = result
    summary.lines_read += count
    info.lines += count
    for line, hits, withheld in flagged:
        if withheld:
            summary.suppressed += 1
            summary.suppressed_hits.extend(withheld)
        hits = [h for h in hits if h.score >= min_score]
        if hits:
            summary.lines_flagged += 1
            for h in hits:
                summary.by_verdict[h.verdict.value] += 1
            yield line, hits
    summary.problems.extend(problems)
