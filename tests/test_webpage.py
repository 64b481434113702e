"""The pre-check page (``/``): static checks, then end to end in headless Chromium.

The end-to-end tests start the real service (uvicorn in a subprocess on a free localhost port), open
the page in Debian's ``/usr/bin/chromium`` driven by Playwright (no browser download), drop real
files (ffmpeg video, Pillow GIF, reportlab PDF) and read what the page shows. Every request the page
makes is checked to stay on the service's origin (the page must work offline).

The helpers (server, browser, drop, axe-core) are in ``tests/_webpage.py``; the dossier mode's tests in
``tests/test_webpage_dossier.py``. axe-core runs in every state the tests reach and must find nothing.
Screenshots go to ``artifacts/``; ``PREUVES_UPDATE_SCREENSHOT=1`` also copies them to ``docs/img/``
(the README's and docs/web.md's pictures).
"""

from __future__ import annotations

import json
import re
import urllib.request
from pathlib import Path

import pytest

from fixtures.formats import have_ffmpeg, make_image, make_pdf, make_sized, make_video
from tests._webpage import (
    ROOT, STATIC, Server, assert_accessible, card, drop, needs_chromium, open_page, screenshot, wait_final,
)
from tests._webpage import browser  # noqa: F401 - a pytest fixture, shared by the page's test files

API_KEY = "cle-de-test-7f3a"


# ---------------------------------------------------------------------------------------------
# Static checks (no browser)
# ---------------------------------------------------------------------------------------------
def test_page_and_assets_are_served_with_a_strict_policy():
    from fastapi.testclient import TestClient

    from api.main import create_app

    client = TestClient(create_app())  # no lifespan: the page needs no engine
    page = client.get("/")
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    csp = page.headers["content-security-policy"]
    assert "default-src 'none'" in csp and "script-src 'self'" in csp and "connect-src 'self'" in csp
    # One source beyond the origin, for media only: the frame strip plays the dropped video from a blob: URL.
    assert "media-src blob:;" in csp and csp.count("blob:") == 1
    assert page.headers["x-content-type-options"] == "nosniff"
    assert '<html lang="fr">' in page.text
    modules = sorted(path.name for path in STATIC.glob("*.js"))
    assert {"app.js", "common.js", "files.js", "dossier.js", "preview.js", "key.js"} <= set(modules)
    assert '<script type="module" src="static/app.js"></script>' in page.text
    assert "<noscript>" in page.text
    for name, media_type in [*((m, "text/javascript") for m in modules), ("style.css", "text/css")]:
        asset = client.get(f"/static/{name}")
        assert asset.status_code == 200, name
        assert asset.headers["content-type"].startswith(media_type)
    for bad in ("/static/..%2Fmain.py", "/static/missing.js", "/static/web.py"):
        response = client.get(bad)
        assert response.status_code == 404, bad
        assert response.headers["content-type"].startswith("application/problem+json")
    # The page is no API operation.
    assert "/" not in client.get("/openapi.json").json()["paths"]


def test_static_files_reference_nothing_outside_the_service():
    for path in STATIC.iterdir():
        text = path.read_text(encoding="utf-8")
        # No CDN, no external font or script: any absolute URL would break offline use.
        assert not re.search(r"(?i)(?:src|href)\s*=\s*[\"']?(?:https?:)?//", text), path.name
        assert not re.search(r"(?i)url\(\s*[\"']?(?:https?:)?//", text), path.name
        assert "@import" not in text, path.name


def test_script_keeps_the_key_in_memory_and_writes_text_only():
    for path in STATIC.glob("*.js"):
        code = re.sub(r"/\*.*?\*/|//[^\n]*", "", path.read_text(encoding="utf-8"), flags=re.DOTALL)  # comments may name them
        for forbidden in ("localStorage", "sessionStorage", "document.cookie", "indexedDB", "innerHTML",
                          "outerHTML", "insertAdjacentHTML", "eval(", "new Function"):
            assert forbidden not in code, (path.name, forbidden)
        # Each module imports only its siblings (same origin, no CDN, no bare package name).
        for target in re.findall(r"""^import .* from "([^"]+)";""", code, flags=re.MULTILINE):
            assert re.fullmatch(r"\./[a-z]+\.js", target) and (STATIC / target[2:]).is_file(), (path.name, target)


def _luminance(hex_colour: str) -> float:
    channels = [int(hex_colour[i:i + 2], 16) / 255 for i in (1, 3, 5)]
    linear = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def _contrast(a: str, b: str) -> float:
    la, lb = sorted((_luminance(a), _luminance(b)), reverse=True)
    return (la + 0.05) / (lb + 0.05)


def test_colours_meet_wcag_aa_contrast():
    css = (STATIC / "style.css").read_text(encoding="utf-8")
    colours = dict(re.findall(r"--([a-z-]+):\s*(#[0-9a-fA-F]{6})", css))
    # Text on white and on the panels; white text on the badges (verdicts).
    for name in ("text", "muted", "accent", "ok", "warn", "err", "pending"):
        for background in ("bg", "panel"):
            assert _contrast(colours[name], colours[background]) >= 4.5, (name, background)
    for name in ("warn", "err"):  # severity labels on their tinted finding backgrounds
        assert _contrast(colours[name], colours[f"{name}-bg"]) >= 4.5, name
    # Control borders and the focus ring: non-text contrast (WCAG 1.4.11).
    for name in ("border", "focus"):
        assert _contrast(colours[name], colours["bg"]) >= 3, name


# ---------------------------------------------------------------------------------------------
# End to end
# ---------------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def artifacts() -> Path:
    path = ROOT / "artifacts"
    path.mkdir(exist_ok=True)
    return path


@pytest.fixture(scope="module")
def proof_files(tmp_path_factory) -> dict[str, Path]:
    if not have_ffmpeg():
        pytest.fail("ffmpeg is needed to make the video fixture")
    directory = tmp_path_factory.mktemp("webpage")
    return {
        "video": make_video(directory, "mp4", seconds=5, size="1280x720", name="demo-dossier-patient.mp4"),
        "gif": make_image(directory, "GIF", name="capture-ecran.gif"),
        "pdf": make_pdf(directory, name="compte-rendu-biologie.pdf"),
    }


@pytest.fixture(scope="module")
def server(artifacts):
    srv = Server("uvicorn-webpage.log")
    yield srv
    srv.stop()


@needs_chromium
def test_drop_files_and_read_verdicts(browser, server, proof_files, artifacts):
    context, page, watch = open_page(browser, server.url)
    try:
        # Keyboard: the drop zone is a button that opens the file picker.
        page.locator("#drop-zone").focus()
        with page.expect_file_chooser() as chooser:
            page.keyboard.press("Enter")
        assert chooser.value.is_multiple()
        chooser.value.set_files([proof_files["video"], proof_files["gif"]])
        pdf_path = proof_files["pdf"]
        drop(page, "drop-zone", [(pdf_path.name, pdf_path.read_bytes(), "application/pdf")])

        video, gif, pdf = (proof_files[k].name for k in ("video", "gif", "pdf"))
        assert wait_final(page, video) == "accepted"
        assert wait_final(page, gif) == "rejected"
        assert wait_final(page, pdf) == "accepted_with_warnings"

        assert card(page, video).locator(".badge").inner_text().strip().endswith("Acceptée")
        assert "Refusée" in card(page, gif).locator(".badge").inner_text()
        assert "Acceptée avec avertissements" in card(page, pdf).locator(".badge").inner_text()

        gif_card = card(page, gif)
        assert "Type : Capture d'écran (déduit du contenu)" in gif_card.locator(".file-meta").inner_text()
        error = gif_card.locator(".finding[data-severity='error']")
        assert error.count() == 1
        assert "format.not_allowed" in error.inner_text() and "GIF" in error.inner_text()
        assert "Erreur" in error.locator(".severity").inner_text()

        pdf_card = card(page, pdf)
        warning = pdf_card.locator(".finding[data-severity='warning']", has_text="pdf_report.pdfa_missing")
        assert "PDF/A-1" in warning.locator(".message").inner_text()
        facts = dict(zip(pdf_card.locator(".facts dt").all_inner_texts(), pdf_card.locator(".facts dd").all_inner_texts()))
        assert facts.get("Pages") == "1"
        assert facts.get("PDF/A") == "non déclarée"

        video_card = card(page, video)
        assert video_card.locator(".finding[data-severity='error'], .finding[data-severity='warning']").count() == 0
        assert "Aucun problème détecté." in video_card.inner_text()

        catalogue = _has_catalogue(server)
        for name in (video, gif, pdf):
            assert card(page, name).locator(".progress-wrap").is_hidden(), name
            # The proof id field shows only when the service serves the requirement catalogue.
            assert card(page, name).locator(".requirement-wrap").is_visible() == catalogue, name

        # Summary and the live region.
        counts = {k: page.locator(f"#count-{k}").inner_text() for k in ("accepted", "warnings", "rejected", "pending", "failed")}
        assert counts == {"accepted": "1", "warnings": "1", "rejected": "1", "pending": "0", "failed": "0"}
        assert page.locator("#announcer").get_attribute("aria-live") == "polite"
        assert f"{gif} : Refusée." in page.locator("#announcer").inner_text()

        # The downloaded reports are the service's reports, and the page shows every message in them.
        with page.expect_download() as download:
            page.locator("#download").click()
        reports = json.loads(Path(download.value.path()).read_text(encoding="utf-8"))
        assert sorted(r["file"]["name"] for r in reports) == sorted([video, gif, pdf])
        for report in reports:
            shown = card(page, report["file"]["name"])
            assert shown.get_attribute("data-state") == report["verdict"]
            messages = shown.locator(".finding .message").all_inner_texts()
            assert sorted(messages) == sorted(f["message"] for f in report["findings"])
            video_facts = report["facts"].get("video") or {}
            if isinstance(video_facts.get("width"), int) and isinstance(video_facts.get("height"), int):
                assert f"{video_facts['width']} × {video_facts['height']} px" in shown.inner_text()

        # Results stay in drop order (the chooser's two files, then the dropped PDF).
        assert page.locator("#results h3.file-name").all_inner_texts() == [video, gif, pdf]

        # Previews made in the browser: a thumbnail of the picture, four frames of the video (data: images
        # drawn on a canvas; the only requests were the three uploads).
        thumb = gif_card.locator(".preview .thumb img")
        assert thumb.get_attribute("alt") == f"Aperçu de {gif}"
        assert "1600 × 900 px" in gif_card.locator(".preview figcaption").inner_text()
        frames = video_card.locator(".preview .frame-strip img")
        frames.nth(3).wait_for()
        assert frames.count() == 4
        sources = [frames.nth(i).get_attribute("src") for i in range(4)]
        assert all(src.startswith("data:image/jpeg;base64,") for src in sources)
        assert len(set(sources)) == 4  # testsrc2 moves: four different moments, not one frame four times
        assert page.evaluate("() => [...document.querySelectorAll('.preview img')].every((i) => i.naturalWidth > 0)")
        assert [frames.nth(i).get_attribute("alt") for i in range(4)] == [
            "Image à 0,6 s", "Image à 1,9 s", "Image à 3,1 s", "Image à 4,4 s"]
        assert pdf_card.locator(".preview").is_hidden()
        assert [r.url for r in watch.requests if r.method == "POST"] == [server.url + "v1/validations"] * 3

        # The JSON report is a named region reachable with the keyboard (it scrolls).
        pdf_card.locator("details summary").click()
        pre = pdf_card.locator("details pre")
        assert pre.get_attribute("tabindex") == "0" and pre.get_attribute("role") == "region"
        assert pre.get_attribute("aria-label") == f"Rapport complet au format JSON : {pdf}"
        pre.focus()
        assert page.evaluate("document.activeElement.tagName") == "PRE"
        assert_accessible(page, "file mode: three verdicts, previews, an open JSON report")

        # Every control has an accessible name; nothing left the service's origin; no script error.
        unnamed = page.evaluate(
            """() => [...document.querySelectorAll('button, select, input:not([type=file])')]
                 .filter((e) => e.offsetParent !== null)
                 .filter((e) => !(e.labels && e.labels.length) && !e.getAttribute('aria-label') && !e.textContent.trim())
                 .map((e) => e.outerHTML.slice(0, 80))"""
        )
        assert unnamed == []
        screenshot(page, artifacts, "page.png")

        # « Problèmes seulement »: the accepted video is hidden, the others stay; then everything again.
        page.locator("#problems-only").check()
        assert video_card.is_hidden() and gif_card.is_visible() and pdf_card.is_visible()
        assert "Problèmes seulement : 2 fichiers affichés sur 3." in page.locator("#announcer").inner_text()
        assert_accessible(page, "file mode: problems only")
        screenshot(page, artifacts, "page-problems-only.png")
        page.locator("#problems-only").uncheck()
        assert video_card.is_visible()

        # A 375 px wide phone: nothing wider than the screen.
        page.set_viewport_size({"width": 375, "height": 800})
        assert page.evaluate("document.documentElement.scrollWidth") <= 375
        assert_accessible(page, "file mode at 375 px")
        page.set_viewport_size({"width": 1100, "height": 900})

        # A per-file type: the GIF checked again as a video is still refused, now for the chosen type.
        gif_card.locator(".type-select").select_option("video")
        gif_card.locator(".recheck").click()
        page.wait_for_function(
            """(name) => [...document.querySelectorAll('li.card[data-state=rejected]')].some((c) =>
                 c.querySelector('h3.file-name').textContent === name && c.querySelector('.file-meta').textContent.startsWith('Type : Vidéo ·'))""",
            arg=gif,
        )
        posts = [r for r in watch.requests if r.method == "POST" and r.url.endswith("/v1/validations")]
        assert len(posts) == 4
        assert b'name="proof_type"\r\n\r\nvideo' in posts[-1].post_data_buffer

        assert watch.outside == []
        assert watch.errors == []
    finally:
        context.close()


def _openapi(server: Server) -> dict:
    with urllib.request.urlopen(server.url + "openapi.json", timeout=10) as response:
        return json.load(response)


def _has_catalogue(server: Server) -> bool:
    return any(path.startswith("/v1/requirements/") for path in _openapi(server)["paths"])


def _upload_fields(server: Server) -> set[str]:
    post = _openapi(server)["paths"]["/v1/validations"]["post"]
    return set(post["requestBody"]["content"]["multipart/form-data"]["schema"]["properties"])


@needs_chromium
def test_proof_id_resolves_to_the_catalogue_and_its_type(browser, server, proof_files):
    if not _has_catalogue(server):
        pytest.skip("the service serves no requirement catalogue (GET /v1/requirements/{id})")
    context, page, watch = open_page(browser, server.url)
    try:
        pdf = proof_files["pdf"].name
        with urllib.request.urlopen(server.url + "v1/requirements/DOC/va1.01.01.01", timeout=10) as response:
            spec = json.load(response)

        # A proof id typed before the first check (loosely): the page shows what the REM expects and
        # sends its type.
        page.locator("#default-requirement").fill(" doc/VA1.01.01.01 ")
        page.locator("#file-input").set_input_files(proof_files["pdf"])
        shown = card(page, pdf)
        info = shown.locator(".requirement-info")
        info.wait_for()
        assert spec["text"] in info.inner_text() and spec["id"] in info.inner_text()
        state = wait_final(page, pdf)
        report = json.loads(shown.locator("details pre").text_content())
        assert state == report["verdict"]
        assert sorted(shown.locator(".finding .message").all_inner_texts()) == sorted(f["message"] for f in report["findings"])
        posts = [r for r in watch.requests if r.method == "POST" and r.url.endswith("/v1/validations")]
        assert len(posts) == 1
        body = posts[-1].post_data_buffer
        if _upload_fields(server) >= {"requirement", "rem"}:
            # The engine takes the proof id: the page sends it with its REM, and no type of its own.
            assert f'name="requirement"\r\n\r\n{spec["id"]}\r\n'.encode() in body
            assert f'name="rem"\r\n\r\n{spec["rem"]}\r\n'.encode() in body
            assert b'name="proof_type"' not in body
        elif spec["admits"] == ["pdf_report"]:
            # Older service: the page sends the proof's only admitted type.
            assert b'name="proof_type"\r\n\r\npdf_report' in body

        # An unknown id: nothing sent, the previous verdict and report stay, the close ids are buttons.
        shown.locator(".requirement-input").fill("DOC/va1.01.01.09")
        shown.locator(".recheck").click()
        feedback = shown.locator(".requirement-feedback")
        feedback.wait_for()
        assert "Preuve inconnue" in feedback.inner_text() and "DOC/va1.01.01.09" in feedback.inner_text()
        assert wait_final(page, pdf) == state
        assert json.loads(shown.locator("details pre").text_content()) == report
        assert shown.locator(".requirement-input").get_attribute("aria-invalid") == "true"
        suggestions = feedback.locator("button.suggestion")
        assert suggestions.count() >= 1
        first = suggestions.first.inner_text()
        assert first.startswith("DOC/va1.")
        assert_accessible(page, "file mode: an unknown proof id with its close ids")
        assert len([r for r in watch.requests if r.method == "POST"]) == 1

        # A close id clicked: used and checked at once.
        suggestions.first.click()
        page.wait_for_function(
            "(n) => [...document.querySelectorAll('#results li.card')][0].querySelector('.requirement-info p').textContent.includes(n)",
            arg=first,
        )
        wait_final(page, pdf)
        assert shown.locator(".requirement-input").input_value() == first
        assert feedback.is_hidden()
        posts = [r for r in watch.requests if r.method == "POST" and r.url.endswith("/v1/validations")]
        assert len(posts) == 2
        assert watch.errors == [] or all("422" in e for e in watch.errors)
        assert watch.outside == []
    finally:
        context.close()


@needs_chromium
def test_upload_progress_is_shown_per_file(browser, server, tmp_path):
    """A large upload shows its own progress bar (XMLHttpRequest upload events), then the verdict."""
    # 6 Mo at 3 Mo/s (Chromium's network emulation): about two seconds of upload to watch.
    big = make_sized(tmp_path, "longue-demo.mp4", 6_000_000, head=b"\x00\x00\x00\x18ftypmp42")
    context, page, watch = open_page(browser, server.url)
    try:
        cdp = context.new_cdp_session(page)
        cdp.send("Network.enable")
        cdp.send("Network.emulateNetworkConditions",
                 {"offline": False, "latency": 0, "downloadThroughput": -1, "uploadThroughput": 3_000_000})
        page.locator("#file-input").set_input_files(big)
        shown = card(page, big.name)
        page.wait_for_function(
            """() => { const p = document.querySelector('li.card progress');
                       return p && p.checkVisibility() && p.value > 0 && p.value < 100; }""",
            timeout=20_000,
        )
        assert re.fullmatch(r"Envoi : \d+ %", shown.locator(".progress-label").inner_text())
        assert shown.get_attribute("aria-busy") == "true"
        assert page.locator("#count-pending").inner_text() == "1"
        # Not a playable MP4 (no index): refused by the video checks, with a report all the same.
        assert wait_final(page, big.name) == "rejected"
        assert shown.locator(".progress-wrap").is_hidden()
        assert shown.get_attribute("aria-busy") == "false"
        assert watch.errors == []
    finally:
        context.close()


@pytest.fixture(scope="module")
def keyed_server(artifacts):
    srv = Server("uvicorn-webpage-keys.log", {"PREUVES_API_KEYS": API_KEY})
    yield srv
    srv.stop()


@needs_chromium
def test_api_key_is_asked_for_and_kept_in_memory_only(browser, keyed_server, proof_files):
    context, page, watch = open_page(browser, keyed_server.url)
    try:
        # GET /v1/proof-types answers 401: the page asks for a key before any upload.
        key_input = page.locator("#api-key")
        key_input.wait_for(state="visible")
        assert page.evaluate("document.activeElement.id") == "api-key"
        assert "Ce service demande une clé" in page.locator("#alerts").inner_text()

        assert page.locator("#catalogue-edition").is_hidden()  # the catalogue too needs the key
        assert_accessible(page, "the key form")

        page.locator("#file-input").set_input_files(proof_files["gif"])
        shown = card(page, proof_files["gif"].name)
        shown.locator(".badge-text", has_text="Clé d'API requise").wait_for()

        # A wrong key is refused at once (tried on GET /v1/proof-types), before any file is sent with it.
        key_input.fill("mauvaise-cle")
        page.locator("#key-form button[type=submit]").click()
        page.locator("#key-error", has_text="Clé d'API refusée par le service (HTTP 401)").wait_for()
        assert key_input.get_attribute("aria-invalid") == "true"
        assert "Clé d'API refusée" in page.locator("#alerts").inner_text()
        assert not [r for r in watch.requests if r.method == "POST" and r.headers.get("authorization") == "Bearer mauvaise-cle"]
        assert shown.locator(".badge-text").inner_text() == "Clé d'API requise"
        assert_accessible(page, "the key form: a refused key")

        key_input.fill(API_KEY)
        key_input.press("Enter")
        assert wait_final(page, proof_files["gif"].name) == "rejected"
        assert page.locator("#key-error").is_hidden()
        # What waited for the key came back: the catalogue's edition (from GET /v1/requirements/profiles).
        page.locator("#catalogue-edition", has_text="pré-publication de mars 2023").wait_for()

        sent = [r.headers.get("authorization") for r in watch.requests if r.url.endswith("/v1/validations")]
        assert sent[-1] == f"Bearer {API_KEY}"
        # The page is French: it asks for French answers (problems included), whatever the browser's language.
        calls = [r for r in watch.requests if "/v1/" in r.url]
        assert calls and {r.headers.get("accept-language") for r in calls} == {"fr"}
        stored = page.evaluate("() => JSON.stringify([localStorage, sessionStorage, document.cookie])")
        assert API_KEY not in stored
        assert context.cookies() == []
        assert watch.outside == []
    finally:
        context.close()


@needs_chromium
def test_without_javascript_the_page_says_what_to_use(browser, server):
    context = browser.new_context(java_script_enabled=False, locale="fr-FR")
    try:
        page = context.new_page()
        page.goto(server.url)
        message = page.locator(".noscript")
        assert message.is_visible()
        assert "preuves check" in message.inner_text() and "preuves dossier" in message.inner_text()
        assert page.locator("#mode-choice").is_hidden() and page.locator("#drop-zone").is_hidden()  # nothing that cannot work
    finally:
        context.close()
