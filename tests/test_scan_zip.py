"""ZIP archives in `logs` proofs (issue 12, points 7 and 8): names read where extractors read them,
nested archives, stored members scanned in place. Archives are built byte by byte (fixtures/scans_zip.py)."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

import pytest

from fixtures import texts
from fixtures.scans_zip import Member, build, unicode_path_extra
from validator_core.models import Severity

GHP = "ghp_" + "R7b2Kq9ZxW4mN1pL8sT3vY6cH0jF5dG2aE9u"  # 36 characters after the prefix
assert len(GHP) == 40


@pytest.fixture(scope="module")
def zips(fixtures_dir) -> Path:
    directory = fixtures_dir / "scan-zips"
    directory.mkdir(exist_ok=True)
    return directory


def _write(directory: Path, name: str, data: bytes) -> Path:
    path = directory / name
    path.write_bytes(data)
    return path


def warnings(report) -> set[str]:
    return {f.code for f in report.findings if f.plugin == "logs" and f.severity == Severity.WARNING}


def detail(report, code: str) -> dict:
    (found,) = [f for f in report.findings if f.code == code]
    return found.details


# --- zip slip where the central directory does not show it --------------------------------------------
def test_slip_name_in_the_local_header_only(engine, zips):
    path = _write(zips, "local-slip.zip", build([Member("logs/app.log", b"2023-03-24 INFO ok\n",
                                                        local_name="../../etc/cron.d/evil")]))
    assert [i.filename for i in zipfile.ZipFile(path).infolist()] == ["logs/app.log"]  # what listings show
    report = engine.validate(path, "logs")
    assert warnings(report) == {"logs.zip_unsafe_names", "logs.zip_name_mismatch"}
    assert detail(report, "logs.zip_unsafe_names")["sources"] == {"local": 1}
    assert "../../etc/cron.d/evil" in detail(report, "logs.zip_unsafe_names")["names"]
    assert detail(report, "logs.zip_name_mismatch")["names"] == "logs/app.log / ../../etc/cron.d/evil"


def test_slip_name_in_an_info_zip_unicode_path_field(engine, zips):
    extra = unicode_path_extra("rapport.txt", "../../../home/user/.bashrc")
    path = _write(zips, "unicode-slip.zip", build([Member("rapport.txt", b"x\n", central_extra=extra)]))
    report = engine.validate(path, "logs")
    assert warnings(report) == {"logs.zip_unsafe_names"}
    assert detail(report, "logs.zip_unsafe_names")["sources"] == {"unicode_path": 1}


def test_unicode_path_in_the_local_header_is_read_too(engine, zips):
    extra = unicode_path_extra("a.log", "C:\\Windows\\System32\\evil.dll")
    path = _write(zips, "unicode-local.zip", build([Member("a.log", b"x\n", local_extra=extra)]))
    report = engine.validate(path, "logs")
    assert detail(report, "logs.zip_unsafe_names")["sources"] == {"unicode_path": 1}


def test_nul_cut_name_is_unsafe_and_shown_escaped(engine, zips):
    path = _write(zips, "nul.zip", build([Member("rapport.log\x00../../x", b"x\n")]))
    report = engine.validate(path, "logs")
    assert warnings(report) == {"logs.zip_unsafe_names"}
    assert "rapport.log\\x00../../x" in detail(report, "logs.zip_unsafe_names")["names"]
    assert "\x00" not in json.dumps(report.to_dict(), ensure_ascii=False).replace("\\u0000", "\x00")


def test_a_legitimate_unicode_path_is_no_warning(engine, zips):
    # Windows tools store a code-page name and its UTF-8 spelling in the field: different strings, no slip.
    raw = "donn\u201aes.log"  # "données" read as CP437 by a tool that ignores the flag
    path = _write(zips, "legit-unicode.zip", build([Member(raw, b"2023-03-24 ok\n", flags=0,
                                                           central_extra=unicode_path_extra(raw, "données.log"))]))
    report = engine.validate(path, "logs")
    assert not warnings(report), report.findings
    assert report.verdict.value == "accepted"


# --- nested archives -------------------------------------------------------------------------------------
def test_nested_stored_zip_bomb_is_seen_through_its_directory(engine, zips):
    inner = build([Member("dump.log", b"0" * 2000, method=8, declared_size=3_000_000_000)])
    path = _write(zips, "nested-bomb.zip", build([Member("lot/logs.zip", inner), Member("a.log", b"ok\n")]))
    report = engine.validate(path, "logs")
    assert warnings(report) == {"logs.zip_bomb", "logs.zip_nested"}
    bomb = detail(report, "logs.zip_bomb")
    assert bomb["nested_uncompressed"] == 3_000_000_000 and bomb["uncompressed"] == 3_000_000_000 + len(inner) + 3
    facts = report.facts["logs"]["zip"]
    assert facts["uncompressed_bytes"] == len(inner) + 3  # the outer directory alone looks harmless
    (nested,) = facts["nested_archives"]
    assert nested == {"name": "lot/logs.zip", "detected_by": "signature", "method": 0,
                      "declared_bytes": len(inner), "examined": True, "members": 1,
                      "inner_declared_bytes": 3_000_000_000}
    assert not {"check.timeout", "check.crashed"} & set(report.codes)


def test_deflated_nested_zip_found_by_its_signature(engine, zips):
    inner = build([Member("x.log", b"y" * 100)])
    path = _write(zips, "nested-deflated.zip", build([Member("donnees.bin", inner, method=8)]))
    report = engine.validate(path, "logs")
    assert warnings(report) == {"logs.zip_nested"}
    assert detail(report, "logs.zip_nested")["examined"] == 0
    (nested,) = report.facts["logs"]["zip"]["nested_archives"]
    assert (nested["detected_by"], nested["method"]) == ("signature", 8)


def test_nested_archive_by_name(engine, zips):
    path = zips / "named.zip"
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("old/logs-2023.tar.gz", b"not really gzip")
        archive.writestr("app.log", "2023-03-24 ok\n")
    report = engine.validate(path, "logs")
    assert warnings(report) == {"logs.zip_nested"}
    assert report.facts["logs"]["zip"]["nested_archives"][0]["detected_by"] == "name"


def test_nesting_is_bounded(engine, zips):
    data = build([Member("leaf.log", b"ok\n")])
    for level in range(8):  # 8 levels of stored archives: read to zip_max_nesting (3), never further
        data = build([Member(f"level{level}.zip", data)])
    report = engine.validate(_write(zips, "deep.zip", data), "logs")
    nested = report.facts["logs"]["zip"]["nested_archives"]
    assert len(nested) == 4 and [n.get("examined", False) for n in nested] == [True, True, True, False]
    assert not {"check.timeout", "check.crashed"} & set(report.codes)


# --- stored members: their content is scanned where it lies ---------------------------------------------
def test_secret_and_real_nir_in_a_stored_member(engine, zips):
    log = (f"2023-03-24 14:05:00 INFO start\n2023-03-24 14:05:01 DEBUG token={GHP}\n"
           f"2023-03-24 14:05:02 INFO patient {texts.UNKNOWN_NIR}\n").encode()
    path = _write(zips, "stored-secret.zip", build([Member("logs/app.log", log), Member("b.log", b"ok\n")]))
    report = engine.validate(path, "logs")
    assert warnings(report) == {"logs.secret", "logs.nir_not_test"}
    assert detail(report, "logs.secret")["lines"] == "logs/app.log:2"
    assert report.facts["logs"]["secrets"] == {"github_token": 1}
    dumped = json.dumps(report.to_dict(), ensure_ascii=False)
    assert GHP not in dumped and texts.UNKNOWN_NIR not in dumped
    assert report.facts["logs"]["zip"]["stored_members_scanned"] == 2


def test_utf16_stored_member_is_scanned(engine, zips):
    log = f"2023-03-24 DEBUG password=Azerty-2024-x\r\n".encode("utf-16-le")
    report = engine.validate(_write(zips, "utf16-member.zip", build([Member("w.log", log)])), "logs")
    assert warnings(report) == {"logs.secret"}
    assert report.facts["logs"]["secrets"] == {"password_pair": 1}


def test_deflated_members_are_not_inflated_to_be_scanned(engine, zips):
    path = zips / "deflated-secret.zip"
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("app.log", f"token={GHP}\n" * 50)
    report = engine.validate(path, "logs")
    assert not warnings(report)
    assert report.facts["logs"]["zip"]["stored_members_scanned"] == 0
    assert report.facts["logs"]["zip"]["members_not_scanned"] == 1


def test_entries_sharing_their_data_are_read_once(engine, zips):
    # 2,000 central entries pointing at one stored member (the overlapping-files trick): one scan.
    one = build([Member("a.log", b"password=Azerty-2024-x\n")])
    end = one.index(b"PK\x05\x06")
    central_start = one.index(b"PK\x01\x02")
    entry = one[central_start:end]
    entries = b"".join(entry[:46] + f"{i:05d}".encode() + entry[46 + 5:] for i in range(2000))
    data = one[:central_start] + entries + (b"PK\x05\x06" + b"\x00" * 4 + (2000).to_bytes(2, "little") * 2
                                            + len(entries).to_bytes(4, "little") + central_start.to_bytes(4, "little")
                                            + b"\x00\x00")
    assert len(zipfile.ZipFile(_write(zips, "overlap.zip", data)).infolist()) == 2000
    report = engine.validate(zips / "overlap.zip", "logs")
    assert report.facts["logs"]["secrets"] == {"password_pair": 1}
    assert report.facts["logs"]["zip"]["stored_members_scanned"] == 1
    assert not {"check.timeout", "check.crashed"} & set(report.codes)


def test_member_names_are_masked_in_facts_and_findings(engine, zips):
    name = f"../{GHP}/app.log"
    report = engine.validate(_write(zips, "secret-name.zip", build([Member(name, b"ok\n")])), "logs")
    assert "logs.zip_unsafe_names" in warnings(report)
    dumped = json.dumps(report.to_dict(), ensure_ascii=False)
    assert GHP not in dumped
    assert report.facts["logs"]["zip"]["entries"][0]["name"] == "../•••/app.log"


def test_thousands_of_hostile_names_are_counted_not_all_shown(engine, zips):
    members = [Member(f"../x{i}.log", b"", local_name=f"../y{i}.log") for i in range(3000)]
    report = engine.validate(_write(zips, "many-slips.zip", build(members)), "logs")
    unsafe = detail(report, "logs.zip_unsafe_names")
    assert unsafe["count"] == 6000 and unsafe["sources"] == {"central": 3000, "local": 3000}
    assert unsafe["names"] == "../x0.log, ../y0.log, ../x1.log"
    assert detail(report, "logs.zip_name_mismatch")["count"] == 3000
    assert not {"check.timeout", "check.crashed"} & set(report.codes)
