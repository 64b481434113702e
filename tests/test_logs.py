"""The `logs` plugin, through the engine, on real files generated at test time (fixtures/texts.py)."""

from __future__ import annotations

import json
import shutil
import zipfile
from pathlib import Path

import pytest

from fixtures import texts
from plugins import logs_inspection
from validator_core.models import Severity
from validator_core.toolkit.text import scan_secrets
from validator_core.toolkit.xml import parse_xml


@pytest.fixture(scope="session")
def logs_dir(fixtures_dir) -> Path:
    directory = fixtures_dir / "logs"
    directory.mkdir(exist_ok=True)
    return directory


def codes(report, severity: str | None = None) -> set[str]:
    return {f.code for f in report.findings if f.plugin == "logs" and (severity is None or f.severity == Severity(severity))}


def facts(report) -> dict:
    return report.facts["logs"]


# --- structured formats ------------------------------------------------------------------------------
def test_hl7v2_dump(engine, logs_dir):
    report = engine.validate(texts.make_hl7(logs_dir), "logs")
    assert report.verdict.value == "accepted", report.findings
    f = facts(report)
    assert "hl7v2" in f["formats"]
    assert f["hl7v2"]["messages"] == 2
    assert f["hl7v2"]["message_types"] == {"ADT^A01": 1, "ADT^A08": 1}
    assert f["hl7v2"]["versions"] == ["2.5"]
    assert f["lines"] == 8  # CR-separated segments count as lines
    assert f["first_timestamp"] == "2023-03-24T14:05:00"


def test_fhir_bundle(engine, logs_dir):
    report = engine.validate(texts.make_fhir_bundle(logs_dir), "logs")
    f = facts(report)
    assert {"json", "fhir_json"} <= set(f["formats"])
    assert f["fhir"]["resourceType"] == "Bundle" and f["fhir"]["entries"] == 3
    assert f["fhir"]["entry_resource_types"]["Patient"] == 1
    assert report.verdict.value == "accepted", report.findings


def test_cda_document(engine, logs_dir):
    report = engine.validate(texts.make_cda(logs_dir), "logs")
    f = facts(report)
    assert {"xml", "cda"} <= set(f["formats"])
    assert f["cda"]["code"] == "11502-2" and f["cda"]["structured_body"] is True
    assert report.verdict.value == "accepted", report.findings


def test_soap_envelope(engine, logs_dir):
    f = facts(engine.validate(texts.make_soap(logs_dir), "logs"))
    assert "soap" in f["formats"]
    assert f["soap"] == {"version": "1.2", "header": True, "action": "urn:ihe:iti:2007:RegistryStoredQuery",
                         "body": "AdhocQueryRequest", "fault": False}


def test_smtp_source_gives_structure_not_addresses(engine, logs_dir):
    report = engine.validate(texts.make_smtp_source(logs_dir), "logs")
    f = facts(report)
    assert "smtp" in f["formats"]
    assert f["smtp"]["attachments"] == 1 and f["smtp"]["received_headers"] == 2
    assert f["smtp"]["content_type"] == "multipart/mixed"
    dumped = json.dumps(report.to_dict(), ensure_ascii=False)
    assert "dr.test@" not in dumped and "Compte rendu de test" not in dumped


def test_app_log_text_facts(engine, logs_dir):
    path = logs_dir / "latin1.log"
    path.write_bytes("2023-03-24 14:05:00 INFO Démarrage : données reçues, éléments traités\n".encode("latin-1") * 20
                     + "[24/Mar/2023:15:00:01 +0100] GET /fin\n".encode("latin-1"))
    f = facts(engine.validate(path, "logs"))
    assert f["kind"] == "text" and f["lines"] == 21
    assert f["encoding"] not in {"utf-8", "ascii", None}
    assert f["first_timestamp"] == "2023-03-24T14:05:00"
    assert f["last_timestamp"] == "2023-03-24T15:00:01+01:00"


def test_binary_file(engine, logs_dir):
    path = logs_dir / "capture.bin"
    path.write_bytes(bytes(range(256)) * 8)
    f = facts(engine.validate(path, "logs"))
    assert f["kind"] == "binary" and "encoding" not in f


# --- ZIP: central directory only -----------------------------------------------------------------------
def test_zip_of_logs(engine, logs_dir):
    report = engine.validate(texts.make_log_zip(logs_dir), "logs")
    f = facts(report)
    assert f["formats"] == ["zip"]
    assert f["zip"]["members"] == 4
    assert {e["name"] for e in f["zip"]["entries"]} >= {"logs/connecteur-0.log", "dump/adt.hl7"}
    assert report.verdict.value == "accepted", report.findings


def test_zip_bomb_is_a_warning_without_inflating(engine, logs_dir):
    path = texts.make_zip_bomb(logs_dir)
    assert path.stat().st_size < 1_000_000  # a real, small archive
    report = engine.validate(path, "logs")
    assert "logs.zip_bomb" in codes(report, "warning")
    assert facts(report)["zip"]["uncompressed_bytes"] == 50 * (1 << 20)
    assert not {"check.timeout", "check.crashed"} & set(report.codes)


def test_zip_with_unsafe_names(engine, logs_dir):
    path = logs_dir / "slip.zip"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("../../etc/cron.d/evil", "x")
        archive.writestr("ok.log", "y")
    assert "logs.zip_unsafe_names" in codes(engine.validate(path, "logs"))


# --- XML and JSON ---------------------------------------------------------------------------------------
def test_xxe_is_reported_never_resolved(engine, logs_dir):
    secret = logs_dir / "secret-target.txt"
    secret.write_text("SECRET-CONTENT-4f1c9b", encoding="utf-8")
    report = engine.validate(texts.make_xxe(logs_dir, secret), "logs")
    assert "logs.xml_doctype" in codes(report, "warning")
    assert facts(report)["xml"]["external_entities"] >= 1
    assert "SECRET-CONTENT-4f1c9b" not in json.dumps(report.to_dict())
    assert not {"check.timeout", "check.crashed"} & set(report.codes)


def test_billion_laughs_gets_a_quick_report(engine, logs_dir):
    report = engine.validate(texts.make_billion_laughs(logs_dir), "logs")
    assert "logs.xml_doctype" in codes(report, "warning")
    assert facts(report)["xml"]["entity_declarations"] == 10
    assert not {"check.timeout", "check.crashed"} & set(report.codes)
    assert "lollollol" not in json.dumps(report.to_dict())


def test_xxe_parse_keeps_entity_unexpanded(logs_dir):
    secret = logs_dir / "secret-target-2.txt"
    secret.write_text("SECRET-2", encoding="utf-8")
    parsed = parse_xml(texts.make_xxe(logs_dir, secret, name="xxe2.xml").read_bytes())
    assert parsed.well_formed and parsed.entity_references == 1
    from lxml import etree

    assert b"SECRET-2" not in etree.tostring(parsed.root)


@pytest.mark.parametrize(
    "name, content, code",
    [("broken.xml", "<?xml version='1.0'?>\n<log><a></log>\n", "logs.xml_invalid"),
     ("broken.json", '{"resourceType": "Bundle",\n "entry": [}\n', "logs.json_invalid")],
)
def test_invalid_xml_or_json_is_a_warning(engine, logs_dir, name, content, code):
    path = logs_dir / name
    path.write_text(content, encoding="utf-8")
    report = engine.validate(path, "logs")
    assert code in codes(report, "warning")
    (finding,) = [f for f in report.findings if f.code == code]
    assert finding.details["line"] == 2


def test_ndjson_log_is_well_formed(engine, logs_dir):
    path = logs_dir / "events.ndjson"
    path.write_text("\n".join(json.dumps({"ts": f"2023-03-24T14:05:0{i}Z", "msg": "ok"}) for i in range(5)) + "\n")
    report = engine.validate(path, "logs")
    assert "ndjson" in facts(report)["formats"] and not codes(report)


# --- secrets ---------------------------------------------------------------------------------------------
@pytest.mark.skipif(shutil.which("openssl") is None, reason="openssl CLI needed to generate a key")
def test_private_key_is_a_warning_and_not_echoed(engine, logs_dir):
    path = texts.make_private_key_log(logs_dir)
    key_body = path.read_text().splitlines()[2]  # a base64 line of the key
    report = engine.validate(path, "logs")
    assert "logs.secret" in codes(report, "warning")
    assert facts(report)["secrets"] == {"private_key": 1}
    assert key_body not in json.dumps(report.to_dict())


def test_tokens_and_passwords_are_warnings_and_not_echoed(engine, logs_dir):
    report = engine.validate(texts.make_token_log(logs_dir), "logs")
    assert facts(report)["secrets"] == {"jwt": 1, "url_password": 1, "password_pair": 1}  # "******" is not a secret
    dumped = json.dumps(report.to_dict())
    for secret in ("Sup3rS3cret", "Ks-2023-secret", "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9"):
        assert secret not in dumped


def test_secret_scanner_ignores_placeholders():
    scan = scan_secrets("password=****\npassword: ${DB_PASSWORD}\napi_key=<redacted>\nmot_de_passe=xxxx\n")
    assert not scan.found
    assert scan_secrets("Authorization: Basic ZGVtbzpkZW1vMTIz\n").kinds() == ["basic_auth"]


# --- identities -------------------------------------------------------------------------------------------
def test_the_62_test_nirs_give_no_privacy_warning(engine, logs_dir):
    nirs = texts.test_nirs()
    assert len(nirs) == 62
    report = engine.validate(texts.make_nir_log(logs_dir, "test-nirs.log", nirs), "logs")
    assert facts(report)["identities"]["nir_test_identities"] == 62
    assert not codes(report), report.findings


def test_a_valid_non_test_nir_is_a_warning_masked(engine, logs_dir):
    nir = texts.UNKNOWN_NIR
    assert 97 - int(nir[:13]) % 97 == int(nir[13:]) and nir not in texts.test_nirs()
    report = engine.validate(texts.make_nir_log(logs_dir, "real-nir.log", texts.test_nirs()[:5] + [nir]), "logs")
    assert codes(report, "warning") == {"logs.nir_not_test"}
    assert nir not in json.dumps(report.to_dict())
    assert nir[:5] in report.findings[-1].message


def test_an_invalid_key_nir_is_not_a_warning(engine, logs_dir):
    nir = texts.UNKNOWN_NIR[:13] + f"{(int(texts.UNKNOWN_NIR[13:]) + 1) % 97:02d}"
    report = engine.validate(texts.make_nir_log(logs_dir, "bad-key.log", [nir]), "logs")
    assert not codes(report)
    assert facts(report)["identities"]["nir_invalid_key"] == 1


# --- inference and the engine's own checks ----------------------------------------------------------------
def test_logs_inferred_for_untyped_files(engine, logs_dir):
    report = engine.validate(texts.make_hl7(logs_dir, name="untyped.hl7"))
    assert report.proof_type == "logs" and report.proof_type_inferred
    assert "hl7v2" in facts(report)["formats"]


def test_empty_and_oversized_files_are_core_errors(engine, logs_dir):
    empty = logs_dir / "empty.log"
    empty.write_bytes(b"")
    assert engine.validate(empty, "logs").codes == ["file.empty"]
    big = logs_dir / "big.log"
    big.write_bytes(b"x" * 1_000_001)
    assert "file.too_large" in engine.validate(big, "logs").codes


def test_timestamps_helper():
    text = "start\n2023-03-24T14:05:00Z first\nmiddle 2023-03-24T14:06:00Z\n24/03/2023 15:00:00 last\n"
    assert logs_inspection.timestamps(text, 200) == {"first_timestamp": "2023-03-24T14:05:00Z", "last_timestamp": "2023-03-24T15:00:00"}
    assert logs_inspection.timestamps("no dates here 2023-13-45T99:99:99\n", 200) == {}


def test_utf16_log_with_bom(engine, logs_dir):
    path = logs_dir / "windows.log"
    path.write_bytes("2023-03-24 14:05:00 Événement 1\r\n2023-03-24 14:06:00 Événement 2\r\n".encode("utf-16"))
    f = facts(engine.validate(path, "logs"))
    assert (f["kind"], f["encoding"], f["bom"], f["lines"]) == ("text", "utf-16", True, 2)
    assert f["last_timestamp"] == "2023-03-24T14:06:00"


@pytest.mark.parametrize(
    "line, kind",
    [
        ("MOT DE PASSE : Azerty-2024", "password_pair"),
        ("mot_de_passe=Azerty-2024", "password_pair"),
        ("MDP=Azerty-2024", "password_pair"),
        ("client_secret=9f8e7d6c5b", "password_pair"),
        ("API-KEY: 9f8e7d6c5b4a", "password_pair"),
        ("AccessToken=9f8e7d6c5b4a", "password_pair"),
        ("PWD=Azerty-2024", "password_pair"),
        ("Authorization: BEARER abcdefghijklmnop1234", "bearer_token"),
        ("authorization: basic ZGVtbzpkZW1vMTIz", "basic_auth"),
        ("key id AKIAIOSFODNN7EXAMPLE used", "aws_access_key"),
        ("SMTP://user:Azerty-2024@mail.example", "url_password"),
        ("-----BEGIN OPENSSH PRIVATE KEY-----", "private_key"),
        ("---- BEGIN SSH2 ENCRYPTED PRIVATE KEY ----", "private_key"),
        ("PuTTY-User-Key-File-2: ssh-rsa", "private_key"),
        ("eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.c2ln", "jwt"),
        ("key id ASIAIOSFODNN7EXAMPLE used", "aws_access_key"),
        ("key id ABIAIOSFODNN7EXAMPLE used", "aws_access_key"),
        ("key id ACCAIOSFODNN7EXAMPLE used", "aws_access_key"),
        ("key id A3T0IOSFODNN7EXAMPLE used", "aws_access_key"),
        ("AWS-Secret-Access-Key: wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", "aws_secret_key"),
        ("token ghp_" + "a" * 36, "github_token"),
        ("token gho_" + "a" * 36, "github_token"),
        ("token ghu_" + "a" * 36, "github_token"),
        ("token ghs_" + "a" * 36, "github_token"),
        ("token ghr_" + "a" * 36, "github_token"),
        ("token github_pat_" + "a" * 22 + "_" + "b" * 59, "github_token"),
        ("glpat-" + "a" * 20, "gitlab_token"),
        ("gldt-" + "a" * 20, "gitlab_token"),
        ("glrt-" + "a" * 20, "gitlab_token"),
        ("glsoat-" + "a" * 20, "gitlab_token"),
        ("glft-" + "a" * 20, "gitlab_token"),
        ("glcbt-" + "a" * 20, "gitlab_token"),
        ("glptt-" + "a" * 20, "gitlab_token"),
        ("XOXB-123-456-abcdef", "slack_token"),
        ("xapp-1-A0123456789-0123456789-abcdef", "slack_token"),
        ("HTTPS://HOOKS.SLACK.COM/services/T0000/B0000/XXXXXXXX", "slack_webhook"),
        ("AIza" + "a" * 35, "google_api_key"),
        ("rk_live_" + "a" * 24, "stripe_key"),
        ("SG." + "a" * 22 + "." + "b" * 43, "sendgrid_key"),
        ("npm_" + "a" * 36, "npm_token"),
        ("pypi-AgEIcHlwaS5vcmc" + "a" * 60, "pypi_token"),
        ("sk-proj-" + "a" * 20 + "T3BlbkFJ" + "b" * 20, "openai_key"),
        ("ACCOUNTKEY=" + "a" * 86 + "==", "azure_storage_key"),
        ("https://x.example/a?X-Amz-Signature=0123456789abcdef", "url_secret_param"),
        ("Auth_Key: 9f8e7d6c5b4a", "password_pair"),
        ("JWT_SECRET=9f8e7d6c5b4a", "password_pair"),
    ],
)
def test_secret_prefilter_never_hides_a_match(line, kind):
    """The literal prefilter of scan_secrets must let every spelling its regex accepts through."""
    assert scan_secrets(f"2024-03-01 10:00:00 DEBUG {line}\n").kinds() == [kind]


def test_every_prefilter_literal_has_a_spelling_above():
    """A literal added to the prefilter without a line above that needs it would go untested."""
    from validator_core.toolkit.text import _SECRET_PATTERNS

    params = next(m for m in test_secret_prefilter_never_hides_a_match.pytestmark if m.name == "parametrize")
    lines = [line.lower() for line, _kind in params.args[1]]
    for rule in _SECRET_PATTERNS:
        for needle in rule.needles:
            assert any(needle.decode() in line for line, (_l, kind) in zip(lines, params.args[1]) if kind == rule.kind), \
                (rule.kind, needle)
