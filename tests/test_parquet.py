"""Parquet in and out, and partitions that read exactly what the whole file reads (issue 15)."""

from __future__ import annotations

import csv
import datetime as dt
import json

import pytest

from conftest import DATA, FIXTURES

pa = pytest.importorskip("pyarrow")
pq = pytest.importorskip("pyarrow.parquet")

DECLARATIONS = FIXTURES / "declarations.csv"


@pytest.fixture
def store(ipr):
    assert ipr("recordation", "import", FIXTURES / "recordations.csv").exit_code == 0


def csv_rows(path):
    with open(path, newline="", encoding="utf-8-sig") as f:
        rows = list(csv.reader(f))
    return rows[0], rows[1:]


def to_parquet(src, dst, row_group_size=1000):
    """A Parquet copy of a CSV file: the same columns, every cell the same text."""
    header, rows = csv_rows(src)
    table = pa.table({name: [r[i] for r in rows] for i, name in enumerate(header)})
    pq.write_table(table, dst, row_group_size=row_group_size)
    return dst


def hits_of(ipr, *args):
    result = ipr("check", *args, "--format", "json", "--quiet", "--no-save", "--as-of", "2026-11-27")
    assert result.exit_code == 0, result.stderr
    return json.loads(result.stdout)


def without_file(hits):
    return [{k: v for k, v in h.items() if k != "file"} for h in hits]


def test_parquet_copy_gives_the_same_hits_as_csv(ipr, store, tmp_path):
    parquet = to_parquet(DECLARATIONS, tmp_path / "day.parquet", row_group_size=7)
    from_csv = hits_of(ipr, DECLARATIONS)
    from_parquet = hits_of(ipr, parquet)
    assert from_csv["hits"] and without_file(from_parquet["hits"]) == without_file(from_csv["hits"])
    assert from_parquet["lines_read"] == from_csv["lines_read"]
    assert {h["file"] for h in from_parquet["hits"]} == {str(parquet)}


def test_development_set_parquet_equals_csv(ipr, tmp_path):
    assert ipr("recordation", "import", DATA / "eval-dev-hard" / "recordations.csv").exit_code == 0
    src = DATA / "eval-dev-hard" / "declarations.csv"
    parquet = to_parquet(src, tmp_path / "hard.parquet", row_group_size=500)
    a, b = hits_of(ipr, src), hits_of(ipr, parquet)
    assert len(a["hits"]) > 100 and without_file(a["hits"]) == without_file(b["hits"])


def test_directory_is_one_dataset_numbered_through_its_files(ipr, store, tmp_path):
    header, rows = csv_rows(DECLARATIONS)
    folder = tmp_path / "archive"
    (folder / "2026" / "11").mkdir(parents=True)
    cuts = [(0, 10), (10, 18), (18, len(rows))]
    for n, (a, b) in enumerate(cuts):
        part = rows[a:b]
        pq.write_table(pa.table({h: [r[i] for r in part] for i, h in enumerate(header)}),
                       folder / "2026" / "11" / f"part-{n}.parquet")
    (folder / "_SUCCESS").write_text("")  # written by Spark and Dask: not data
    whole = hits_of(ipr, DECLARATIONS)
    dataset = hits_of(ipr, folder)
    assert dataset["lines_read"] == len(rows)
    assert without_file(dataset["hits"]) == without_file(whole["hits"])
    assert {h["file"] for h in dataset["hits"]} == {str(folder)}


def test_typed_columns_and_synonym_headers(ipr, store, tmp_path):
    table = pa.table({
        "Goods Description": ["NIKE AIR MAX RUNNING SHOES", "plain cotton socks", None],
        "Commodity Code": pa.array([640411, 611595, 640411], pa.int64()),
        "Acceptance Date": pa.array([dt.date(2026, 11, 20)] * 3, pa.date32()),
        "Country of Origin": ["CN", "VN", "CN"],
        "unused": [1.5, 2.0, 3.0],
    })
    path = tmp_path / "typed.parquet"
    pq.write_table(table, path)
    out = hits_of(ipr, path)
    assert out["lines_read"] == 2  # the row without a description is skipped and counted
    assert [h["row"] for h in out["hits"]] and {h["row"] for h in out["hits"]} == {1}
    assert any(h["mark"] == "NIKE" for h in out["hits"])


def test_missing_description_column_exit_2_naming_the_file(ipr, store, tmp_path):
    path = tmp_path / "nodesc.parquet"
    pq.write_table(pa.table({"hs_code": ["6403"], "origin": ["CN"]}), path)
    result = ipr("check", path, "--no-save")
    assert result.exit_code == 2
    assert "nodesc.parquet" in result.stderr and "description" in result.stderr
    assert "Traceback" not in result.stderr


def test_not_parquet_inside_exit_2(ipr, store, tmp_path):
    path = tmp_path / "broken.parquet"
    path.write_bytes(b"PAR1 this is not really parquet")
    result = ipr("check", path, "--no-save")
    assert result.exit_code == 2 and "broken.parquet" in result.stderr and "Parquet" in result.stderr


def test_parquet_output_holds_the_json_hits(ipr, store, tmp_path):
    out = tmp_path / "hits.parquet"
    result = ipr("check", DECLARATIONS, "--format", "parquet", "--output", out, "--quiet", "--as-of", "2026-11-27")
    assert result.exit_code == 0, result.stderr
    assert result.stdout == ""
    table = pq.read_table(out)
    assert table.column_names == ["file", "row", "declaration_id", "item_no", "recordation_id", "mark", "holder",
                                  "score", "verdict", "matched_text", "reasons", "reason_codes", "run_id", "hit_id"]
    rows = table.to_pylist()
    # The run was saved: each hit names its case, as JSON hits of a saved run do.
    assert all(r["run_id"] and isinstance(r["hit_id"], int) for r in rows)
    assert [{k: v for k, v in r.items() if k not in ("run_id", "hit_id")} for r in rows] == \
        hits_of(ipr, DECLARATIONS)["hits"]
    assert not [p for p in tmp_path.iterdir() if p.name.endswith(".tmp")]


def test_parquet_output_needs_output(ipr, store):
    result = ipr("check", DECLARATIONS, "--format", "parquet")
    assert result.exit_code == 2
    assert "--output" in result.stderr and "Traceback" not in result.stderr


def test_parquet_output_not_written_when_the_run_fails(ipr, store, tmp_path):
    bad = tmp_path / "bad.csv"
    bad.write_text(DECLARATIONS.read_text(encoding="utf-8") + "ragged,row\n", encoding="utf-8")
    (tmp_path / "out").mkdir()
    out = tmp_path / "out" / "hits.parquet"
    result = ipr("check", DECLARATIONS, bad, "--strict", "--format", "parquet", "--output", out)
    assert result.exit_code == 2 and "bad.csv" in result.stderr
    assert list((tmp_path / "out").iterdir()) == []


# ----------------------------------------------------------------------------- partitions


def read_all(path, **kw):
    from ipr_cli.readers import DeclarationReader

    with DeclarationReader(str(path), **kw) as reader:
        lines = list(reader)
        return lines, [(p.row, p.field, p.message) for p in reader.problems]


def read_parts(path, part_bytes=None, part_rows=None):
    from ipr_cli.partitions import plan
    from ipr_cli.readers import DeclarationReader

    with DeclarationReader(str(path)) as reader:
        info = (reader.encoding, reader.format, reader.bytes_total)
    parts = plan([str(path)], [info[0]], [info[1]], [info[2]], part_rows=part_rows, part_bytes=part_bytes)
    lines, problems = [], []
    for part in parts:
        with DeclarationReader(part.source, encoding=info[0], part=part.part, row_offset=part.row_offset) as reader:
            lines.extend(line._replace(file=str(path)) for line in reader)
            problems.extend((p.row, p.field, p.message) for p in reader.problems)
    return parts, lines, problems


def test_csv_byte_ranges_read_the_same_lines_and_rows(tmp_path):
    header, rows = csv_rows(DATA / "eval-dev-hard" / "declarations.csv")
    path = tmp_path / "day.csv"
    with open(path, "w", newline="", encoding="utf-8-sig") as f:
        f.write("sep=,\r\n")
        w = csv.writer(f, lineterminator="\r\n")
        w.writerow(header)
        for i, r in enumerate(rows):
            w.writerow(r)
            if i % 97 == 0:
                f.write("\r\n")  # blank lines count as rows
            if i % 331 == 0:
                f.write("only,two\r\n")  # a ragged row: a problem at its row number
    parts, lines, problems = read_parts(path, part_bytes=20_000)
    assert len(parts) > 10 and all(p.part is not None for p in parts)
    whole, whole_problems = read_all(path)
    assert lines == whole and problems == whole_problems and len(whole_problems) > 5


def test_csv_with_a_quoted_line_break_stays_whole(tmp_path):
    path = tmp_path / "quoted.csv"
    body = "".join(f'D{i},"line {i} NIKE shoes",6403\n' for i in range(3000))
    path.write_text("declaration_id,description,hs_code\n" + body + 'X,"two\nlines",6403\n' + body)
    parts, lines, _ = read_parts(path, part_bytes=10_000)
    assert len(parts) == 1 and parts[0].part is None
    assert lines == read_all(path)[0]


def test_parquet_row_groups_read_the_same_lines(tmp_path):
    path = to_parquet(DATA / "eval-dev-hard" / "declarations.csv", tmp_path / "hard.parquet", row_group_size=300)
    parts, lines, _ = read_parts(path, part_rows=700)
    assert len(parts) == 5  # 14 row groups of 300 rows: 3, 3, 3, 3 and 2 of them
    assert lines == read_all(path)[0]
