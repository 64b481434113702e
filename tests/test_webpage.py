"""The pre-check page (``/``): static checks, then end to end in headless Chromium.

The end-to-end tests start the real service (uvicorn in a subprocess on a free localhost port), open
the page in Debian's ``/usr/bin/chromium`` driven by Playwright (no browser download), drop real
files (ffmpeg video, Pillow GIF, reportlab PDF) and read what the page shows. Every request the page
makes is checked to stay on the service's origin (the page must work offline).

A screenshot goes to ``artifacts/webpage.png``; ``PREUVES_UPDATE_SCREENSHOT=1`` also copies it to
``docs/img/page.png`` (the README's picture).
"""

from __future__ import annotations

import base64
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from fixtures.formats import have_ffmpeg, make_image, make_pdf, make_sized, make_video

ROOT = Path(__file__).resolve().parents[1]
STATIC = ROOT / "api" / "static"
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]
API_KEY = "cle-de-test-7f3a"
# Read at import: tests/conftest.py clears PREUVES_* variables around each test.
UPDATE_SCREENSHOT = os.environ.get("PREUVES_UPDATE_SCREENSHOT") == "1"
FINAL_STATES = ("accepted", "accepted_with_warnings", "rejected", "failed")


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
    assert page.headers["x-content-type-options"] == "nosniff"
    assert '<html lang="fr">' in page.text
    for name, media_type in (("app.js", "text/javascript"), ("style.css", "text/css")):
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
    script = (STATIC / "app.js").read_text(encoding="utf-8")
    code = re.sub(r"/\*.*?\*/|//[^\n]*", "", script, flags=re.DOTALL)  # comments may name them
    for forbidden in ("localStorage", "sessionStorage", "document.cookie", "indexedDB", "innerHTML",
                      "outerHTML", "insertAdjacentHTML", "eval(", "new Function"):
        assert forbidden not in code, forbidden


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
needs_chromium = pytest.mark.skipif(not CHROMIUM.exists(), reason="/usr/bin/chromium absent (apt-get install chromium)")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Server:
    def __init__(self, extra_env: dict[str, str] | None = None) -> None:
        self.port = _free_port()
        self.url = f"http://127.0.0.1:{self.port}/"
        env = dict(os.environ)
        env.pop("PREUVES_API_KEYS", None)  # only the keyed server has keys, whatever the caller's shell says
        env.update({"PREUVES_LOAD_ENTRYPOINTS": "0", "PREUVES_LOG_JSON": "0", **(extra_env or {})})
        name = "uvicorn-webpage-keys.log" if extra_env else "uvicorn-webpage.log"
        self.log = open(ROOT / "artifacts" / name, "wb")  # noqa: SIM115
        self.process = subprocess.Popen(
            [sys.executable, "-m", "uvicorn", "api.main:app", "--host", "127.0.0.1", "--port", str(self.port)],
            cwd=ROOT, env=env, stdout=self.log, stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + 90
        while True:
            if self.process.poll() is not None:
                raise RuntimeError(f"uvicorn exited with {self.process.returncode}; see {self.log.name}")
            try:
                with urllib.request.urlopen(self.url + "readyz", timeout=2) as response:
                    if response.status == 200:
                        return
            except OSError:
                pass
            if time.monotonic() > deadline:
                self.stop()
                raise RuntimeError(f"uvicorn not ready after 90 s; see {self.log.name}")
            time.sleep(0.25)

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self.log.close()


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
    srv = Server()
    yield srv
    srv.stop()


@pytest.fixture(scope="module")
def browser():
    if not CHROMIUM.exists():
        pytest.skip("/usr/bin/chromium absent (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


class PageWatch:
    """Console errors, and any request that leaves the service's origin (aborted and recorded)."""

    def __init__(self, page, base_url: str) -> None:
        self.errors: list[str] = []
        self.outside: list[str] = []
        self.requests: list = []
        page.on("console", lambda msg: msg.type == "error" and self.errors.append(msg.text))
        page.on("pageerror", lambda exc: self.errors.append(str(exc)))
        page.on("request", lambda request: self.requests.append(request))

        def guard(route):
            url = route.request.url
            if url.startswith(base_url) or url.startswith("blob:") or url.startswith("data:"):
                route.continue_()
            else:
                self.outside.append(url)
                route.abort()

        page.route("**/*", guard)


def _open(browser, url: str):
    context = browser.new_context(accept_downloads=True, locale="fr-FR", viewport={"width": 1100, "height": 900})
    context.set_default_timeout(60_000)  # the machine may be busy with other test suites
    page = context.new_page()
    watch = PageWatch(page, url)
    # Turn on file chooser interception before the page loads: enabled lazily by expect_file_chooser(),
    # it can miss a chooser opened right after.
    page.on("filechooser", lambda chooser: None)
    page.goto(url)
    page.wait_for_selector("html[data-ready='true']")
    return context, page, watch


def _card(page, name: str):
    return page.locator("li.card", has=page.locator("h3.file-name", has_text=name))


def _wait_final(page, name: str, timeout: float = 60_000) -> str:
    card = _card(page, name)
    states = ",".join(f"li.card[data-state='{s}']" for s in FINAL_STATES)
    page.wait_for_function(
        """([name, states]) => [...document.querySelectorAll(states)]
               .some((c) => c.querySelector('h3.file-name').textContent === name)""",
        arg=[name, states], timeout=timeout,
    )
    return card.get_attribute("data-state")


def _drop(page, path: Path, media_type: str) -> None:
    """A real drag-and-drop: dragenter/dragover/drop carrying a DataTransfer with the file."""
    page.evaluate(
        """({name, b64, type}) => {
             const bytes = Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
             const dt = new DataTransfer();
             dt.items.add(new File([bytes], name, {type}));
             const zone = document.getElementById('drop-zone');
             for (const kind of ['dragenter', 'dragover', 'drop']) {
               zone.dispatchEvent(new DragEvent(kind, {dataTransfer: dt, bubbles: true, cancelable: true}));
             }
           }""",
        {"name": path.name, "b64": base64.b64encode(path.read_bytes()).decode(), "type": media_type},
    )


@needs_chromium
def test_drop_files_and_read_verdicts(browser, server, proof_files, artifacts):
    context, page, watch = _open(browser, server.url)
    try:
        # Keyboard: the drop zone is a button that opens the file picker.
        page.locator("#drop-zone").focus()
        with page.expect_file_chooser() as chooser:
            page.keyboard.press("Enter")
        assert chooser.value.is_multiple()
        chooser.value.set_files([proof_files["video"], proof_files["gif"]])
        _drop(page, proof_files["pdf"], "application/pdf")

        video, gif, pdf = (proof_files[k].name for k in ("video", "gif", "pdf"))
        assert _wait_final(page, video) == "accepted"
        assert _wait_final(page, gif) == "rejected"
        assert _wait_final(page, pdf) == "accepted_with_warnings"

        assert _card(page, video).locator(".badge").inner_text().strip().endswith("Acceptée")
        assert "Refusée" in _card(page, gif).locator(".badge").inner_text()
        assert "Acceptée avec avertissements" in _card(page, pdf).locator(".badge").inner_text()

        gif_card = _card(page, gif)
        assert "Type : Capture d'écran (déduit du contenu)" in gif_card.locator(".file-meta").inner_text()
        error = gif_card.locator(".finding[data-severity='error']")
        assert error.count() == 1
        assert "format.not_allowed" in error.inner_text() and "GIF" in error.inner_text()
        assert "Erreur" in error.locator(".severity").inner_text()

        pdf_card = _card(page, pdf)
        warning = pdf_card.locator(".finding[data-severity='warning']", has_text="pdf_report.pdfa_missing")
        assert "PDF/A-1" in warning.locator(".message").inner_text()
        facts = dict(zip(pdf_card.locator(".facts dt").all_inner_texts(), pdf_card.locator(".facts dd").all_inner_texts()))
        assert facts.get("Pages") == "1"
        assert facts.get("PDF/A") == "non déclarée"

        video_card = _card(page, video)
        assert video_card.locator(".finding[data-severity='error'], .finding[data-severity='warning']").count() == 0
        assert "Aucun problème détecté." in video_card.inner_text()

        catalogue = _has_catalogue(server)
        for name in (video, gif, pdf):
            assert _card(page, name).locator(".progress-wrap").is_hidden(), name
            # The proof id field shows only when the service serves the requirement catalogue.
            assert _card(page, name).locator(".requirement-wrap").is_visible() == catalogue, name

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
            card = _card(page, report["file"]["name"])
            assert card.get_attribute("data-state") == report["verdict"]
            messages = card.locator(".finding .message").all_inner_texts()
            assert sorted(messages) == sorted(f["message"] for f in report["findings"])
            video_facts = report["facts"].get("video") or {}
            if isinstance(video_facts.get("width"), int) and isinstance(video_facts.get("height"), int):
                assert f"{video_facts['width']} × {video_facts['height']} px" in card.inner_text()

        # Every control has an accessible name; nothing left the service's origin; no script error.
        unnamed = page.evaluate(
            """() => [...document.querySelectorAll('button, select, input:not([type=file])')]
                 .filter((e) => e.offsetParent !== null)
                 .filter((e) => !(e.labels && e.labels.length) && !e.getAttribute('aria-label') && !e.textContent.trim())
                 .map((e) => e.outerHTML.slice(0, 80))"""
        )
        assert unnamed == []
        page.screenshot(path=str(artifacts / "webpage.png"), full_page=True)
        if UPDATE_SCREENSHOT:
            shutil.copyfile(artifacts / "webpage.png", ROOT / "docs" / "img" / "page.png")

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
    context, page, watch = _open(browser, server.url)
    try:
        pdf = proof_files["pdf"].name
        page.locator("#file-input").set_input_files(proof_files["pdf"])
        assert _wait_final(page, pdf) == "accepted_with_warnings"
        card = _card(page, pdf)
        with urllib.request.urlopen(server.url + "v1/requirements/DOC/va1.01.01.01", timeout=10) as response:
            spec = json.load(response)

        # A known proof id (typed loosely): the page shows what the REM expects and sends its type.
        card.locator(".requirement-input").fill(" doc/VA1.01.01.01 ")
        card.locator(".recheck").click()
        info = card.locator(".requirement-info")
        info.wait_for()
        assert spec["text"] in info.inner_text() and spec["id"] in info.inner_text()
        state = _wait_final(page, pdf)
        report = json.loads(card.locator("details pre").text_content())
        assert state == report["verdict"]
        assert sorted(card.locator(".finding .message").all_inner_texts()) == sorted(f["message"] for f in report["findings"])
        body = [r for r in watch.requests if r.method == "POST" and r.url.endswith("/v1/validations")][-1].post_data_buffer
        if _upload_fields(server) >= {"requirement", "rem"}:
            # The engine takes the proof id: the page sends it with its REM, and no type of its own.
            assert f'name="requirement"\r\n\r\n{spec["id"]}\r\n'.encode() in body
            assert f'name="rem"\r\n\r\n{spec["rem"]}\r\n'.encode() in body
            assert b'name="proof_type"' not in body
        elif spec["admits"] == ["pdf_report"]:
            # Older service: the page sends the proof's only admitted type.
            assert b'name="proof_type"\r\n\r\npdf_report' in body

        # An unknown id: not checked, and the catalogue's close ids are shown.
        card.locator(".requirement-input").fill("DOC.01.01.99")
        card.locator(".recheck").click()
        assert _wait_final(page, pdf) == "failed"
        assert "Preuve inconnue" in card.locator(".body").inner_text()
        assert watch.errors == [] or all("422" in e for e in watch.errors)
        assert watch.outside == []
    finally:
        context.close()


@needs_chromium
def test_upload_progress_is_shown_per_file(browser, server, tmp_path):
    """A large upload shows its own progress bar (XMLHttpRequest upload events), then the verdict."""
    # 6 Mo at 3 Mo/s (Chromium's network emulation): about two seconds of upload to watch.
    big = make_sized(tmp_path, "longue-demo.mp4", 6_000_000, head=b"\x00\x00\x00\x18ftypmp42")
    context, page, watch = _open(browser, server.url)
    try:
        cdp = context.new_cdp_session(page)
        cdp.send("Network.enable")
        cdp.send("Network.emulateNetworkConditions",
                 {"offline": False, "latency": 0, "downloadThroughput": -1, "uploadThroughput": 3_000_000})
        page.locator("#file-input").set_input_files(big)
        card = _card(page, big.name)
        page.wait_for_function(
            """() => { const p = document.querySelector('li.card progress');
                       return p && p.checkVisibility() && p.value > 0 && p.value < 100; }""",
            timeout=20_000,
        )
        assert re.fullmatch(r"Envoi : \d+ %", card.locator(".progress-label").inner_text())
        assert card.get_attribute("aria-busy") == "true"
        assert page.locator("#count-pending").inner_text() == "1"
        # Not a playable MP4 (no index): refused by the video checks, with a report all the same.
        assert _wait_final(page, big.name) == "rejected"
        assert card.locator(".progress-wrap").is_hidden()
        assert card.get_attribute("aria-busy") == "false"
        assert watch.errors == []
    finally:
        context.close()


@pytest.fixture(scope="module")
def keyed_server(artifacts):
    srv = Server({"PREUVES_API_KEYS": API_KEY})
    yield srv
    srv.stop()


@needs_chromium
def test_api_key_is_asked_for_and_kept_in_memory_only(browser, keyed_server, proof_files):
    context, page, watch = _open(browser, keyed_server.url)
    try:
        # GET /v1/proof-types answers 401: the page asks for a key before any upload.
        key_input = page.locator("#api-key")
        key_input.wait_for(state="visible")
        assert page.evaluate("document.activeElement.id") == "api-key"
        assert "Ce service demande une clé" in page.locator("#alerts").inner_text()

        page.locator("#file-input").set_input_files(proof_files["gif"])
        card = _card(page, proof_files["gif"].name)
        card.locator(".badge-text", has_text="Clé d'API requise").wait_for()

        key_input.fill("mauvaise-cle")
        page.locator("#key-form button[type=submit]").click()
        page.locator("#key-error", has_text="Clé d'API refusée").wait_for()
        assert key_input.get_attribute("aria-invalid") == "true"

        key_input.fill(API_KEY)
        key_input.press("Enter")
        assert _wait_final(page, proof_files["gif"].name) == "rejected"
        assert page.locator("#key-error").is_hidden()

        sent = [r.headers.get("authorization") for r in watch.requests if r.url.endswith("/v1/validations")]
        assert sent[-1] == f"Bearer {API_KEY}"
        stored = page.evaluate("() => JSON.stringify([localStorage, sessionStorage, document.cookie])")
        assert API_KEY not in stored
        assert context.cookies() == []
        assert watch.outside == []
    finally:
        context.close()
