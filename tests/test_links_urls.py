"""validator_core.toolkit.urls: the WHATWG reading of a URL, and what masking keeps and removes.

Unit tests on strings (the file-level cases are in test_links_hostile.py): each deceptive spelling
gives its form, and ordinary URLs keep every character that is not a secret.
"""

from __future__ import annotations

import pytest

from validator_core.toolkit.text import mask_secrets
from validator_core.toolkit.urls import MASK, find_urls, lookalike_of, mask_url, mask_urls_in_text, parse_url, token_shape, url_credentials

GAZELLE = "interop.esante.gouv.fr"


@pytest.mark.parametrize(
    "url, host, forms",
    [
        (f"https://evil.example\\@{GAZELLE}/evs/report.seam?oid=1", "evil.example", ("backslash",)),
        (f"https:\\\\{GAZELLE}/x", GAZELLE, ("backslash",)),
        (f"https://{GAZELLE}@evil.example/", "evil.example", ("userinfo",)),
        ("https://inter\top.esante.gouv.fr/", GAZELLE, ("whitespace_in_host",)),
        ("https://inter\r\nop.esante.gouv.fr/", GAZELLE, ("whitespace_in_host",)),
        ("https://%69nterop.esante.gouv.fr/", GAZELLE, ("percent_encoded_host",)),
        ("https://inter\u00adop.esante.gouv.fr/", GAZELLE, ("mapped_host",)),  # soft hyphen, removed by IDNA
        ("https://interop\u3002esante.gouv.fr/", GAZELLE, ("mapped_host",)),  # ideographic full stop
        ("https://2130706433/", "127.0.0.1", ("numeric_ip",)),
        ("https://0x7f.1/", "127.0.0.1", ("numeric_ip",)),
        ("https://017700000001/", "127.0.0.1", ("numeric_ip",)),
        ("https://xn--nterop-ovf.esante.gouv.fr/", "xn--nterop-ovf.esante.gouv.fr", ("mixed_script",)),
        ("https://xn--80ak6aa92e.com/", "xn--80ak6aa92e.com", ("whole_script_confusable",)),
        # ordinary spellings: no form
        (f"  HTTPS://{GAZELLE.upper()}/evs/report.seam?oid=1\n", GAZELLE, ()),
        (f"https://{GAZELLE}./x", GAZELLE + ".", ()),
        ("https://127.0.0.1:8443/", "127.0.0.1", ()),
        ("https://[::1]/", "[::1]", ()),
        ("https://intérop-santé.fr/", "xn--introp-sant-dbbi.fr", ()),
        ("https://東京.jp/", "xn--1lqs71d.jp", ()),
        ("https://ドメイン名例.jp/", "xn--eckwd4c7cu47r2wf.jp", ()),
        (f"https:{GAZELLE}/x", GAZELLE, ()),
    ],
)
def test_browser_host_and_deceptive_forms(url, host, forms):
    parsed = parse_url(url)
    assert parsed.valid and parsed.host == host
    assert parsed.forms == forms


@pytest.mark.parametrize("url", ["https://[::1", "https://a\x00b.fr/", "https://exa mple.fr/", "https://a.fr.123/", "http://"])
def test_urls_browsers_refuse_are_invalid_and_show_only_their_scheme(url):
    parsed = parse_url(url)
    assert not parsed.valid
    assert mask_url(url) == parsed.scheme + ":" + MASK


def test_scheme_is_the_browsers():
    assert parse_url("java\tscript:alert(1)").scheme == "javascript"
    assert parse_url(" JAVASCRIPT:alert(1)").scheme == "javascript"
    assert mask_url("data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==") == "data:text/html;base64,…"


def test_lookalike_of_the_allowlist():
    assert lookalike_of("xn--introp-dva.esante.gouv.fr", [GAZELLE]) == GAZELLE  # intérop
    assert lookalike_of("xn--nterop-ovf.esante.gouv.fr", [GAZELLE]) == GAZELLE  # Cyrillic і
    assert lookalike_of("xn--introp-sant-dbbi.fr", [GAZELLE]) is None
    assert lookalike_of(GAZELLE, [GAZELLE]) is None


# --- masking ----------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "url",
    [
        "https://interop.esante.gouv.fr/evs/report.seam?oid=1.3.6.1.4.1.12559.11.36.1.4.123456&privacyKey=AbCdEf123",
        "https://interopsegur.esante.gouv.fr/gazelle/testInstance.seam?id=98765",
        "https://tests-editeur.espacedeconfiance.mssante.fr/project/MSSante/execution/show/4242",
        "https://example.org/rapport-2024-final-version-signee-v2?lang=fr&page=3#section-2",
        "https://example.org/doc/550e8400-e29b-41d4-a716-446655440000?sp=1&se=2",  # no SAS without sig
        "https://example.org/search?q=rapport+de+test&sort=date",
    ],
)
def test_ordinary_urls_are_shown_unchanged(url):
    assert mask_url(url) == url
    assert url_credentials(url) == []


@pytest.mark.parametrize(
    "url, shown, kinds",
    [
        ("https://u:p@h.fr/a?password=x&b=1", f"https://{MASK}@h.fr/a?password={MASK}&b=1", ["userinfo", "password"]),
        ("https://h.fr/?Api-Key=abc&X-API-KEY=def", f"https://h.fr/?Api-Key={MASK}&X-API-KEY={MASK}", ["Api-Key", "X-API-KEY"]),
        ("https://h.fr/?sv=2022-11-02&sp=r&sig=abc%3D", f"https://h.fr/?sv={MASK}&sp={MASK}&sig={MASK}", ["sv", "sp", "sig"]),
        ("https://h.fr/?q=AKIAIOSFODNN7EXAMPLE", f"https://h.fr/?q={MASK}", ["aws_access_key"]),
        ("https://h.fr/?t=Bearer%20ghp_abcdefghijklmnopqrstuvwxyz0123456789", f"https://h.fr/?t={MASK}", ["github_token"]),
        ("https://h.fr/?x=xoxb-1234567890-abcdefghij", f"https://h.fr/?x={MASK}", ["slack_token"]),
        ("https://h.fr/?d=Zm9vYmFyQmF6UXV4MTIzNDU2Nzg5MEFiQ2RFZkdoSWo", f"https://h.fr/?d={MASK}", ["token"]),
        ("https://h.fr/?h=9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08", f"https://h.fr/?h={MASK}", ["token"]),
        ("https://h.fr/a;JSESSIONID=0A1B2C;x=1/b", f"https://h.fr/a;JSESSIONID={MASK};x=1/b", ["JSESSIONID"]),
        ("https://h.fr/#id_token=abc&state=1", f"https://h.fr/#id_token={MASK}&state=1", ["id_token"]),
    ],
)
def test_secrets_are_masked_by_name_and_by_shape(url, shown, kinds):
    assert mask_url(url) == shown
    assert url_credentials(url) == kinds


def test_identifier_parameters_keep_random_looking_values_but_not_known_tokens():
    share = "Zm9vYmFyQmF6UXV4MTIzNDU2Nzg5MEFiQ2RFZkdoSWo"
    assert mask_url(f"https://{GAZELLE}/evs/report.seam?oid=1&privacyKey={share}").endswith(share)
    assert token_shape("AIzaSyD4x9Qm2Lr7Tt0Vb8Nn1Kk3Jj5Hh6Gg7Ff") == "google_api_key"
    assert MASK in mask_url(f"https://{GAZELLE}/evs/report.seam?oid=AIzaSyD4x9Qm2Lr7Tt0Vb8Nn1Kk3Jj5Hh6Gg7Ff")


def test_urls_in_text_are_masked_in_place():
    text = "Voir https://u:p@h.fr/?token=abc. Puis https://ok.fr/a, fin."
    assert mask_urls_in_text(text) == f"Voir https://{MASK}@h.fr/?token={MASK}. Puis https://ok.fr/a, fin."


def test_text_masking_masks_urls_as_the_url_toolkit_does():
    assert find_urls("x https://a.fr/b.") == ["https://a.fr/b"]
    url = "https://a.fr/r?token=abcd1234"
    assert mask_secrets(f"voir {url} fin") == f"voir {mask_url(url)} fin" == f"voir https://a.fr/r?token={MASK} fin"
