"""SIGKILL at many points of every write command, and what must hold after each kill.

Used by ``test_crash.py`` (a sample in CI) and ``benchmarks/kill_points.py`` (the full
thousand).  Every scenario starts from a copy of one template store; it is run once
unkilled to learn the state it leaves ("after") and how long it takes, then killed at
points spread over that time.  After each kill:

* ``PRAGMA integrity_check`` is ``ok``;
* the store holds the state before the command or the state after it, nothing between
  (timestamps and generated ids aside);
* the audit trail, replayed from an empty store, gives the recordations, the hit
  statuses and the allow and deny lists the store holds;
* the next run (the same command when it writes a file, else a read) succeeds, and no
  temporary file is left afterwards beside the output, the store or the index cache.
"""

from __future__ import annotations

import csv
import json
import os
import random
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from _robust import (
    _WITH_SIGINT, FIXTURES, ROOT, child_env, integrity, run_ipr, wal_size, write_declarations, write_recordations,
)

from ipr_cli.models import RECORDATION_FIELDS

# Columns whose values differ between two runs of the same command (clock, random ids).
VOLATILE = {"at", "created_at", "updated_at", "decided_at", "started_at", "finished_at", "run_id",
            "duration_s", "applied_at", "id", "hit_id", "from_hit", "last_seen_at", "seen_at",
            # exchange: keys made anew, packages named and stamped when written or received
            "private_key", "public_key", "key_id", "pseudonym_secret", "trusted_at", "package_id", "created",
            "received_at", "sha256", "file"}
TABLES = ("recordations", "audit", "meta", "runs", "hits", "hit_runs", "decisions", "allow", "deny",
          "_sqlite_migrations", "exchange_identity", "exchange_partners", "exchange_packages", "partner_outcomes",
          "partner_recordations")


@dataclass
class Scenario:
    name: str
    args: Callable[[Path], tuple]  # given the kill's directory
    template: str = "main"  # or "premigration"
    writes_file: bool = False  # rerun it as the next run (it sweeps its own temp files)


@dataclass
class Templates:
    base: Path
    stores: dict[str, Path] = field(default_factory=dict)
    files: dict[str, Path] = field(default_factory=dict)


def _holder_of_fixture_hits(db: Path) -> str:
    con = sqlite3.connect(db)
    try:
        return con.execute("SELECT holder FROM hits GROUP BY holder ORDER BY count(*) DESC").fetchone()[0]
    finally:
        con.close()


def build_templates(base: Path, *, recordations: int = 5000, lines: int = 2000) -> Templates:
    """A store with ``recordations`` + the fixture recordations, a run with hits, some of
    them decided, allow and deny entries; and the same recordations before migrations."""
    t = Templates(base)
    if base.exists():
        shutil.rmtree(base)
    base.mkdir(parents=True)
    db = base / "main" / "ipr.db"
    db.parent.mkdir(exist_ok=True)
    ipr = _runner(db, base / "cache")
    t.files["old"] = write_recordations(base / "old.csv", range(recordations), "old")
    t.files["new"] = write_recordations(base / "new.csv", range(recordations + recordations // 5), "new")
    t.files["decl"] = write_declarations(base / "decl.csv", lines)

    ipr("recordation", "import", FIXTURES / "recordations.csv")
    ipr("recordation", "import", t.files["old"])
    ipr("recordation", "suspend", "RB-000013", "--reason", "template")
    ipr("check", t.files["decl"], "--format", "jsonl", "--quiet", "--output", base / "first.jsonl")
    hits = json.loads(ipr("hits", "list", "--format", "json"))
    open_ids = [h["hit_id"] for h in hits]
    ipr("decide", str(open_ids[0]), "hold", "--note", "template")
    ipr("decide", str(open_ids[1]), "false-positive", "--note", "template", "--allow")
    ipr("deny", "add", "--importer", "KR-TEMPLATE", "--reason", "template")
    t.files["holder"] = _holder_of_fixture_hits(db)  # type: ignore[assignment]
    t.files["open_hit"] = open_ids[2]  # type: ignore[assignment]
    t.files["allow_id"] = json.loads(ipr("allow", "list", "--format", "json"))[0]["id"]  # type: ignore[assignment]
    t.files["deny_id"] = json.loads(ipr("deny", "list", "--format", "json"))[0]["id"]  # type: ignore[assignment]
    t.stores["premigration"] = _premigration_copy(db, base / "premigration" / "ipr.db")
    _exchange_templates(t, db, ipr)
    t.stores["main"] = db
    return t


def _runner(db: Path, cache: Path) -> Callable:
    """``ipr ARGS`` on the store ``db``, which must succeed; its standard output."""
    env = child_env(IPR_DB=str(db), IPR_CACHE_DIR=str(cache))

    def ipr(*args) -> str:
        code, out, err, _ = run_ipr(*args, env=env, timeout=600)
        assert code == 0, (args, err)
        return out
    return ipr


def _exchange_templates(t: Templates, db: Path, ipr: Callable) -> None:
    """Keys and a partner for the exchange commands: a copy of the store without a key
    (for keygen); this store as KR, trusting FR and having sent FR one package; FR's
    package for KR (for import); and a third key, DE's, not yet trusted (for trust)."""
    base = t.base
    t.stores["nokey"] = base / "nokey" / "ipr.db"
    t.stores["nokey"].parent.mkdir()
    shutil.copy2(db, t.stores["nokey"])
    partner = base / "partner" / "ipr.db"
    partner.parent.mkdir()
    shutil.copy2(db, partner)
    third = base / "third" / "ipr.db"
    third.parent.mkdir()
    shutil.copy2(t.stores["nokey"], third)

    ipr("exchange", "keygen", "--admin", "KR", "--output", base / "KR.pub")
    fr = _runner(partner, base / "cache")
    fr("exchange", "keygen", "--admin", "FR", "--output", base / "FR.pub")
    fr("exchange", "trust", "KR", base / "KR.pub")
    fr("exchange", "export", "--to", "KR", "--recordations", "--output", base / "fr-to-kr.json")
    _runner(third, base / "cache")("exchange", "keygen", "--admin", "DE", "--output", base / "DE.pub")
    ipr("exchange", "trust", "FR", base / "FR.pub")
    ipr("exchange", "export", "--to", "FR", "--output", base / "kr-to-fr-first.json")  # (makes FR's pseudonym secret)
    t.files["package"] = base / "fr-to-kr.json"
    t.files["DE.pub"] = base / "DE.pub"


def _premigration_copy(src: Path, dst: Path) -> Path:
    """The recordations and their audit trail in a store that has only the first
    migration applied: opening it runs the others."""
    from sqlite_utils import Database

    from ipr_cli.migrations import migrations

    dst.parent.mkdir(parents=True, exist_ok=True)
    db = Database(dst)
    names = [m.name for m in migrations.pending(Database(memory=True))]
    migrations.apply(db, stop_before=names[1:])
    db.conn.execute("ATTACH DATABASE ? AS src", (str(src),))
    with db.conn:
        db.conn.execute("DELETE FROM meta")
        db.conn.execute("INSERT INTO recordations SELECT * FROM src.recordations")
        db.conn.execute("INSERT INTO meta SELECT * FROM src.meta")
        # (decisions, allow and deny entries came with later migrations' tables)
        db.conn.execute("INSERT INTO audit SELECT * FROM src.audit WHERE entity = 'recordation'")
    db.conn.execute("DETACH DATABASE src")
    db.conn.close()
    os.chmod(dst, 0o600)
    return dst


def scenarios(t: Templates) -> list[Scenario]:
    rid = "RB-0000"
    return [
        Scenario("recordation import", lambda d: ("recordation", "import", t.files["new"])),
        Scenario("recordation add", lambda d: ("recordation", "add", "KP-NEW-1", "--mark", "QUELLORIX",
                                               "--holder", "Kill Point AG", "--valid-until", "2031-01-01")),
        Scenario("recordation update", lambda d: ("recordation", "update", f"{rid}10", "--notes", "changed")),
        Scenario("recordation renew", lambda d: ("recordation", "renew", f"{rid}11", "--until", "2037-12-31")),
        Scenario("recordation suspend", lambda d: ("recordation", "suspend", f"{rid}12", "--reason", "kp")),
        Scenario("recordation reinstate", lambda d: ("recordation", "reinstate", f"{rid}13", "--note", "kp")),
        Scenario("recordation remove", lambda d: ("recordation", "remove", f"{rid}14", "--yes")),
        Scenario("check", lambda d: ("check", t.files["decl"], "--format", "json", "--quiet",
                                     "--output", d / "out" / "hits.json"), writes_file=True),
        Scenario("decide", lambda d: ("decide", str(t.files["open_hit"]), "hold", "--note", "kp")),
        Scenario("allow add", lambda d: ("allow", "add", "--recordation", f"{rid}20", "--importer", "KR-KP",
                                         "--reason", "kp")),
        Scenario("allow remove", lambda d: ("allow", "remove", str(t.files["allow_id"]), "--note", "kp")),
        Scenario("deny add", lambda d: ("deny", "add", "--importer", "KR-KP2", "--reason", "kp")),
        Scenario("deny remove", lambda d: ("deny", "remove", str(t.files["deny_id"]), "--note", "kp")),
        Scenario("recordation export", lambda d: ("recordation", "export", "--output", d / "out" / "recs.csv"),
                 writes_file=True),
        Scenario("report", lambda d: ("report", "latest", "--format", "html", "--output", d / "out" / "r.html"),
                 writes_file=True),
        Scenario("hits export", lambda d: ("hits", "export", "--holder", t.files["holder"], "--status", "all",
                                           "--output", d / "out" / "holder.csv"), writes_file=True),
        Scenario("migrate on open", lambda d: ("recordation", "list", "--format", "csv"), template="premigration"),
        Scenario("exchange keygen", lambda d: ("exchange", "keygen", "--admin", "KR", "--output", d / "out" / "KR.pub"),
                 template="nokey"),
        Scenario("exchange trust", lambda d: ("exchange", "trust", "DE", t.files["DE.pub"])),
        Scenario("exchange export", lambda d: ("exchange", "export", "--to", "FR", "--recordations",
                                               "--output", d / "out" / "kr-to-fr.json"), writes_file=True),
        Scenario("exchange import", lambda d: ("exchange", "import", t.files["package"])),
    ]


# --------------------------------------------------------------------------- state


def state(db: Path) -> dict:
    """What the store holds, without the columns that differ between two equal runs."""
    con = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    try:
        out = {}
        tables = {r[0] for r in con.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        for table in TABLES:
            if table not in tables:
                out[table] = None
                continue
            cur = con.execute(f"SELECT * FROM [{table}]")
            names = [c[0] for c in cur.description]
            keep = [i for i, n in enumerate(names) if n not in VOLATILE]
            rows = []
            for row in cur:
                values = []
                for i in keep:
                    value = row[i]
                    if table == "audit" and names[i] == "entity_id" and row[names.index("entity")] == "exchange-package":
                        value = None  # a package sent is named anew each time
                    if table == "audit" and names[i] in ("before", "after") and value:
                        record = json.loads(value)
                        value = json.dumps({k: v for k, v in record.items() if k not in VOLATILE}, sort_keys=True)
                    values.append(value)
                rows.append(repr(tuple(values)))
            out[table] = sorted(rows)
        return out
    finally:
        con.close()


def replay_problems(db: Path) -> list[str]:
    """Replay the audit trail from nothing; name where it differs from the stored state."""
    con = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    con.row_factory = sqlite3.Row
    problems: list[str] = []
    try:
        recs: dict[str, dict] = {}
        statuses: dict[int, str] = {}
        lists: dict[str, set[str]] = {"allow": set(), "deny": set()}
        for row in con.execute("SELECT * FROM audit ORDER BY id"):
            before = json.loads(row["before"]) if row["before"] else None
            after = json.loads(row["after"]) if row["after"] else None
            entity, key = row["entity"], row["entity_id"]
            if entity == "recordation":
                if after is None:
                    recs.pop(key, None)
                elif before is None:
                    recs[key] = dict(after)
                else:
                    recs.setdefault(key, {}).update(after)
            elif entity == "hit" and after:
                statuses[int(key)] = after["status"]
            elif entity in lists:
                (lists[entity].discard if after is None else lists[entity].add)(key)
        # The audit trail keeps recordations in the canonical (import file) form; the store
        # keeps lists as JSON and numbers as numbers: compare in the canonical form.
        from ipr_cli.store import from_store_row

        stored = {}
        for r in con.execute("SELECT * FROM recordations"):
            try:
                canonical = from_store_row(dict(r)).to_record()
            except (ValueError, KeyError, TypeError):  # unreadable: compared as stored, so it differs
                canonical = dict(r)
            stored[r["recordation_id"]] = {k: (canonical.get(k) if canonical.get(k) is not None else "")
                                           for k in RECORDATION_FIELDS}
        replayed = {k: {f: v.get(f, "") for f in RECORDATION_FIELDS} for k, v in recs.items()}
        if stored != replayed:
            differ = sorted(set(stored) ^ set(replayed)) or [k for k in stored if stored[k] != replayed.get(k)]
            problems.append(f"recordations differ from the audit trail: {differ[:5]}")
        tables = {r[0] for r in con.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        if "hits" in tables:
            for hit_id, status in con.execute("SELECT hit_id, status FROM hits"):
                if statuses.get(hit_id, "open") != status:
                    problems.append(f"hit {hit_id} is {status}, the audit trail says {statuses.get(hit_id, 'open')}")
                    break
            for table in ("allow", "deny"):
                ids = {str(r[0]) for r in con.execute(f"SELECT id FROM [{table}]")}
                if ids != lists[table]:
                    problems.append(f"{table} list {sorted(ids)} differs from the audit trail {sorted(lists[table])}")
    finally:
        con.close()
    return problems


def temp_files(*dirs: Path) -> list[str]:
    found = []
    for d in dirs:
        if d.is_dir():
            found += [str(p) for p in d.iterdir() if p.name.endswith(".tmp")]
    return found


# --------------------------------------------------------------------------- kills


def start(args: tuple, env: dict, stderr_file: Path) -> subprocess.Popen:
    """``ipr ARGS`` with its output thrown away: a pipe no one reads would block it."""
    with open(stderr_file, "wb") as err:
        return subprocess.Popen([sys.executable, "-c", _WITH_SIGINT, *map(str, args)], stdout=subprocess.DEVNULL,
                                stderr=err, stdin=subprocess.DEVNULL, env=env, cwd=ROOT)


def fresh(t: Templates, scenario: Scenario, where: Path) -> tuple[Path, dict]:
    """A copy of the scenario's template store in ``where``; its environment."""
    if where.exists():
        shutil.rmtree(where)
    (where / "out").mkdir(parents=True)
    db = where / "store" / "ipr.db"
    db.parent.mkdir()
    shutil.copy2(t.stores[scenario.template], db)
    cache = where / "cache"
    return db, child_env(IPR_DB=str(db), IPR_CACHE_DIR=str(cache))


@dataclass
class Reference:
    before: dict
    after: dict
    duration: float
    wal: int


def reference(t: Templates, scenario: Scenario, where: Path) -> Reference:
    db, env = fresh(t, scenario, where)
    before = state(db)
    start_time = time.monotonic()
    proc = start(scenario.args(where), env, where / "stderr.txt")
    biggest = 0
    while proc.poll() is None:
        biggest = max(biggest, wal_size(db))
        time.sleep(0.002)
    duration = time.monotonic() - start_time
    assert proc.returncode == 0, (scenario.name, (where / "stderr.txt").read_text(errors="replace"))
    return Reference(before, state(db), duration, biggest)


def kill_once(t: Templates, scenario: Scenario, ref: Reference, where: Path, *, delay: float | None,
              wal_bytes: int | None = None, next_read: bool = True) -> dict:
    """Run the scenario, SIGKILL it after ``delay`` seconds (or once the WAL holds
    ``wal_bytes``), check the store and the next run; return what happened.  A command
    that writes only the store leaves no temporary file of its own, so the next run
    (a read) can be left out with ``next_read=False`` to save time."""
    db, env = fresh(t, scenario, where)
    proc = start(scenario.args(where), env, where / "stderr.txt")
    if wal_bytes is not None:
        deadline = time.monotonic() + 60
        while proc.poll() is None and time.monotonic() < deadline and wal_size(db) < wal_bytes:
            time.sleep(0.001)
    else:
        time.sleep(delay or 0)
    killed = proc.poll() is None
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    failures: list[str] = []
    verdict = integrity(db)
    if verdict != "ok":
        failures.append(f"integrity_check: {verdict}")
    now = state(db)
    outcome = "before" if now == ref.before else "after" if now == ref.after else "between"
    if outcome == "between":
        differ = [k for k in now if now[k] != ref.before[k] and now[k] != ref.after[k]]
        failures.append(f"half-written: tables {differ} are neither as before nor as after")
    failures += replay_problems(db)
    # The next run: the same command when it writes a file (it sweeps that name's
    # leftovers), else (when asked) a short read that opens, and migrates, the store.
    if scenario.writes_file or next_read:
        next_args = scenario.args(where) if scenario.writes_file else ("allow", "list", "--format", "json")
        code, _, err, _ = run_ipr(*next_args, env=env, timeout=600)
        if code != 0:
            failures.append(f"next run exited {code}: {err.strip()[:300]}")
    left = temp_files(where / "out", db.parent, where / "cache")
    if left:
        failures.append(f"temporary files outlived the next run: {left}")
    return {"scenario": scenario.name, "delay": delay, "wal_bytes": wal_bytes, "killed": killed,
            "outcome": outcome, "failures": failures}


def plan(ref: Reference, count: int, rng: random.Random) -> list[tuple[float | None, int | None]]:
    """``count`` kill points: most spread evenly over the run (with jitter), a quarter
    (at least one) triggered by the WAL growing, for a command that writes the store:
    those land inside the transaction or its commit."""
    points: list[tuple[float | None, int | None]] = []
    by_wal = max(1, count // 4) if ref.wal > 0 else 0
    for i in range(by_wal):
        points.append((None, int(ref.wal * (i + rng.random()) / by_wal * 0.98) + 1))
    timed = count - by_wal
    for i in range(timed):
        points.append(((i + rng.random()) / timed * ref.duration * 1.05, None))
    return points


CSV_FIELDS = ["scenario", "delay", "wal_bytes", "killed", "outcome", "failures"]


def append_csv(path: Path, result: dict) -> None:
    """One row per kill, appended as it happens (a long run can be followed, or cut short)."""
    new = not path.exists()
    with open(path, "a", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        if new:
            w.writerow(CSV_FIELDS)
        w.writerow([result["scenario"], result["delay"], result["wal_bytes"], result["killed"], result["outcome"],
                    "; ".join(result["failures"])])
