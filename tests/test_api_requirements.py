"""Requirement-aware uploads and whole dossiers over real HTTP (a uvicorn process, like tests/test_api.py).

Files are real (reportlab / pikepdf PDFs, Pillow PNGs); the dossier is fixtures/dossier.py's BIO one,
sent as a browser sends a folder: each file named by its path relative to the folder.
"""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Iterator

import httpx
import pytest

from fixtures.dossier import GOOD_PDFA, GOOD_SCREENSHOT, MISSING, NO_PDFA, REM, WRONG_TYPE, make_bio_dossier
from fixtures.formats import make_image, make_pdf
from tests._server import assert_problem, start_server, stop_server

KEY = "req-key-51c0"
AUTH = {"X-API-Key": KEY}
PDFA_PROOF = "DOC/va1.01.01.01"  # "au format PDF/A-1": admits pdf_report only, PDF/A-1 required
PDF_ONLY_PROOF = "DOC/va1.29.01.02"


@pytest.fixture(scope="module")
def server(tmp_path_factory) -> Iterator[tuple[str, Path]]:
    tmp_dir = tmp_path_factory.mktemp("req-uploads")
    log = tmp_path_factory.mktemp("req-logs") / "server.log"
    proc, url = start_server(tmp_dir, log, PREUVES_API_KEYS=KEY, PREUVES_DOSSIER_MAX_FILES="6",
                             PREUVES_RATE_LIMIT_PER_MIN="0")
    yield url, tmp_dir
    stop_server(proc)


@pytest.fixture(scope="module")
def client(server) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=server[0], headers=AUTH, timeout=60) as c:
        yield c


@pytest.fixture(scope="module")
def files(tmp_path_factory) -> dict[str, Path]:
    out = tmp_path_factory.mktemp("req-files")
    return {"pdf": make_pdf(out, name="compte-rendu.pdf"),
            "png": make_image(out, "PNG", size=(1920, 1080), name="capture.png")}


@pytest.fixture(scope="module")
def bio(tmp_path_factory) -> dict[str, Path]:
    return make_bio_dossier(tmp_path_factory.mktemp("req-dossier"))


def codes(report: dict) -> list[str]:
    return [f["code"] for f in report["findings"]]


def streamed(client: httpx.Client, path: str, parts: list[tuple], **kwargs) -> httpx.Response:
    """A chunked multipart body whose part order we choose: ``("field", name, value)`` / ``("file", name, bytes)``."""
    boundary = "rb" + uuid.uuid4().hex

    def body() -> Iterator[bytes]:
        for kind, name, value in parts:
            if kind == "field":
                yield f"--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n".encode()
            else:
                yield (f"--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{name}\"\r\n"
                       "Content-Type: application/octet-stream\r\n\r\n").encode() + value + b"\r\n"
        yield f"--{boundary}--\r\n".encode()

    return client.post(path, content=body(), headers={"Content-Type": f"multipart/form-data; boundary={boundary}"},
                       **kwargs)


# -- POST /v1/validations with a requirement --------------------------------------------------------
def test_pdf_without_pdfa_claim_is_rejected_for_a_pdfa_proof(client, files):
    response = client.post("/v1/validations", data={"requirement": PDFA_PROOF, "rem": REM},
                           files={"file": ("compte-rendu.pdf", files["pdf"].read_bytes())})
    assert response.status_code == 200, response.text
    report = response.json()
    assert report["verdict"] == "rejected" and report["proof_type"] == "pdf_report"  # the type comes from the proof
    assert report["facts"]["requirement"]["id"] == PDFA_PROOF and report["facts"]["requirement"]["rem"] == REM
    errors = [f for f in report["findings"] if f["severity"] == "error"]
    # The pdf_report plugin's own PDF/A finding, raised to an error because this proof requires
    # PDF/A-1 (requirement.pdfa_required is only emitted when no plugin finding can be raised).
    assert [f["code"] for f in errors] == ["pdf_report.pdfa_missing"]
    assert errors[0]["details"]["requirement"] == PDFA_PROOF and errors[0]["details"]["required_by_requirement"]


def test_same_pdf_without_requirement_is_only_warned(client, files):
    report = client.post("/v1/validations", files={"file": ("compte-rendu.pdf", files["pdf"].read_bytes())}).json()
    assert report["verdict"] != "rejected", codes(report)
    assert "requirement" not in report["facts"]


def test_png_for_a_pdf_only_proof_is_not_admitted(client, files):
    response = client.post("/v1/validations", data={"requirement": PDF_ONLY_PROOF, "rem": REM, "lang": "en"},
                           files={"file": ("capture.png", files["png"].read_bytes())})
    report = response.json()
    assert response.status_code == 200 and report["verdict"] == "rejected"
    finding = next(f for f in report["findings"] if f["code"] == "requirement.type_not_admitted")
    assert finding["severity"] == "error" and PDF_ONLY_PROOF in finding["message"] and "expects" in finding["message"]


def test_unknown_requirement_is_422_with_close_ids_before_the_file_is_read(client, server, files):
    response = streamed(client, "/v1/validations", [
        ("field", "rem", REM), ("field", "requirement", "DOC/va1.01.01.0"),
        ("file", "x.pdf", files["pdf"].read_bytes()),
    ])
    body = assert_problem(response, 422, "request.unknown_requirement")
    assert PDFA_PROOF in body["candidates"] and body["requirement"] == "DOC/va1.01.01.0" and body["rem"] == REM
    assert response.headers.get("connection") == "close"  # answered while the body was still unread
    assert not [p for p in server[1].rglob("*") if p.is_file()]


def test_unknown_requirement_after_the_file_is_the_same_422(client, files):
    response = streamed(client, "/v1/validations", [
        ("file", "x.pdf", files["pdf"].read_bytes()), ("field", "requirement", "DOC/va1.01.01.99"),
        ("field", "rem", REM),
    ])
    body = assert_problem(response, 422, "request.unknown_requirement")
    assert PDFA_PROOF in body["candidates"]


def test_unknown_rem_is_422(client, files):
    response = client.post("/v1/validations", data={"requirement": PDFA_PROOF, "rem": "XYZ"},
                           files={"file": ("x.pdf", files["pdf"].read_bytes())})
    assert assert_problem(response, 422, "request.unknown_rem")["valid"] == ["BIO", "DB", "DPI", "LGC", "PFI", "RIS"]


def test_batch_takes_one_requirement_per_file(client, files):
    parts = [("file", ("a.pdf", files["pdf"].read_bytes())), ("file", ("b.png", files["png"].read_bytes())),
             ("file", ("c.png", files["png"].read_bytes()))]
    response = client.post("/v1/validations/batch", files=parts,
                           data={"rem": REM, "requirement": [PDFA_PROOF, PDF_ONLY_PROOF, ""]})
    assert response.status_code == 200, response.text
    reports = response.json()["reports"]
    assert "pdf_report.pdfa_missing" in codes(reports[0])
    assert "requirement.type_not_admitted" in codes(reports[1])
    assert reports[2]["verdict"] != "rejected" and "requirement" not in reports[2]["facts"]
    wrong_count = client.post("/v1/validations/batch", files=parts, data={"requirement": [PDFA_PROOF, PDFA_PROOF]})
    assert assert_problem(wrong_count, 422, "request.invalid")["field"] == "requirement"


# -- POST /v1/dossiers ----------------------------------------------------------------------------
def dossier_parts(bio: dict[str, Path]) -> list[tuple[str, tuple[str, bytes]]]:
    """Every file of the folder, named by its path relative to the folder (as a browser sends it)."""
    root = bio["root"]
    return [("file", (path.relative_to(root).as_posix(), path.read_bytes()))
            for path in sorted(root.rglob("*")) if path.is_file()]


@pytest.fixture(scope="module")
def dossier_response(client, bio) -> httpx.Response:
    return client.post("/v1/dossiers", data={"rem": "bio"}, files=dossier_parts(bio))


def test_dossier_gives_verdicts_missing_and_unmatched(dossier_response, bio):
    assert dossier_response.status_code == 200, dossier_response.text
    result = dossier_response.json()
    statuses = {p["proof"]: p["status"] for p in result["proofs"]}
    assert statuses[WRONG_TYPE] == statuses[NO_PDFA] == "rejected"
    assert statuses[GOOD_PDFA] in ("accepted", "accepted_with_warnings")
    assert statuses[GOOD_SCREENSHOT] in ("accepted", "accepted_with_warnings")
    missing = {m["proof"] for m in result["missing"]}
    assert MISSING in missing and not missing & set(statuses)
    assert result["unmatched_files"] == ["notes.txt"]
    summary = result["summary"]
    assert summary["rem"] == REM and summary["filed_proofs"] == 4 and summary["files"] == 4
    assert summary["rejected"] == 2 and summary["unmatched_files"] == 1 and not summary["ready"]
    # Files are shown by the names sent (never the service's temp names) with their full report.
    wrong = next(p for p in result["proofs"] if p["proof"] == WRONG_TYPE)
    assert [f["path"] for f in wrong["files"]] == ["DOC_va1.25.01.02 firefox/capture.pdf"]
    assert "requirement.type_not_admitted" in codes(wrong["files"][0]["report"])
    assert wrong["files"][0]["report"]["file"]["name"] == "capture.pdf"  # the engine keeps the base name


def test_dossier_markdown_report(client, bio, server):
    response = client.post("/v1/dossiers", params={"format": "md"}, data={"rem": REM}, files=dossier_parts(bio))
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/markdown")
    text = response.text
    assert text.startswith("# Vérification du dossier — REM BIO")
    for proof in (GOOD_PDFA, NO_PDFA, GOOD_SCREENSHOT, WRONG_TYPE, MISSING):
        assert proof in text
    assert "notes.txt" in text and "Pas prêt pour le dépôt" in text
    assert str(server[1]) not in text and "up-" not in text


def test_dossier_profiles_widen_the_missing_proofs(client, bio):
    parts = dossier_parts(bio)[:1]
    general = client.post("/v1/dossiers", data={"rem": REM}, files=parts).json()
    wider = client.post("/v1/dossiers", data={"rem": REM, "profiles": "environnement hospitalier, IAM"}, files=parts).json()
    assert "DOC/va1.20.01.01" not in {m["proof"] for m in general["missing"]}
    assert "DOC/va1.20.01.01" in {m["proof"] for m in wider["missing"]}
    assert wider["summary"]["profiles"] == ["Général", "Environnement hospitalier", "IAM"]


def test_dossier_conditions_field_marks_proofs_not_applicable(client, bio):
    parts = dossier_parts(bio)[:1]
    undeclared = client.post("/v1/dossiers", data={"rem": REM}, files=parts).json()
    declared = client.post("/v1/dossiers", data={"rem": REM, "conditions": ["referentiel_identite=non", "psc_modalite=web"]},
                           files=parts).json()
    assert undeclared["summary"]["undecided"] > declared["summary"]["undecided"]
    assert declared["conditions"] == {"referentiel_identite": ["non"], "psc_modalite": ["web"]}
    not_applicable = {p["proof"]: p["conditions"][0] for p in declared["not_applicable"]}
    assert not_applicable and all(c["declared"] for c in not_applicable.values())
    assert "PSC.01.03.03" in not_applicable and not_applicable["PSC.01.03.03"]["when"] == ["ciba"]
    groups = [g for g in declared["requirements"] if g["missing"]]
    assert groups and all("scenario_text" in m for g in groups for m in g["missing"])


def test_requirements_refuse_an_unknown_profile_and_list_profiles(client):
    assert_problem(client.get("/v1/requirements", params={"rem": REM, "profile": "Hôpital de jour"}), 422,
                   "request.unknown_profile")
    assert client.get("/v1/requirements", params={"rem": REM, "profile": "iam"}).json()["count"] == 15
    profiles = client.get("/v1/requirements/profiles", params={"rem": "lgc"})
    assert profiles.status_code == 200, profiles.text
    assert {"Général"} <= {p["profile"] for p in profiles.json()["profiles"]}
    assert "hebergement" in {c["id"] for c in profiles.json()["conditions"]}


def test_requirements_checklist_route(client):
    response = client.get("/v1/requirements/checklist", params={"rem": "RIS", "profile": "IAM", "format": "csv"})
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/csv")
    assert response.headers["content-disposition"] == 'attachment; filename="preuves-ris.csv"'
    lines = response.text.splitlines()
    assert lines[0].startswith("proof;file;requirement;profile;admits;conditions")
    markdown = client.get("/v1/requirements/checklist", params={"rem": "RIS", "format": "md"})
    assert markdown.headers["content-type"].startswith("text/markdown") and "- [ ] **" in markdown.text
    assert_problem(client.get("/v1/requirements/checklist", params={"rem": "RIS", "profile": "nope"}), 422,
                   "request.unknown_profile")
    assert_problem(client.get("/v1/requirements/checklist", params={"rem": "ZZZ"}), 422, "request.unknown_rem")


@pytest.mark.parametrize(("data", "code"), [
    ({}, "request.invalid"),  # no rem
    ({"rem": "XYZ"}, "request.unknown_rem"),
    ({"rem": REM, "profiles": "Hôpital de jour"}, "request.unknown_profile"),
    ({"rem": REM, "conditions": "wifi_partout"}, "request.unknown_condition"),
    ({"rem": REM, "conditions": "psc_modalite=mobile"}, "request.unknown_condition"),
    ({"rem": REM, "lang": "de"}, "request.unsupported_lang"),
])
def test_dossier_request_errors(client, bio, data, code):
    assert_problem(client.post("/v1/dossiers", data=data, files=dossier_parts(bio)[:2]), 422, code)


def test_dossier_without_files_is_422(client):
    assert_problem(client.post("/v1/dossiers", data={"rem": REM}, files={"other": b"x"}), 422, "request.missing_file")


def test_dossier_file_count_is_bounded(client, bio):
    parts = dossier_parts(bio)
    parts = (parts * 2)[:7]  # PREUVES_DOSSIER_MAX_FILES=6 on this server
    assert assert_problem(client.post("/v1/dossiers", data={"rem": REM}, files=parts), 422,
                          "request.invalid")["max_files"] == 6


def test_no_temp_file_left(server):
    assert not [p for p in server[1].rglob("*") if p.is_file()]


def test_openapi_documents_the_new_fields(client):
    schema = client.get("/openapi.json").json()
    single = schema["paths"]["/v1/validations"]["post"]["requestBody"]["content"]["multipart/form-data"]["schema"]
    assert {"requirement", "rem"} <= set(single["properties"])
    assert single["properties"]["rem"]["enum"] == ["BIO", "DB", "DPI", "LGC", "PFI", "RIS"]
    dossier = schema["paths"]["/v1/dossiers"]["post"]
    assert dossier["requestBody"]["content"]["multipart/form-data"]["schema"]["required"] == ["rem", "file"]
    assert {"application/json", "text/markdown"} <= set(dossier["responses"]["200"]["content"])
    assert {"401", "413", "422", "429", "503"} <= set(dossier["responses"])
