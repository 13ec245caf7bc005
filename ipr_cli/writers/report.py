"""``ipr report``: one run for the morning shift, as HTML, CSV or JSON.

The HTML page is one self-contained file: inline CSS, an inline SVG bar chart of flags
per holder, no scripts and no external resources (a Content-Security-Policy forbids
both, should escaping ever be missed).  Every value goes through :func:`esc`
(``writers._text``).
"""

from __future__ import annotations

import csv
import json
from typing import Any, TextIO

from ipr_cli.writers._html import highlighted
from ipr_cli.writers._text import REPORT_DESCRIPTION_CHARS, display_text, esc, neutralise_cell

REPORT_HIT_COLUMNS = ("hit_id", "file", "row", "declaration_id", "item_no", "date", "importer", "origin",
                      "hs_code", "description", "recordation_id", "mark", "holder", "matched_text", "score",
                      "verdict", "reasons", "status", "decided_by", "deadline")
CHART_BARS = 15  # holders shown in the chart; the table lists them all


def text(value: Any) -> str:
    """A value as display text: lists joined, control characters made visible, line breaks kept."""
    return display_text(value, keep_newlines=True)


def _esc(value: Any) -> str:
    """``esc`` keeping line breaks (a report shows notes as written)."""
    return esc(value, keep_newlines=True)


def hit_row(hit: dict) -> dict:
    """One hit flattened for CSV and the HTML table."""
    line = hit.get("line") or {}
    row = {k: hit.get(k, "") for k in REPORT_HIT_COLUMNS}
    for k in ("importer", "origin", "hs_code", "description"):
        row[k] = line.get(k, "")
    row["date"] = hit.get("date", "")
    return row


def write_csv(data: dict, stream: TextIO) -> None:
    """The run's hits, one row each, cells a spreadsheet would run as formulas neutralised."""
    writer = csv.writer(stream, lineterminator="\n")
    writer.writerow(REPORT_HIT_COLUMNS)
    for hit in data["hits"]:
        row = hit_row(hit)
        writer.writerow([
            row[k] if isinstance(row[k], int) and not isinstance(row[k], bool) else neutralise_cell(text(row[k]))
            for k in REPORT_HIT_COLUMNS
        ])


def write_json(data: dict, stream: TextIO) -> None:
    json.dump(data, stream, ensure_ascii=False, indent=2)
    stream.write("\n")


CSS = """
:root { color-scheme: light; }
* { box-sizing: border-box; }
body { font: 14px/1.4 system-ui, -apple-system, "Segoe UI", "Noto Sans", "Noto Sans CJK KR", "Malgun Gothic", sans-serif;
       color: #111; background: #fff; margin: 1.5rem; max-width: 80rem; }
h1 { font-size: 1.45rem; margin: 0 0 .4rem; }
h2 { font-size: 1.1rem; margin: 1.4rem 0 .4rem; border-bottom: 1px solid #ccc; padding-bottom: .15rem; }
dl.meta { display: grid; grid-template-columns: max-content 1fr; gap: .1rem 1rem; margin: 0; }
dl.meta dt { font-weight: 600; }
dl.meta dd { margin: 0; overflow-wrap: anywhere; }
.cards { display: flex; flex-wrap: wrap; gap: .6rem; margin: .6rem 0; }
.card { border: 1px solid #bbb; border-radius: 4px; padding: .35rem .7rem; min-width: 6.5rem; }
.card b { display: block; font-size: 1.35rem; font-variant-numeric: tabular-nums; }
.card span { color: #444; font-size: .85em; }
.grid { display: grid; grid-template-columns: repeat(auto-fit, minmax(24rem, 1fr)); gap: 0 1.5rem; }
table { border-collapse: collapse; width: 100%; }
th, td { border: 1px solid #bbb; padding: .25rem .4rem; vertical-align: top; text-align: left; }
thead th { background: #eee; }
td { overflow-wrap: anywhere; }
td.line { overflow-wrap: normal; }
.nowrap { white-space: nowrap; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
.sub { color: #555; font-size: .9em; }
.verdict { font-weight: 700; text-transform: uppercase; white-space: nowrap; }
.verdict-hit { color: #b00020; }
.verdict-review { color: #8a5a00; }
.status { white-space: nowrap; }
mark { background: #ffe066; color: #000; font-weight: 700; padding: 0 .1em; }
ul.reasons { margin: 0; padding-left: 1.1rem; }
svg.chart { display: block; max-width: 46rem; height: auto; }
svg.chart text { font: 12px system-ui, sans-serif; fill: #111; }
svg.chart rect.bar { fill: #3b5b92; }
footer { margin-top: 1.5rem; color: #555; font-size: .85em; }
@page { size: A4 landscape; margin: 12mm; }
@media print {
  body { margin: 0; font-size: 9pt; max-width: none; }
  h2 { break-after: avoid; page-break-after: avoid; }
  thead { display: table-header-group; }
  tr, .card, svg.chart, .grid section { break-inside: avoid; page-break-inside: avoid; }
  thead th { background: #eee !important; }
  mark, svg.chart rect.bar { -webkit-print-color-adjust: exact; print-color-adjust: exact; }
}
"""


def bar_chart(rows: list[dict], *, title: str = "Flags per holder") -> str:
    """A horizontal bar chart as inline SVG: one bar per row (``name``, ``flags``)."""
    rows = rows[:CHART_BARS]
    if not rows:
        return ""
    bar_h, gap, label_w, bar_w, pad = 20, 6, 230, 360, 40
    height = len(rows) * (bar_h + gap) + gap
    width = label_w + bar_w + pad
    top = max(r["flags"] for r in rows) or 1
    parts = [
        f'<svg class="chart" xmlns="http://www.w3.org/2000/svg" role="img" width="{width}" height="{height}"'
        f' viewBox="0 0 {width} {height}" aria-labelledby="chart-title">',
        f'<title id="chart-title">{_esc(title)}</title>',
    ]
    for i, r in enumerate(rows):
        y = gap + i * (bar_h + gap)
        w = max(2, round(bar_w * r["flags"] / top))
        name = text(r["name"])
        shown = name if len(name) <= 32 else name[:31] + "…"
        parts.append(
            f'<g><title>{_esc(name)}: {_esc(r["flags"])}</title>'
            f'<text x="{label_w - 8}" y="{y + bar_h - 6}" text-anchor="end">{_esc(shown)}</text>'
            f'<rect class="bar" x="{label_w}" y="{y}" width="{w}" height="{bar_h}"></rect>'
            f'<text x="{label_w + w + 5}" y="{y + bar_h - 6}">{_esc(r["flags"])}</text></g>'
        )
    parts.append("</svg>")
    return "\n".join(parts)


def _basename(path: Any) -> str:
    name = text(path).replace("\\", "/").rstrip("/").rsplit("/", 1)[-1]
    return name or text(path)


def _breakdown(title: str, rows: list[dict], *, label: str, extra: tuple[str, str] | None = None) -> str:
    if not rows:
        return ""
    head = f"<th>{_esc(label)}</th>" + (f"<th>{_esc(extra[1])}</th>" if extra else "")
    out = [f"<section><h2>{_esc(title)}</h2><table><thead><tr>{head}"
           '<th class="num">Flags</th><th class="num">Lines</th><th class="num">Hit</th>'
           '<th class="num">Review</th></tr></thead><tbody>']
    for r in rows:
        cells = f"<td>{_esc(r['name'])}</td>" + (f"<td>{_esc(r.get(extra[0]))}</td>" if extra else "")
        out.append(f"<tr>{cells}<td class=\"num\">{_esc(r['flags'])}</td><td class=\"num\">{_esc(r['lines'])}</td>"
                   f"<td class=\"num\">{_esc(r['hit'])}</td><td class=\"num\">{_esc(r['review'])}</td></tr>")
    out.append("</tbody></table></section>")
    return "\n".join(out)


def render_html(data: dict) -> str:
    """The report page for one run (see the module docstring)."""
    run = data["run"]
    out = [*_head(data), *_totals(data["totals"])]
    if data["by_holder"]:
        out.append(f'<section><h2>Flags per holder</h2>{bar_chart(data["by_holder"])}</section>')
    out.append('<div class="grid">')
    out.append(_breakdown("By holder", data["by_holder"], label="Holder"))
    out.append(_breakdown("By verdict", data["by_verdict"], label="Verdict"))
    out.append(_breakdown("By origin", data["by_origin"], label="Origin"))
    out.append("</div>")
    out.append(_breakdown("By recordation", data["by_recordation"], label="Recordation", extra=("mark", "Mark")))
    hits = data["hits"]
    if hits:
        out.append(f"<section><h2>Flagged lines ({len(hits):,})</h2><table><thead><tr>"
                   "<th>Hit</th><th>Line</th><th>Goods</th><th>Mark</th><th class=\"num\">Score</th>"
                   "<th>Verdict</th><th>Reasons</th><th>Status</th></tr></thead><tbody>")
        out.extend(_hit_row(h) for h in hits)
        out.append("</tbody></table></section>")
    else:
        out.append("<p>No lines were flagged in this run.</p>")
    out.append(f"<footer>Generated by ipr {_esc(data.get('ipr_version'))} from run {_esc(run['run_id'])}.</footer>")
    out.append("</body>\n</html>\n")
    return "\n".join(out)


def _head(data: dict) -> list[str]:
    """The page's head and the run's facts."""
    run = data["run"]
    files = ", ".join(f"{text(f.get('path'))} ({text(f.get('lines'))} lines)" for f in run.get("files") or [])
    return [
        "<!DOCTYPE html>",
        '<html lang="en">',
        "<head>",
        '<meta charset="utf-8">',
        "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline';"
        " img-src data:; base-uri 'none'; form-action 'none'\">",
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>ipr report — run {_esc(run['run_id'])}</title>",
        f"<style>{CSS}</style>",
        "</head>",
        "<body>",
        "<header>",
        "<h1>IPR screening report</h1>",
        '<dl class="meta">',
        f"<dt>Run</dt><dd>{_esc(run['run_id'])}</dd>",
        f"<dt>Started</dt><dd>{_esc(run.get('started_at'))} by {_esc(run.get('user'))}</dd>",
        f"<dt>As of</dt><dd>{_esc(run.get('as_of'))}</dd>",
        f"<dt>Files</dt><dd>{_esc(files)}</dd>",
        f"<dt>Recordations</dt><dd>revision {_esc(run.get('recordations_revision'))}</dd>",
        f"<dt>Generated</dt><dd>{_esc(data.get('generated_at'))}</dd>",
        "</dl>",
        "</header>",
    ]


def _totals(totals: dict) -> list[str]:
    """The run's counts as cards."""
    cards = [
        ("Lines read", totals["lines_read"]),
        ("Lines flagged", totals["lines_flagged"]),
        ("Hit", totals["hit"]),
        ("Review", totals["review"]),
        ("Suppressed", totals["suppressed"]),
        ("Open", totals.get("status_open", 0)),
        ("Held", totals.get("status_hold", 0)),
        ("Released", totals.get("status_release", 0)),
        ("False positive", totals.get("status_false_positive", 0)),
    ]
    return [
        '<section><h2>Totals</h2><div class="cards">',
        *(f'<div class="card"><b>{_esc(f"{v:,}" if isinstance(v, int) else v)}</b><span>{_esc(k)}</span></div>'
          for k, v in cards),
        "</div></section>",
    ]


def _status_extra(h: dict) -> str:
    if h.get("deadline"):
        return f'<br><span class="sub">deadline {_esc(h["deadline"])}</span>'
    if h.get("decided_by"):
        return f'<br><span class="sub">{_esc(h["decided_by"])}</span>'
    return ""


def _line_facts(line: dict) -> str:
    """``importer … · origin … · HS … · brand …`` of a line, what it has of them."""
    return " · ".join(text(v) for v in (
        f"importer {line.get('importer')}" if line.get("importer") else "",
        f"origin {line.get('origin')}" if line.get("origin") else "",
        f"HS {line.get('hs_code')}" if line.get("hs_code") else "",
        f"brand {line.get('brand')}" if line.get("brand") else "",
    ) if v)


def _hit_row(h: dict) -> str:
    """One flagged line of the table: where, the goods with the match marked, the mark,
    score, verdict, reasons and status."""
    line = h.get("line") or {}
    ident = " / ".join(text(v) for v in (h.get("declaration_id"), h.get("item_no")) if v)
    span = h.get("span") if h.get("field", "description") == "description" else None
    goods = highlighted(line.get("description") or "", h.get("matched_text") or "", span,
                        limit=REPORT_DESCRIPTION_CHARS, keep_newlines=True)
    sub = _line_facts(line)
    reasons = "".join(f"<li>{_esc(r)}</li>" for r in h.get("reasons") or [])
    verdict = text(h.get("verdict"))
    return (
        "<tr>"
        f'<td class="num">{_esc(h["hit_id"])}</td>'
        f'<td class="line"><span class="nowrap" title="{_esc(h.get("file"))}">'
        f'{_esc(_basename(h.get("file")))}:{_esc(h.get("row"))}</span>'
        + (f'<br><span class="sub">{_esc(ident)}</span>' if ident else "")
        + (f'<br><span class="sub">{_esc(h.get("date"))}</span>' if h.get("date") else "")
        + "</td>"
        f"<td>{goods}" + (f'<br><span class="sub">{_esc(sub)}</span>' if sub else "") + "</td>"
        f"<td>{_esc(h.get('mark'))}<br><span class=\"sub\">{_esc(h.get('recordation_id'))}<br>"
        f"{_esc(h.get('holder'))}</span></td>"
        f'<td class="num">{_esc(h.get("score"))}</td>'
        f'<td><span class="verdict verdict-{_esc(verdict)}">{_esc(verdict)}</span></td>'
        f'<td><ul class="reasons">{reasons}</ul></td>'
        f'<td class="status">{_esc(text(h.get("status")))}{_status_extra(h)}</td>'
        "</tr>"
    )
