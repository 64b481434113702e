"""docs/http.md against the service itself, so that the operator's guide cannot drift: every route,
every problem code the service can answer, every ``PREUVES_*`` setting of the HTTP service and every
operationId are in it, and the ``make serve HOST=… PORT=…`` it documents is what the Makefile does."""

from __future__ import annotations

import importlib
import pkgutil
import re
from pathlib import Path

import pytest

import api
import api.routes
from api.main import create_app
from api.settings import ApiSettings
from validator_core.errors import PreuvesError
from validator_core.settings import CoreSettings

ROOT = Path(__file__).resolve().parents[1]
HTTP_MD = (ROOT / "docs" / "http.md").read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def document() -> dict:
    return create_app(ApiSettings(load_entrypoints=False, bench_routes=True)).openapi()


def test_every_route_is_in_the_guide(document):
    for path in document["paths"]:
        shown = re.sub(r"\{[^}]+\}", "{id}", path).replace("{id}", "{")  # {job_id} is written {id}
        assert any(line.replace("{id}", "{").find(shown) >= 0 for line in HTTP_MD.splitlines()), path


def test_every_operation_id_is_in_the_guide(document):
    for operations in document["paths"].values():
        for operation in operations.values():
            assert f"`{operation['operationId']}`" in HTTP_MD, operation["operationId"]


def _error_classes(cls: type) -> list[type]:
    return [cls, *(c for sub in cls.__subclasses__() for c in _error_classes(sub))]


def test_every_problem_code_the_service_answers_is_in_the_guide():
    for module in pkgutil.walk_packages(api.__path__, "api."):  # every error class the service defines
        importlib.import_module(module.name)
    codes = {c.code for c in _error_classes(PreuvesError) if c.__module__.startswith(("api.", "validator_core."))}
    codes |= set(re.findall(r'"((?:http|service|request)\.[a-z_]+)"', (ROOT / "api" / "problems.py").read_text()))
    # The base class; a reply nobody is left to read; a manifest or folder error (the CLI's, the service reads neither).
    codes -= {"preuves.error", "request.client_disconnected", "request.bad_dossier"}
    missing = sorted(code for code in codes if f"`{code}`" not in HTTP_MD)
    assert missing == [], f"docs/http.md « Erreurs » does not list: {missing}"


def test_every_service_setting_is_in_the_guide():
    own = set(ApiSettings.__dataclass_fields__) - set(CoreSettings.__dataclass_fields__)
    missing = sorted(f"PREUVES_{name.upper()}" for name in own if f"`PREUVES_{name.upper()}`" not in HTTP_MD)
    assert missing == [], f"docs/http.md « Réglages » does not list: {missing}"


def test_make_serve_passes_host_and_port_as_documented():
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    assert re.search(r"^HOST\s*\?=\s*127\.0\.0\.1$", makefile, re.M) and re.search(r"^PORT\s*\?=\s*8000$", makefile, re.M)
    assert re.search(r"preuves serve --host \$\(HOST\) --port \$\(PORT\)", makefile)
    assert "make serve PORT=8080 HOST=0.0.0.0" in HTTP_MD
