"""``ipr check --format html``: one self-contained page an officer can open or print.

No scripts, no external resources (a Content-Security-Policy forbids both, in case
escaping were ever missed); every value goes through ``html.escape``.
"""

from __future__ import annotations

from typing import Any, TextIO

from ipr_cli.models import DeclarationLine, Hit, Verdict
from ipr_cli.writers._check import CheckWriter
from ipr_cli.writers._text import (
    PAGE_DESCRIPTION_CHARS,
    cell_text,
    esc,
    find_span,
    problem_text,
    short_names,
    verdict_counts,
    window,
)

PROBLEMS_SHOWN = 50

CSS = """
:root { color-scheme: light; }
* { box-sizing: border-box; }
body { font: 14px/1.4 system-ui, -apple-system, "Segoe UI", "Noto Sans", "Malgun Gothic", sans-serif;
       color: #111; background: #fff; margin: 1.5rem; }
h1 { font-size: 1.4rem; margin: 0 0 .5rem; }
h2 { font-size: 1.1rem; margin: 1.2rem 0 .4rem; }
dl.meta { display: grid; grid-template-columns: max-content 1fr; gap: .1rem 1rem; margin: 0; }
dl.meta dt { font-weight: 600; }
dl.meta dd { margin: 0; overflow-wrap: anywhere; }
table.summary { border-collapse: collapse; margin: .3rem 0; }
table.summary th { text-align: left; font-weight: 600; padding: .15rem 1.2rem .15rem 0; }
table.summary td { text-align: right; font-variant-numeric: tabular-nums; }
table.hits { border-collapse: collapse; width: 100%; table-layout: auto; }
table.hits th, table.hits td { border: 1px solid #bbb; padding: .3rem .4rem; vertical-align: top; text-align: left; }
table.hits thead th { background: #eee; }
table.hits td { overflow-wrap: anywhere; }
.id { white-space: nowrap; }
td.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
.sub { color: #555; font-size: .9em; }
.verdict { font-weight: 700; text-transform: uppercase; white-space: nowrap; }
.verdict-hit { color: #b00020; }
.verdict-review { color: #8a5a00; }
mark { background: #ffe066; color: #000; font-weight: 700; outline: 1px solid #000; padding: 0 .1em; }
ul.reasons { margin: 0; padding-left: 1.1rem; }
ul.problems { margin: .2rem 0; }
footer { margin-top: 1.5rem; color: #555; font-size: .85em; }
@page { size: A4 landscape; margin: 12mm; }
@media print {
  body { margin: 0; font-size: 9.5pt; }
  table.hits thead { display: table-header-group; }
  table.hits tr { break-inside: avoid; page-break-inside: avoid; }
  table.hits thead th { background: #eee !important; }
  mark { background: #ffe066 !important; -webkit-print-color-adjust: exact; print-color-adjust: exact; }
}
"""


def highlighted(text: str, matched: str, span: tuple[int, int] | None, *, limit: int = PAGE_DESCRIPTION_CHARS,
                keep_newlines: bool = False) -> str:
    """``text`` cut to about ``limit`` characters around the match, the match in ``<mark>``."""
    before, match, after = window(text, find_span(text, matched, span), limit)
    middle = f"<mark>{esc(match, keep_newlines=keep_newlines)}</mark>" if match else ""
    return esc(before, keep_newlines=keep_newlines) + middle + esc(after, keep_newlines=keep_newlines)


class HtmlWriter(CheckWriter):
    """Buffers the rendered rows (the summary goes above them) and writes the page at close."""

    def __init__(self, stream: TextIO, meta: dict[str, Any], **kwargs: Any) -> None:
        super().__init__(stream, meta, **kwargs)
        self._rows: list[str] = []
        self._short = short_names(meta)

    def _write(self, hit: Hit, line: DeclarationLine) -> None:
        verdict = hit.verdict.value if isinstance(hit.verdict, Verdict) else str(hit.verdict)
        ident = " / ".join(v for v in (hit.declaration_id, hit.item_no) if v)
        if hit.field == "description" or not isinstance(getattr(line, hit.field, None), str):
            span = hit.span if hit.field == "description" else None
            text = highlighted(line.description or "", hit.matched_text, span)
        else:
            text = (
                esc(window(line.description or "", None, PAGE_DESCRIPTION_CHARS)[0])
                + f'<br><span class="sub">{esc(hit.field)}:</span> '
                + highlighted(getattr(line, hit.field), hit.matched_text, hit.span)
            )
        reasons = "".join(f"<li>{esc(r)}</li>" for r in hit.reasons)
        self._rows.append(
            "<tr>"
            f'<td>{esc(self._short.get(hit.file, hit.file))}:{esc(hit.row)}'
            + (f'<br><span class="sub id">{esc(ident)}</span>' if ident else "")
            + "</td>"
            f'<td>{esc(hit.mark)}<br><span class="sub"><span class="id">{esc(hit.recordation_id)}</span>'
            + (f"<br>{esc(hit.holder)}" if hit.holder else "")
            + "</span></td>"
            f'<td class="num">{esc(hit.score)}</td>'
            f'<td><span class="verdict verdict-{esc(verdict)}">{esc(verdict)}</span></td>'
            f"<td>{text}</td>"
            f'<td><ul class="reasons">{reasons}</ul></td>'
            "</tr>\n"
        )

    def close(self, summary: dict[str, Any]) -> None:
        meta = self.meta
        run_id = cell_text(meta.get("run_id"))
        title = "ipr check" + (f" — run {run_id}" if run_id else "")
        out = self.stream
        out.write(
            "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
            "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; "
            "style-src 'unsafe-inline'; base-uri 'none'; form-action 'none'\">\n"
            '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
            f"<title>{esc(title)}</title>\n<style>{CSS}</style>\n</head>\n<body>\n"
            "<header>\n<h1>IPR screening — flagged declaration lines</h1>\n<dl class=\"meta\">\n"
        )
        files = meta.get("files") or []
        for label, value in (
            ("Run", run_id),
            ("As of", meta.get("as_of")),
            ("Files", ", ".join(cell_text(f) for f in files)),
            ("ipr", meta.get("ipr_version")),
        ):
            if value not in (None, ""):
                out.write(f"<dt>{label}</dt><dd>{esc(value)}</dd>\n")
        out.write("</dl>\n</header>\n")
        out.write(self._summary(summary))
        if self._rows:
            out.write(
                f"<h2>Flagged lines ({len(self._rows):,})</h2>\n<table class=\"hits\">\n<thead><tr>"
                "<th>Line</th><th>Mark</th><th>Score</th><th>Verdict</th><th>Description</th><th>Reasons</th>"
                "</tr></thead>\n<tbody>\n"
            )
            for row in self._rows:
                out.write(row)
            out.write("</tbody>\n</table>\n")
        else:
            out.write("<p>No lines flagged.</p>\n")
        out.write(f"<footer>Generated by ipr {esc(meta.get('ipr_version'))}"
                  + (f", run {esc(run_id)}" if run_id else "") + ".</footer>\n</body>\n</html>\n")
        super().close(summary)

    def _summary(self, summary: dict[str, Any]) -> str:
        by_verdict = verdict_counts(summary)
        rows = [
            ("Lines read", summary.get("lines_read", 0)),
            ("Lines flagged", summary.get("lines_flagged", 0)),
            ("Verdict hit", by_verdict.get(Verdict.HIT.value, 0)),
            ("Verdict review", by_verdict.get(Verdict.REVIEW.value, 0)),
            ("Suppressed", summary.get("suppressed", 0)),
            ("Skipped rows", summary.get("skipped", 0)),
        ]
        parts = ['<section class="summary">\n<h2>Summary</h2>\n<table class="summary">\n']
        for label, value in rows:
            shown = f"{value:,}" if isinstance(value, int) else cell_text(value)
            parts.append(f"<tr><th>{label}</th><td>{esc(shown)}</td></tr>\n")
        parts.append("</table>\n")
        problems = list(summary.get("problems") or [])
        if problems:
            parts.append('<ul class="problems">\n')
            for problem in problems[:PROBLEMS_SHOWN]:
                parts.append(f"<li>{esc(problem_text(problem))}</li>\n")
            total = max(summary.get("problems_total") or 0, len(problems))
            if total > min(len(problems), PROBLEMS_SHOWN):
                parts.append(f"<li>… and {total - min(len(problems), PROBLEMS_SHOWN):,} more</li>\n")
            parts.append("</ul>\n")
        parts.append("</section>\n")
        return "".join(parts)
