"""``POST /v1/dossiers``: a whole dossier in one request — every file against the proof its name
starts with, the proofs of the REM (and chosen profiles) still missing, the files matching no proof.

File names follow the folder layout of ``preuves dossier`` (``validator_core/dossier.py``): the name
starts with the proof id, its ``/`` written ``/``, ``_``, ``-`` or a space (``DOC_va1.01.01.01
prescription.pdf``, ``DOC/va1.25.01.01/chrome.png`` as a browser sends a folder's relative paths).
Matching is :func:`~validator_core.dossier.match_files`'s; validation (concurrent, like a batch), scope,
missing proofs, ordering and the summary are :func:`~validator_core.service.check_dossier`'s, which
``preuves dossier`` calls too: the CLI and the service agree.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import JSONResponse, Response

from api import language
from api.deps import ApiKeyDep, EngineDep, SettingsDep, SlotDep, UploadDirDep
from api.errors import BadRequest, MissingFile
from api.middleware import add_log_fields
from api.problems import responses
from api.validating import LANG_SCHEMA, REM_SCHEMA, check_uploaded_dossier, display_name, show_names, validating_receiver
from validator_core.dossier import match_files, parse_conditions, to_markdown
from validator_core.service import resolve_conditions, resolve_profiles, resolve_rem

router = APIRouter(prefix="/v1/dossiers", tags=["dossiers"], dependencies=[ApiKeyDep, language.LANG_DEPENDENCY])

DOSSIER_FIELDS = ("rem", "profiles", "conditions", "lang")


def dossier_body() -> dict[str, Any]:
    """The OpenAPI request body (multipart/form-data); the REM enum is filled in api/main.py."""
    return {
        "requestBody": {
            "required": True,
            "content": {"multipart/form-data": {"schema": {
                "type": "object", "required": ["rem", "file"], "additionalProperties": False,
                "properties": {
                    "rem": REM_SCHEMA | {"description": "Le REM du dossier (BIO, RIS, LGC, DPI, PFI, DB)"},
                    "profiles": {
                        "type": "array", "items": {"type": "string", "maxLength": 200},
                        "description": "Profils en plus de « Général » (répété, ou séparés par des virgules) ; "
                                       "leurs preuves comptent dans les manquantes.",
                    },
                    "conditions": {
                        "type": "array", "items": {"type": "string", "maxLength": 200},
                        "description": "Conditions qui valent pour le système (répété) : `referentiel_identite`, "
                                       "`referentiel_identite=non`, `psc_modalite=web,ciba` ; les preuves dont une "
                                       "condition n'est pas remplie sont non applicables ; celles du REM : "
                                       "`GET /v1/requirements/profiles?rem=BIO`.",
                    },
                    "file": {
                        "type": "array", "minItems": 1,
                        "items": {"type": "string", "format": "binary",
                                  "description": "Un fichier dont le nom commence par l'identifiant de sa preuve "
                                                 "(`DOC_va1.01.01.01 prescription.pdf`)"},
                    },
                    "lang": LANG_SCHEMA,
                },
            }}},
        }
    }


MARKDOWN_200 = {"description": "Le rapport Markdown (`format=md`)", "content": {"text/markdown": {"schema": {"type": "string"}}}}


@router.post(
    "",
    operation_id="checkDossier",
    summary="Vérifier un dossier de preuves entier",
    description="Reçoit les fichiers d'un dossier (multipart/form-data : `rem`, `profiles` facultatif, plusieurs `file` "
                "dont le nom commence par l'identifiant de la preuve) et renvoie le résultat de `preuves dossier "
                "--json` : statut et rapport de chaque preuve déposée, preuves manquantes, fichiers sans preuve, "
                "synthèse (`summary.ready`). 200 quel que soit le résultat. `format=md` : le rapport Markdown.",
    responses={**responses(400, 401, 408, 413, 422, 429, 503), 200: {
        "description": "Le résultat du dossier (JSON), ou le rapport Markdown avec `format=md`",
        "content": {"application/json": {"schema": {"type": "object"}}, **MARKDOWN_200["content"]},
    }},
    openapi_extra=dossier_body(),
)
async def create_dossier_check(
    request: Request, engine: EngineDep, settings: SettingsDep, upload_dir: UploadDirDep, slot: SlotDep,
    output: Annotated[str, Query(alias="format", pattern="^(json|md)$",
                                 description="`json` (défaut) ou `md` (rapport Markdown)")] = "json",
    markdown: Annotated[bool, Query(description="`true` : le JSON porte aussi le rapport Markdown (champ `markdown`), "
                                                "pour l'avoir sans envoyer les fichiers une seconde fois")] = False,
) -> Response:
    # Every file stored up to the largest limit (its type is known once its name is matched); an
    # unknown ``rem`` sent before the files is answered before they are read.
    receiver = validating_receiver(engine, settings, upload_dir,
                                   body_cap=settings.dossier_body_cap(engine.limits().largest),
                                   max_files=settings.dossier_max_files, fields=DOSSIER_FIELDS)
    received = await receiver.receive(request)
    try:
        if not received.files:
            raise MissingFile()
        lang = language.choose(received.field("lang"))
        rem = received.field("rem")
        if not rem:
            raise BadRequest("Le champ « rem » (le REM du dossier : BIO, RIS, LGC, DPI, PFI, DB) est obligatoire.",
                             "The “rem” field (the dossier's REM: BIO, RIS, LGC, DPI, PFI, DB) is required.", field="rem")
        rem = resolve_rem(engine, rem)
        profiles = resolve_profiles(engine, rem, received.fields.get("profiles", []))
        conditions = resolve_conditions(engine, rem, parse_conditions(received.fields.get("conditions", [])))
        # Matched by the client's name, validated at the temp path (the name is shown, never used on disk).
        names = {str(upload.path): display_name(upload) for upload in received.files}
        dossier = match_files(engine.catalogue(), rem, [(names[str(upload.path)], upload.path)
                                                        for upload in received.files])
        with slot.validating():
            result = await check_uploaded_dossier(request, engine, dossier, received.files, rem=rem,
                                                  profiles=profiles, lang=lang, conditions=conditions)
        show_names(result, names)
    finally:
        received.cleanup()
    summary = result.summary()
    add_log_fields(files=len(received.files), rem=rem, ready=summary["ready"], rejected=summary["rejected"],
                   missing=summary["missing"], unmatched=summary["unmatched_files"])
    if output == "md":
        return Response(to_markdown(result, lang), media_type="text/markdown; charset=utf-8")
    body = result.to_dict()
    if markdown:
        body["markdown"] = to_markdown(result, lang)
    return JSONResponse(body)
