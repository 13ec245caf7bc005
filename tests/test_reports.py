"""``ipr report``: totals and breakdowns, CSV/JSON, and an HTML page that is safe and opens in Chromium."""

from __future__ import annotations

import csv
import io
import json
import shutil
import subprocess
from html.parser import HTMLParser

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ipr_cli.models import Verdict
from test_casework import APPLE, LV, NIKE, hit, import_recordations, line, save_run, standard_run

HOSTILE = {
    "description": '<script>alert("desc")</script> N1KE SHOES & <b>bold</b>',
    "importer": '"><img src=x onerror=alert(1)>',
    "origin": "<i",
    "hs_code": "6404</td><td>",
    "decl": "<iframe src=//evil>",
}

# Everything the report itself writes; a value that became markup would add to this.
ALLOWED_TAGS = {
    "html", "head", "meta", "title", "style", "body", "header", "h1", "h2", "dl", "dt", "dd", "section", "div",
    "b", "span", "svg", "g", "text", "rect", "table", "thead", "tbody", "tr", "th", "td", "ul", "li", "mark",
    "br", "footer", "p",
}


class Tags(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: set[str] = set()
        self.attrs: set[str] = set()
        self.text: list[str] = []

    def handle_starttag(self, tag, attrs):
        self.tags.add(tag)
        self.attrs.update(name for name, _ in attrs)

    def handle_data(self, data):
        self.text.append(data)


def hostile_run(db_path) -> list[int]:
    import_recordations(db_path)
    bad = line(1, HOSTILE["description"], importer=HOSTILE["importer"], origin=HOSTILE["origin"],
               hs=HOSTILE["hs_code"], decl=HOSTILE["decl"])
    ok = line(2, "APPLE MACBOOK", importer="KR7003003", origin="HK", hs="847130")
    return save_run(db_path, [
        (hit(bad, NIKE, "NIKE", "Nike Innovate C.V.", "N1KE", reasons=("reason with <script>x</script>",)), bad),
        (hit(ok, APPLE, "APPLE", "Apple Inc.", "APPLE", verdict=Verdict.REVIEW, score=70), ok),
    ], run_id="20261102-090000-<evil>")


def test_report_json_has_totals_and_every_breakdown(ipr, db_path):
    ids = standard_run(db_path)
    ipr("decide", str(ids[0]), "hold", "--note", "fake")
    result = ipr("report", "20261102", "--format", "json")
    assert result.exit_code == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["schema_version"] == 1 and data["run"]["run_id"] == "20261102-090000-aaaaaa"
    totals = data["totals"]
    assert (totals["lines_read"], totals["lines_flagged"], totals["flags"], totals["hit"], totals["review"]) == (
        25, 4, 4, 3, 1)
    assert totals["status_hold"] == 1 and totals["status_open"] == 3
    assert [(r["name"], r["flags"]) for r in data["by_holder"]] == [
        ("Nike Innovate C.V.", 2), ("Apple Inc.", 1), ("Louis Vuitton Malletier", 1)]
    assert {r["name"]: r["flags"] for r in data["by_recordation"]} == {NIKE: 2, LV: 1, APPLE: 1}
    assert {r["name"]: r["flags"] for r in data["by_origin"]} == {"CN": 2, "TH": 1, "HK": 1}
    assert {r["name"]: r["flags"] for r in data["by_verdict"]} == {"hit": 3, "review": 1}
    assert [h["hit_id"] for h in data["hits"]] == ids and data["hits"][0]["deadline"]


def test_report_csv_is_one_row_per_hit_and_neutralised(ipr, db_path):
    import_recordations(db_path)
    ln = line(1, "=HYPERLINK(\"http://x\") N1KE", importer="+KR1")
    save_run(db_path, [(hit(ln, NIKE, "NIKE", "Nike Innovate C.V.", "N1KE"), ln)])
    result = ipr("report", "latest", "--format", "csv")
    assert result.exit_code == 0
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    assert len(rows) == 1
    assert rows[0]["description"].startswith("'=") and rows[0]["importer"].startswith("'+")
    assert rows[0]["holder"] == "Nike Innovate C.V." and rows[0]["status"] == "open"


def test_report_errors(ipr, db_path):
    standard_run(db_path)
    assert ipr("report", "nope").exit_code == 2
    assert ipr("report", "latest", "--format", "pdf").exit_code == 2


def test_html_report_escapes_every_value_from_a_declaration(ipr, db_path, tmp_path):
    hostile_run(db_path)
    out = tmp_path / "report.html"
    result = ipr("report", "latest", "--output", str(out))
    assert result.exit_code == 0, result.stderr
    page = out.read_text(encoding="utf-8")
    assert "<script" not in page.lower() and "<img" not in page.lower() and "<iframe" not in page.lower()
    assert "&lt;script&gt;alert(&quot;desc&quot;)&lt;/script&gt;" in page
    assert "&quot;&gt;&lt;img src=x onerror=alert(1)&gt;" in page
    parser = Tags()
    parser.feed(page)
    assert parser.tags <= ALLOWED_TAGS, parser.tags - ALLOWED_TAGS
    assert not [a for a in parser.attrs if a.startswith("on")]
    text = "".join(parser.text)
    for value in HOSTILE.values():
        assert value in text  # shown as typed
    assert "<mark>N1KE</mark>" in page
    assert "default-src 'none'" in page  # no scripts, no remote resources even if escaping failed


def test_html_report_is_self_contained_with_a_chart_and_print_css(ipr, db_path):
    standard_run(db_path)
    page = ipr("report", "latest").stdout
    assert page.startswith("<!DOCTYPE html>") and page.rstrip().endswith("</html>")
    assert "<svg" in page and 'class="bar"' in page and "@media print" in page
    assert "http://" not in page.replace("http://www.w3.org/2000/svg", "")
    assert "https://" not in page and "<link" not in page and " src=" not in page


def test_bar_chart_escapes_holder_names():
    from ipr_cli.writers.report import bar_chart

    svg = bar_chart([{"name": "</svg><script>x</script>", "flags": 3}, {"name": "B & C", "flags": 1}])
    assert "<script" not in svg and "&lt;/svg&gt;" in svg and "B &amp; C" in svg
    assert bar_chart([]) == ""


def _chromium() -> str | None:
    return shutil.which("chromium") or shutil.which("chromium-browser")


def _run_chromium(tmp_path, *args: str) -> subprocess.CompletedProcess:
    exe = _chromium()
    return subprocess.run(
        [exe, "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
         "--disable-component-update", "--disable-sync", "--no-first-run", f"--user-data-dir={tmp_path / 'profile'}",
         "--enable-logging=stderr", "--v=0", *args],
        capture_output=True, text=True, timeout=120,
    )


@pytest.mark.skipif(_chromium() is None, reason="chromium is not installed")
def test_html_report_opens_in_headless_chromium(ipr, db_path, tmp_path):
    hostile_run(db_path)
    ipr("decide", "1", "hold", "--note", "fake")
    page = tmp_path / "report.html"
    assert ipr("report", "latest", "--output", str(page)).exit_code == 0

    dom = _run_chromium(tmp_path, "--dump-dom", page.as_uri())
    assert dom.returncode == 0, dom.stderr[-2000:]
    parser = Tags()
    parser.feed(dom.stdout)
    assert "IPR screening report" in dom.stdout and "Flagged lines (2)" in dom.stdout
    assert parser.tags <= ALLOWED_TAGS, parser.tags - ALLOWED_TAGS  # the browser built no element from data
    assert "svg" in parser.tags and "mark" in parser.tags
    assert HOSTILE["description"] in "".join(parser.text)
    console = [x for x in dom.stderr.splitlines() if "CONSOLE" in x or "Uncaught" in x or "Content Security" in x]
    assert console == []

    png = tmp_path / "report.png"
    shot = _run_chromium(tmp_path, "--window-size=1280,1600", f"--screenshot={png}", page.as_uri())
    assert shot.returncode == 0 and png.stat().st_size > 10_000
    pdf = tmp_path / "report.pdf"
    printed = _run_chromium(tmp_path, "--no-pdf-header-footer", f"--print-to-pdf={pdf}", page.as_uri())
    assert printed.returncode == 0 and pdf.read_bytes().startswith(b"%PDF")



@settings(max_examples=150, deadline=None)
@given(value=st.text(max_size=60), matched=st.text(max_size=8))
def test_no_declaration_value_becomes_markup(value, matched):
    from ipr_cli.writers.report import render_html

    hit_data = {
        "hit_id": 1, "run_id": "r", "file": value, "row": 1, "declaration_id": value, "item_no": value,
        "recordation_id": value, "mark": value, "holder": value, "score": 90, "verdict": value,
        "matched_text": matched, "reasons": [value], "status": value, "deadline": value, "decided_by": value,
        "span": None, "field": "description", "date": value,
        "line": {"description": value + matched, "importer": value, "origin": value, "hs_code": value, "brand": value},
    }
    tally = [{"name": value, "flags": 1, "lines": 1, "hit": 1, "review": 0, "mark": value, "holder": value}]
    data = {
        "run": {"run_id": value, "files": [{"path": value, "lines": 1}], "started_at": value, "user": value},
        "totals": {"lines_read": 1, "lines_flagged": 1, "hit": 1, "review": 0, "suppressed": 0},
        "by_holder": tally, "by_recordation": tally, "by_origin": tally, "by_verdict": tally, "hits": [hit_data],
        "generated_at": value, "ipr_version": value,
    }
    parser = Tags()
    parser.feed(render_html(data))
    assert parser.tags <= ALLOWED_TAGS
    assert not [a for a in parser.attrs if a.startswith("on")]
