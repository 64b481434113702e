"""The page's dossier mode, end to end in headless Chromium, on a BIO dossier of real files made here.

The folder (17 files: ffmpeg videos, Pillow screenshots with text, reportlab PDFs, one PDF/A-1, logs, a
report link with a very long host, a file matching no proof, a hidden system file) is named as
``preuves dossier`` expects (``validator_core/dossier.py``): each file or sub-folder name starts with its
proof id. The page sends it as a browser sends a folder (``<input webkitdirectory>``: relative paths) with
the REM, a profile and two conditions chosen on the page; the test reads the service's JSON answer and
checks the page shows every proof's verdict, the missing, not-applicable and unmatched lists, and that the
Markdown and CSV downloads say the same. axe-core runs in every state reached. Screenshots:
``artifacts/dossier*.png`` (``PREUVES_UPDATE_SCREENSHOT=1``: ``docs/img/``).
"""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest

from fixtures.dossier import GOOD_PDFA, GOOD_SCREENSHOT, MISSING, NO_PDFA, WRONG_TYPE
from fixtures.formats import have_ffmpeg, make_video
from fixtures.pdfs import pdfa1b_pdf, text_pdf
from tests._webpage import (
    ROOT, Server, assert_accessible, axe_violations, drop, needs_chromium, open_page, screenshot,
)
from tests._webpage import browser  # noqa: F401 - a pytest fixture, shared by the page's test files

VIDEO = "ANN/va1.01.01.02"          # a video only
DEMO = "CDA/DD.04.01.01"            # video or screenshots
LOGS = "DMP/UX.50.01.02"            # logs
LINK = "MSS/CONF.01.01.01"          # a report link (test case MSS-LPS-SEGUR-GEN)
HOMOLOGATION = "APCV.01.01.01"      # PDF or logs
PSC_WEB = "PSC.01.01.01"            # a video, for the web modality of Pro Santé Connect
PROFILE = "IAM"
CONDITIONS = {"referentiel_identite": "non", "psc_modalite": "web"}
# No hyphen, where a browser could break a line anyway: only overflow-wrap keeps it within 375 px.
LONG_HOST = ".".join(["preuvesdossierbiologiemedicale" * 2] * 3) + ".mssante.fr"
# The page's labels for a proof's status (the CSV's « statut » column says the same words).
LABELS = {"accepted": "Acceptée", "accepted_with_warnings": "Acceptée avec avertissements", "rejected": "Refusée",
          "missing": "Manquante", "unknown": "Identifiant inconnu"}


def _screenshot(directory: Path, name: str, title: str, *, size: tuple[int, int], shade: int) -> Path:
    """A screen with a window, its title and lines of text (Pillow); ``shade`` makes each one its own
    picture (the dossier check warns about the same picture filed for two proofs)."""
    import random

    from PIL import Image, ImageDraw

    w, h = size
    image = Image.new("RGB", size, (230 - shade, 236, 242 - shade // 2))
    draw = ImageDraw.Draw(image)
    rng = random.Random(shade)
    for _ in range(8):  # the desktop's other windows, placed at random
        x, y = rng.randrange(0, w - 200), rng.randrange(0, h - 200)
        draw.rectangle([x, y, x + rng.randrange(120, w // 2), y + rng.randrange(80, h // 2)],
                       fill=tuple(rng.randrange(0, 256) for _ in range(3)))
    x0, y0 = 40 + shade * 6, 30 + shade * 4
    draw.rectangle([x0, y0, x0 + w // 2, y0 + h // 2], fill=(255, 255, 255), outline=(80, 80, 80))
    draw.rectangle([x0, y0, x0 + w // 2, y0 + 30], fill=(30 + shade * 9, 80, 160))
    draw.text((x0 + 10, y0 + 8), title, fill=(255, 255, 255))
    for n, y in enumerate(range(y0 + 50, y0 + h // 2 - 10, 20)):
        draw.text((x0 + 12, y), f"{title} - ligne {n + 1} - patient de test", fill=(20, 20, 20))
    draw.rectangle([0, h - 40, w, h], fill=(30, 30, 40))
    image.save(directory / name, quality=90) if name.endswith(".jpg") else image.save(directory / name)
    return directory / name


def _text(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def dossier(tmp_path_factory) -> Path:
    if not have_ffmpeg():
        pytest.fail("ffmpeg is needed to make the video fixtures")
    root = tmp_path_factory.mktemp("webpage-dossier") / "dossier-bio"
    for sub in ("DOC/va1.25.01.01", "DOC_va1.25.01.02 firefox", "CDA_DD.04.01.01 demo"):
        (root / sub).mkdir(parents=True)
    pdfa1b_pdf(root, "DOC_va1.01.01.01 prescription.pdf")
    text_pdf(root, "DOC-va1.29.01.02_compte-rendu.pdf")
    text_pdf(root, "DOC_va1.18.01.02 compte-rendu.pdf")
    for n in (1, 2):
        _screenshot(root / "DOC" / "va1.25.01.01", f"chrome-{n}.png", f"Google Chrome - document {n}", size=(1920, 1080), shade=n)
    text_pdf(root / "DOC_va1.25.01.02 firefox", "capture.pdf")
    # Three different videos (lengths differ): the same file filed for two proofs would be warned about.
    make_video(root, "mp4", seconds=2, size="1280x720", name="ANN_va1.01.01.02 recherche-annuaire.mp4")
    make_video(root / "CDA_DD.04.01.01 demo", "mp4", seconds=2.5, size="1280x720", name="etapes.mp4")
    for n in (1, 2, 3):
        _screenshot(root / "CDA_DD.04.01.01 demo", f"ecran-{n}.jpg", f"Document CDA - etape {n}", size=(1600, 900), shade=4 + n)
    make_video(root, "mp4", seconds=3, size="1280x720", name="PSC.01.01.01 mode-web.mp4")
    _text(root / "DMP_UX.50.01.02 transactions.log",
          "".join(f"2023-03-0{d} 10:0{d}:00 INFO TD0.2 requete {d} : reponse 200\n" for d in range(1, 8)))
    _text(root / "APCV.01.01.01 homologation.txt", "Homologation CNDA ApCV : dossier 2023-0042, avis favorable.\n")
    _text(root / "MSS_CONF.01.01.01 lien.txt",
          f"https://{LONG_HOST}/tests/MSS-LPS-SEGUR-GEN/executions/{'0123456789abcdef' * 4}\n")
    _text(root / "notes.txt", "Dossier BIO : reste la capture Safari.\n")
    _text(root / ".DS_Store", "\x00\x00\x00\x01Bud1")  # the system's, never sent
    return root


@pytest.fixture(scope="module")
def server():
    srv = Server("uvicorn-webpage-dossier.log")
    yield srv
    srv.stop()


def _files(root: Path) -> list[Path]:
    return sorted(p for p in root.rglob("*") if p.is_file())


def _csv(text: str) -> list[dict[str, str]]:
    assert text.startswith("\ufeff")  # spreadsheets read UTF-8 with a BOM
    return list(csv.DictReader(io.StringIO(text[1:]), delimiter=";"))


@needs_chromium
def test_dossier_mode_end_to_end(browser, server, dossier):
    artifacts = ROOT / "artifacts"
    sent_files = [p for p in _files(dossier) if p.name != ".DS_Store"]
    assert len(sent_files) >= 15
    context, page, watch = open_page(browser, server.url)
    try:
        # axe-core can fail: a picture without a text alternative is found.
        page.evaluate("() => document.body.append(Object.assign(document.createElement('img'), {id: 'probe', src: 'data:,'}))")
        assert "image-alt" in {v["id"] for v in axe_violations(page)}
        page.evaluate("() => document.getElementById('probe').remove()")

        page.locator("#catalogue-edition", has_text="REM vague 2, pré-publication de mars 2023").wait_for()
        page.locator("#mode-dossier").check()
        assert page.locator("#dossier-mode").is_visible() and page.locator("#files-mode").is_hidden()
        assert page.locator(".skip").get_attribute("href") == "#dossier-title"
        assert page.locator("#dossier-rem").input_value() == "BIO"
        page.locator(f"#dossier-profile-list input[value='{PROFILE}']").check()
        page.locator("#dossier-conditions summary").click()
        for condition, value in CONDITIONS.items():
            page.locator(f"fieldset[data-condition='{condition}'] input[value='{value}']").check()
        assert page.locator("fieldset[data-condition='wifi'] input[value='']").is_checked()  # « non déclarée »
        assert_accessible(page, "dossier mode: REM, profile and conditions chosen")

        # The folder, as a browser sends it: relative paths under the folder's name.
        with page.expect_response(lambda r: "/v1/dossiers" in r.url) as answer:
            page.locator("#dossier-input").set_input_files(dossier)
        result = answer.value.json()
        page.locator("#dossier-results").wait_for()
        request = answer.value.request
        assert request.url.endswith("/v1/dossiers?markdown=true")
        body = request.post_data_buffer
        for name, value in (("rem", "BIO"), ("profiles", PROFILE), ("lang", "fr"),
                            *(("conditions", f"{c}={v}") for c, v in CONDITIONS.items())):
            assert f'name="{name}"\r\n\r\n{value}\r\n'.encode() in body, name
        for path in sent_files:
            assert f'filename="dossier-bio/{path.relative_to(dossier).as_posix()}"'.encode() in body
        assert b".DS_Store" not in body
        assert f"{len(sent_files)} fichiers" in page.locator("#dossier-selection").inner_text()

        # What the service found, for the files made to be so.
        s = result["summary"]
        assert s["profiles"] == ["Général", PROFILE] and s["files"] == len(sent_files) - 1  # notes.txt matches nothing
        status = {p["proof"]: p["status"] for p in result["proofs"]}
        assert status[NO_PDFA] == "rejected" and status[WRONG_TYPE] == "rejected"
        for good in (GOOD_PDFA, GOOD_SCREENSHOT, VIDEO, DEMO, PSC_WEB, LOGS):
            assert status[good] in ("accepted", "accepted_with_warnings"), (good, result["proofs"])
        assert {LINK, HOMOLOGATION, "DOC/va1.18.01.02"} <= set(status)
        assert MISSING in {m["proof"] for m in result["missing"]}
        assert result["unmatched_files"] == ["dossier-bio/notes.txt"]
        assert s["not_applicable"] > 0 and not s["ready"]
        assert all(c["conditions"][0]["id"] in CONDITIONS for c in result["not_applicable"])

        # The page shows all of it.
        assert page.locator("#dossier-verdict").inner_text() == "Pas prêt pour le dépôt."
        for key, value in (("accepted", s["accepted"]), ("warnings", s["accepted_with_warnings"]), ("rejected", s["rejected"]),
                           ("missing", s["missing"]), ("not_applicable", s["not_applicable"]), ("undecided", s["undecided"]),
                           ("unmatched", s["unmatched_files"])):
            assert page.locator(f"#dossier-count-{key}").inner_text() == str(value), key
        cards = page.locator("#dossier-proofs > li.card")
        assert cards.locator("h4").all_inner_texts() == [p["proof"] for p in result["proofs"]]
        for i, proof in enumerate(result["proofs"]):
            shown = cards.nth(i)
            assert shown.get_attribute("data-state") == proof["status"]
            assert shown.locator(".badge-text").inner_text() == LABELS[proof["status"]]
            assert shown.locator(".proof-file .file-path").all_inner_texts() == [f["path"] for f in proof["files"]]
            problems = [f["message"] for file in proof["files"] for f in (file["report"] or {}).get("findings", [])
                        if f["severity"] in ("error", "warning")]
            assert sorted(shown.locator(".finding .message").all_inner_texts()) == sorted(problems), proof["proof"]
        wrong = cards.nth([p["proof"] for p in result["proofs"]].index(WRONG_TYPE))
        assert "requirement.type_not_admitted" in wrong.inner_text()
        missing = page.locator("#dossier-missing > li")
        assert missing.count() == s["missing"]
        assert missing.locator("strong").all_text_contents() == [m["proof"] for m in result["missing"]]
        assert page.locator("#dossier-not-applicable > li").count() == s["not_applicable"]
        assert "déclaré non" in page.locator("#dossier-not-applicable").text_content()
        assert page.locator("#dossier-unmatched > li").all_inner_texts() == ["dossier-bio/notes.txt"]
        assert "Dossier vérifié : Pas prêt pour le dépôt." in page.locator("#announcer").inner_text()
        assert page.evaluate("document.activeElement.id") == "dossier-results-title"
        assert_accessible(page, "dossier mode: the result")
        page.locator("#dossier-conditions summary").click()  # folded again: the picture shows the choices and the result
        page.set_viewport_size({"width": 1100, "height": 1500})
        page.locator("#dossier-mode").evaluate("(e) => e.scrollIntoView()")
        screenshot(page, artifacts, "dossier.png", full_page=False)
        page.set_viewport_size({"width": 1100, "height": 900})
        page.locator("#dossier-missing-title + details summary").click()
        page.locator("#dossier-proofs .proof-file details summary").first.click()
        assert_accessible(page, "dossier mode: missing proofs and a JSON report unfolded")
        page.locator("#dossier-proofs .proof-file details summary").first.click()

        # Downloads: the service's Markdown (from the same request), the page's CSV.
        with page.expect_download() as download:
            page.locator("#dossier-md").click()
        assert download.value.suggested_filename.startswith("dossier-bio-") and download.value.suggested_filename.endswith(".md")
        markdown = Path(download.value.path()).read_text(encoding="utf-8")
        assert markdown.startswith("# Vérification du dossier — REM BIO")
        assert f"## Preuves manquantes, par exigence ({s['missing']})" in markdown
        assert f"Preuves non applicables ({s['not_applicable']})" in markdown
        assert "notes.txt" in markdown and "Pas prêt pour le dépôt." in markdown
        for proof in result["proofs"]:
            assert proof["proof"] in markdown
        with page.expect_download() as download:
            page.locator("#dossier-csv").click()
        assert download.value.suggested_filename.endswith(".csv")
        rows = _csv(Path(download.value.path()).read_text(encoding="utf-8"))
        assert list(rows[0]) == ["preuve", "statut", "fichier", "constats", "exigence", "profil", "attendu"]
        filed = [(r["preuve"], r["fichier"], r["statut"]) for r in rows if r["fichier"] and r["preuve"]]
        assert filed == [(p["proof"], f["path"], LABELS[f["status"]]) for p in result["proofs"] for f in p["files"]]
        by_status = [r["statut"] for r in rows]
        assert by_status.count("Manquante") == s["missing"]
        assert by_status.count("Non applicable") == s["not_applicable"]
        assert by_status.count("Selon des conditions à déclarer") == s["undecided"]
        assert [r["fichier"] for r in rows if r["statut"] == "Fichier sans preuve"] == ["dossier-bio/notes.txt"]
        rejected = next(r for r in rows if r["preuve"] == NO_PDFA)
        assert "pdfa" in rejected["constats"] and rejected["statut"] == "Refusée"
        assert not any(cell[:1] in "=+-@" for r in rows for cell in r.values() if cell)  # no formula for a spreadsheet

        # « Problèmes seulement »: the accepted proofs are hidden.
        page.locator("#dossier-problems-only").check()
        for i, proof in enumerate(result["proofs"]):
            assert cards.nth(i).is_visible() == (proof["status"] != "accepted"), proof["proof"]
        assert_accessible(page, "dossier mode: problems only")
        page.set_viewport_size({"width": 1100, "height": 1300})
        page.locator("#dossier-results-title").evaluate("(e) => e.scrollIntoView()")
        screenshot(page, artifacts, "dossier-problems-only.png", full_page=False)

        # A 375 px phone: the long host of the report link (its report unfolded) and the long paths wrap.
        page.locator("#dossier-problems-only").uncheck()
        page.set_viewport_size({"width": 375, "height": 800})
        link = cards.nth([p["proof"] for p in result["proofs"]].index(LINK))
        link.locator(".proof-file details summary").click()
        assert LONG_HOST in link.locator(".proof-file details pre").inner_text()
        assert page.evaluate("document.documentElement.scrollWidth") <= 375
        assert_accessible(page, "dossier mode at 375 px")
        page.set_viewport_size({"width": 1100, "height": 900})

        # Dropped loose files (a drop with no folder entry): checked as the dossier, with the same choices.
        pdf = dossier / "DOC_va1.01.01.01 prescription.pdf"
        with page.expect_response(lambda r: "/v1/dossiers" in r.url) as answer:
            drop(page, "dossier-drop", [(pdf.name, pdf.read_bytes(), "application/pdf"),
                                        ("notes.txt", b"rien\n", "text/plain")])
        again = answer.value.json()
        page.wait_for_function("(n) => document.querySelectorAll('#dossier-proofs > li').length === n",
                               arg=len(again["proofs"]))
        assert [p["proof"] for p in again["proofs"]] == [GOOD_PDFA]
        assert page.locator("#dossier-unmatched > li").all_inner_texts() == ["notes.txt"]
        assert page.locator("#dossier-count-missing").inner_text() == str(again["summary"]["missing"])

        assert watch.outside == []
        assert watch.errors == []
    finally:
        context.close()


@needs_chromium
def test_dossier_mode_says_what_the_service_refused(browser, server, tmp_path):
    """A folder chosen with the keyboard; an unknown condition value (the API's 422) is shown, in French,
    where the dossier is checked."""
    context, page, watch = open_page(browser, server.url)
    try:
        page.locator("#mode-dossier").check()
        page.locator("#dossier-profile-list input").first.wait_for()
        # A value the REM does not know, as a stale page would send it.
        page.evaluate("() => { document.querySelector(\"fieldset[data-condition='wifi'] input[value='oui']\").value = 'peut-etre'; }")
        page.locator("#dossier-conditions summary").click()
        page.locator("fieldset[data-condition='wifi'] input[value='peut-etre']").check()
        _text(tmp_path / "petit-dossier" / "notes.txt", "rien\n")
        # Keyboard: the drop zone is a button that opens the folder picker.
        page.locator("#dossier-drop").focus()
        with page.expect_file_chooser() as chooser:
            page.keyboard.press("Enter")
        assert chooser.value.element.get_attribute("id") == "dossier-input"
        chooser.value.set_files(tmp_path / "petit-dossier")
        error = page.locator("#dossier-error")
        error.wait_for()
        assert "Dossier non vérifié" in error.inner_text() and "peut-etre" in error.inner_text() and "HTTP 422" in error.inner_text()
        assert page.locator("#dossier-results").is_hidden()
        assert "Dossier non vérifié" in page.locator("#alerts").inner_text()
        assert_accessible(page, "dossier mode: a refused request")
        assert watch.outside == []
    finally:
        context.close()
