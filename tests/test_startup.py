"""A cold ``preuves check`` imports only what checking needs (issue 12: start-up).

Timing is measured in ``bench/startup.py``; here, what a one-shot check must never load: pydantic
(the models, settings and rules are checked dataclasses; pydantic serves the JSON Schema and the HTTP
service only) and the HTTP service itself (its plugin ``api.commands`` only adds ``serve``).
"""

from __future__ import annotations

import os
import subprocess
import sys

from fixtures import formats

NEVER_ON_CHECK = ("pydantic", "pydantic_core", "pydantic_settings", "fastapi", "starlette", "uvicorn")

PROBE = """
import sys
from validator_core.cli import main
try:
    main(["check", "--json", sys.argv[1]])
except SystemExit as exc:
    code = exc.code
print("LOADED", code, " ".join(sorted(sys.modules)))
"""


def test_a_cold_check_loads_neither_pydantic_nor_the_http_service(tmp_path):
    png = formats.make_image(tmp_path, "PNG", size=(1280, 720))
    env = {k: v for k, v in os.environ.items() if not k.startswith("PREUVES_")}
    done = subprocess.run([sys.executable, "-c", PROBE, str(png)], capture_output=True, text=True, env=env,
                          timeout=120)
    line = next(line for line in done.stdout.splitlines() if line.startswith("LOADED"))
    _, code, *loaded = line.split()
    assert code == "0", done.stderr
    assert "validator_core.engine" in loaded and "plugins.screenshot" in loaded  # it did check the file
    assert not {name for name in loaded if name.split(".")[0] in NEVER_ON_CHECK}
    assert {name for name in loaded if name.split(".")[0] == "api"} <= {"api", "api.commands"}
