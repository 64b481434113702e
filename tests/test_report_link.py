"""The `report_link` plugin, through the engine, on real files generated at test time (fixtures/texts.py)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from fixtures import texts
from plugins import report_link, report_link_inspection
from validator_core.models import Severity
from validator_core.rules import load_rules
from validator_core.toolkit.urls import mask_url, url_credentials


@pytest.fixture(scope="session")
def link_dir(fixtures_dir) -> Path:
    directory = fixtures_dir / "report_link"
    directory.mkdir(exist_ok=True)
    return directory


def codes(report, severity: str | None = None) -> set[str]:
    return {f.code for f in report.findings if f.plugin == "report_link" and (severity is None or f.severity == Severity(severity))}


def links_of(report) -> list[dict]:
    return report.facts["report_link"]["links"]


# --- each kind of link, each kind of file ---------------------------------------------------------
@pytest.mark.parametrize(
    "key, platform, kind, ident",
    [
        ("evs_report", "gazelle", "evs_report", "1.3.6.1.4.1.12559.11.36.1.4.123456"),
        ("evs_legacy", "gazelle", "evs_report", "1.3.6.1.4.1.12559.11.1.2.1.4.654321"),
        ("test_instance", "gazelle", "test_instance", "98765"),
        ("mssante_execution", "mssante", "mssante_execution", "4242"),
    ],
)
def test_each_permalink_kind_in_text(engine, link_dir, key, platform, kind, ident):
    path = texts.make_link_text(link_dir, f"{key}.txt", texts.LINKS[key])
    report = engine.validate(path, "report_link")
    assert report.verdict.value == "accepted", report.findings
    (link,) = links_of(report)
    assert (link["platform"], link["kind"], link["id"]) == (platform, kind, ident)


@pytest.mark.parametrize(
    "maker, source",
    [
        (lambda d, u: texts.make_url_shortcut(d, u), "url_shortcut"),
        (lambda d, u: texts.make_webloc(d, u), "webloc"),
        (lambda d, u: texts.make_webloc(d, u, name="binary.webloc", binary=True), "webloc"),
        (lambda d, u: texts.make_html(d, u), "html"),
        (lambda d, u: texts.make_link_pdf(d, u), "pdf"),
    ],
    ids=["url", "webloc-xml", "webloc-binary", "html", "pdf-annotation"],
)
def test_link_containers(engine, link_dir, maker, source):
    url = texts.LINKS["test_instance"]
    path = maker(link_dir, url)
    report = engine.validate(path, "report_link")
    facts = report.facts["report_link"]
    assert facts["source"] == source
    assert [link["url"] for link in facts["links"]] == [url]
    assert facts["links"][0]["kind"] == "test_instance"
    assert report.verdict.value == "accepted", report.findings


def test_pdf_text_url_is_found_too(engine, link_dir):
    path = texts.make_link_pdf(link_dir, texts.LINKS["evs_report"], name="two-links.pdf",
                               text_url=texts.LINKS["mssante_execution"])
    report = engine.validate(path, "report_link")
    kinds = {link["kind"] for link in links_of(report)}
    assert kinds == {"evs_report", "mssante_execution"}


def test_link_files_are_inferred_as_report_link(engine, link_dir):
    path = texts.make_url_shortcut(link_dir, texts.LINKS["evs_report"], name="inferred.url")
    report = engine.validate(path)
    assert report.proof_type == "report_link" and report.proof_type_inferred


# --- errors --------------------------------------------------------------------------------------------
def test_no_link_is_an_error(engine, link_dir):
    path = texts._write(link_dir / "nothing.txt", "Rapport de test : voir pièce jointe.\n")
    report = engine.validate(path, "report_link")
    assert codes(report, "error") == {"report_link.no_link"}
    assert report.verdict.value == "rejected"


@pytest.mark.parametrize(
    "name, content",
    [
        ("js.html", None),
        ("schemes.txt", "javascript:alert(document.cookie)\ndata:text/html;base64,PHNjcmlwdD4=\nfile:///C:/rapport.html\n"),
    ],
)
def test_only_non_web_links_is_an_error(engine, link_dir, name, content):
    path = texts.make_html(link_dir, "javascript:alert(1)", name=name) if content is None else texts._write(link_dir / name, content)
    report = engine.validate(path, "report_link")
    assert "report_link.no_web_link" in codes(report, "error")
    assert report.verdict.value == "rejected"


# --- warnings ------------------------------------------------------------------------------------------
def test_http_is_a_warning(engine, link_dir):
    url = texts.LINKS["evs_report"].replace("https://", "http://")
    report = engine.validate(texts.make_link_text(link_dir, "http.txt", url), "report_link")
    assert codes(report) == {"report_link.insecure_http"}
    assert report.verdict.value == "accepted_with_warnings"


def test_unknown_host_is_a_warning(engine, link_dir):
    report = engine.validate(texts.make_link_text(link_dir, "other.txt", "https://example.org/report/42"), "report_link")
    assert codes(report) == {"report_link.unknown_host"}
    (finding,) = report.findings[-1:]
    assert "example.org" in finding.message and "interop.esante.gouv.fr" in finding.message


def test_allowlist_comes_from_the_rules(engine_factory, link_dir, tmp_path):
    from validator_core.rules import default_rules_text

    rules = default_rules_text().replace(
        '[plugin_data.report_link.hosts]\n', '[plugin_data.report_link.hosts]\n"gazelle.editeur.example" = "gazelle"\n'
    )
    (tmp_path / "rules.toml").write_text(rules, encoding="utf-8")
    eng = engine_factory(rules=str(tmp_path / "rules.toml"), workers=1, allow=("report_link",))
    url = "https://gazelle.editeur.example/evs/report.seam?oid=1.2.3"
    report = eng.validate(texts.make_link_text(link_dir, "own-gazelle.txt", url), "report_link")
    assert report.verdict.value == "accepted", report.findings
    assert links_of(report)[0]["platform"] == "gazelle"


def test_credentials_are_masked_token_warned_userinfo_refused(engine, link_dir):
    url = "https://editeur:MotDePasse123@interop.esante.gouv.fr/evs/report.seam?oid=1.2.3&access_token=abcdef123456"
    report = engine.validate(texts.make_link_text(link_dir, "creds.txt", url), "report_link")
    assert codes(report, "warning") == {"report_link.credentials_in_url"}
    assert codes(report, "error") == {"report_link.userinfo_in_url"}
    dumped = json.dumps(report.to_dict(), ensure_ascii=False)
    assert "MotDePasse123" not in dumped and "abcdef123456" not in dumped and "editeur:" not in dumped
    assert "•••" in dumped


def test_token_in_query_alone_is_a_warning(engine, link_dir):
    url = "https://interop.esante.gouv.fr/evs/report.seam?oid=1.2.3&access_token=abcdef123456"
    report = engine.validate(texts.make_link_text(link_dir, "token.txt", url), "report_link")
    assert codes(report) == {"report_link.credentials_in_url"}
    assert report.verdict.value == "accepted_with_warnings"


def test_known_host_but_not_a_report(engine, link_dir):
    report = engine.validate(texts.make_link_text(link_dir, "home.txt", "https://interop.esante.gouv.fr/gazelle/home.seam"), "report_link")
    assert codes(report) == {"report_link.not_a_report"}
    report = engine.validate(texts.make_link_text(link_dir, "mss-home.txt",
                                                  "https://tests-editeur.espacedeconfiance.mssante.fr/project/MSSante"), "report_link")
    assert codes(report) == {"report_link.not_a_report"}


def test_other_links_beside_a_permalink_are_context(engine, link_dir):
    path = texts.make_link_text(link_dir, "with-context.txt", texts.LINKS["evs_report"], "https://www.w3.org/TR/xml/",
                                "https://interop.esante.gouv.fr/gazelle/home.seam")
    report = engine.validate(path, "report_link")
    assert report.verdict.value == "accepted", report.findings
    assert len(links_of(report)) == 3


# --- Gazelle validation reports ---------------------------------------------------------------------------
@pytest.mark.parametrize("make", [texts.make_gazelle_current, texts.make_gazelle_legacy], ids=["current", "legacy"])
def test_gazelle_passed_is_a_fact_and_inferred(engine, link_dir, make):
    path = make(link_dir, "PASSED")
    report = engine.validate(path)
    assert report.proof_type == "report_link" and report.proof_type_inferred
    assert report.verdict.value == "accepted", report.findings
    assert report.facts["report_link"]["gazelle_report"]["result"] == "PASSED"


@pytest.mark.parametrize(
    "make, result, first_id",
    [(texts.make_gazelle_current, "FAILED", "CI-SIS-001"), (texts.make_gazelle_legacy, "FAILED", "PID-3-1"),
     (texts.make_gazelle_legacy, "ABORTED", "PID-3-1")],
    ids=["current-failed", "legacy-failed", "legacy-aborted"],
)
def test_gazelle_failed_is_an_error_with_counters(engine, link_dir, make, result, first_id):
    path = make(link_dir, result, name=f"{make.__name__}-{result}.xml", errors=2)
    report = engine.validate(path)
    assert report.proof_type == "report_link"
    (failed,) = [f for f in report.findings if f.code == "report_link.gazelle_failed"]
    assert failed.severity == Severity.ERROR
    assert failed.details["result"] == result and failed.details["errors"] == 2
    assert failed.details["failures"][0]["id"] == first_id
    assert first_id in failed.message


def test_inference_returns_none_for_other_xml(link_dir):
    cda = texts.make_cda(link_dir)
    assert report_link.sniff_gazelle_root(cda.read_bytes()) is None
    assert report_link.sniff_gazelle_root(b'<validationReport result="PASSED"/>') is None  # no namespace, no overview
    assert report_link.sniff_gazelle_root(texts.make_gazelle_current(link_dir, "PASSED").read_bytes()) == "current"


def test_cda_without_type_is_not_claimed(engine, link_dir):
    report = engine.validate(texts.make_cda(link_dir, name="untyped-cda.xml"))
    assert report.proof_type == "logs"


# --- helpers ---------------------------------------------------------------------------------------------
def test_mask_url_keeps_privacy_key_and_hides_credentials():
    url = "https://u:p@interop.esante.gouv.fr/evs/report.seam?oid=1.2&privacyKey=K1&password=secret"
    assert url_credentials(url) == ["userinfo", "password"]
    assert mask_url(url) == "https://•••@interop.esante.gouv.fr/evs/report.seam?oid=1.2&privacyKey=K1&password=•••"


def test_analyse_link_is_offline_and_lenient():
    hosts = load_rules().plugin_data("report_link")["hosts"]
    assert report_link_inspection.analyse_link("https://[::1", hosts).host is None  # unparsable: no crash
    assert not report_link_inspection.analyse_link("https://a\udcffb.fr/", hosts).valid  # lone surrogate: no crash
    link = report_link_inspection.analyse_link("https://INTEROP.esante.gouv.fr./evs/report.seam?oid=9", hosts)
    assert (link.platform, link.kind, link.id) == ("gazelle", "evs_report", "9")


def test_gazelle_report_with_doctype_and_quoted_nir(engine, link_dir):
    path = texts.make_gazelle_current(link_dir, "FAILED", name="gazelle-doctype.xml", errors=1)
    data = path.read_text(encoding="utf-8")
    data = data.replace("?>\n", '?>\n<!DOCTYPE r [<!ENTITY x SYSTEM "file:///etc/hostname">]>\n', 1)
    data = data.replace("Erreur 1 : ", f"Erreur 1 : patient {texts.UNKNOWN_NIR} : ", 1)
    path.write_text(data, encoding="utf-8")
    report = engine.validate(path)
    assert report.proof_type == "report_link"
    assert {"report_link.xml_doctype", "report_link.gazelle_failed"} <= codes(report)
    assert texts.UNKNOWN_NIR not in json.dumps(report.to_dict())


def test_every_code_is_documented_with_its_french_message():
    text = (Path(__file__).resolve().parents[1] / "docs" / "checks" / "report_link.md").read_text(encoding="utf-8")
    assert len(report_link.MESSAGES) >= 17
    for code, (fr, _en) in report_link.MESSAGES.items():
        assert f"`{code}`" in text, code
        assert fr.split("{")[0].strip()[:30] in text, code
