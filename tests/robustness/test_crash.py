"""A process killed with SIGKILL at any moment never leaves a half-written store.

Kill points come two ways: spread over the measured duration of an unkilled run (so
startup, reading, validating, writing and committing are all hit), and triggered by the
write-ahead log growing past thresholds (so many kills land *inside* the write
transaction, with part of it already on disk).
"""

from __future__ import annotations

import json
import signal
import sqlite3
import time

from _robust import (  # noqa: F401 - big_files and old_store are fixtures
    big_files,
    old_store,
    child_env,
    FIXTURES,
    copy_store,
    integrity,
    run_ipr,
    snapshot,
    spawn,
    wait_for_wal,
    wal_size,
    write_declarations,
)

TIME_FRACTIONS = [0.08 + i * (1.0 - 0.08) / 9 for i in range(10)]  # 10 points over the run
# 12 points inside the write transaction, and one once it is wholly in the WAL (committed,
# the process checkpointing it into the main file when the kill comes).
WAL_FRACTIONS = [0.0005, 0.02, 0.08, 0.16, 0.25, 0.35, 0.45, 0.55, 0.65, 0.75, 0.85, 0.9, 0.999]

# Plus one kill the moment the commit is visible to another connection, so that every
# run has a kill after the commit however fast or slow the machine is.
KILLS_PER_COMMAND = len(TIME_FRACTIONS) + len(WAL_FRACTIONS) + 1


def read_value(db, sql):
    """One value from the store as another process sees it (None while unreadable)."""
    try:
        con = sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=0.05)
        try:
            row = con.execute(sql).fetchone()
        finally:
            con.close()
    except sqlite3.Error:
        return None
    return row[0] if row else None


def plan_for(duration, wal_total):
    """Where to kill: spread over the run, inside the transaction, right after the commit."""
    return (
        [("time", f * duration) for f in TIME_FRACTIONS]
        + [("wal", int(f * wal_total)) for f in WAL_FRACTIONS]
        + [("committed", None)]
    )


def kill(args, db, kind, value, committed):
    return kill_at(
        args, db,
        after=value if kind == "time" else None,
        wal_bytes=value if kind == "wal" else None,
        committed=committed if kind == "committed" else None,
    )


def measure(args, db, timeout=120.0):
    """Run once unkilled, polling the WAL: (seconds, largest WAL size seen, exit code)."""
    start = time.monotonic()
    proc = spawn(*args, env=child_env(IPR_DB=str(db)))
    biggest = 0
    while proc.poll() is None and time.monotonic() - start < timeout:
        biggest = max(biggest, wal_size(db))
        time.sleep(0.002)
    proc.communicate()
    return time.monotonic() - start, biggest, proc.returncode


def kill_at(args, db, *, after=None, wal_bytes=None, committed=None, wal_timeout=60.0):
    """Start the command and SIGKILL it after ``after`` seconds, once the WAL holds
    ``wal_bytes``, or as soon as ``committed(db)`` sees its transaction committed;
    return how the attempt went."""
    proc = spawn(*args, env=child_env(IPR_DB=str(db)))
    if after is not None:
        time.sleep(after)
    elif committed is not None:
        deadline = time.monotonic() + wal_timeout
        while proc.poll() is None and time.monotonic() < deadline and not committed(db):
            time.sleep(0.002)
    else:
        wait_for_wal(proc, db, wal_bytes, wal_timeout)
    finished = proc.poll() is not None
    proc.send_signal(signal.SIGKILL)
    proc.communicate()
    return {"killed": not finished, "wal": wal_size(db)}


def mid_write(attempt, wal_total):
    """Killed with part of the transaction in the WAL but not its commit frame (which
    comes last: a committed run of this workload leaves ``wal_total`` bytes)."""
    return attempt["killed"] and 0 < attempt["wal"] < 0.98 * wal_total


def test_sigkill_during_import_leaves_the_old_or_the_new_set(tmp_path, big_files, old_store):
    old = snapshot(old_store)
    args = ("recordation", "import", big_files["new"])

    ref = copy_store(old_store, tmp_path / "ref" / "ipr.db")
    duration, wal_total, code = measure(args, ref)
    assert code == 0
    new = snapshot(ref)
    assert new["recordations"] == 20000 and new["audit"] == old["audit"] + 20000
    assert int(new["revision"]) == int(old["revision"]) + 1
    assert wal_total > 1_000_000, "the import should spill pages to the WAL before it commits"

    def committed(db):
        revision = read_value(db, "SELECT value FROM meta WHERE key = 'recordations_revision'")
        return revision is not None and revision != old["revision"]

    outcomes = []
    for n, (kind, value) in enumerate(plan_for(duration, wal_total)):
        db = copy_store(old_store, tmp_path / f"kill-{n}" / "ipr.db")
        attempt = kill(args, db, kind, value, committed)
        assert integrity(db) == "ok", (kind, value)
        got = snapshot(db)
        if got["full"] == old["full"]:
            assert got["audit_full"] == old["audit_full"] and got["revision"] == old["revision"], (kind, value)
            outcome = "old"
        else:
            # Not the old set: then every row of the new file, with its audit entries.
            assert got["content"] == new["content"], f"half-imported store after kill {kind}={value}: {got}"
            assert got["audit"] == new["audit"] and got["revision"] == new["revision"]
            outcome = "new"
        if mid_write(attempt, wal_total):
            # Killed with part of the transaction already in the WAL: nothing of it may show.
            assert outcome == "old", (kind, value, attempt)
        outcomes.append((kind, value, attempt, outcome))

    # The kills really hit the transaction, and some came after the commit.
    assert sum(1 for o in outcomes if mid_write(o[2], wal_total)) >= len(WAL_FRACTIONS) - 3, outcomes
    assert any(o[3] == "new" for o in outcomes), outcomes
    assert sum(1 for o in outcomes if o[2]["killed"]) >= KILLS_PER_COMMAND // 2, outcomes


def _run_rows(db):
    con = sqlite3.connect(db)
    try:
        runs = con.execute("SELECT run_id, lines_read, hits, reviews FROM runs").fetchall()
        orphans = con.execute("SELECT count(*) FROM hits WHERE run_id NOT IN (SELECT run_id FROM runs)").fetchone()[0]
        per_run = dict(con.execute("SELECT run_id, count(*) FROM hits GROUP BY run_id").fetchall())
        return runs, orphans, per_run
    finally:
        con.close()


def test_sigkill_during_check_never_leaves_a_partial_run_or_orphan_hits(tmp_path):
    lines = 20000
    decl = write_declarations(tmp_path / "declarations.csv", lines)
    template = tmp_path / "template" / "ipr.db"
    template.parent.mkdir()
    code, _, err, _ = run_ipr("recordation", "import", FIXTURES / "recordations.csv", env=child_env(IPR_DB=str(template)))
    assert code == 0, err
    base = snapshot(template)

    def args(out):
        return ("check", decl, "--format", "json", "--quiet", "--output", out)

    ref = copy_store(template, tmp_path / "ref" / "ipr.db")
    ref_out = tmp_path / "ref" / "out.json"
    duration, wal_total, code = measure(args(ref_out), ref)
    assert code == 0
    runs, orphans, per_run = _run_rows(ref)
    assert len(runs) == 1 and orphans == 0
    ref_hits = per_run[runs[0][0]]
    assert runs[0][1] == lines and ref_hits == runs[0][2] + runs[0][3] > 1000
    assert wal_total > 200_000, "saving the run should spill pages to the WAL before it commits"

    def committed(db):
        return bool(read_value(db, "SELECT count(*) FROM runs"))

    outcomes = []
    for n, (kind, value) in enumerate(plan_for(duration, wal_total)):
        db = copy_store(template, tmp_path / f"kill-{n}" / "ipr.db")
        out = db.parent / "out.json"
        attempt = kill(args(out), db, kind, value, committed)
        assert integrity(db) == "ok", (kind, value)
        runs, orphans, per_run = _run_rows(db)
        assert orphans == 0, f"hits without a run after kill {kind}={value}"
        assert len(runs) <= 1
        if runs:  # a run in the store is a complete one
            run_id, read, hits, reviews = runs[0]
            assert read == lines and per_run.get(run_id, 0) == hits + reviews == ref_hits, (kind, value, runs)
        else:
            assert snapshot(db) == base  # nothing else changed either
        if mid_write(attempt, wal_total):
            assert not runs, (kind, value, attempt)
        # The result file, when there is one, is whole and names a run the store holds.
        if out.exists():
            document = json.loads(out.read_text(encoding="utf-8"))
            assert document["lines_read"] == lines and len(document["hits"]) == ref_hits
            assert runs and runs[0][0] == document["run_id"], f"result file of an unsaved run after kill {kind}={value}"
        outcomes.append((kind, value, attempt, bool(runs)))

    assert sum(1 for o in outcomes if mid_write(o[2], wal_total)) >= len(WAL_FRACTIONS) - 3, outcomes
    assert any(o[3] for o in outcomes), outcomes  # and some came after the commit
    assert sum(1 for o in outcomes if o[2]["killed"]) >= KILLS_PER_COMMAND // 2, outcomes


# --------------------------------------------------------------------------- every write command

SAMPLE_KILLS = 2  # per command in CI; benchmarks/kill_points.py runs 1,000 in all


def test_sigkill_at_sampled_points_of_every_write_command(tmp_path):
    """Every write command (and the migrations run on open) killed at sampled points: the
    store passes integrity_check, is as before or as after the command, its audit trail
    replays to what it holds, and the next run succeeds leaving no temporary file."""
    import random

    import _kill_points as kp

    rng = random.Random(19)
    t = kp.build_templates(tmp_path / "template", recordations=5000, lines=600)
    results = []
    for scenario in kp.scenarios(t):
        ref = kp.reference(t, scenario, tmp_path / "ref")
        assert ref.before != ref.after or scenario.writes_file, f"{scenario.name} changed nothing"
        for delay, wal_bytes in kp.plan(ref, SAMPLE_KILLS, rng):
            results.append(kp.kill_once(t, scenario, ref, tmp_path / "kill", delay=delay, wal_bytes=wal_bytes))
    failures = [r for r in results if r["failures"]]
    assert failures == [], failures
    assert sum(1 for r in results if r["killed"]) >= len(results) // 2, results
