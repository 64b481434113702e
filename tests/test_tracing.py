"""The trace switch: ``PREUVES_TRACE_PLUGINS=1`` logs every hook call, in the command's process and in its workers."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

from fixtures import formats
from validator_core.hookspecs import HOOK_NAMES

ROOT = Path(__file__).resolve().parents[1]


def test_one_file_checked_against_a_requirement_logs_every_hook(tmp_path):
    """``preuves check`` starts an engine and validates one file with a requirement: every hook is called.

    No proof type is given (the type is inferred), the proof asks for PDF/A-1 (the catalogue is built and
    classified, the requirement checked); the command line loads its plugins at start (commands).
    """
    pdf = formats.make_pdf(tmp_path, name="compte-rendu.pdf")
    env = {k: v for k, v in os.environ.items() if not k.startswith("PREUVES_")}
    env.update(PREUVES_TRACE_PLUGINS="1", PREUVES_LOAD_ENTRYPOINTS="0", PREUVES_WORKERS="1")
    done = subprocess.run(
        [sys.executable, "-m", "validator_core.cli", "check", "--json", "--requirement", "DOC/va1.01.01.01",
         "--rem", "BIO", str(pdf)],
        capture_output=True, text=True, timeout=120, cwd=ROOT, env=env,
    )
    assert done.returncode == 1, done.stderr  # a plain PDF where PDF/A-1 is required: rejected
    called = set(re.findall(r"^hook (preuves_\w+) -> ", done.stderr, flags=re.MULTILINE))
    assert called == set(HOOK_NAMES), f"not traced: {sorted(set(HOOK_NAMES) - called)}"
    assert "hook preuves_inspect -> [pdf_report]" in done.stderr  # traced in the worker


def test_no_trace_without_the_switch(tmp_path):
    pdf = formats.make_pdf(tmp_path)
    env = {k: v for k, v in os.environ.items() if not k.startswith("PREUVES_")}
    env.update(PREUVES_LOAD_ENTRYPOINTS="0", PREUVES_WORKERS="1")
    done = subprocess.run([sys.executable, "-m", "validator_core.cli", "check", str(pdf)],
                          capture_output=True, text=True, timeout=120, cwd=ROOT, env=env)
    assert done.returncode in (0, 1), done.stderr
    assert "hook preuves_" not in done.stderr
