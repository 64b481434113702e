"""``/v1/jobs``: a dossier checked after the answer — ``POST`` stages the files and answers 202 with
the job's address, ``GET`` gives its status, progress and (once done) the result of ``POST
/v1/dossiers``, ``DELETE`` cancels it.

The form is the one of ``/v1/dossiers`` (``rem``, ``profiles``, ``lang``, files named by their
proof), plus ``callback_url``; or a JSON body naming objects of S3-compatible storage (``{"rem",
"profiles", "files": [{"proof", "url": "s3://bucket/key"}]}``), read by the runner — no other URL
scheme. Jobs, their queue and their callbacks are :mod:`api.jobs`'s.
"""

from __future__ import annotations

import hashlib
import json
from functools import partial
from typing import Annotated, Any

import anyio
from fastapi import APIRouter, Header, Path as PathParam, Request
from fastapi.responses import JSONResponse

from api import language
from api.deps import ApiKeyDep, EngineDep, SettingsDep, SlotDep, UploadDirDep
from api.errors import ApiError, BadRequest, BodyTooLarge, MissingFile
from api.jobs.callbacks import check_callback_url
from api.jobs.service import JobService
from api.jobs.storage import UrlRefused, check_object_url
from api.jobs.store import IdempotencyConflict, Job, new_id
from api.middleware import add_log_fields
from api.problems import responses
from api.validating import LANG_SCHEMA, REM_SCHEMA, display_name, validating_receiver
from api.settings import ApiSettings
from validator_core.engine import Engine
from validator_core.dossier import parse_conditions
from validator_core.service import resolve_conditions, resolve_profiles, resolve_rem

router = APIRouter(prefix="/v1/jobs", tags=["jobs"], dependencies=[ApiKeyDep, language.LANG_DEPENDENCY])

JOB_FIELDS = ("rem", "profiles", "conditions", "lang", "callback_url")
MAX_JSON_BYTES = 1_000_000  # a JSON job names its files: 250 URLs fit many times over
JOB_ID = PathParam(pattern="^[0-9a-f]{32}$", description="L'identifiant du travail")


class JobNotFound(ApiError):
    status = 404
    code = "job.not_found"

    def __init__(self, job_id: str) -> None:
        super().__init__(f"Travail inconnu ou expiré : {job_id}. Un résultat est gardé un temps limité après la fin du "
                         "travail : déposez de nouveau le dossier.",
                         f"Unknown or expired job: {job_id}. A result is kept for a limited time after the job ends: "
                         "submit the dossier again.", job_id=job_id)


class UrlSchemeRefused(ApiError):
    status = 422
    code = "job.url_refused"

    def __init__(self, field: str, scheme: str) -> None:
        super().__init__(
            f"{field} : seules les URL s3://compartiment/clé sont lues (pas « {scheme}:// ») ; un fichier ailleurs "
            "s'envoie en multipart.",
            f"{field}: only s3://bucket/key URLs are read (not “{scheme}://”); send a file held elsewhere as multipart.",
            field=field, scheme=scheme)


class IdempotencyKeyReused(ApiError):
    status = 422
    code = "job.idempotency_key_reused"

    def __init__(self, job_id: str) -> None:
        super().__init__("Cette Idempotency-Key a déjà servi pour une autre requête (autres champs ou fichiers) : "
                         "donnez une nouvelle clé à chaque nouvelle requête.",
                         "This Idempotency-Key was already used for another request (other fields or files): give "
                         "each new request a new key.",
                         job_id=job_id)


def _jobs(request: Request) -> JobService:
    return request.app.state.jobs


JOB_SCHEMA: dict[str, Any] = {
    "type": "object", "required": ["id", "status", "progress", "result"],
    "properties": {
        "id": {"type": "string"},
        "status": {"type": "string", "enum": ["queued", "running", "done", "failed", "cancelled"]},
        "progress": {"type": "object", "properties": {"done": {"type": "integer"}, "total": {"type": "integer"}}},
        "result": {"type": ["object", "null"], "description": "Le résultat de POST /v1/dossiers, une fois terminé"},
    },
}


def job_body() -> dict[str, Any]:
    return {"requestBody": {"required": True, "content": {"multipart/form-data": {"schema": {
        "type": "object", "required": ["rem", "file"], "additionalProperties": False,
        "properties": {
            "rem": REM_SCHEMA | {"description": "Le REM du dossier (BIO, RIS, LGC, DPI, PFI, DB)"},
            "profiles": {"type": "array", "items": {"type": "string", "maxLength": 200},
                         "description": "Profils en plus de « Général » (répété, ou séparés par des virgules)"},
            "file": {"type": "array", "minItems": 1, "items": {"type": "string", "format": "binary"},
                     "description": "Les fichiers, nommés par l'identifiant de leur preuve (comme POST /v1/dossiers)"},
            "lang": LANG_SCHEMA,
            "callback_url": {"type": "string", "maxLength": 2000,
                             "description": "URL appelée (POST signé) à la fin du travail ; hôte dans PREUVES_CALLBACK_HOSTS"},
        },
    }},
        "application/json": {"schema": {
            "type": "object", "required": ["rem", "files"], "additionalProperties": False,
            "properties": {
                "rem": REM_SCHEMA | {"description": "Le REM du dossier (BIO, RIS, LGC, DPI, PFI, DB)"},
                "profiles": {"type": "array", "items": {"type": "string", "maxLength": 200}},
                "lang": LANG_SCHEMA,
                "callback_url": {"type": "string", "maxLength": 2000},
                "files": {"type": "array", "minItems": 1, "items": {
                    "type": "object", "required": ["proof", "url"], "additionalProperties": False,
                    "properties": {"proof": {"type": "string", "maxLength": 200, "description": "L'identifiant de la preuve"},
                                   "url": {"type": "string", "pattern": "^s3://", "maxLength": 2000,
                                           "description": "L'objet à lire : s3://compartiment/clé (aucun autre schéma)"}},
                }},
            },
        }},
    }}}


@router.post(
    "", status_code=202, operation_id="createJob", summary="Déposer un dossier à vérifier en arrière-plan",
    description="Reçoit un dossier comme `POST /v1/dossiers` et répond 202 tout de suite, avec `Location: "
                "/v1/jobs/{id}`. `Idempotency-Key` : la même clé et la même requête donnent le même travail.",
    responses={**responses(400, 401, 408, 413, 422, 429, 503),
               202: {"description": "Travail accepté", "content": {"application/json": {"schema": JOB_SCHEMA}}}},
    openapi_extra=job_body(),
)
async def create_job(
    request: Request, engine: EngineDep, settings: SettingsDep, upload_dir: UploadDirDep, slot: SlotDep,
    idempotency_key: Annotated[str | None, Header(max_length=200, description="Clé d'idempotence du client")] = None,
) -> JSONResponse:
    jobs = _jobs(request)
    await anyio.to_thread.run_sync(jobs.check_accepting)  # broker down: 503 before the body is read
    job_id = new_id()
    if request.headers.get("content-type", "").split(";")[0].strip().lower() == "application/json":
        job_request = _object_job(engine, settings, await _json_body(request))
    else:
        receiver = validating_receiver(engine, settings, upload_dir, body_cap=settings.jobs_body_cap(engine.limits().largest),
                                       max_files=settings.jobs_max_files, fields=JOB_FIELDS)
        received = await receiver.receive(request)
        try:
            if not received.files:
                raise MissingFile()
            files = [{"index": upload.index, "name": display_name(upload), "filename": upload.filename,
                      "sha256": upload.sha256, "size": upload.size, "observed_size": upload.observed_size}
                     for upload in received.files]
            job_request = _job_request(engine, settings, rem=received.field("rem"), lang=received.field("lang"),
                                       profiles=received.fields.get("profiles", []),
                                       conditions=parse_conditions(received.fields.get("conditions", [])),
                                       callback_url=received.field("callback_url"), files=files)
            for upload in received.files:  # a rename, or a copy when the storage is on another filesystem
                await anyio.to_thread.run_sync(jobs.stage, job_id, upload.index, upload.path)
        finally:
            received.cleanup()
    try:
        job, created = await anyio.to_thread.run_sync(partial(
            jobs.submit, job_id, job_request, total=len(job_request["files"]), caller=slot.caller,
            body_digest=_digest(job_request), idempotency_key=idempotency_key))
    except IdempotencyConflict as exc:
        raise IdempotencyKeyReused(str(exc)) from None
    add_log_fields(job=job.id, files=len(job_request["files"]), rem=job_request["rem"], new_job=created)
    return _job_response(job, 202, location=True)


def _job_request(engine: Engine, settings: ApiSettings, *, rem: str | None, lang: str | None, profiles: list[str],
                 callback_url: str | None, files: list[dict[str, Any]],
                 conditions: dict[str, list[str]] | None = None) -> dict[str, Any]:
    """The job as stored: its fields checked (an unknown REM or profile, a refused callback: 422 now).
    Its language is the ``lang`` field, else the request's (``?lang=``, ``Accept-Language``)."""
    lang = language.choose(lang)
    if not rem:
        raise BadRequest("Le champ « rem » (le REM du dossier : BIO, RIS, LGC, DPI, PFI, DB) est obligatoire.",
                         "The “rem” field (the dossier's REM: BIO, RIS, LGC, DPI, PFI, DB) is required.", field="rem")
    rem = resolve_rem(engine, rem)
    profiles = resolve_profiles(engine, rem, profiles)
    conditions = resolve_conditions(engine, rem, conditions or {})  # as /v1/dossiers: unknown → 422
    if callback_url:
        check_callback_url(callback_url, settings)
    return {"rem": rem, "profiles": profiles, "conditions": conditions, "lang": lang,
            "callback_url": callback_url or None, "files": files}


async def _json_body(request: Request) -> Any:
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > MAX_JSON_BYTES:
            raise BodyTooLarge(MAX_JSON_BYTES, close=True)
    try:
        return json.loads(body)
    except ValueError:
        raise BadRequest("Corps JSON invalide : vérifiez sa syntaxe (guillemets, virgules).",
                         "Invalid JSON body: check its syntax (quotes, commas).") from None


def _object_job(engine: Engine, settings: ApiSettings, body: Any) -> dict[str, Any]:
    """A JSON job: ``{"rem", "profiles", "lang", "callback_url", "files": [{"proof", "url": "s3://…"}]}``."""
    if not isinstance(body, dict) or not isinstance(body.get("files"), list) or not body["files"]:
        raise BadRequest("Le corps JSON doit être un objet avec « files » : [{\"proof\", \"url\"}, …].",
                         "The JSON body must be an object with “files”: [{\"proof\", \"url\"}, …].", field="files")
    if len(body["files"]) > settings.jobs_max_files:
        raise BadRequest(f"Au plus {settings.jobs_max_files} fichiers par travail.",
                         f"At most {settings.jobs_max_files} files per job.", field="files")
    profiles = body.get("profiles") or []
    profiles = [profiles] if isinstance(profiles, str) else profiles
    if not isinstance(profiles, list) or not all(isinstance(p, str) for p in profiles):
        raise BadRequest("« profiles » : une liste de noms de profils.", "“profiles”: a list of profile names.",
                         field="profiles")
    conditions = body.get("conditions") or []
    if not isinstance(conditions, list) or not all(isinstance(c, str) for c in conditions):
        raise BadRequest("« conditions » : une liste de « id » ou « id=valeur » (comme le champ de /v1/dossiers).",
                         "“conditions”: a list of “id” or “id=value” (like /v1/dossiers' field).", field="conditions")
    files = []
    for index, item in enumerate(body["files"]):
        field = f"files[{index}]"
        if not isinstance(item, dict) or not isinstance(item.get("proof"), str) or not isinstance(item.get("url"), str):
            raise BadRequest(f"{field} : un objet {{\"proof\", \"url\"}}.", f"{field}: a {{\"proof\", \"url\"}} object.",
                             field=field)
        try:
            _bucket, key = check_object_url(item["url"])
        except UrlRefused as exc:
            raise UrlSchemeRefused(f"{field}.url", str(exc)) from None
        basename = key.rsplit("/", 1)[-1]
        files.append({"index": index, "proof": item["proof"], "url": item["url"], "filename": basename,
                      "name": f"{item['proof']}/{basename}"})  # matched to its proof like a folder's file
    return _job_request(engine, settings, rem=_text(body, "rem"), lang=_text(body, "lang"), profiles=profiles,
                        conditions=parse_conditions(conditions),
                        callback_url=_text(body, "callback_url"), files=files)


def _text(body: dict[str, Any], name: str) -> str | None:
    value = body.get(name)
    if value is not None and not isinstance(value, str):
        raise BadRequest(f"« {name} » : une chaîne.", f"“{name}”: a string.", field=name)
    return value


@router.get("/{job_id}", operation_id="getJob", summary="État d'un travail (et son résultat une fois terminé)",
            responses={**responses(401, 404, 422), 200: {"content": {"application/json": {"schema": JOB_SCHEMA}}}})
async def read_job(request: Request, job_id: Annotated[str, JOB_ID]) -> JSONResponse:
    job = await anyio.to_thread.run_sync(_jobs(request).get, job_id)  # SQLite may wait for another process
    if job is None:
        raise JobNotFound(job_id)
    return _job_response(job, 200)


@router.delete("/{job_id}", operation_id="cancelJob", summary="Annuler un travail (en attente ou en cours)",
               responses={**responses(401, 404, 422), 200: {"content": {"application/json": {"schema": JOB_SCHEMA}}}})
async def cancel_job(request: Request, job_id: Annotated[str, JOB_ID]) -> JSONResponse:
    job = await anyio.to_thread.run_sync(_jobs(request).cancel, job_id)
    if job is None:
        raise JobNotFound(job_id)
    return _job_response(job, 200)


def _job_response(job: Job, status: int, *, location: bool = False) -> JSONResponse:
    language.answer_in(job.request.get("lang") or language.DEFAULT)  # the result keeps the language it was made in
    headers = {"Location": f"/v1/jobs/{job.id}"} if location else {}
    if not job.ended:
        headers["Retry-After"] = "1"  # a polling client's pace
    return JSONResponse(job.to_public(), status_code=status, headers=headers)


def _digest(job_request: dict[str, Any]) -> str:
    """What an Idempotency-Key is bound to: the fields and each file's name and content digest."""
    files = [[f["name"], f.get("url"), f.get("sha256"), f.get("size")] for f in job_request["files"]]
    bound = {k: job_request[k] for k in ("rem", "profiles", "conditions", "lang", "callback_url")} | {"files": files}
    return hashlib.sha256(json.dumps(bound, sort_keys=True).encode()).hexdigest()
