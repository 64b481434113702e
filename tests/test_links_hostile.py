"""Hostile links in real link files (text, .url, .webloc, HTML, PDF) generated at test time.

Each link is judged on the host a browser opens (WHATWG URL standard, parsed by ada), each hostile
spelling has its exact code, and no URL that enters the report hides its real host or a secret.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Callable
from xml.sax.saxutils import escape

import pytest

from fixtures import texts

MASK = "•••"
GAZELLE = "interop.esante.gouv.fr"
AIZA_KEY = "AIzaSyD4x9Qm2Lr7Tt0Vb8Nn1Kk3Jj5Hh6Gg7Ff"  # AIza + 35 characters: the Google API key shape
JWT = "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiJlZGl0ZXVyIiwiZXhwIjoxNzAwMDAwMDAwfQ.c2lnbmF0dXJlLXZhbHVlLTEyMzQ1Ng"
S3_SIGNATURE = "fe5f80f77d5fa3beca038a248ff027d0445342fe2855ddc963176630326f1024"
S3_CREDENTIAL = "AKIAIOSFODNN7EXAMPLE%2F20240101%2Feu-west-3%2Fs3%2Faws4_request"
S3_TOKEN = "IQoJb3JpZ2luX2VjEJr%2F%2F%2F%2F%2F%2F%2F%2F%2F%2FwEaCWV1LXdlc3QtMyJHMEUCIQDxample"
S3_URL = (
    "https://preuves-editeur.s3.eu-west-3.amazonaws.com/rapport-gazelle.pdf?X-Amz-Algorithm=AWS4-HMAC-SHA256"
    f"&X-Amz-Credential={S3_CREDENTIAL}&X-Amz-Date=20240101T000000Z&X-Amz-Expires=3600"
    f"&X-Amz-Security-Token={S3_TOKEN}&X-Amz-SignedHeaders=host&X-Amz-Signature={S3_SIGNATURE}"
)
SAS_SIG = "k3Yy9N0bQ%2BzX7pL2mV8wR4tC1sD6fG5hJ0aE9uI3oP%3D"
SAS_URL = (
    "https://editeurpreuves.blob.core.windows.net/rapports/rapport.pdf?sv=2022-11-02&ss=b&srt=o&sp=rl"
    f"&se=2030-12-31T23:59:59Z&st=2024-01-01T00:00:00Z&spr=https&sig={SAS_SIG}"
)
GCS_SIGNATURE = "5a1b2c3d4e5f60718293a4b5c6d7e8f9" * 8
GCS_URL = (
    "https://storage.googleapis.com/preuves/rapport.pdf?X-Goog-Algorithm=GOOG4-RSA-SHA256"
    "&X-Goog-Credential=preuves%40projet.iam.gserviceaccount.com%2F20240101%2Fauto%2Fstorage%2Fgoog4_request"
    f"&X-Goog-Date=20240101T000000Z&X-Goog-Expires=900&X-Goog-SignedHeaders=host&X-Goog-Signature={GCS_SIGNATURE}"
)


@pytest.fixture(scope="module")
def link_dir(fixtures_dir) -> Path:
    directory = fixtures_dir / "links_hostile"
    directory.mkdir(exist_ok=True)
    return directory


def codes(report) -> set[str]:
    return {f.code for f in report.findings if f.plugin == "report_link"}


def links_of(report) -> list[dict]:
    return report.facts["report_link"]["links"]


def dumped(report) -> str:
    return json.dumps(report.to_dict(), ensure_ascii=False)


def _html_attr(url: str) -> str:
    """``url`` as an HTML attribute value: tabs, newlines and quotes as character references."""
    return url.replace("&", "&amp;").replace('"', "&quot;").replace("\t", "&#9;").replace("\n", "&#10;")


# Each container as a user would file it. Text cannot carry a tab or newline inside a URL.
CONTAINERS: dict[str, Callable[[Path, str, str], Path]] = {
    "text": lambda d, n, u: texts.make_link_text(d, n + ".txt", u),
    "url": lambda d, n, u: texts.make_url_shortcut(d, u, name=n + ".url"),
    "webloc": lambda d, n, u: texts.make_webloc(d, u, name=n + ".webloc"),
    "webloc-binary": lambda d, n, u: texts.make_webloc(d, u, name=n + "-bin.webloc", binary=True),
    "html": lambda d, n, u: texts.make_html(d, _html_attr(u), name=n + ".html"),
    "pdf": lambda d, n, u: texts.make_link_pdf(d, u, name=n + ".pdf"),
}
ALL = tuple(CONTAINERS)
NO_TEXT = tuple(c for c in CONTAINERS if c != "text")
NO_LINES = ("webloc", "webloc-binary", "html", "pdf")  # a .url value is one line: no newline in it


def validate(engine, link_dir, container: str, name: str, url: str):
    path = CONTAINERS[container](link_dir, f"{name}-{container}", url)
    return engine.validate(path, "report_link")


def assert_host_in_clear(report) -> None:
    """Every displayed URL with a host starts with scheme://[•••@]host: the real host is never hidden."""
    for link in links_of(report):
        if "host" in link:
            prefix = re.escape(link["scheme"]) + "://(?:" + re.escape(MASK) + "@)?" + re.escape(link["host"]) + r"\.?[:/?#]"
            assert re.match(prefix, link["url"] + "/"), link
    for finding in report.findings:
        if finding.plugin == "report_link" and "host" in finding.details and "example" in finding.details:
            assert f"://{finding.details['host']}" in finding.details["example"] or \
                f"@{finding.details['host']}" in finding.details["example"], finding.details


# --- point 7: what the browser opens decides -----------------------------------------------------------
HOSTILE = [
    # (name, url, containers, exact codes, host a browser opens, verdict)
    ("backslash", f"https://evil.example\\@{GAZELLE}/evs/report.seam?oid=1", ALL,
     {"report_link.backslash_in_url", "report_link.unknown_host"}, "evil.example", "rejected"),
    ("backslash-path", f"https://{GAZELLE}\\evs\\report.seam?oid=1.2.3", ALL,
     {"report_link.backslash_in_url"}, GAZELLE, "rejected"),
    ("userinfo-disguise", f"https://{GAZELLE}@evil.example/evs/report.seam?oid=1", ALL,
     {"report_link.userinfo_in_url", "report_link.unknown_host"}, "evil.example", "rejected"),
    ("userinfo-password", f"https://editeur:MotDePasse123@{GAZELLE}/evs/report.seam?oid=1.2.3", ALL,
     {"report_link.userinfo_in_url"}, GAZELLE, "rejected"),
    ("tab-in-host", f"https://inter\top.esante.gouv.fr/evs/report.seam?oid=1.2.3", NO_TEXT,
     {"report_link.obfuscated_url"}, GAZELLE, "rejected"),
    ("newline-in-host", f"https://interop.esante\n.gouv.fr/evs/report.seam?oid=1.2.3", NO_LINES,
     {"report_link.obfuscated_url"}, GAZELLE, "rejected"),
    ("percent-host", "https://%69nterop.esante.gouv.fr/evs/report.seam?oid=1.2.3", ALL,
     {"report_link.obfuscated_url"}, GAZELLE, "rejected"),
    ("percent-dot-host", f"https://{GAZELLE}%2eevil.example/evs/report.seam?oid=1", ALL,
     {"report_link.obfuscated_url", "report_link.unknown_host"}, f"{GAZELLE}.evil.example", "rejected"),
    ("fullwidth-host", "https://ｉｎｔｅｒｏｐ.esante.gouv.fr/evs/report.seam?oid=1.2.3", ALL,
     {"report_link.obfuscated_url"}, GAZELLE, "rejected"),
    ("decimal-ip", "https://3232235777/evs/report.seam?oid=1", ALL,
     {"report_link.obfuscated_url", "report_link.unknown_host"}, "192.168.1.1", "rejected"),
    ("octal-ip", "https://0300.0250.0.01/evs/report.seam?oid=1", ALL,
     {"report_link.obfuscated_url", "report_link.unknown_host"}, "192.168.0.1", "rejected"),
    ("hex-ip", "https://0xc0a80001/evs/report.seam?oid=1", ALL,
     {"report_link.obfuscated_url", "report_link.unknown_host"}, "192.168.0.1", "rejected"),
    ("idn-punycode-homograph", "https://xn--nterop-ovf.esante.gouv.fr/evs/report.seam?oid=1", ALL,
     {"report_link.idn_homograph", "report_link.unknown_host"}, "xn--nterop-ovf.esante.gouv.fr", "rejected"),
    ("idn-unicode-homograph", "https://іnterop.esante.gouv.fr/evs/report.seam?oid=1", NO_TEXT,
     {"report_link.idn_homograph", "report_link.unknown_host"}, "xn--nterop-ovf.esante.gouv.fr", "rejected"),
    ("idn-accent-lookalike", "https://intérop.esante.gouv.fr/evs/report.seam?oid=1", NO_TEXT,
     {"report_link.idn_homograph", "report_link.unknown_host"}, "xn--introp-dva.esante.gouv.fr", "rejected"),
    ("idn-whole-script", "https://xn--80ak6aa92e.com/report", ALL,
     {"report_link.idn_homograph", "report_link.unknown_host"}, "xn--80ak6aa92e.com", "rejected"),
]


@pytest.mark.parametrize("name, url, containers, expected, host, verdict", HOSTILE, ids=[h[0] for h in HOSTILE])
def test_hostile_link_forms(engine, link_dir, name, url, containers, expected, host, verdict):
    for container in containers:
        report = validate(engine, link_dir, container, name, url)
        assert codes(report) == expected, (container, report.findings)
        assert report.verdict.value == verdict, container
        (link,) = links_of(report)
        assert link["host"] == host, container
        assert_host_in_clear(report)


def test_backslash_link_shows_the_host_the_browser_opens(engine, link_dir):
    """The reported URL is the browser's reading: evil.example in clear, never a Gazelle-looking mask."""
    report = validate(engine, link_dir, "text", "backslash-shown", f"https://evil.example\\@{GAZELLE}/evs/report.seam?oid=1")
    (link,) = links_of(report)
    assert link["url"] == f"https://evil.example/@{GAZELLE}/evs/report.seam?oid=1"
    assert "platform" not in link and "kind" not in link
    assert f"{MASK}@{GAZELLE}" not in dumped(report)
    (finding,) = [f for f in report.findings if f.code == "report_link.backslash_in_url"]
    assert finding.severity.value == "error" and "evil.example" in finding.message


def test_userinfo_password_never_reaches_the_report(engine, link_dir):
    report = validate(engine, link_dir, "url", "userinfo-leak", f"https://editeur:MotDePasse123@{GAZELLE}/evs/report.seam?oid=1.2.3")
    text = dumped(report)
    assert "MotDePasse123" not in text and "editeur:" not in text
    assert links_of(report)[0]["url"] == f"https://{MASK}@{GAZELLE}/evs/report.seam?oid=1.2.3"


def test_obfuscation_forms_are_named(engine, link_dir):
    report = validate(engine, link_dir, "html", "forms", "https://%69nter\top.esante.gouv.fr/evs/report.seam?oid=1")
    (finding,) = [f for f in report.findings if f.code == "report_link.obfuscated_url"]
    assert finding.details["forms"] == "whitespace_in_host, percent_encoded_host"
    assert links_of(report)[0]["forms"] == ["whitespace_in_host", "percent_encoded_host"]


def test_homograph_names_the_imitated_platform(engine, link_dir):
    report = validate(engine, link_dir, "webloc", "homograph-target", "https://іnterop.esante.gouv.fr/evs/report.seam?oid=1")
    (finding,) = [f for f in report.findings if f.code == "report_link.idn_homograph"]
    assert finding.details["imitates"] == GAZELLE
    assert finding.details["unicode"] == "іnterop.esante.gouv.fr"
    assert "mixed_script" in finding.details["forms"] and "lookalike" in finding.details["forms"]
    assert links_of(report)[0]["host_unicode"] == "іnterop.esante.gouv.fr"


@pytest.mark.parametrize(
    "name, url, expected",
    [
        ("idn-legit", "https://intérop-santé.fr/rapports/42", {"report_link.unknown_host"}),
        ("ip-canonical", "https://192.0.2.10/rapports/42", {"report_link.unknown_host"}),
        ("gazelle-upper-dot", "https://INTEROP.esante.gouv.fr./evs/report.seam?oid=1.2.3", set()),
        ("gazelle-port", "https://interop.esante.gouv.fr:443/evs/report.seam?oid=1.2.3", set()),
    ],
    ids=lambda v: v if isinstance(v, str) and not v.startswith("http") else "",
)
def test_ordinary_spellings_are_not_refused(engine, link_dir, name, url, expected):
    """What a browser's address bar shows (a real IDN, a plain IP, case, FQDN dot, port) is no disguise."""
    for container in ("webloc", "html", "pdf"):
        report = validate(engine, link_dir, container, name, url)
        assert codes(report) == expected, (container, report.findings)


def test_whitespace_in_the_query_is_not_a_disguise(engine, link_dir):
    """An href wrapped by an editor (newline in the query) opens the same page: the browser strips it."""
    url = f"https://{GAZELLE}/evs/report.seam?oid=1.3.6.1.4.1.12559.11.36.1.4.123456\n&privacyKey=AbCdEf123"
    report = validate(engine, link_dir, "html", "wrapped-query", url)
    assert codes(report) == set(), report.findings
    assert links_of(report)[0]["id"] == "1.3.6.1.4.1.12559.11.36.1.4.123456"


@pytest.mark.parametrize(
    "name, href, expected, schemes",
    [
        ("js-alone", "javascript:alert(document.cookie)", {"report_link.no_web_link"}, "javascript:"),
        ("js-tab", "java\tscript:alert(1)", {"report_link.no_web_link"}, "javascript:"),
        ("js-upper-space", "  JaVaScRiPt:alert(1)", {"report_link.no_web_link"}, "javascript:"),
    ],
    ids=["alone", "tab-in-scheme", "case-and-spaces"],
)
def test_javascript_links(engine, link_dir, name, href, expected, schemes):
    report = validate(engine, link_dir, "html", name, href)
    assert codes(report) == expected, report.findings
    assert report.verdict.value == "rejected"
    (finding,) = report.findings[-1:]
    assert finding.details["schemes"] == schemes


def test_javascript_beside_a_permalink_is_a_warning(engine, link_dir):
    path = texts._write(link_dir / "js-beside.html", (
        "<!DOCTYPE html><html><body>"
        f'<a href="{texts.LINKS["evs_report"]}">Rapport</a> <a href="javascript:alert(1)">x</a>'
        "</body></html>"))
    report = engine.validate(path, "report_link")
    assert codes(report) == {"report_link.non_web_link"}
    assert report.verdict.value == "accepted_with_warnings"


@pytest.mark.parametrize("container", ("text", "url", "html"))
def test_malformed_link_alone_is_an_error(engine, link_dir, container):
    report = validate(engine, link_dir, container, "malformed", "https://[::1/evs/report.seam")
    assert codes(report) == {"report_link.no_valid_link"}
    assert links_of(report)[0]["url"] == "https:" + MASK


def test_malformed_link_beside_a_permalink_is_a_warning(engine, link_dir):
    path = texts.make_link_text(link_dir, "malformed-beside.txt", texts.LINKS["evs_report"], "https://[::1/x")
    report = engine.validate(path, "report_link")
    assert codes(report) == {"report_link.invalid_url"}


# --- point 8: secrets in links are masked, in facts and in messages ---------------------------------------
SECRET_LINKS = [
    # (name, url, values that must not appear, kinds expected among the credential kinds)
    ("s3-presigned", S3_URL, [S3_SIGNATURE, S3_CREDENTIAL, "AKIAIOSFODNN7EXAMPLE", S3_TOKEN, "IQoJb3JpZ2lu"],
     {"X-Amz-Credential", "X-Amz-Security-Token", "X-Amz-Signature"}),
    ("azure-sas", SAS_URL, [SAS_SIG, "k3Yy9N0bQ", "2030-12-31T23:59:59Z", "sp=rl", "sv=2022-11-02"],
     {"sig", "se", "sv", "sp"}),
    ("gcs-signed", GCS_URL, [GCS_SIGNATURE, "preuves%40projet.iam"], {"X-Goog-Signature", "X-Goog-Credential"}),
    ("google-key", f"https://www.googleapis.com/drive/v3/files/1a2b?alt=media&key={AIZA_KEY}", [AIZA_KEY],
     {"google_api_key"}),
    ("jwt-in-state", f"https://auth.editeur.example/callback?state={JWT}&lang=fr", [JWT, JWT.split(".")[1]], {"jwt"}),
    ("oauth-fragment", f"https://app.editeur.example/#access_token={JWT}&token_type=bearer", [JWT], {"access_token"}),
    ("github-token-path", "https://raw.example/ghp_abcdefghijklmnopqrstuvwxyz0123456789/rapport.txt",
     ["ghp_abcdefghijklmnopqrstuvwxyz0123456789"], {"github_token"}),
]


@pytest.mark.parametrize("name, url, secrets, kinds", SECRET_LINKS, ids=[s[0] for s in SECRET_LINKS])
def test_presigned_and_token_links_are_masked(engine, link_dir, name, url, secrets, kinds):
    for container in ALL:
        report = validate(engine, link_dir, container, name, url)
        assert codes(report) == {"report_link.unknown_host", "report_link.credentials_in_url"}, (container, report.findings)
        text = dumped(report)
        for secret in secrets:
            assert secret not in text, (container, secret)
        (finding,) = [f for f in report.findings if f.code == "report_link.credentials_in_url"]
        assert kinds <= set(finding.details["kinds"].split(", ")), finding.details
        assert MASK in finding.message
        assert_host_in_clear(report)


def test_secrets_in_a_gazelle_permalink_are_masked_and_warned(engine, link_dir):
    url = f"{texts.LINKS['evs_report']}&access_token=abcdef123456"
    report = validate(engine, link_dir, "pdf", "gazelle-token", url)
    assert codes(report) == {"report_link.credentials_in_url"}
    (link,) = links_of(report)
    assert link["url"] == f"{texts.LINKS['evs_report']}&access_token={MASK}"  # privacyKey is the share key: kept
    assert link["kind"] == "evs_report"
    assert "abcdef123456" not in dumped(report)


def test_jsessionid_is_masked_and_the_permalink_still_read(engine, link_dir):
    url = f"https://{GAZELLE}/evs/report.seam;jsessionid=8F3A2B1C0D9E8F7A6B5C4D3E2F1A0B9C?oid=1.2.3"
    report = validate(engine, link_dir, "html", "jsessionid", url)
    assert codes(report) == {"report_link.credentials_in_url"}
    (link,) = links_of(report)
    assert (link["kind"], link["id"]) == ("evs_report", "1.2.3")
    assert link["url"] == f"https://{GAZELLE}/evs/report.seam;jsessionid={MASK}?oid=1.2.3"


def test_token_shaped_permalink_id_is_masked(engine, link_dir):
    url = f"https://{GAZELLE}/evs/report.seam?oid={AIZA_KEY}"
    report = validate(engine, link_dir, "text", "token-id", url)
    assert AIZA_KEY not in dumped(report)
    assert links_of(report)[0]["id"] == MASK


def test_urls_quoted_in_a_gazelle_report_are_masked(engine, link_dir):
    path = texts.make_gazelle_current(link_dir, "FAILED", name="gazelle-quoted-url.xml", errors=1)
    data = path.read_text(encoding="utf-8").replace("Erreur 1 : ", f"Erreur 1 : voir {escape(S3_URL)} : ", 1)
    path.write_text(data, encoding="utf-8")
    report = engine.validate(path)
    assert "report_link.gazelle_failed" in codes(report)
    assert S3_SIGNATURE not in dumped(report)
