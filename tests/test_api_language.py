"""One language per answer: French by default, English with ``lang=en``, ``?lang=en`` or
``Accept-Language: en`` — reports, dossiers, jobs, checklists and problem titles and details alike,
with ``Content-Language`` and ``Vary: Accept-Language`` on the answer.

Negotiation is checked on its own (q-values, regional tags, unknown languages), then on the real app
(TestClient, lifespan run) for every kind of answer.
"""

from __future__ import annotations

import time
from typing import Any, Iterator

import pytest

from api.language import from_accept_language, negotiate
from api.routes.requirements import CATALOGUE_LANG

KEY = "cle-de-test-7f3a"


@pytest.mark.parametrize(("header", "lang"), [
    ("en", "en"), ("en-GB", "en"), ("EN-us", "en"), ("fr-FR", "fr"), ("fr-CA,en;q=0.8", "fr"),
    ("de-DE, en-GB;q=0.8, fr;q=0.5", "en"), ("de, fr;q=0.5, en;q=0.9", "en"), ("fr;q=0.5, en;q=0.5", "fr"),
    ("en;q=0, fr;q=0.1", "fr"), ("*", "fr"), ("en;q=bogus, fr", "fr"), ("de, it", None), ("", None), (None, None),
    ("en" + ",x" * 100, "en"),
])
def test_accept_language_by_q_value(header, lang):
    assert from_accept_language(header) == lang


def test_query_first_then_header_then_french():
    assert negotiate("en", "fr") == "en" and negotiate("fr", "en-GB") == "fr"
    assert negotiate(None, "en-GB,fr;q=0.5") == "en" and negotiate("de", "en") == "en" and negotiate(None, "de") == "fr"


@pytest.fixture(scope="module")
def client(tmp_path_factory) -> Iterator[Any]:
    from fastapi.testclient import TestClient

    from api.main import create_app
    from api.settings import ApiSettings

    tmp = tmp_path_factory.mktemp("lang")
    settings = ApiSettings(workers=2, load_entrypoints=False, tmp_dir=tmp / "tmp", data_dir=tmp / "data",
                           api_keys=[KEY], rate_limit_per_min=0, cors_origins=["https://portail.example"])
    with TestClient(create_app(settings), headers={"X-API-Key": KEY}) as c:
        yield c


GIF = (b"GIF89a\x01\x00\x01\x00\x80\x00\x00\x00\x00\x00\xff\xff\xff!\xf9\x04\x01\x00\x00\x00\x00,"
       b"\x00\x00\x00\x00\x01\x00\x01\x00\x00\x02\x02D\x01\x00;")


def gif_report(client, **kwargs) -> tuple[dict, Any]:
    response = client.post("/v1/validations", files={"file": ("capture.gif", GIF)},
                           data={"proof_type": "screenshot", **kwargs.pop("data", {})}, **kwargs)
    assert response.status_code == 200, response.text
    return response.json(), response


def not_allowed(report: dict) -> str:
    return next(f["message"] for f in report["findings"] if f["code"] == "format.not_allowed")


def assert_language(response, lang: str) -> None:
    assert response.headers["content-language"] == lang
    assert "accept-language" in [v.strip().lower() for v in response.headers["vary"].split(",")]


def test_a_report_follows_accept_language(client):
    french, fr_response = gif_report(client)
    english, en_response = gif_report(client, headers={"Accept-Language": "en-GB,en;q=0.9,fr;q=0.5"})
    assert not_allowed(french) != not_allowed(english) and "accepted" in not_allowed(english)
    assert [f["code"] for f in french["findings"]] == [f["code"] for f in english["findings"]]
    assert_language(fr_response, "fr")
    assert_language(en_response, "en")


def test_the_form_field_then_the_query_then_the_header(client):
    english, _ = gif_report(client, data={"lang": "fr"}, headers={"Accept-Language": "en"})
    assert "accepté" in not_allowed(english)  # the field wins over the header
    from_query, response = gif_report(client, params={"lang": "en"}, headers={"Accept-Language": "fr"})
    assert "accepted" in not_allowed(from_query) and response.headers["content-language"] == "en"
    field_over_query, response = gif_report(client, data={"lang": "fr"}, params={"lang": "en"})
    assert "accepté" in not_allowed(field_over_query) and response.headers["content-language"] == "fr"


def test_cors_vary_is_kept_next_to_accept_language(client):
    _, response = gif_report(client, headers={"Origin": "https://portail.example", "Accept-Language": "en"})
    vary = [v.strip().lower() for v in response.headers["vary"].split(",")]
    assert "origin" in vary and "accept-language" in vary


@pytest.mark.parametrize(("call", "status", "code"), [
    (lambda c, h: c.get("/v1/nowhere", headers=h), 404, "http.not_found"),
    (lambda c, h: c.post("/v1/validations", data={"proof_type": "vidéo"}, files={"file": ("a.png", GIF)}, headers=h),
     422, "request.unknown_proof_type"),
    (lambda c, h: c.post("/v1/validations", files={"other": ("a.log", b"x")}, headers=h), 422, "request.missing_file"),
    (lambda c, h: c.get("/v1/proof-types", headers={**h, "X-API-Key": "wrong"}), 401, "auth.unauthorized"),
    (lambda c, h: c.get("/v1/jobs/" + "0" * 32, headers=h), 404, "job.not_found"),
])
def test_problems_in_the_chosen_language(client, call, status, code):
    french = call(client, {})
    english = call(client, {"Accept-Language": "en-US"})
    for response in (french, english):
        assert response.status_code == status and response.json()["code"] == code, response.text
    fr_body, en_body = french.json(), english.json()
    assert fr_body["detail"] != en_body["detail"] and en_body["detail"] == en_body["detail_en"] == fr_body["detail_en"]
    assert fr_body["title"] != en_body["title"]
    assert_language(french, "fr")
    assert_language(english, "en")


def test_an_unknown_explicit_language_is_refused(client):
    response = client.get("/v1/proof-types", params={"lang": "de"})
    assert response.status_code == 422 and response.json()["code"] == "request.unsupported_lang"
    assert response.json()["valid"] == ["fr", "en"]
    # An Accept-Language the service cannot satisfy is no error: the answer is French.
    assert client.get("/v1/proof-types", headers={"Accept-Language": "de"}).headers["content-language"] == "fr"


def test_dossier_markdown_and_checklist_follow_the_header(client):
    files = [("file", ("DOC_va1.01.01.01 notes.txt", b"rien\n"))]
    md_en = client.post("/v1/dossiers?format=md", data={"rem": "BIO"}, files=files, headers={"Accept-Language": "en"})
    md_fr = client.post("/v1/dossiers?format=md", data={"rem": "BIO"}, files=files)
    assert md_en.status_code == md_fr.status_code == 200 and md_en.text != md_fr.text
    assert_language(md_en, "en")
    checklist = client.get("/v1/requirements/checklist", params={"rem": "BIO", "format": "md"},
                           headers={"Accept-Language": "en"})
    assert checklist.status_code == 200 and checklist.text != client.get(
        "/v1/requirements/checklist", params={"rem": "BIO", "format": "md"}).text
    # The catalogue's own texts are the ANS's, in French only: said so whatever was asked.
    listed = client.get("/v1/requirements", params={"rem": "BIO", "search": "PDF/A"}, headers={"Accept-Language": "en"})
    assert listed.headers["content-language"] == CATALOGUE_LANG


def test_a_job_keeps_the_language_it_was_submitted_in(client):
    files = [("file", ("DOC_va1.25.01.01 capture.gif", GIF))]
    queued = client.post("/v1/jobs", data={"rem": "BIO"}, files=files, headers={"Accept-Language": "en"})
    assert queued.status_code == 202, queued.text
    assert_language(queued, "en")
    deadline = time.monotonic() + 60
    while (job := client.get(queued.headers["location"])).json()["status"] not in ("done", "failed"):
        assert time.monotonic() < deadline
        time.sleep(0.1)
    assert_language(job, "en")  # asked in French now, made in English then
    report = job.json()["result"]["proofs"][0]["files"][0]["report"]
    assert "accepted" in not_allowed(report)
