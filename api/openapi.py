"""The OpenAPI document (``/openapi.json``, ``/docs``): FastAPI's, completed with what it cannot infer.

- the proof types and REMs as enums of the multipart fields (from the rules; the REMs once the
  catalogue is built, after start-up);
- an example of each 200 (and 202) body (:mod:`api.examples`: trimmed from real answers), and of
  ``GET /v1/proof-types`` from the rules themselves;
- the 429 of the per-caller rate limit on every ``/v1/*`` operation, when the limit is on.

Each operation has an explicit ``operationId`` (``validateFile``, ``checkDossier``…), set where the
route is declared: generated clients name their methods after them, so they never change.
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi

from api import examples, problems
from api.problems import Problem
from api.settings import ApiSettings
from validator_core.rules import Rules

# (path, method, status) → the example of that answer's JSON body.
BODY_EXAMPLES: dict[tuple[str, str, str], Any] = {
    ("/v1/validations", "post", "200"): examples.REPORT,
    ("/v1/validations/batch", "post", "200"): examples.BATCH,
    ("/v1/dossiers", "post", "200"): examples.DOSSIER,
    ("/v1/jobs", "post", "202"): examples.JOB_QUEUED,
    ("/v1/jobs/{job_id}", "get", "200"): examples.JOB_DONE,
    ("/v1/jobs/{job_id}", "delete", "200"): examples.JOB_CANCELLED,
}


def build(app: FastAPI, rules: Rules, settings: ApiSettings) -> dict[str, Any]:
    """The document, built once (on the first request for it)."""
    if app.openapi_schema:
        return app.openapi_schema
    schema = get_openapi(title=app.title, version=app.version, description=app.description, routes=app.routes)
    components = schema.setdefault("components", {}).setdefault("schemas", {})
    components["Problem"] = Problem.model_json_schema(ref_template="#/components/schemas/{model}")
    engine = getattr(app.state, "engine", None)
    rems = engine.catalogue().rems if engine is not None else None  # known once started
    paths = schema.get("paths", {})
    for path in ("/v1/validations", "/v1/validations/batch", "/v1/dossiers", "/v1/jobs"):
        operation = paths.get(path, {}).get("post")
        if not operation:
            continue
        props = operation["requestBody"]["content"]["multipart/form-data"]["schema"]["properties"]
        if "proof_type" in props:
            type_schema = props["proof_type"].get("items", props["proof_type"])
            type_schema["enum"] = list(rules.proof_types) + ([""] if path.endswith("batch") else [])
        if rems and "rem" in props:
            props["rem"]["enum"] = rems
    for (path, method, status), example in {**BODY_EXAMPLES,
                                            ("/v1/proof-types", "get", "200"): rules.to_dict()}.items():
        operation = paths.get(path, {}).get(method)
        if operation is not None:
            content = operation["responses"][status]["content"]["application/json"]
            content["example"] = example
    if settings.rate_limit_per_min > 0:
        _document_rate_limit(schema)
    app.openapi_schema = schema
    return schema


def _document_rate_limit(schema: dict[str, Any]) -> None:
    """Every /v1/* operation may answer 429 (api/ratelimit.py); say so where the route did not."""
    (limited,) = problems.responses(429).values()
    limited = {**limited, "description": "Trop de requêtes (limite par appelant, `rate_limit.exceeded`) ou file "
                                         "pleine (`service.saturated`) ; réessayer après `Retry-After` secondes."}
    for path, operations in schema.get("paths", {}).items():
        if not path.startswith("/v1/"):
            continue
        for operation in operations.values():
            responses = operation.setdefault("responses", {})
            responses["429"] = {**limited, **({"content": responses["429"]["content"]} if "429" in responses else {})}
