"""What the page's end-to-end tests share (``tests/test_webpage*.py``): the real service in a subprocess,
Debian's ``/usr/bin/chromium`` driven by Playwright (no browser download), a watch on every request the
page makes (it must stay on the service's origin), card and drop helpers, and axe-core.

``axe_violations(page)`` injects the vendored axe-core (``tests/vendor/axe-core``, npm ``axe-core``,
MPL-2.0: offline, no npm at test time) and runs it on the page as it is: the tests call
``assert_accessible(page)`` in every state they reach.
"""

from __future__ import annotations

import base64
import os
import socket
import subprocess
import sys
import time
import urllib.request
from contextlib import contextmanager
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
STATIC = ROOT / "api" / "static"
AXE = ROOT / "tests" / "vendor" / "axe-core" / "axe.min.js"
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]
# Read at import: tests/conftest.py clears PREUVES_* variables around each test.
UPDATE_SCREENSHOT = os.environ.get("PREUVES_UPDATE_SCREENSHOT") == "1"
FINAL_STATES = ("accepted", "accepted_with_warnings", "rejected", "failed")
DOCS_IMG = ROOT / "docs" / "img"

needs_chromium = pytest.mark.skipif(not CHROMIUM.exists(), reason="/usr/bin/chromium absent (apt-get install chromium)")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Server:
    def __init__(self, log_name: str, extra_env: dict[str, str] | None = None) -> None:
        self.port = _free_port()
        self.url = f"http://127.0.0.1:{self.port}/"
        env = dict(os.environ)
        env.pop("PREUVES_API_KEYS", None)  # only the keyed server has keys, whatever the caller's shell says
        env.update({"PREUVES_LOAD_ENTRYPOINTS": "0", "PREUVES_LOG_JSON": "0", **(extra_env or {})})
        (ROOT / "artifacts").mkdir(exist_ok=True)
        self.log = open(ROOT / "artifacts" / log_name, "wb")  # noqa: SIM115
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


@contextmanager
def launch_browser():
    """Playwright's Chromium (``/usr/bin/chromium``), closed on exit."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            yield chromium
        finally:
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


@pytest.fixture(scope="module")
def browser():
    """One headless Chromium per test module (imported by the page's test files)."""
    if not CHROMIUM.exists():
        pytest.skip("/usr/bin/chromium absent (apt-get install chromium)")
    with launch_browser() as chromium:
        yield chromium


def open_page(browser, url: str, *, width: int = 1100, height: int = 900):
    context = browser.new_context(accept_downloads=True, locale="fr-FR", viewport={"width": width, "height": height})
    context.set_default_timeout(60_000)  # the machine may be busy with other test suites
    page = context.new_page()
    watch = PageWatch(page, url)
    # Turn on file chooser interception before the page loads: enabled lazily by expect_file_chooser(),
    # it can miss a chooser opened right after.
    page.on("filechooser", lambda chooser: None)
    page.goto(url)
    page.wait_for_selector("html[data-ready='true']")
    return context, page, watch


def card(page, name: str):
    return page.locator("#results li.card", has=page.locator("h3.file-name", has_text=name))


def wait_final(page, name: str, timeout: float = 60_000) -> str:
    states = ",".join(f"#results li.card[data-state='{s}']" for s in FINAL_STATES)
    page.wait_for_function(
        """([name, states]) => [...document.querySelectorAll(states)]
               .some((c) => c.querySelector('h3.file-name').textContent === name
                            && c.getAttribute('aria-busy') === 'false')""",
        arg=[name, states], timeout=timeout,
    )
    return card(page, name).get_attribute("data-state")


def drop(page, zone_id: str, files: list[tuple[str, bytes, str]]) -> None:
    """A real drag-and-drop on ``#zone_id``: dragenter/dragover/drop carrying a DataTransfer with the files
    (name, bytes, media type)."""
    page.evaluate(
        """({zone, files}) => {
             const dt = new DataTransfer();
             for (const {name, b64, type} of files) {
               dt.items.add(new File([Uint8Array.from(atob(b64), (c) => c.charCodeAt(0))], name, {type}));
             }
             const target = document.getElementById(zone);
             for (const kind of ['dragenter', 'dragover', 'drop']) {
               target.dispatchEvent(new DragEvent(kind, {dataTransfer: dt, bubbles: true, cancelable: true}));
             }
           }""",
        {"zone": zone_id, "files": [{"name": n, "b64": base64.b64encode(b).decode(), "type": t} for n, b, t in files]},
    )


def axe_violations(page) -> list[dict]:
    """axe-core's violations on the page as it is now (WCAG 2.x A/AA and best practices)."""
    if not page.evaluate("() => typeof window.axe === 'object'"):
        # Injected by the test harness (CDP), not by the page: the page's CSP does not apply to it.
        page.evaluate(AXE.read_text(encoding="utf-8"))
    return page.evaluate(
        """async () => (await axe.run(document, {resultTypes: ['violations']})).violations.map((v) => ({
             id: v.id, impact: v.impact, help: v.help,
             nodes: v.nodes.slice(0, 5).map((n) => n.target.join(' ') + ' :: ' + n.failureSummary)}))"""
    )


def assert_accessible(page, state: str) -> None:
    violations = axe_violations(page)
    assert violations == [], f"axe-core, state « {state} »: {violations}"


def screenshot(page, artifacts: Path, name: str, *, full_page: bool = True) -> None:
    """``artifacts/NAME``; with ``PREUVES_UPDATE_SCREENSHOT=1``, also ``docs/img/NAME`` (the docs' pictures)."""
    path = artifacts / name
    page.screenshot(path=str(path), full_page=full_page)
    if UPDATE_SCREENSHOT:
        (DOCS_IMG / name).write_bytes(path.read_bytes())
