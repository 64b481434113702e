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

from api import metrics_collector as metrics
from api.deps import ApiKeyDep, EngineDep, SettingsDep, SlotDep, UploadDirDep
from api.errors import BadRequest, MissingFile
from api.middleware import add_log_fields
from api.problems import responses
from api.settings import ApiSettings
from api.upload import MultipartReceiver, Received, ReceivedFile, UploadDir, UploadPace
from validator_core.engine import Engine
from validator_core.errors import EngineUnavailable, PreuvesError, UnknownRem, UnsupportedLanguage
from validator_core.messages import LANGS
from validator_core.models import Report

router = APIRouter(prefix="/v1/validations", tags=["validations"], dependencies=[ApiKeyDep])

ERRORS = responses(400, 401, 408, 413, 422, 429, 503)


class BatchReport(BaseModel):
    """One report per ``file`` part, in the order of the parts."""

    reports: list[Report]


REQUEST_FIELDS = ("proof_type", "lang", "requirement", "rem")

REM_SCHEMA: dict[str, Any] = {
    "type": "string", "maxLength": 20,
    "description": "Le REM de la preuve (BIO, RIS, LGC, DPI, PFI, DB ; GET /v1/requirements). Sans `requirement` : "
                   "seulement vérifié. Absent : le premier REM qui contient la preuve.",
}


def upload_body(proof_types: list[str], *, batch: bool) -> dict[str, Any]:
    """The OpenAPI request body (multipart/form-data) of the two routes."""
    type_schema: dict[str, Any] = {
        "type": "string", "enum": proof_types + ([""] if batch else []),
        "description": "Type de preuve (GET /v1/proof-types) ; absent : déduit du contenu, ou de `requirement`. "
                       "Envoyez-le avant `file` pour que la limite du type s'applique dès la réception.",
    }
    requirement_schema: dict[str, Any] = {
        "type": "string", "maxLength": 200,
        "description": "La preuve du REM à laquelle répond le fichier (`DOC/va1.01.01.01` ; GET /v1/requirements). "
                       "Sans `proof_type`, le type vient de la preuve ; un type qu'elle n'admet pas est une erreur "
                       "(`requirement.type_not_admitted`) et ses attendus (PDF/A-1, plein écran…) sont vérifiés. "
                       "Inconnue : 422 `request.unknown_requirement` avec `candidates`, dès sa réception si elle "
                       "précède `file`.",
    }
    file_schema = {"type": "string", "format": "binary", "description": "Le fichier de preuve"}
    lang_schema = {"type": "string", "enum": list(LANGS), "default": "fr", "description": "Langue des messages"}
    if batch:
        properties = {
            "proof_type": {"type": "array", "items": type_schema,
                           "description": "0 valeur : types déduits ; 1 valeur : pour tous les fichiers ; "
                                          "autant que de fichiers : le n-ième pour le n-ième fichier "
                                          "(valeur vide : déduit)."},
            "requirement": {"type": "array", "items": {**requirement_schema, "description": "Preuve du REM"},
                            "description": "Comme `proof_type` : 0 valeur, 1 pour tous, ou une par fichier "
                                           "(valeur vide : aucune). " + requirement_schema["description"]},
            "rem": REM_SCHEMA,
            "file": {"type": "array", "items": file_schema, "minItems": 1},
            "lang": lang_schema,
        }
    else:
        properties = {"proof_type": type_schema, "requirement": requirement_schema, "rem": REM_SCHEMA,
                      "file": file_schema, "lang": lang_schema}
    return {
        "requestBody": {
            "required": True,
            "content": {"multipart/form-data": {"schema": {"type": "object", "required": ["file"],
                                                           "properties": properties,
                                                           "additionalProperties": False}}},
        }
    }


class EarlyRequestError(BadRequest):
    """A bad field seen before a file part (unknown type, requirement, REM): answered before the file
    is read, with the same code and details as when it is found after the body."""

    def __init__(self, exc: PreuvesError) -> None:
        super().__init__(exc.message, exc.message_en, **exc.details)
        self.code = exc.code


def check_fields(engine: Engine, fields: dict[str, list[str]]) -> None:
    """Raise for an unknown proof type, REM or requirement among the fields (empty values skipped).

    Cheap (dict lookups; the catalogue is built at start-up), so it runs on the event loop.
    """
    for type_id in fields.get("proof_type", []):
        engine.check_proof_type(type_id or None)
    rems = [r for r in fields.get("rem", []) if r]
    rem = rems[0] if len(rems) == 1 else None  # a repeated field is reported after the body
    if rem:
        check_rem(engine, rem)
    for requirement in fields.get("requirement", []):
        if requirement:
            engine.requirement(requirement, rem)


def check_rem(engine: Engine, rem: str) -> None:
    rems = engine.registry.catalogue().rems
    if rem.upper() not in {r.upper() for r in rems}:
        raise UnknownRem(rem, rems)


def storage_limit(engine: Engine, *, check: bool = True) -> Callable[[int, dict[str, list[str]]], int]:
    """Bytes to store for the n-th file part: its type's limit when already received, else the largest.

    Called as each file part begins, with the fields received so far: with ``check``, a bad
    ``proof_type`` / ``requirement`` / ``rem`` sent before the file ends the request there (422).
    """
    largest = largest_limit(engine)

    def limit(index: int, fields: dict[str, list[str]]) -> int:
        if check:
            try:
                check_fields(engine, fields)
            except PreuvesError as exc:
                raise EarlyRequestError(exc) from None
        types = fields.get("proof_type", [])
        type_id = types[index] if index < len(types) else None
        if type_id in engine.rules.proof_types:
            return engine.rules.proof_type(type_id).max_bytes
        return largest

    return limit


def largest_limit(engine: Engine) -> int:
    return max(rule.max_bytes for rule in engine.rules.proof_types.values())


def upload_receiver(engine: Engine, settings: ApiSettings, upload_dir: UploadDir, *, body_cap: int, max_files: int,
                    fields: tuple[str, ...]) -> MultipartReceiver:
    """The receiver of a validating route: each file capped like a single upload (the service cap) and
    stored up to its type's limit; the whole body capped at ``body_cap``."""
    return MultipartReceiver(
        upload_dir, storage_limit=storage_limit(engine), body_cap=body_cap,
        file_cap=settings.body_cap(largest_limit(engine)), drain_bytes=settings.drain_bytes,
        max_files=max_files, fields=fields, pace=partial(upload_pace, settings),
    )


def upload_pace(settings: ApiSettings) -> UploadPace:
    return UploadPace(idle_s=settings.body_idle_timeout_s, min_rate=settings.min_upload_rate_bytes,
                      window_s=settings.upload_rate_window_s)


def check_lang(lang: str | None) -> str:
    lang = lang or "fr"
    if lang not in LANGS:
        raise UnsupportedLanguage(lang, LANGS)
    return lang


async def validate_received(request: Request, engine: Engine, received: ReceivedFile, proof_type: str | None,
                            lang: str, *, requirement: str | None = None, rem: str | None = None) -> dict[str, Any]:
    """Run the (blocking) engine in a thread: the event loop keeps serving other requests."""
    report = await validate_to_report(request, engine, received, proof_type, lang, requirement=requirement, rem=rem)
    return report.to_dict()


async def validate_to_report(request: Request, engine: Engine, received: ReceivedFile, proof_type: str | None,
                             lang: str, *, requirement: str | None = None, rem: str | None = None) -> Report:
    started = time.perf_counter()
    report = await anyio.to_thread.run_sync(
        partial(engine.validate, received.path, proof_type, filename=received.filename, lang=lang,
                sha256=received.sha256, observed_size=received.observed_size, requirement=requirement, rem=rem),
        limiter=request.app.state.validate_limiter,
    )
    metrics.RECEIVED_BYTES.inc(received.size)
    metrics.FILE_SIZE.observe(received.size)
    metrics.observe_report(report.to_dict(), time.perf_counter() - started)
    return report


async def validate_many(request: Request, engine: Engine, jobs: list[tuple[ReceivedFile, str | None, str | None]],
                        lang: str, *, rem: str | None = None) -> list[Report]:
    """Validate several received files ``(file, proof type, requirement)``, reports in the same order.

    At most as many at once as the engine has workers: one batch or dossier never takes every worker
    from the other requests.
    """
    reports: list[Report | None] = [None] * len(jobs)
    limiter = anyio.CapacityLimiter(max(1, engine.pool.workers))

    async def one(i: int, upload: ReceivedFile, type_id: str | None, requirement: str | None) -> None:
        async with limiter:
            reports[i] = await validate_to_report(request, engine, upload, type_id, lang, requirement=requirement,
                                                  rem=rem)

    try:
        async with anyio.create_task_group() as group:
            for i, (upload, type_id, requirement) in enumerate(jobs):
                group.start_soon(one, i, upload, type_id, requirement)
    except BaseExceptionGroup as group_error:
        # One file's error is the request's: an engine that could not examine a file is a 503 for the
        # whole batch (never a partial result), any other domain error its own status.
        raise _first_error(group_error) from None
    return [report for report in reports if report is not None]


def _first_error(group_error: BaseExceptionGroup) -> BaseException:
    leaves: list[BaseException] = []

    def walk(error: BaseException) -> None:
        if isinstance(error, BaseExceptionGroup):
            for inner in error.exceptions:
                walk(inner)
        else:
            leaves.append(error)

    walk(group_error)
    for wanted in (EngineUnavailable, PreuvesError):
        found = next((e for e in leaves if isinstance(e, wanted)), None)
        if found is not None:
            return found
    return leaves[0] if len(leaves) == 1 else group_error


@router.post(
    "",
    summary="Valider un fichier de preuve",
    description="Reçoit un fichier (multipart/form-data : `file`, et facultatifs `proof_type`, `requirement`, `rem`, "
                "`lang`) et renvoie le rapport (200, quel que soit le verdict). Avec `requirement`, le fichier est "
                "jugé pour cette preuve du REM (types admis, PDF/A-1, plein écran…). Un fichier au-delà de la limite "
                "de son type donne un rapport `rejected` avec `file.too_large` ; un corps au-delà du plafond du "
                "service, 413. Un moteur qui n'a pas pu examiner le fichier donne 503 `engine.unavailable`, jamais "
                "un rapport.",
    response_model=Report,
    responses=ERRORS,
    openapi_extra=upload_body([], batch=False)  # proof type enum filled from the rules: api/main.py,
)
async def create_validation(
    request: Request, engine: EngineDep, settings: SettingsDep, upload_dir: UploadDirDep, slot: SlotDep,
) -> JSONResponse:
    receiver = upload_receiver(engine, settings, upload_dir, body_cap=settings.body_cap(largest_limit(engine)),
                               max_files=1, fields=REQUEST_FIELDS)
    received = await receiver.receive(request)
    try:
        upload = received.single_file()
        proof_type = received.field("proof_type")
        requirement, rem = received.field("requirement"), received.field("rem")
        lang = check_lang(received.field("lang"))
        check_fields(engine, {"proof_type": [proof_type or ""], "requirement": [requirement or ""], "rem": [rem or ""]})
        with slot.validating():  # a validation place, now that the file is complete
            report = await validate_received(request, engine, upload, proof_type, lang, requirement=requirement,
                                             rem=rem)
    finally:
        received.cleanup()
    add_log_fields(size=upload.size, proof_type=report["proof_type"], verdict=report["verdict"],
                   requirement=requirement, codes=[f["code"] for f in report["findings"]])
    return JSONResponse(report)


@router.post(
    "/batch",
    summary="Valider plusieurs fichiers",
    description="Plusieurs parties `file` ; `proof_type` et `requirement` répétés (alignés sur les fichiers, dans "
                "l'ordre) ou donnés une fois pour tous ; `rem` une fois. Chaque fichier est reçu et plafonné comme "
                "un envoi unique. Renvoie un rapport par fichier, dans l'ordre des parties.",
    response_model=BatchReport,
    responses=ERRORS,
    openapi_extra=upload_body([], batch=True),
)
async def create_batch_validation(
    request: Request, engine: EngineDep, settings: SettingsDep, upload_dir: UploadDirDep, slot: SlotDep,
) -> JSONResponse:
    receiver = upload_receiver(engine, settings, upload_dir, body_cap=settings.batch_body_cap(largest_limit(engine)),
                               max_files=settings.batch_max_files, fields=REQUEST_FIELDS)
    received = await receiver.receive(request)
    try:
        types = _batch_types(received)
        requirements = _aligned(received, "requirement")
        rem = received.field("rem")
        lang = check_lang(received.field("lang"))
        check_fields(engine, {"proof_type": [t or "" for t in types], "rem": [rem or ""],
                              "requirement": [r or "" for r in requirements]})
        jobs = [(upload, type_id, requirement)
                for upload, type_id, requirement in zip(received.files, types, requirements)]
        with slot.validating():
            reports = [report.to_dict() for report in await validate_many(request, engine, jobs, lang, rem=rem)]
    finally:
        received.cleanup()
    add_log_fields(files=len(reports), verdicts=[r["verdict"] for r in reports])
    return JSONResponse({"reports": reports})


def _batch_types(received: Received) -> list[str | None]:
    return _aligned(received, "proof_type")


def _aligned(received: Received, name: str) -> list[str | None]:
    """A field given 0 times (None for every file), once (for all) or once per file (in order)."""
    if not received.files:
        raise MissingFile()
    given = [t or None for t in received.fields.get(name, [])]
    n = len(received.files)
    if not given:
        return [None] * n
    if len(given) == 1:
        return given * n
    if len(given) == n:
        return given
    counts = {"proof_type": "proof_types"}  # the detail key clients already read for proof_type
    raise BadRequest(
        f"{len(given)} champs « {name} » pour {n} fichiers : donnez-en un seul (pour tous) ou un par fichier.",
        f"{len(given)} “{name}” fields for {n} files: give one (for all) or one per file.",
        **{counts.get(name, name + "s"): len(given)}, files=n, field=name,
    )
