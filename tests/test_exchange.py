"""Exchange between administrations: keys, signed packages, pseudonyms, partner intelligence.

The end-to-end test is the issue's first acceptance criterion: two stores, FR and KR.
"""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import jsonschema
import openpyxl
import pytest

from ipr_cli import exchange
from ipr_cli.errors import InputError
from ipr_cli.readers import DeclarationReader
from ipr_cli.store import Store

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"
HEADER = "declaration_id,item_no,date,importer,origin,hs_code,description,quantity,value,currency,exporter,container,port_of_loading\n"


def write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


class Admin:
    """One administration's store, driven through the CLI."""

    def __init__(self, ipr, tmp_path: Path, code: str) -> None:
        self.ipr, self.code, self.dir = ipr, code, tmp_path / code
        self.dir.mkdir()
        self.db = self.dir / "ipr.db"

    def __call__(self, *args, ok: bool = True):
        result = self.ipr("--db", self.db, *args)
        if ok:
            assert result.exit_code == 0, (args, result.stdout, result.stderr)
        return result

    def table(self, name: str) -> list[dict]:
        with sqlite3.connect(self.db) as conn:
            conn.row_factory = sqlite3.Row
            return [dict(r) for r in conn.execute(f"SELECT * FROM {name}")]


def fr_with_a_seizure(ipr, tmp_path, *, importer: str = "KR7001001") -> Admin:
    """FR: recordations imported, a file with an exporter column checked, the hit held, a key made."""
    fr = Admin(ipr, tmp_path, "FR")
    fr("recordation", "import", FIXTURES / "recordations.csv")
    decl = write(fr.dir / "fr-day.csv", HEADER + (
        f"FR-26-001,1,2026-11-12,{importer},CN,640411,NIKE AIR MAX 90 REPLICA SNEAKERS,100,800.00,EUR,"
        '"Shenzhen Huaxing Trading CO., LTD",MSCU1234567,CNSZX\n'
    ))
    out = json.loads(fr("check", decl, "--format", "json", "--quiet").stdout)
    assert [h["mark"] for h in out["hits"]] == ["NIKE"]
    assert out["hits"][0]["exporter"] == "Shenzhen Huaxing Trading CO., LTD"
    hits = json.loads(fr("hits", "list", "--format", "json").stdout)
    fr("decide", str(hits[0]["hit_id"]), "hold", "--note", "counterfeit sneakers found on inspection")
    fr("exchange", "keygen", "--admin", "FR", "--output", fr.dir / "FR.pub")
    return fr


def kr_trusting(ipr, tmp_path, fr: Admin) -> Admin:
    kr = Admin(ipr, tmp_path, "KR")
    # KR's own register records the same mark under its own id.
    write(kr.dir / "marks.csv", "recordation_id,mark,holder,hs_scope,valid_until\n"
          "KCS-TM-2031-000001,NIKE,Nike Innovate C.V.,6403;6404,2035-12-31\n"
          "KCS-TM-2031-000002,ZORVEX,Zorvex AG,6403;6404,2035-12-31\n")
    kr("recordation", "import", kr.dir / "marks.csv")
    kr("exchange", "trust", "FR", fr.dir / "FR.pub")
    return kr


def kr_check(kr: Admin, rows: str, *extra: str) -> list[dict]:
    decl = write(kr.dir / "kr-day.csv", HEADER + rows)
    return json.loads(kr("check", decl, "--format", "json", "--quiet", "--no-save", *extra).stdout)["hits"]


# ------------------------------------------------------------------------ acceptance 1


def test_two_administrations_end_to_end(ipr, tmp_path):
    fr = fr_with_a_seizure(ipr, tmp_path)
    package = fr.dir / "fr-to-kr.json"
    fr("exchange", "export", "--to", "KR", "--output", package)
    kr = kr_trusting(ipr, tmp_path, fr)
    result = kr("exchange", "import", package)
    assert "1 outcomes" in result.stderr

    hits = kr_check(kr, (
        # the same exporter, spelt differently: case, punctuation, legal form
        "K-1,1,2026-12-01,KR9,CN,640411,N1KE RUNNING SHOES,10,90,USD,SHENZHEN HUAXING TRADING COMPANY LIMITED,,\n"
        # another exporter: nothing from FR
        "K-2,1,2026-12-01,KR9,CN,640411,N1KE RUNNING SHOES,10,90,USD,Guangzhou Moon Trading Co Ltd,,\n"
        # the same exporter, another mark: FR's seizure was for NIKE, not ZORVEX
        "K-3,1,2026-12-01,KR9,CN,640411,ZORVEX RUNNING SHOES,10,90,USD,Shenzhen Huaxing Trading Co. Ltd.,,\n"
    ))
    by_row = {h["row"]: h for h in hits}
    seized = "exporter seized by FR customs on "
    named = [r for r in by_row[1]["reasons"] if r.startswith(seized)]
    assert len(named) == 1 and named[0].endswith(" for NIKE"), by_row[1]["reasons"]
    assert not any(r.startswith(seized) for r in by_row[2]["reasons"])
    assert not any(r.startswith(seized) for r in by_row[3]["reasons"])
    # strengthened: the same line without the seizure scores less
    assert by_row[1]["score"] > by_row[2]["score"]


def test_seizure_reason_carries_the_decision_date(ipr, tmp_path):
    fr = fr_with_a_seizure(ipr, tmp_path)
    fr("exchange", "export", "--to", "KR", "--output", fr.dir / "p.json")
    decided = fr.table("hits")[0]["decided_at"][:10]
    kr = kr_trusting(ipr, tmp_path, fr)
    kr("exchange", "import", fr.dir / "p.json")
    hits = kr_check(kr, "K-1,1,2026-12-01,KR9,CN,640411,NIKE SHOES,10,90,USD,shenzhen huaxing trading,,\n")
    assert f"exporter seized by FR customs on {decided} for NIKE" in hits[0]["reasons"]


def test_container_and_route_of_a_seizure_strengthen_a_hit(ipr, tmp_path):
    fr = fr_with_a_seizure(ipr, tmp_path)
    fr("exchange", "export", "--to", "KR", "--output", fr.dir / "p.json")
    kr = kr_trusting(ipr, tmp_path, fr)
    kr("exchange", "import", fr.dir / "p.json")
    hits = kr_check(kr, (
        "K-1,1,2026-12-01,KR9,VN,640411,N1KE SHOES,10,90,USD,Other Exporter,mscu 123456-7,\n"
        "K-2,1,2026-12-01,KR9,CN,640411,N1KE SHOES,10,90,USD,Other Exporter,,CN SZX\n"
        "K-3,1,2026-12-01,KR9,VN,640411,N1KE SHOES,10,90,USD,Other Exporter,TGHU7654321,CNSZX\n"
    ))
    by_row = {h["row"]: h for h in hits}
    assert any(r.startswith("container MSCU1234567 seized by FR customs") for r in by_row[1]["reasons"])
    assert any(r.startswith("route from CNSZX (origin CN) seized by FR customs") for r in by_row[2]["reasons"])
    # another container, and the port with another origin: no intelligence
    assert not any("seized by FR" in r for r in by_row[3]["reasons"])
    assert by_row[1]["score"] > by_row[3]["score"] and by_row[2]["score"] > by_row[3]["score"]


def test_only_confirmed_seizures_are_intelligence(ipr, tmp_path):
    fr = fr_with_a_seizure(ipr, tmp_path)
    hit_id = fr.table("hits")[0]["hit_id"]
    fr("decide", str(hit_id), "release", "--note", "genuine after all: the holder confirmed")
    fr("exchange", "export", "--to", "KR", "--output", fr.dir / "p.json")
    package = json.loads((fr.dir / "p.json").read_text())
    assert [o["decision"] for o in package["outcomes"]] == ["release"]
    kr = kr_trusting(ipr, tmp_path, fr)
    kr("exchange", "import", fr.dir / "p.json")
    hits = kr_check(kr, "K-1,1,2026-12-01,KR9,CN,640411,N1KE SHOES,10,90,USD,Shenzhen Huaxing Trading,,\n")
    assert not any("seized by" in r for r in hits[0]["reasons"])


def test_partner_recordations_only_on_request_and_named(ipr, tmp_path):
    fr = fr_with_a_seizure(ipr, tmp_path)
    fr("exchange", "export", "--to", "KR", "--recordations", "--output", fr.dir / "p.json")
    kr = kr_trusting(ipr, tmp_path, fr)
    result = kr("exchange", "import", fr.dir / "p.json")
    assert "10 recordations" in result.stderr
    # APPLE is recorded by FR only.
    row = "K-1,1,2026-12-01,KR9,CN,847130,APPLE MACBOOK PRO LAPTOP,1,100,USD,,,\n"
    assert kr_check(kr, row) == []
    hits = kr_check(kr, row, "--with-partner-recordations")
    assert [h["recordation_id"] for h in hits] == ["FR:KCS-TM-2022-000303"]
    assert "recorded by FR customs (partner recordation), not here" in hits[0]["reasons"]
    # KR's own data is untouched by the partner's
    assert {r["recordation_id"] for r in kr.table("recordations")} == {"KCS-TM-2031-000001", "KCS-TM-2031-000002"}


# ------------------------------------------------------------------------ acceptance 2


def exported(ipr, tmp_path, *options: str) -> tuple[Admin, Admin, Path]:
    fr = fr_with_a_seizure(ipr, tmp_path)
    package = fr.dir / "p.json"
    fr("exchange", "export", "--to", "KR", *(options or ("--recordations",)), "--output", package)
    kr = kr_trusting(ipr, tmp_path, fr)
    return fr, kr, package


def test_one_changed_byte_anywhere_is_refused_and_nothing_merged(ipr, tmp_path):
    fr, kr, package = exported(ipr, tmp_path, "--office", "Roissy")  # outcomes only: every byte is tried
    data = package.read_bytes()
    before = (kr.table("exchange_packages"), kr.table("partner_outcomes"), kr.table("partner_recordations"))
    # through the CLI once: exit 2, the problem named, nothing merged
    bad = bytearray(data)
    at = data.index(b'"description":"') + len(b'"description":"')
    bad[at] ^= 0x01
    (kr.dir / "bad.json").write_bytes(bytes(bad))
    result = kr("exchange", "import", kr.dir / "bad.json", ok=False)
    assert result.exit_code == 2
    assert "bad signature" in result.stderr and "Nothing was imported" in result.stderr
    assert json.loads(kr("exchange", "list", "--format", "json").stdout) == []
    # then every byte position in turn (through the core, as the CLI calls it)
    with Store.open(kr.db) as store:
        for at in range(len(data)):
            for flip in (0x01, 0x20):
                bad = bytearray(data)
                bad[at] ^= flip
                path = kr.dir / "bad.json"
                path.write_bytes(bytes(bad))
                with pytest.raises(InputError):
                    exchange.import_package(store, str(path))
    assert (kr.table("exchange_packages"), kr.table("partner_outcomes"), kr.table("partner_recordations")) == before


def test_a_package_signed_by_an_untrusted_key_is_refused(ipr, tmp_path):
    fr, kr, package = exported(ipr, tmp_path)
    # a third administration pretends to be FR: KR trusts FR's real key
    mallory = Admin(ipr, tmp_path, "XX")
    mallory("exchange", "keygen", "--admin", "FR", "--output", mallory.dir / "fake.pub")
    forged = json.loads(package.read_text())
    with Store.open(mallory.db) as store:
        own = exchange.identity(store)
    signed = exchange.sign(forged, __import__("base64").b64decode(own["private_key"]))
    path = kr.dir / "forged.json"
    path.write_bytes(exchange.canonical(signed) + b"\n")
    result = kr("exchange", "import", path, ok=False)
    assert result.exit_code == 2 and "unknown key" in result.stderr
    # and a partner not trusted at all
    other = Admin(ipr, tmp_path, "DE")
    result = other("exchange", "import", package, ok=False)
    assert result.exit_code == 2 and "not trusted" in result.stderr
    assert kr.table("partner_outcomes") == [] and other.table("partner_outcomes") == []


def test_the_same_package_twice_is_already_imported(ipr, tmp_path):
    fr, kr, package = exported(ipr, tmp_path)
    kr("exchange", "import", package)
    counts = (len(kr.table("partner_outcomes")), len(kr.table("partner_recordations")), len(kr.table("audit")))
    result = kr("exchange", "import", package)
    assert result.exit_code == 0 and "already imported" in result.stderr
    assert (len(kr.table("partner_outcomes")), len(kr.table("partner_recordations")), len(kr.table("audit"))) == counts
    assert len(json.loads(kr("exchange", "list", "--format", "json").stdout)) == 1


def test_a_second_package_updates_an_outcome_instead_of_duplicating_it(ipr, tmp_path):
    fr, kr, package = exported(ipr, tmp_path)
    kr("exchange", "import", package)
    fr("exchange", "export", "--to", "KR", "--output", fr.dir / "p2.json")
    kr("exchange", "import", fr.dir / "p2.json")
    outcomes = kr.table("partner_outcomes")
    assert len(outcomes) == 1 and outcomes[0]["package_id"] == json.loads((fr.dir / "p2.json").read_text())["package_id"]


# ------------------------------------------------------------------------ acceptance 3


def test_importer_ids_leave_only_as_pseudonyms_per_partner(ipr, tmp_path):
    fr = fr_with_a_seizure(ipr, tmp_path, importer="KR7001001")
    for name, to in (("kr1.json", "KR"), ("kr2.json", "KR"), ("de.json", "DE")):
        fr("exchange", "export", "--to", to, "--recordations", "--output", fr.dir / name)
    texts = {name: (fr.dir / name).read_text(encoding="utf-8") for name in ("kr1.json", "kr2.json", "de.json")}
    for text in texts.values():
        # the declared importer and the recordations' authorized importers
        for importer in ("KR7001001", "KR1000001", "NIKE KOREA LLC", "KR2000002", "KR3000003"):
            assert importer not in text and importer.lower() not in text.lower()
    kr1, kr2, de = (json.loads(texts[n]) for n in ("kr1.json", "kr2.json", "de.json"))
    assert kr1["outcomes"][0]["importer"] == kr2["outcomes"][0]["importer"] != de["outcomes"][0]["importer"]
    assert kr1["outcomes"][0]["importer"].startswith("anon-")
    nike = lambda p: next(r for r in p["recordations"] if r["mark"] == "NIKE")["authorized_importers"]  # noqa: E731
    assert nike(kr1) == nike(kr2) != nike(de) and nike(kr1).count("anon-") == 2


def test_pseudonyms_are_keyed():
    a, b = bytes(32), bytes([1]) * 32
    assert exchange.pseudonym(a, "KR7001001") == exchange.pseudonym(a, " kr7001001 ")
    assert exchange.pseudonym(a, "KR7001001") != exchange.pseudonym(b, "KR7001001")
    assert exchange.pseudonym(a, "KR7001001") != exchange.pseudonym(a, "KR7001002")
    assert exchange.pseudonym(a, "") == ""


# ------------------------------------------------------------------------ acceptance 4


def test_every_export_validates_against_the_shipped_schema(ipr, tmp_path):
    fr = fr_with_a_seizure(ipr, tmp_path)
    schema = json.loads(fr("exchange", "schema").stdout)
    jsonschema.Draft7Validator.check_schema(schema)
    for args in ((), ("--recordations",), ("--since", "2000-01-01", "--office", "Roissy CDG")):
        fr("exchange", "export", "--to", "KR", "--output", fr.dir / "p.json", *args)
        package = json.loads((fr.dir / "p.json").read_text())
        jsonschema.validate(package, schema)
        assert package["from"] == "FR" and package["to"] == "KR"
    # an export that finds nothing is a valid package too
    fr("exchange", "export", "--to", "KR", "--since", "2999-01-01", "--output", fr.dir / "empty.json")
    empty = json.loads((fr.dir / "empty.json").read_text())
    jsonschema.validate(empty, schema)
    assert empty["outcomes"] == []


@pytest.mark.parametrize("remove, named", [
    (lambda p: p.pop("outcomes"), "'outcomes'"),
    (lambda p: p["outcomes"][0].pop("mark"), "'outcomes[0].mark'"),
    (lambda p: p["signature"].pop("value"), "'signature.value'"),
])
def test_a_package_missing_a_required_field_is_refused_naming_it(ipr, tmp_path, remove, named):
    fr, kr, package = exported(ipr, tmp_path)
    data = json.loads(package.read_text())
    remove(data)
    write(kr.dir / "broken.json", json.dumps(data, indent=2))
    result = kr("exchange", "import", kr.dir / "broken.json", ok=False)
    assert result.exit_code == 2
    assert f"required field {named} is missing" in result.stderr
    assert "Traceback" not in result.stderr
    assert kr.table("partner_outcomes") == [] and kr.table("exchange_packages") == []


def test_schema_command_prints_the_shipped_schema(ipr):
    out = ipr("exchange", "schema")
    assert out.exit_code == 0
    assert json.loads(out.stdout) == exchange.schema()
    assert set(json.loads(out.stdout)["required"]) == {
        "schema_version", "package_id", "from", "to", "created", "outcomes", "recordations", "signature"}


# ------------------------------------------------------------------------ keys, list, audit


def test_keygen_writes_the_public_key_and_keeps_the_private_one(ipr, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    result = ipr("exchange", "keygen", "--admin", "fr")
    assert result.exit_code == 0
    assert result.stdout.strip().splitlines()[-1] == "FR.pub"
    pem = (tmp_path / "FR.pub").read_text()
    assert pem.startswith("-----BEGIN PUBLIC KEY-----") and "PRIVATE" not in pem
    again = ipr("exchange", "keygen", "--admin", "FR")
    assert again.exit_code == 2 and "already has the signing key of FR" in again.stderr
    bad = ipr("exchange", "keygen", "--admin", "not a code!")
    assert bad.exit_code == 2


def test_trust_refuses_a_file_that_is_not_a_public_key(ipr, tmp_path):
    write(tmp_path / "x.pub", "hello")
    result = ipr("exchange", "trust", "FR", tmp_path / "x.pub")
    assert result.exit_code == 2 and "not a public key" in result.stderr
    result = ipr("exchange", "trust", "FR", tmp_path / "missing.pub")
    assert result.exit_code == 2 and "Cannot read" in result.stderr


def test_export_needs_a_key(ipr, tmp_path):
    ipr("recordation", "import", FIXTURES / "recordations.csv")
    result = ipr("exchange", "export", "--to", "KR", "--output", tmp_path / "p.json")
    assert result.exit_code == 2 and "keygen" in result.stderr
    assert not (tmp_path / "p.json").exists()


def test_list_shows_sent_and_received_with_counts_and_the_audit_trail_has_every_change(ipr, tmp_path):
    fr, kr, package = exported(ipr, tmp_path)
    kr("exchange", "import", package)
    sent = json.loads(fr("exchange", "list", "--format", "json").stdout)
    received = json.loads(kr("exchange", "list", "--format", "json").stdout)
    assert [(p["direction"], p["partner"], p["outcomes"], p["recordations"]) for p in sent] == [("sent", "KR", 1, 10)]
    assert [(p["direction"], p["partner"], p["outcomes"], p["recordations"]) for p in received] == [("received", "FR", 1, 10)]
    assert sent[0]["package_id"] == received[0]["package_id"]
    table = kr("exchange", "list").stdout
    assert "received" in table and "FR" in table
    fr_audit = [(a["action"], a["entity"]) for a in fr.table("audit") if a["entity"].startswith("exchange")]
    kr_audit = [(a["action"], a["entity"]) for a in kr.table("audit") if a["entity"].startswith("exchange")]
    assert fr_audit == [("keygen", "exchange-key"), ("export", "exchange-package")]
    assert kr_audit == [("trust", "exchange-partner"), ("import", "exchange-package")]
    added = [a["entity_id"] for a in kr.table("audit") if a["entity"] == "partner-recordation"]
    assert len(added) == 10 and "FR:KCS-TM-2021-000101" in added
    # a second package with the same recordations changes none of them; its outcome is an update
    fr("exchange", "export", "--to", "KR", "--recordations", "--output", fr.dir / "p2.json")
    kr("exchange", "import", fr.dir / "p2.json")
    assert len([a for a in kr.table("audit") if a["entity"] == "partner-recordation"]) == 10
    last = json.loads(kr.table("audit")[-1]["after"])
    assert (last["outcomes_added"], last["outcomes_updated"]) == (0, 1)


# ------------------------------------------------------------------------ declaration columns


def test_supply_chain_columns_are_read_in_every_format_with_synonyms(tmp_path):
    csv_path = write(tmp_path / "d.csv", "Goods description,Shipper,B/L No,Container No,POL\n"
                                          "NIKE SHOES,Acme Trading Co. Ltd,HLCU123,mscu1234567,CNSHA\n")
    jsonl_path = write(tmp_path / "d.jsonl", json.dumps({
        "description": "NIKE SHOES", "consignor": "Acme Trading Co. Ltd", "bill of lading": "HLCU123",
        "container number": "MSCU1234567", "port of loading": "CNSHA"}) + "\n")
    json_path = write(tmp_path / "d.json", json.dumps([{
        "description": "NIKE SHOES", "exporter": "Acme Trading Co. Ltd", "transport_document": "HLCU123",
        "container": "MSCU1234567", "port_of_loading": "CNSHA"}]))
    wb = openpyxl.Workbook()
    wb.active.append(["Description", "Exporter Name", "AWB", "Container", "Loading Port"])
    wb.active.append(["NIKE SHOES", "Acme Trading Co. Ltd", "HLCU123", "MSCU1234567", "CNSHA"])
    wb.save(tmp_path / "d.xlsx")
    for path in (csv_path, jsonl_path, json_path, tmp_path / "d.xlsx"):
        with DeclarationReader(str(path)) as reader:
            (line,) = list(reader)
        assert (line.exporter, line.transport_document, line.container, line.port_of_loading) == (
            "Acme Trading Co. Ltd", "HLCU123", "MSCU1234567", "CNSHA"), path


def test_supply_chain_fields_are_kept_with_a_stored_hit(ipr, tmp_path):
    ipr("recordation", "import", FIXTURES / "recordations.csv")
    decl = write(tmp_path / "d.csv", HEADER + "D1,1,2026-11-12,KR1,CN,640411,N1KE SHOES,1,10,USD,Acme Co,MSCU1234567,CNSHA\n")
    assert ipr("check", decl, "--quiet", "--format", "jsonl").exit_code == 0
    (stored,) = json.loads(ipr("hits", "list", "--format", "json").stdout)
    shown = json.loads(ipr("hits", "show", str(stored["hit_id"]), "--format", "json").stdout)
    assert shown["line"]["exporter"] == "Acme Co" and shown["line"]["container"] == "MSCU1234567"
    assert shown["line"]["port_of_loading"] == "CNSHA" and shown["line"]["transport_document"] == ""
    # a file without the columns gives the SPEC's hit object unchanged
    plain = write(tmp_path / "p.csv", "description,hs_code\nN1KE SHOES,640411\n")
    (hit,) = [json.loads(x) for x in ipr("check", plain, "--quiet", "--format", "jsonl", "--no-save").stdout.splitlines()]
    assert "exporter" not in hit and "container" not in hit


# ------------------------------------------------------------------------ name comparison


@pytest.mark.parametrize("a, b", [
    ("Shenzhen Huaxing Trading CO., LTD", "SHENZHEN HUAXING TRADING COMPANY LIMITED"),
    ("Shenzhen Huaxing Trading Co.,Ltd.", "shenzhen huaxing trading"),
    ("ACME INTL CORP", "Acme International Corporation"),
    ("Ｓｈｅｎｚｈｅｎ Huaxing Trading Ltd", "SHENZHEN HUAXING TRADING LIMITED"),
])
def test_company_names_compare_alike(a, b):
    assert exchange.company_key(a) == exchange.company_key(b)


@pytest.mark.parametrize("a, b", [
    ("Guangzhou Star Trading Co Ltd", "Guangzhou Moon Trading Co Ltd"),
    ("ABC Co Ltd", "ABD Co Ltd"),
])
def test_different_companies_do_not_match(a, b):
    intel = exchange._MarkIntel([("FR", "2026-11-12", "NIKE", a, "", "", "")])
    assert not intel.by_exporter(b)


def test_a_misspelt_exporter_matches_fuzzily():
    intel = exchange._MarkIntel([("FR", "2026-11-12", "NIKE", "Shenzhen Huaxing Trading Co Ltd", "", "", "")])
    assert [s.partner for s in intel.by_exporter("SHENZEN HUAXING TRADING COMPANY LIMITED")] == ["FR"]


def test_a_package_is_written_in_the_canonical_form_it_was_signed_in(ipr, tmp_path):
    fr, kr, package = exported(ipr, tmp_path)
    data = package.read_bytes()
    document = json.loads(data)
    assert data == exchange.canonical(document) + b"\n"
    # pretty-printed, the same content is refused: a package must arrive exactly as written
    write(kr.dir / "pretty.json", json.dumps(document, indent=2, ensure_ascii=False))
    result = kr("exchange", "import", kr.dir / "pretty.json", ok=False)
    assert result.exit_code == 2 and "canonical form" in result.stderr


def test_an_outcome_with_a_huge_exporter_and_an_odd_currency_still_exports_valid(ipr, tmp_path):
    fr = Admin(ipr, tmp_path, "FR")
    fr("recordation", "import", FIXTURES / "recordations.csv")
    decl = write(fr.dir / "d.csv", HEADER + f"D1,1,2026-11-12,KR1,CN,640411,N1KE SHOES,1,10,US$,{'X' * 6000},,\n")
    fr("check", decl, "--quiet", "--format", "jsonl")
    fr("decide", "1", "hold", "--note", "fakes")
    fr("exchange", "keygen", "--admin", "FR", "--output", fr.dir / "FR.pub")
    fr("exchange", "export", "--to", "KR", "--output", fr.dir / "p.json")
    package = json.loads((fr.dir / "p.json").read_text())
    jsonschema.validate(package, exchange.schema())
    (outcome,) = package["outcomes"]
    assert len(outcome["exporter"]) == exchange.TEXT_MAX and outcome["currency"] == ""


def test_a_package_for_another_administration_is_refused(ipr, tmp_path):
    fr = fr_with_a_seizure(ipr, tmp_path)
    fr("exchange", "export", "--to", "DE", "--output", fr.dir / "p.json")
    kr = kr_trusting(ipr, tmp_path, fr)
    kr("exchange", "keygen", "--admin", "KR", "--output", kr.dir / "KR.pub")
    result = kr("exchange", "import", fr.dir / "p.json", ok=False)
    assert result.exit_code == 2 and "addressed to DE" in result.stderr
    assert kr.table("partner_outcomes") == []


def test_reading_commands_need_a_store(ipr, tmp_path):
    result = ipr("exchange", "list")
    assert result.exit_code == 2 and "No store" in result.stderr
    result = ipr("exchange", "import", tmp_path / "missing.json")
    assert result.exit_code == 2 and "Cannot read the package" in result.stderr


def test_company_key_never_fails_and_is_stable():
    from hypothesis import given, settings
    from hypothesis import strategies as st

    @settings(max_examples=300, deadline=None)
    @given(st.text(max_size=80))
    def check(name):
        key = exchange.company_key(name)
        assert isinstance(key, str)
        assert exchange.company_key(key) == key or not key

    check()


def test_supply_chain_columns_are_read_from_parquet(tmp_path):
    pa = pytest.importorskip("pyarrow")
    import pyarrow.parquet as pq

    table = pa.table({"description": ["NIKE SHOES"], "shipper": ["Acme Trading Co. Ltd"], "awb": ["HLCU123"],
                      "container no": ["mscu1234567"], "pol": ["CNSHA"]})
    pq.write_table(table, tmp_path / "d.parquet")
    with DeclarationReader(str(tmp_path / "d.parquet")) as reader:
        (line,) = list(reader)
    assert (line.exporter, line.transport_document, line.container, line.port_of_loading) == (
        "Acme Trading Co. Ltd", "HLCU123", "MSCU1234567", "CNSHA")
