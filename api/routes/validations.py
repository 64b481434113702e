"""``POST /v1/validations`` (one file) and ``POST /v1/validations/batch`` (several files).

The body is multipart/form-data, parsed as it arrives (``api/upload.py``), so the request body is
declared in ``openapi_extra`` rather than through FastAPI parameters.
"""

from __future__ import annotations

import time
from functools import partial
from typing import Any, Callable

import anyio
from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel

from api import metrics
from api.deps import ApiKeyDep, EngineDep, SettingsDep, SlotDep, UploadDirDep
from api.errors import BadRequest, MissingFile
from api.middleware import add_log_fields
from api.problems import responses
from api.upload import MultipartReceiver, Received, ReceivedFile
from validator_core.engine import Engine
from validator_core.errors import UnsupportedLanguage
from validator_core.messages import LANGS
from validator_core.models import Report

router = APIRouter(prefix="/v1/validations", tags=["validations"], dependencies=[ApiKeyDep])

ERRORS = responses(401, 413, 422, 429, 503)


class BatchReport(BaseModel):
    """One report per ``file`` part, in the order of the parts."""

    reports: list[Report]


def upload_body(proof_types: list[str], *, batch: bool) -> dict[str, Any]:
    """The OpenAPI request body (multipart/form-data) of the two routes."""
    type_schema: dict[str, Any] = {
        "type": "string", "enum": proof_types + ([""] if batch else []),
        "description": "Type de preuve (GET /v1/proof-types) ; absent : déduit du contenu. "
                       "Envoyez-le avant `file` pour que la limite du type s'applique dès la réception.",
    }
    file_schema = {"type": "string", "format": "binary", "description": "Le fichier de preuve"}
    lang_schema = {"type": "string", "enum": list(LANGS), "default": "fr", "description": "Langue des messages"}
    if batch:
        properties = {
            "proof_type": {"type": "array", "items": type_schema,
                           "description": "0 valeur : types déduits ; 1 valeur : pour tous les fichiers ; "
                                          "autant que de fichiers : le n-ième pour le n-ième fichier "
                                          "(valeur vide : déduit)."},
            "file": {"type": "array", "items": file_schema, "minItems": 1},
            "lang": lang_schema,
        }
    else:
        properties = {"proof_type": type_schema, "file": file_schema, "lang": lang_schema}
    return {
        "requestBody": {
            "required": True,
            "content": {"multipart/form-data": {"schema": {"type": "object", "required": ["file"],
                                                           "properties": properties,
                                                           "additionalProperties": False}}},
        }
    }


def storage_limit(engine: Engine) -> Callable[[int, dict[str, list[str]]], int]:
    """Bytes to store for the n-th file part: its type's limit when already received, else the largest."""
    largest = max(rule.max_bytes for rule in engine.rules.proof_types.values())

    def limit(index: int, fields: dict[str, list[str]]) -> int:
        types = fields.get("proof_type", [])
        type_id = types[index] if index < len(types) else None
        if type_id in engine.rules.proof_types:
            return engine.rules.proof_type(type_id).max_bytes
        return largest

    return limit


def largest_limit(engine: Engine) -> int:
    return max(rule.max_bytes for rule in engine.rules.proof_types.values())


def check_lang(lang: str | None) -> str:
    lang = lang or "fr"
    if lang not in LANGS:
        raise UnsupportedLanguage(lang, LANGS)
    return lang


async def validate_received(request: Request, engine: Engine, received: ReceivedFile, proof_type: str | None,
                            lang: str) -> dict[str, Any]:
    """Run the (blocking) engine in a thread: the event loop keeps serving other requests."""
    started = time.perf_counter()
    report = await anyio.to_thread.run_sync(
        partial(engine.validate, received.path, proof_type, filename=received.filename, lang=lang,
                sha256=received.sha256, observed_size=received.observed_size),
        limiter=request.app.state.validate_limiter,
    )
    body = report.to_dict()
    metrics.RECEIVED_BYTES.inc(received.size)
    metrics.FILE_SIZE.observe(received.size)
    metrics.observe_report(body, time.perf_counter() - started)
    return body


@router.post(
    "",
    summary="Valider un fichier de preuve",
    description="Reçoit un fichier (multipart/form-data : `file`, `proof_type` facultatif, `lang` facultatif) et "
                "renvoie le rapport (200, quel que soit le verdict). Un fichier au-delà de la limite de son type "
                "donne un rapport `rejected` avec `file.too_large` ; un corps au-delà du plafond du service, 413.",
    response_model=Report,
    responses=ERRORS,
    openapi_extra=upload_body([], batch=False)  # proof type enum filled from the rules: api/main.py,
)
async def create_validation(
    request: Request, engine: EngineDep, settings: SettingsDep, upload_dir: UploadDirDep, _slot: SlotDep,
) -> JSONResponse:
    largest = largest_limit(engine)
    receiver = MultipartReceiver(
        upload_dir, storage_limit=storage_limit(engine), body_cap=settings.body_cap(largest),
        file_cap=settings.body_cap(largest), drain_bytes=settings.drain_bytes, max_files=1,
    )
    received = await receiver.receive(request)
    try:
        upload = received.single_file()
        proof_type = received.field("proof_type")
        lang = check_lang(received.field("lang"))
        engine.check_proof_type(proof_type)
        report = await validate_received(request, engine, upload, proof_type, lang)
    finally:
        received.cleanup()
    add_log_fields(size=upload.size, proof_type=report["proof_type"], verdict=report["verdict"],
                   codes=[f["code"] for f in report["findings"]])
    return JSONResponse(report)


@router.post(
    "/batch",
    summary="Valider plusieurs fichiers",
    description="Plusieurs parties `file` ; `proof_type` répété (aligné sur les fichiers, dans l'ordre) ou donné "
                "une fois pour tous. Chaque fichier est reçu et plafonné comme un envoi unique. Renvoie un rapport "
                "par fichier, dans l'ordre des parties.",
    response_model=BatchReport,
    responses=ERRORS,
    openapi_extra=upload_body([], batch=True),
)
async def create_batch_validation(
    request: Request, engine: EngineDep, settings: SettingsDep, upload_dir: UploadDirDep, _slot: SlotDep,
) -> JSONResponse:
    largest = largest_limit(engine)
    receiver = MultipartReceiver(
        upload_dir, storage_limit=storage_limit(engine), body_cap=settings.batch_body_cap(largest),
        file_cap=settings.body_cap(largest), drain_bytes=settings.drain_bytes, max_files=settings.batch_max_files,
    )
    received = await receiver.receive(request)
    try:
        types = _batch_types(received)
        lang = check_lang(received.field("lang"))
        for type_id in types:
            engine.check_proof_type(type_id)
        reports: list[dict[str, Any]] = [{} for _ in received.files]

        async def one(i: int, upload: ReceivedFile, type_id: str | None) -> None:
            reports[i] = await validate_received(request, engine, upload, type_id, lang)

        # A batch uses at most as many engine workers at once as there are: other requests keep theirs.
        limiter = anyio.CapacityLimiter(max(1, engine.pool.workers))

        async def bounded(i: int, upload: ReceivedFile, type_id: str | None) -> None:
            async with limiter:
                await one(i, upload, type_id)

        async with anyio.create_task_group() as group:
            for i, (upload, type_id) in enumerate(zip(received.files, types)):
                group.start_soon(bounded, i, upload, type_id)
    finally:
        received.cleanup()
    add_log_fields(files=len(reports), verdicts=[r["verdict"] for r in reports])
    return JSONResponse({"reports": reports})


def _batch_types(received: Received) -> list[str | None]:
    if not received.files:
        raise MissingFile()
    given = [t or None for t in received.fields.get("proof_type", [])]
    n = len(received.files)
    if not given:
        return [None] * n
    if len(given) == 1:
        return given * n
    if len(given) == n:
        return given
    raise BadRequest(
        f"{len(given)} champs « proof_type » pour {n} fichiers : donnez-en un seul (pour tous) ou un par fichier.",
        f"{len(given)} “proof_type” fields for {n} files: give one (for all) or one per file.",
        proof_types=len(given), files=n,
    )
