"""Issue 12, point 8: what `logs.secret` flags never comes back whole in the report, the common token
formats are found (UTF-16 logs too), and ordinary log lines are not taken for secrets."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from fixtures import texts
from fixtures.scans_inputs import ordinary_log
from validator_core.models import Severity
from validator_core.toolkit.text import decode_text, mask_secrets, scan_identities, scan_secrets

# Made-up tokens in each vendor's format (none is a real credential).
GHP = "ghp_" + "R7b2Kq9ZxW4mN1pL8sT3vY6cH0jF5dG2aE9u"
GHO = "gho_" + "Zq8x7W6v5U4t3S2r1Q0pOnMlKjIhGfEdCbA9"
GITHUB_PAT = "github_pat_" + "11ABCDEFG0123456789abc" + "_" + "x" * 20 + "Y" * 20 + "z1" * 9 + "Q"
XOXB = "xoxb-123456789012-1234567890123-AbCdEfGhIjKlMnOpQrStUvWx"
XOXP = "xoxp-123456789012-123456789012-123456789012-0123456789abcdef0123456789abcdef"
AIZA = "AIza" + "SyD3x9Q-7kLm2Np4Rs6Tu8Vw0Yz_AbCdEfG"
AWS_SECRET = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
JWT = ("eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiJ0ZXN0LWVkaXRldXIiLCJpYXQiOjE2Nzk2NjcxMDB9"
       ".c2lnbmF0dXJlLXRlc3Qtbm9uLXZhbGlkZQ")
assert len(GHP) == 40 and len(GITHUB_PAT) == 93 and len(AIZA) == 39 and len(AWS_SECRET) == 40


@pytest.fixture(scope="module")
def leaks(fixtures_dir) -> Path:
    directory = fixtures_dir / "scan-leaks"
    directory.mkdir(exist_ok=True)
    return directory


def warnings(report) -> set[str]:
    return {f.code for f in report.findings if f.plugin == "logs" and f.severity == Severity.WARNING}


def dumped(report) -> str:
    return json.dumps(report.to_dict(), ensure_ascii=False)


# --- facts copied from the content are masked ------------------------------------------------------------
def test_soap_action_and_body_carrying_tokens_are_masked(engine, leaks):
    path = leaks / "soap-token.xml"
    path.write_text(
        '<?xml version="1.0"?>\n<soap:Envelope xmlns:soap="http://www.w3.org/2003/05/soap-envelope" '
        'xmlns:wsa="http://www.w3.org/2005/08/addressing"><soap:Header>'
        f"<wsa:Action>urn:x:query?access_token={GHP}</wsa:Action></soap:Header>"
        f"<soap:Body><q:{GHO} xmlns:q=\"urn:q\"/></soap:Body></soap:Envelope>\n", encoding="utf-8")
    report = engine.validate(path, "logs")
    assert warnings(report) == {"logs.secret"}
    soap = report.facts["logs"]["soap"]
    assert soap["action"] == "urn:x:query?access_token=•••" and soap["body"] == "•••"
    assert GHP not in dumped(report) and GHO not in dumped(report)


def test_fhir_profiles_and_types_carrying_tokens_are_masked(engine, leaks):
    path = leaks / "fhir-token.json"
    path.write_text(json.dumps({
        "resourceType": "Bundle", "type": f"batch {XOXB}",
        "meta": {"profile": [f"https://fhir.example/StructureDefinition/p?key={AIZA}",
                             f"https://fhir.example/{JWT}"]},
        "entry": [{"resource": {"resourceType": GHP}}],
    }), encoding="utf-8")
    report = engine.validate(path, "logs")
    assert "logs.secret" in warnings(report)
    fhir = report.facts["logs"]["fhir"]
    assert fhir["entry_resource_types"] == {"•••": 1}
    assert all("•••" in profile for profile in fhir["profiles"])
    for token in (XOXB, AIZA, JWT, GHP):
        assert token not in dumped(report)


def test_smtp_date_and_hl7_message_type_carrying_secrets_are_masked(engine, leaks):
    path = leaks / "message.eml"
    path.write_text(f"From: a@b.example\nTo: c@d.example\nDate: Fri, 24 Mar 2023 password={AWS_SECRET}\n"
                    "Subject: x\n\nbody\n", encoding="utf-8")
    report = engine.validate(path, "logs")
    assert report.facts["logs"]["smtp"]["date"] == "Fri, 24 Mar 2023 password=•••"
    assert AWS_SECRET not in dumped(report)
    hl7 = leaks / "dump.hl7"
    hl7.write_text(f"MSH|^~\\&|A|B|C|D|20230324140500||{GHP}^A01|1|P|2.5\rPID|||{texts.UNKNOWN_NIR}\r",
                   encoding="utf-8")
    report = engine.validate(hl7, "logs")
    assert report.facts["logs"]["hl7v2"]["message_types"] == {"•••^A01": 1}
    assert GHP not in dumped(report) and texts.UNKNOWN_NIR not in dumped(report)


def test_xml_root_named_like_a_token_is_masked(engine, leaks):
    path = leaks / "root-token.xml"
    path.write_text(f"<{GHP}><a/></{GHP}>\n", encoding="utf-8")
    report = engine.validate(path, "logs")
    assert report.facts["logs"]["xml"]["root"] == "•••"
    assert GHP not in dumped(report)


def test_mask_secrets_keeps_the_rest_of_the_text():
    assert mask_secrets(f"Authorization: Bearer {GHP[4:]}x") == "Authorization: Bearer •••"
    assert mask_secrets(f"patient {texts.UNKNOWN_NIR} ok") == f"patient {texts.UNKNOWN_NIR[:5]}{'•' * 10} ok"
    assert mask_secrets("urn:ihe:iti:2007:RegistryStoredQuery") == "urn:ihe:iti:2007:RegistryStoredQuery"
    assert mask_secrets("jdbc:postgresql://dmp:Sup3rS3cret@db.example:5432/dmp") == \
        "jdbc:postgresql://dmp:•••@db.example:5432/dmp"


# --- common token formats ----------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "line, kind",
    [
        (f"GITHUB_TOKEN={GHP}", "github_token"),
        (f"oauth {GHO} granted", "github_token"),
        (f"push with {GITHUB_PAT}", "github_token"),
        (f"slack bot {XOXB}", "slack_token"),
        (f"slack user {XOXP}", "slack_token"),
        (f"maps {AIZA} loaded", "google_api_key"),
        (f"aws_secret_access_key = {AWS_SECRET}", "aws_secret_key"),
        (f'"SecretAccessKey": "{AWS_SECRET}"', "aws_secret_key"),
        ("glpat-" + "x1Y2z3W4v5U6t7S8r9Q0", "gitlab_token"),
        ("sk_live_" + "4eC39HqLyjWDarjtT1zdp7dc", "stripe_key"),
        ("npm_" + "a1B2c3D4e5F6g7H8i9J0k1L2m3N4o5P6q7R8", "npm_token"),
        ("PuTTY-User-Key-File-3: ssh-ed25519", "private_key"),
        (f"https://api.example/v1?x=1&sig={GHO[4:]}", "url_secret_param"),
        (f"truststorePassword={AWS_SECRET[:12]}", "password_pair"),
    ],
)
def test_common_token_formats(line, kind):
    assert scan_secrets(f"2024-03-01 10:00:00 DEBUG {line}\n").kinds() == [kind]


@pytest.mark.parametrize(
    "line",
    [
        "PWD=/home/editeur/connecteur",  # an environment dump: the working directory
        "passwordExpiry: 2024-06-30",  # a keyword inside a longer name, no separator after it
        "secretariat: Mme Dupont",
        "commit 3f786850e387550fdab836ed7e6dc881de23001b merged",
        "request id 123e4567-e89b-12d3-a456-426614174000 done",
        "GET https://interop.example.fr/api/v2/patients/42?page=2&size=50 -> 200",
        "Bearer token refused: expired",
        "password=******** (masked)",
        "AKIA is the prefix of AWS access key ids",
    ],
)
def test_ordinary_lines_are_not_secrets(line):
    assert not scan_secrets(f"2024-03-01 10:00:00 INFO {line}\n").found


def test_an_ordinary_1_mo_log_holds_no_secret():
    assert not scan_secrets(ordinary_log()).found


# --- UTF-16 without a BOM -----------------------------------------------------------------------------------
@pytest.mark.parametrize("codec", ["utf-16-le", "utf-16-be"])
def test_utf16_without_bom_is_text_and_scanned(engine, leaks, codec):
    path = leaks / f"windows-{codec}.log"
    lines = (f"2023-03-24 14:05:00 Événement : jeton {GHP}\r\n"
             f"2023-03-24 14:06:00 patient {texts.UNKNOWN_NIR}\r\n")
    path.write_bytes(lines.encode(codec))
    report = engine.validate(path, "logs")
    facts = report.facts["logs"]
    assert (facts["kind"], facts["encoding"], facts["lines"]) == ("text", codec, 2)
    assert facts["last_timestamp"] == "2023-03-24T14:06:00"
    assert warnings(report) == {"logs.secret", "logs.nir_not_test"}
    assert GHP not in dumped(report)


def test_binary_records_with_zero_bytes_are_not_utf16():
    records = b"".join(i.to_bytes(2, "little") for i in range(256)) * 20  # 16-bit counters
    assert decode_text(records).encoding is None


def test_identities_in_utf16_big_endian_text():
    text = decode_text(f"INS {texts.UNKNOWN_NIR} OID 1.2.250.1.213.1.4.8".encode("utf-16-be")).text
    scan = scan_identities(text)
    assert scan.unknown_valid == [texts.UNKNOWN_NIR[:5] + "•" * 10] and scan.ins_oids == {"ins_nir": 1}
