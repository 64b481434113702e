"""The OpenAPI document as a contract for generated clients: stable operationIds, and examples of the
200 bodies that match both the response schema and a real answer of the service (so they cannot
drift from what the service says).

The real answers come from the app itself (TestClient, lifespan run: engine workers started), for
the same files the examples were made from: a 6 s video named ``.avi``, a screenshot and a PDF, the
BIO dossier of ``fixtures/dossier.py``, and that dossier as a job.

When the answers change on purpose (a new field, a plugin's version, a message's words), rewrite the
examples and the README's example report from these real answers::

    PREUVES_UPDATE_EXAMPLES=1 python -m pytest -q tests/test_api_openapi.py
"""

from __future__ import annotations

import copy
import json
import os
import pprint
import shutil
import time
from pathlib import Path
from typing import Any, Iterator

import jsonschema
import pytest

from api import examples
from api.openapi import BODY_EXAMPLES
from fixtures.dossier import make_bio_dossier
from fixtures.formats import make_pdf
from fixtures.media import have_ffmpeg, make_picture, make_video
from validator_core.schema import committed_schema

# A contract: generated clients name their methods after these. Add new ones; never rename one.
OPERATION_IDS = {
    ("get", "/healthz"): "getLiveness",
    ("get", "/readyz"): "getReadiness",
    ("get", "/metrics"): "getMetrics",
    ("get", "/v1/proof-types"): "listProofTypes",
    ("post", "/v1/validations"): "validateFile",
    ("post", "/v1/validations/batch"): "validateBatch",
    ("post", "/v1/dossiers"): "checkDossier",
    ("post", "/v1/jobs"): "createJob",
    ("get", "/v1/jobs/{job_id}"): "getJob",
    ("delete", "/v1/jobs/{job_id}"): "cancelJob",
    ("get", "/v1/requirements"): "listRequirements",
    ("get", "/v1/requirements/profiles"): "getRemProfiles",
    ("get", "/v1/requirements/checklist"): "getChecklist",
    ("get", "/v1/requirements/{proof_id}"): "getRequirement",
    ("post", "/v1/bench/receive"): "benchReceive",
}

# Where a plugin or the engine puts what it likes (and all below): an example may show fewer keys there.
OPEN_OBJECTS = {"facts", "details", "plugins", "conditions", "statuses", "expectations", "sources"}


@pytest.fixture(scope="module")
def app_client(tmp_path_factory) -> Iterator[Any]:
    from fastapi.testclient import TestClient

    from api.main import create_app
    from api.settings import ApiSettings

    tmp = tmp_path_factory.mktemp("openapi")
    settings = ApiSettings(workers=2, load_entrypoints=False, tmp_dir=tmp / "tmp", data_dir=tmp / "data",
                           bench_routes=True, rate_limit_per_min=0)
    with TestClient(create_app(settings)) as client:
        yield client


@pytest.fixture(scope="module")
def document(app_client) -> dict[str, Any]:
    return app_client.get("/openapi.json").json()


@pytest.fixture(scope="module")
def real(app_client, tmp_path_factory) -> dict[str, Any]:
    """Real answers to the requests the examples were made from."""
    if not have_ffmpeg():
        pytest.skip("ffmpeg is needed for the video example")
    d = tmp_path_factory.mktemp("openapi-files")
    video = make_video(d, "demo.mp4", seconds=6)
    out = {"report": app_client.post("/v1/validations", data={"proof_type": "video"},
                                     files={"file": ("demo.avi", video.read_bytes())}).json()}
    png, pdf = make_picture(d, "capture.png", size=(1920, 1080)), make_pdf(d)
    out["batch"] = app_client.post("/v1/validations/batch", files=[
        ("file", ("capture.png", png.read_bytes())), ("file", ("compte-rendu.pdf", pdf.read_bytes()))]).json()
    root = make_bio_dossier(d)["root"]
    files = [("file", (p.relative_to(root.parent).as_posix(), p.read_bytes()))
             for p in sorted(root.rglob("*")) if p.is_file()]
    out["dossier"] = app_client.post("/v1/dossiers", data={"rem": "BIO"}, files=files).json()
    queued = app_client.post("/v1/jobs", data={"rem": "BIO"}, files=files)
    out["job_queued"] = queued.json()
    deadline = time.monotonic() + 60
    while (job := app_client.get(queued.headers["location"]).json())["status"] not in ("done", "failed"):
        assert time.monotonic() < deadline, job
        time.sleep(0.1)
    out["job_done"] = job
    other = app_client.post("/v1/jobs", data={"rem": "BIO"}, files=files[:1])
    out["job_cancelled"] = app_client.delete(other.headers["location"]).json()
    shutil.rmtree(d, ignore_errors=True)
    return out


def test_every_operation_has_its_stable_id(document):
    ids = {(method, path): op["operationId"] for path, ops in document["paths"].items() for method, op in ops.items()}
    assert ids == OPERATION_IDS


def test_examples_are_valid_bodies_of_their_responses(document):
    for (path, method, status), example in BODY_EXAMPLES.items():
        content = document["paths"][path][method]["responses"][status]["content"]["application/json"]
        assert content["example"] == json.loads(json.dumps(example)), (path, method)
        jsonschema.validate(example, {**content["schema"], "components": document["components"]})
    proof_types = document["paths"]["/v1/proof-types"]["get"]["responses"]["200"]["content"]["application/json"]
    jsonschema.validate(proof_types["example"], {**proof_types["schema"], "components": document["components"]})


def test_every_report_in_the_examples_follows_the_report_schema():
    validator = jsonschema.Draft202012Validator(committed_schema())
    reports = [examples.REPORT, *examples.BATCH["reports"],
               *(f["report"] for p in examples.DOSSIER["proofs"] for f in p["files"])]
    for report in reports:
        validator.validate(report)


def assert_same_shape(example: Any, real: Any, where: str = "", open_: bool = False) -> None:
    """The example has the keys of the real answer (fewer only in open objects), at every depth, and
    values of the same JSON types."""
    if isinstance(example, dict):
        assert isinstance(real, dict), where
        open_ = open_ or where.rsplit(".", 1)[-1] in OPEN_OBJECTS
        if open_:
            assert set(example) <= set(real), (where, set(example) - set(real))
        else:
            assert set(example) == set(real), (where, set(example) ^ set(real))
        for name, value in example.items():
            assert_same_shape(value, real[name], f"{where}.{name}", open_)
    elif isinstance(example, list):
        assert isinstance(real, list), where
        for i, item in enumerate(example):
            if isinstance(item, dict):
                assert_same_shape(item, _counterpart(item, real, i, where), f"{where}[{i}]", open_)
    else:
        numbers = isinstance(example, (int, float)) and isinstance(real, (int, float))
        assert example is None or real is None or numbers or type(example) is type(real), (where, example, real)


def _counterpart(item: dict, real: list, i: int, where: str) -> dict:
    """The real entry an example entry stands for: the same finding code, proof, file, id or requirement,
    else the one at the same place."""
    for key in ("code", "proof", "path", "id", "requirement"):
        if key in item:
            same = [r for r in real if isinstance(r, dict) and r.get(key) == item[key]]
            assert same, (where, key, item[key])
            return same[0]
    assert i < len(real), where
    return real[i]


@pytest.mark.parametrize(("name", "example"), [
    ("report", examples.REPORT), ("batch", examples.BATCH), ("dossier", examples.DOSSIER),
    ("job_queued", examples.JOB_QUEUED), ("job_done", examples.JOB_DONE), ("job_cancelled", examples.JOB_CANCELLED),
])
def test_examples_have_the_shape_of_real_answers(real, name, example):
    assert_same_shape(example, real[name], name)


def test_the_report_example_is_what_the_engine_says(real):
    """Beyond the shape: the same verdict, findings and engine versions as a real run. (A message's words
    are the message catalogue's to change, and are not compared.)"""
    got, shown = real["report"], examples.REPORT
    hint = f"api/examples.py REPORT (and the README's example) drifted from a real run; real: {json.dumps(got)[:3000]}"
    for key in ("verdict", "proof_type", "proof_type_inferred", "engine"):
        assert shown[key] == got[key], f"{key}: {hint}"
    without_text = [[{k: v for k, v in f.items() if k != "message"} for f in r["findings"]] for r in (shown, got)]
    assert without_text[0] == without_text[1], hint
    assert {k: v for k, v in shown["file"].items() if k not in ("size", "sha256")} == {
        k: v for k, v in got["file"].items() if k not in ("size", "sha256")}, hint
    video = got["facts"]["video"]
    assert all(video[k] == v for k, v in shown["facts"]["video"].items() if k not in ("bitrate", "screen_text")), hint


def test_readme_example_report_is_the_example():
    block = README.read_text(encoding="utf-8").split("## Le rapport", 1)[1].split("```json", 1)[1].split("```", 1)[0]
    assert json.loads(block) == examples.REPORT, "README « Le rapport » must show api/examples.py REPORT"


# -- PREUVES_UPDATE_EXAMPLES=1: the examples made again from the real answers ----------------------
ROOT = Path(__file__).resolve().parents[1]
README = ROOT / "README.md"
EXAMPLES_PY = ROOT / "api" / "examples.py"
KEPT_FACTS = {  # per fact group, the keys an example keeps (None: all)
    "video": None, "screenshot": ["format", "width", "height", "mode"],
    "pdf_report": ["pdf_version", "page_count", "pdfa", "text_extractable"],
    "requirement": ["id", "rem", "requirement", "scenario", "admits", "expectations"],
}
SHOWN_PROOFS = ("DOC/va1.25.01.02", "DOC/va1.01.01.01")  # one rejected, one accepted


def _trimmed_report(report: dict[str, Any]) -> dict[str, Any]:
    report = copy.deepcopy(report)
    report["elapsed_ms"] = round(report["elapsed_ms"], 1)
    report["facts"] = {group: {k: v for k, v in facts.items() if KEPT_FACTS[group] is None or k in KEPT_FACTS[group]}
                       for group, facts in report["facts"].items() if group in KEPT_FACTS}
    if "screen_text" in report["facts"].get("video", {}):
        text = report["facts"]["video"]["screen_text"]
        report["facts"]["video"]["screen_text"] = {k: text[k] for k in ("images_read", "chars", "sample") if k in text}
    return report


def _trimmed_dossier(dossier: dict[str, Any]) -> dict[str, Any]:
    dossier = copy.deepcopy(dossier)
    dossier["proofs"] = [p for p in dossier["proofs"] if p["proof"] in SHOWN_PROOFS]
    for proof in dossier["proofs"]:
        for file in proof["files"]:
            file["report"] = _trimmed_report(file["report"])
    dossier["missing"], dossier["undecided"] = dossier["missing"][:1], dossier["undecided"][:1]
    dossier["requirements"] = [dict(r, missing=r["missing"][:1]) for r in dossier["requirements"] if r["statuses"]][:1]
    return dossier


def _readme_block(report: dict[str, Any]) -> str:
    """The report as the README shows it: one line per key, the video's facts folded."""
    def line(key: str, value: Any) -> str:
        if key == "findings":
            return "[\n" + ",\n".join("    " + json.dumps(f, ensure_ascii=False) for f in value) + "\n  ]"
        if key == "facts":
            items, rows, row = [f'"{k}": {json.dumps(v, ensure_ascii=False)}' for k, v in value["video"].items()], [], []
            for item in items:
                row.append(item)
                if len(", ".join(row)) > 80:
                    rows.append(", ".join(row))
                    row = []
            return '{"video": {\n' + ",\n".join("    " + r for r in rows + ([", ".join(row)] if row else [])) + "\n  }}"
        return json.dumps(value, ensure_ascii=False)
    return "{\n" + ",\n".join(f'  "{k}": {line(k, v)}' for k, v in report.items()) + "\n}"


@pytest.mark.skipif(not os.environ.get("PREUVES_UPDATE_EXAMPLES"), reason="PREUVES_UPDATE_EXAMPLES=1 rewrites them")
def test_update_examples(real):
    made = {"REPORT": _trimmed_report(real["report"]),
            "BATCH": {"reports": [_trimmed_report(r) for r in real["batch"]["reports"]]},
            "DOSSIER": _trimmed_dossier(real["dossier"]), "JOB_QUEUED": real["job_queued"],
            "JOB_DONE": {**real["job_done"], "result": "DOSSIER"}, "JOB_CANCELLED": real["job_cancelled"]}
    head = EXAMPLES_PY.read_text(encoding="utf-8").split("\nREPORT: ", 1)[0]
    body = "".join(f"\n{name}: dict[str, Any] = {pprint.pformat(value, width=116, sort_dicts=False, compact=True)}\n"
                   for name, value in made.items()).replace("'result': 'DOSSIER'", "'result': DOSSIER")
    EXAMPLES_PY.write_text(head + body, encoding="utf-8")
    readme = README.read_text(encoding="utf-8")
    before, rest = readme.split("## Le rapport", 1)
    intro, rest = rest.split("```json\n", 1)
    README.write_text(f"{before}## Le rapport{intro}```json\n{_readme_block(made['REPORT'])}\n```{rest.split('```', 1)[1]}",
                      encoding="utf-8")
