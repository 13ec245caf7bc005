"""Table output of a big result: streamed in chunks (bounded memory, seconds not minutes),
and the progress bar out of the way before the summary."""

from __future__ import annotations

import io
import time
from decimal import Decimal
from pathlib import Path

from ipr_cli.models import DeclarationLine, Hit, Verdict
from ipr_cli.writers import check_writer
from ipr_cli.writers._table import CHUNK_ROWS

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"
META = {"schema_version": 1, "ipr_version": "x", "run_id": "r1", "as_of": "2026-11-02", "files": ["day.csv"]}


def _pair(i: int) -> tuple[Hit, DeclarationLine]:
    line = DeclarationLine("day.csv", i, f"N1KE SPORT SHOES MENS LEATHER UPPER SIZE {i % 12}", f"D{i:07d}", "1",
                           None, "KR7001001", "CN", "640411", "", Decimal(10), Decimal(100), "USD")
    hit = Hit("day.csv", i, line.declaration_id, "1", "KCS-TM-2021-000101", "NIKE", "Nike Innovate C.V.", 96,
              Verdict.HIT, "N1KE", ("mark disguised: digit 1 for I", "unit value 10 USD below genuine minimum 30 USD"),
              "description", (0, 4))
    return hit, line


def test_rows_are_written_while_hits_arrive_not_all_at_the_end():
    out = io.StringIO()
    writer = check_writer("table", out, meta=META, color=False)
    for i in range(1, CHUNK_ROWS + 2):
        writer.write(*_pair(i))
    before_close = out.getvalue()
    assert "day.csv:1 " in before_close and f"day.csv:{CHUNK_ROWS} " in before_close
    assert f"day.csv:{CHUNK_ROWS + 1} " not in before_close  # the next chunk is still being gathered
    writer.close({"lines_read": CHUNK_ROWS + 1, "lines_flagged": CHUNK_ROWS + 1})
    text = out.getvalue()
    assert f"day.csv:{CHUNK_ROWS + 1} " in text and "Summary" in text
    assert text.count("Flagged lines") == 1 and text.count("Description") == 1  # one header


def test_a_big_table_renders_in_seconds():
    out = io.StringIO()
    writer = check_writer("table", out, meta=META, color=True)
    started = time.perf_counter()
    for i in range(1, 3001):
        writer.write(*_pair(i))
    writer.close({"lines_read": 3000, "lines_flagged": 3000})
    # A Rich Table took about 20 s for this; the streamed table takes well under one.
    assert time.perf_counter() - started < 6
    assert out.getvalue().count("\x1b[1;4") >= 3000  # every match still highlighted


def test_chunks_line_up_with_the_header():
    out = io.StringIO()
    writer = check_writer("table", out, meta=META, color=False)
    for i in range(1, 2 * CHUNK_ROWS + 5):
        writer.write(*_pair(i))
    writer.close({"lines_read": 1, "lines_flagged": 1})
    lines = out.getvalue().splitlines()
    header = next(line for line in lines if line.lstrip().startswith("Line "))
    column = header.index("Mark")
    rows = [line for line in lines if line.startswith(" day.csv:")]
    assert len(rows) == 2 * CHUNK_ROWS + 4
    assert all(row[column:column + 4] == "NIKE" for row in rows)


def test_the_progress_bar_is_gone_before_the_summary(ipr, monkeypatch):
    from ipr_cli.cli import check as check_cmd
    from ipr_cli.writers import _rich

    events: list[str] = []

    class FakeProgress:
        def __init__(self, enabled):
            pass

        def __enter__(self):
            return self

        def __exit__(self, *exc):
            events.append("exit")

        def __call__(self, path, done, total):
            events.append("update")

        def finish(self):
            events.append("finish")

        def paused(self):  # pragma: no cover - only on a terminal
            raise AssertionError

    original = _rich.TableWriter.close

    def close(self, summary):
        events.append("close")
        original(self, summary)

    monkeypatch.setattr(check_cmd, "_progress", FakeProgress)
    monkeypatch.setattr(_rich.TableWriter, "close", close)
    ipr("recordation", "import", FIXTURES / "recordations.csv")
    assert ipr("check", FIXTURES / "declarations.csv", "--no-save").exit_code == 0
    assert "finish" in events and events.index("finish") < events.index("close")
    assert "update" not in events[events.index("finish"):]


def test_output_to_a_pipe_or_device_writes_to_it_and_never_replaces_it(ipr, tmp_path):
    import os
    import stat
    import threading

    ipr("recordation", "import", FIXTURES / "recordations.csv")
    fifo = tmp_path / "hits.pipe"
    os.mkfifo(fifo)
    received: list[bytes] = []
    reader = threading.Thread(target=lambda: received.append(open(fifo, "rb").read()), daemon=True)
    reader.start()
    result = ipr("check", FIXTURES / "declarations.csv", "-f", "jsonl", "-o", fifo, "--no-save", "-q")
    reader.join(timeout=30)
    assert result.exit_code == 0
    assert stat.S_ISFIFO(os.stat(fifo).st_mode)  # still a pipe, not a file renamed over it
    assert received and received[0].count(b'"recordation_id"') >= 10
