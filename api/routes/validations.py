"""``POST /v1/validations`` (one file) and ``POST /v1/validations/batch`` (several files).

The body is multipart/form-data, parsed as it arrives (``api/upload.py``), so the request body is
declared in ``openapi_extra`` rather than through FastAPI parameters.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel

from api import language
from api.deps import ApiKeyDep, EngineDep, SettingsDep, SlotDep, UploadDirDep
from api.errors import BadRequest, MissingFile
from api.language import LANG_DEPENDENCY
from api.middleware import add_log_fields
from api.problems import responses
from api.upload import Received
from api.validating import LANG_SCHEMA, REM_SCHEMA, refuse_too_large, validate_uploads, validating_receiver
from validator_core.models import Report
from validator_core.service import check_fields

router = APIRouter(prefix="/v1/validations", tags=["validations"], dependencies=[ApiKeyDep, LANG_DEPENDENCY])

ERRORS = responses(400, 401, 408, 413, 422, 429, 503)


class BatchReport(BaseModel):
    """One report per ``file`` part, in the order of the parts."""

    reports: list[Report]


REQUEST_FIELDS = ("proof_type", "lang", "requirement", "rem")


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
            "lang": LANG_SCHEMA,
        }
    else:
        properties = {"proof_type": type_schema, "requirement": requirement_schema, "rem": REM_SCHEMA,
                      "file": file_schema, "lang": LANG_SCHEMA}
    return {
        "requestBody": {
            "required": True,
            "content": {"multipart/form-data": {"schema": {"type": "object", "required": ["file"],
                                                           "properties": properties,
                                                           "additionalProperties": False}}},
        }
    }


@router.post(
    "",
    operation_id="validateFile",
    summary="Valider un fichier de preuve",
    description="Reçoit un fichier (multipart/form-data : `file`, et facultatifs `proof_type`, `requirement`, `rem`, "
                "`lang`) et renvoie le rapport (200, quel que soit le verdict). Avec `requirement`, le fichier est "
                "jugé pour cette preuve du REM (types admis, PDF/A-1, plein écran…). Un fichier au-delà de la limite "
                "de son type donne 413 `file.too_large` (`limit`, `limit_mo`, et quoi faire), dès le dépassement "
                "quand `proof_type` précède `file`. Un moteur qui n'a pas pu examiner le fichier donne 503 "
                "`engine.unavailable`, jamais un rapport. Langue : `lang`, sinon `?lang=`, sinon `Accept-Language`.",
    response_model=Report,
    responses=ERRORS,
    openapi_extra=upload_body([], batch=False)  # proof type enum filled from the rules: api/main.py,
)
async def create_validation(
    request: Request, engine: EngineDep, settings: SettingsDep, upload_dir: UploadDirDep, slot: SlotDep,
) -> JSONResponse:
    receiver = validating_receiver(engine, settings, upload_dir, body_cap=settings.body_cap(engine.limits().largest),
                                   max_files=1, fields=REQUEST_FIELDS, one_file=True)
    received = await receiver.receive(request)
    try:
        upload = received.single_file()
        proof_type = received.field("proof_type")
        requirement, rem = received.field("requirement"), received.field("rem")
        lang = language.choose(received.field("lang"))
        check_fields(engine, proof_types=[proof_type], rems=[rem], requirements=[requirement])
        with slot.validating():  # a validation place, now that the file is complete
            (validated,) = await validate_uploads(request, engine, [(upload, proof_type, requirement)], lang, rem=rem)
        refuse_too_large(engine, validated)  # over the limit of a type learnt after the file: the same 413
        report = validated.to_dict()
    finally:
        received.cleanup()
    add_log_fields(size=upload.size, proof_type=report["proof_type"], verdict=report["verdict"],
                   requirement=requirement, codes=[f["code"] for f in report["findings"]])
    return JSONResponse(report)


@router.post(
    "/batch",
    operation_id="validateBatch",
    summary="Valider plusieurs fichiers",
    description="Plusieurs parties `file` ; `proof_type` et `requirement` répétés (alignés sur les fichiers, dans "
                "l'ordre) ou donnés une fois pour tous ; `rem` une fois. Chaque fichier est reçu et plafonné comme "
                "un envoi unique. Renvoie un rapport par fichier, dans l'ordre des parties ; un fichier au-delà de la "
                "limite de son type a son rapport `rejected` (`file.too_large`), une partie au-delà du plafond du "
                "service fait le 413 `file.too_large` de toute la requête.",
    response_model=BatchReport,
    responses=ERRORS,
    openapi_extra=upload_body([], batch=True),
)
async def create_batch_validation(
    request: Request, engine: EngineDep, settings: SettingsDep, upload_dir: UploadDirDep, slot: SlotDep,
) -> JSONResponse:
    receiver = validating_receiver(engine, settings, upload_dir,
                                   body_cap=settings.batch_body_cap(engine.limits().largest),
                                   max_files=settings.batch_max_files, fields=REQUEST_FIELDS)
    received = await receiver.receive(request)
    try:
        types = _aligned(received, "proof_type")
        requirements = _aligned(received, "requirement")
        rem = received.field("rem")
        lang = language.choose(received.field("lang"))
        check_fields(engine, proof_types=types, rems=[rem], requirements=requirements)
        files = list(zip(received.files, types, requirements))
        with slot.validating():
            reports = [report.to_dict() for report in await validate_uploads(request, engine, files, lang, rem=rem)]
    finally:
        received.cleanup()
    add_log_fields(files=len(reports), verdicts=[r["verdict"] for r in reports])
    return JSONResponse({"reports": reports})


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
