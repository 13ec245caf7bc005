"""Data is shown, never obeyed: Rich markup prints literally, HTML is escaped, CSV cells
cannot run as formulas, SQL is only ever built with parameters, and ``--output``
appears whole or not at all."""

from __future__ import annotations

import csv
import io
import json
import os
import sqlite3
from html.parser import HTMLParser

import pytest

from _robust import FIXTURES
from ipr_cli.writers._text import neutralise_cell

MARKUP_ID = "KCS-[bold]1[/bold]"
MARKUP_MARK = "[link=http://x]QUORVANT[/link]"
MARKUP_HOLDER = "[/red]Quorvant [i]AG"


@pytest.fixture
def marked(ipr):
    """A store whose recordation carries Rich markup in its id, mark and holder."""
    result = ipr("recordation", "add", MARKUP_ID, "--mark", MARKUP_MARK, "--holder", MARKUP_HOLDER,
                 "--valid-until", "2031-01-01", "--notes", "[blink]genuine[/blink] has a [b]tag")
    assert result.exit_code == 0, result.stderr
    assert f"Added {MARKUP_ID} ({MARKUP_MARK})." in result.stderr  # the confirmation shows it as typed
    return result


def test_rich_markup_in_recordations_prints_literally(ipr, marked):
    listing = ipr("recordation", "list")
    assert listing.exit_code == 0
    assert MARKUP_ID in listing.stdout and MARKUP_HOLDER in listing.stdout
    shown = ipr("recordation", "show", MARKUP_ID)
    assert shown.exit_code == 0
    for text in (MARKUP_ID, MARKUP_MARK, MARKUP_HOLDER, "[blink]genuine[/blink] has a [b]tag"):
        assert text in shown.stdout
    assert ipr("recordation", "suspend", MARKUP_ID, "--reason", "[/x]").exit_code == 0
    assert ipr("recordation", "remove", MARKUP_ID, "--yes").exit_code == 0


def test_rich_markup_in_a_declaration_prints_literally_in_the_table(ipr, marked, tmp_path):
    assert ipr("recordation", "add", "[b]Q-2[/b]", "--mark", "ZEPHORIA", "--holder", MARKUP_HOLDER,
               "--valid-until", "2031-01-01").exit_code == 0
    decl = tmp_path / "d.csv"
    decl.write_text("declaration_id,description\n[bold]D-1[/bold],ZEPHORIA [link=http://x]bags[/link]\n",
                    encoding="utf-8")
    result = ipr("check", decl, "--verbose")
    assert result.exit_code == 0, result.stderr
    for text in ("[bold]D-1[/bold]", "[link=http://x]bags[/link]", "[b]Q-2[/b]", MARKUP_HOLDER):
        assert text in result.stdout


def test_rich_markup_in_error_messages_prints_literally(ipr, marked, tmp_path):
    missing = tmp_path / "[red]gone[/red].csv"
    result = ipr("check", missing)
    assert result.exit_code == 2
    assert "[red]gone[/red].csv" in result.stderr
    result = ipr("recordation", "show", "[/bold]nope")
    assert result.exit_code == 2 and "'[/bold]nope'" in result.stderr
    bad = tmp_path / "bad.csv"
    bad.write_text("recordation_id,mark,holder,valid_until\nR[b]1,M,H,[/b]2030\n", encoding="utf-8")
    result = ipr("recordation", "import", bad)
    assert result.exit_code == 2 and "'[/b]2030' is not an ISO date" in result.stderr


def test_an_internal_error_quoting_markup_still_reports_cleanly(ipr, marked, monkeypatch):
    from ipr_cli.store import Store

    def broken(self):
        raise RuntimeError("[/bold] odd [link=http://x]data")

    monkeypatch.setattr(Store, "recordations", broken)
    result = ipr("recordation", "list")
    assert result.exit_code == 4
    assert "Internal error: RuntimeError: [/bold] odd [link=http://x]data" in result.stderr
    assert "Traceback" not in result.stderr


# --------------------------------------------------------------------------- HTML

EVIL = [
    "<script>alert(1)</script>",
    '"><img src=x onerror=alert(1)>',
    "</td></tr></table><script src=//evil.example></script>",
    "<svg/onload=alert(1)>",
    "javascript:alert(1)",
    "<!--",
]
ALLOWED_TAGS = {"html", "head", "meta", "title", "style", "body", "header", "h1", "h2", "dl", "dt", "dd",
                "section", "table", "thead", "tbody", "tr", "th", "td", "span", "br", "mark", "ul", "li",
                "p", "footer"}


class Tags(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: set[str] = set()
        self.attrs: set[str] = set()
        self.comments = 0

    def handle_starttag(self, tag, attrs):
        self.tags.add(tag)
        self.attrs.update(name for name, _ in attrs)

    def handle_comment(self, data):
        self.comments += 1


def test_html_output_escapes_every_value(ipr, tmp_path):
    assert ipr("recordation", "import", FIXTURES / "recordations.csv").exit_code == 0
    decl = tmp_path / "evil <script>.csv"
    with open(decl, "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(["declaration_id", "item_no", "importer", "description", "brand"])
        for i, evil in enumerate(EVIL):
            w.writerow([evil, evil, evil, f"NIKE {evil} SHOES", evil])
            w.writerow([f"D{i}", "1", "X", f"{evil}NIKE", ""])
    out = tmp_path / "report.html"
    result = ipr("check", decl, "--format", "html", "--output", out)
    assert result.exit_code == 0, result.stderr
    page = out.read_text(encoding="utf-8")
    assert page.count("<tr>") >= len(EVIL)  # the evil lines were flagged and shown
    parser = Tags()
    parser.feed(page)
    assert parser.tags <= ALLOWED_TAGS, parser.tags - ALLOWED_TAGS
    assert not any(a.startswith("on") or a == "src" for a in parser.attrs), parser.attrs
    assert parser.comments == 0
    assert "<script" not in page.lower() and "<img" not in page.lower() and "<svg" not in page.lower()
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page


# --------------------------------------------------------------------------- CSV

FORMULAS = ["=HYPERLINK(\"http://evil.example\",\"x\")", "+1+1", "-2+3", "@SUM(A1:A2)", "\t=1", "\r=1",
            "'=already quoted"]


def formula_like(cell: str) -> bool:
    return bool(cell) and cell[0] in "=+-@\t\r"


def test_csv_output_of_check_neutralises_formulas(ipr, tmp_path):
    assert ipr("recordation", "import", FIXTURES / "recordations.csv").exit_code == 0
    decl = tmp_path / "=cmd.csv"
    with open(decl, "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(["declaration_id", "item_no", "description"])
        for formula in FORMULAS:
            w.writerow([formula, formula, f"NIKE {formula}"])
    result = ipr("check", decl, "--format", "csv")
    assert result.exit_code == 0, result.stderr
    table = list(csv.DictReader(io.StringIO(result.stdout)))
    assert len(table) == len(FORMULAS)
    for row in table:
        for name, cell in row.items():
            if name in ("row", "score"):
                assert cell.isdigit()
            else:
                assert not formula_like(cell), (name, cell)
    # (values are trimmed when read, so "\t=1" arrives as "=1")
    assert {row["declaration_id"] for row in table} == {neutralise_cell(f.strip()) for f in FORMULAS}


def test_csv_listing_and_export_neutralise_formulas_and_export_round_trips(ipr, tmp_path, monkeypatch):
    for n, formula in enumerate(FORMULAS):
        result = ipr("recordation", "add", f"R-{n}", "--mark", f"QUORVANT{n}", "--holder", formula,
                     "--valid-until", "2031-01-01", "--notes", formula, "--contact", formula)
        assert result.exit_code == 0, result.stderr
    listing = ipr("recordation", "list", "--format", "csv")
    for row in csv.reader(io.StringIO(listing.stdout)):
        assert not any(formula_like(c) for c in row), row
    before = json.loads(ipr("recordation", "list", "--format", "json").stdout)
    export = tmp_path / "export.csv"
    assert ipr("recordation", "export", "--output", export).exit_code == 0
    with open(export, newline="", encoding="utf-8") as f:
        for row in csv.reader(f):
            assert not any(formula_like(c) for c in row), row
    # The export imports back unchanged into a fresh store.
    monkeypatch.setenv("IPR_DB", str(tmp_path / "fresh.db"))
    assert ipr("recordation", "import", export).exit_code == 0
    assert json.loads(ipr("recordation", "list", "--format", "json").stdout) == before


# --------------------------------------------------------------------------- SQL

SQL_IDS = ["x'); DROP TABLE recordations;--", "'; DELETE FROM audit; --", 'R" OR "1"="1', "R%_\\"]


@pytest.mark.parametrize("rid", SQL_IDS)
def test_sql_in_values_round_trips_as_data(ipr, db_path, tmp_path, rid):
    assert ipr("recordation", "import", FIXTURES / "recordations.csv").exit_code == 0
    add = ipr("recordation", "add", rid, "--mark", "QUORVANT", "--holder", rid, "--valid-until", "2031-01-01",
              "--aliases", "Q2;Q3")
    assert add.exit_code == 0, add.stderr
    shown = json.loads(ipr("recordation", "show", rid, "--format", "json").stdout)
    assert shown["recordation_id"] == rid and shown["holder"] == rid and shown["aliases"] == ["Q2", "Q3"]
    assert ipr("recordation", "update", rid, "--notes", rid).exit_code == 0
    assert ipr("recordation", "search", rid).exit_code == 0
    ids = [r["recordation_id"] for r in json.loads(ipr("recordation", "list", "--format", "json").stdout)]
    assert rid in ids and len(ids) == 11  # nothing else appeared or vanished
    # A screening run stores declaration values with SQL in them as they are.
    decl = tmp_path / "d.csv"
    with open(decl, "w", newline="", encoding="utf-8") as f:
        csv.writer(f).writerows([["declaration_id", "importer", "description"], [rid, rid, "QUORVANT bags"]])
    check = ipr("check", decl, "--format", "json")
    assert check.exit_code == 0, check.stderr
    hit = json.loads(check.stdout)["hits"][0]
    assert hit["declaration_id"] == rid and hit["recordation_id"] == rid
    con = sqlite3.connect(db_path)
    try:
        stored = con.execute("SELECT declaration_id, recordation_id FROM hits").fetchall()
        tables = {r[0] for r in con.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        audit = con.execute("SELECT count(*) FROM audit WHERE entity_id = ?", (rid,)).fetchone()[0]
    finally:
        con.close()
    assert stored == [(rid, rid)]
    assert {"recordations", "audit", "runs", "hits", "meta"} <= tables
    assert audit == 2  # add + update
    # A recordation with saved hits is kept for its cases (see test_casework); suspending
    # it and, once its hits are gone, removing it work with SQL in the id too.
    refused = ipr("recordation", "remove", rid, "--yes")
    assert refused.exit_code == 2 and rid in refused.stderr
    assert ipr("recordation", "suspend", rid, "--reason", rid).exit_code == 0
    con = sqlite3.connect(db_path)
    with con:
        con.execute("DELETE FROM hit_runs")
        con.execute("DELETE FROM hits")
    con.close()
    assert ipr("recordation", "remove", rid, "--yes").exit_code == 0
    assert ipr("recordation", "show", rid).exit_code == 2


# --------------------------------------------------------------------------- --output


def test_output_replaces_the_file_only_when_the_run_completes(ipr, tmp_path, monkeypatch):
    """A failure half-way through writing leaves the previous file as it was, and no temp file."""
    assert ipr("recordation", "import", FIXTURES / "recordations.csv").exit_code == 0
    out = tmp_path / "out" / "hits.jsonl"
    out.parent.mkdir()
    out.write_text("previous\n", encoding="utf-8")
    os.chmod(out, 0o640)
    from ipr_cli.writers import _check

    written = []

    def write_then_fail(self, hit, line):
        written.append(hit)
        if len(written) == 3:
            raise RuntimeError("writer broke half-way")
        self.stream.write("partial\n")

    with monkeypatch.context() as m:
        m.setattr(_check.JsonLinesWriter, "_write", write_then_fail)
        result = ipr("check", FIXTURES / "declarations.csv", "--format", "jsonl", "--output", out)
    assert result.exit_code == 4
    assert out.read_text(encoding="utf-8") == "previous\n"
    assert [p.name for p in out.parent.iterdir()] == ["hits.jsonl"]
    # And when the run completes, the whole result replaces it, keeping its permissions.
    result = ipr("check", FIXTURES / "declarations.csv", "--format", "jsonl", "--output", out)
    assert result.exit_code == 0
    assert len(out.read_text(encoding="utf-8").splitlines()) >= 10
    assert os.stat(out).st_mode & 0o777 == 0o640
    assert [p.name for p in out.parent.iterdir()] == ["hits.jsonl"]
