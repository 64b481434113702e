"""``POST /v1/dossiers``: a whole dossier in one request — every file against the proof its name
starts with, the proofs of the REM (and chosen profiles) still missing, the files matching no proof.

File names follow the folder layout of ``preuves dossier`` (``validator_core/dossier.py``): the name
starts with the proof id, its ``/`` written ``/``, ``_``, ``-`` or a space (``DOC_va1.01.01.01
prescription.pdf``, ``DOC/va1.25.01.01/chrome.png`` as a browser sends a folder's relative paths).
Matching is :class:`~validator_core.dossier.ProofMatcher`'s; scope, missing proofs, ordering and the
summary are :func:`~validator_core.dossier.check_dossier`'s, so the CLI and the service agree.

The files are validated concurrently here (like a batch), then ``check_dossier`` assembles the
result from those reports: it is given the engine through :class:`_Validated`, which answers its
sequential ``validate`` calls with the reports already made.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import JSONResponse, Response

from api.deps import ApiKeyDep, EngineDep, SettingsDep, SlotDep, UploadDirDep
from api.errors import BadRequest, MissingFile
from api.middleware import add_log_fields
from api.problems import responses
from api.routes.validations import REM_SCHEMA, check_lang, check_rem, largest_limit, upload_receiver, validate_many
from api.upload import ReceivedFile
from validator_core.dossier import Dossier, DossierEntry, ProofMatcher, check_dossier, to_markdown
from validator_core.engine import Engine
from validator_core.messages import LANGS
from validator_core.models import Report
from validator_core.catalogue import id_key

router = APIRouter(prefix="/v1/dossiers", tags=["dossiers"], dependencies=[ApiKeyDep])

DOSSIER_FIELDS = ("rem", "profiles", "lang")


class UnknownProfile(BadRequest):
    code = "request.unknown_profile"

    def __init__(self, profile: str, rem: str, valid: list[str]) -> None:
        super().__init__(
            f"Profil inconnu pour le REM {rem} : « {profile} ». Profils : {', '.join(valid)}.",
            f"Unknown profile for REM {rem}: “{profile}”. Profiles: {', '.join(valid)}.",
            profile=profile, rem=rem, valid=valid,
        )


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
                    "file": {
                        "type": "array", "minItems": 1,
                        "items": {"type": "string", "format": "binary",
                                  "description": "Un fichier dont le nom commence par l'identifiant de sa preuve "
                                                 "(`DOC_va1.01.01.01 prescription.pdf`)"},
                    },
                    "lang": {"type": "string", "enum": list(LANGS), "default": "fr", "description": "Langue des messages"},
                },
            }}},
        }
    }


MARKDOWN_200 = {"description": "Le rapport Markdown (`format=md`)", "content": {"text/markdown": {"schema": {"type": "string"}}}}


@router.post(
    "",
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
) -> Response:
    # Every file stored up to the largest limit (its type is known once its name is matched); an
    # unknown ``rem`` sent before the files is answered before they are read.
    receiver = upload_receiver(engine, settings, upload_dir, body_cap=settings.dossier_body_cap(largest_limit(engine)),
                               max_files=settings.dossier_max_files, fields=DOSSIER_FIELDS)
    received = await receiver.receive(request)
    try:
        if not received.files:
            raise MissingFile()
        lang = check_lang(received.field("lang"))
        rem = received.field("rem")
        if not rem:
            raise BadRequest("Le champ « rem » (le REM du dossier : BIO, RIS, LGC, DPI, PFI, DB) est obligatoire.",
                             "The “rem” field (the dossier's REM: BIO, RIS, LGC, DPI, PFI, DB) is required.", field="rem")
        check_rem(engine, rem)
        catalogue = engine.registry.catalogue()
        rem = next(r for r in catalogue.rems if r.upper() == rem.upper())
        profiles = _profiles(engine, rem, received.fields.get("profiles", []))

        matcher = ProofMatcher(catalogue.select(rem))
        names: dict[str, str] = {}  # temp path → the client's name (shown in the result, never used on disk)
        entries: list[DossierEntry] = []
        unmatched: list[Path] = []
        for upload in received.files:
            name = _display_name(upload)
            names[str(upload.path)] = name
            proof = matcher.match(name)
            if proof is None:
                unmatched.append(Path(name))
            else:
                entries.append(DossierEntry(proof.id, upload.path))

        with slot.validating():
            reports = await _validate_all(request, engine, received.files, entries, rem, lang)
        result = check_dossier(_Validated(engine, reports), Dossier(rem=rem, profiles=[], entries=entries, unmatched=unmatched),
                               rem=rem, profiles=profiles, lang=lang)
        for proof in [*result.proofs, *result.unknown]:
            for file in proof.files:
                file.path = names.get(file.path, file.path)
    finally:
        received.cleanup()
    summary = result.summary()
    add_log_fields(files=len(received.files), rem=rem, ready=summary["ready"], rejected=summary["rejected"],
                   missing=summary["missing"], unmatched=summary["unmatched_files"])
    if output == "md":
        return Response(to_markdown(result, lang), media_type="text/markdown; charset=utf-8")
    return JSONResponse(result.to_dict())


def _display_name(upload: ReceivedFile) -> str:
    # Browsers send a folder's files with their relative path; Windows clients may use "\".
    name = upload.filename.replace("\\", "/").strip().lstrip("/")
    return name or f"(fichier {upload.index + 1})"


def _profiles(engine: Engine, rem: str, values: list[str]) -> list[str]:
    """Profiles named by the client (repeated and/or comma-separated), as the catalogue spells them."""
    known = {id_key(p): p for p in engine.registry.catalogue().profiles(rem)}
    out: list[str] = []
    for value in values:
        for part in value.split(","):
            part = part.strip()
            if not part:
                continue
            if id_key(part) not in known:
                raise UnknownProfile(part, rem, sorted(known.values()))
            if known[id_key(part)] not in out:
                out.append(known[id_key(part)])
    return out


async def _validate_all(request: Request, engine: Engine, files: list[ReceivedFile], entries: list[DossierEntry],
                        rem: str, lang: str) -> dict[str, Report]:
    """Every matched file against its proof (bounded like a batch), by temp path."""
    by_path = {str(f.path): f for f in files}
    jobs = [(by_path[str(entry.path)], None, entry.proof) for entry in entries]
    reports = await validate_many(request, engine, jobs, lang, rem=rem)
    return {str(entry.path): report for entry, report in zip(entries, reports)}


class _Validated:
    """The engine as ``check_dossier`` uses it (its catalogue, ``validate``), with the reports made."""

    def __init__(self, engine: Engine, reports: dict[str, Report]) -> None:
        self.registry = engine.registry
        self._reports = reports

    def validate(self, path: Any, **_options: Any) -> Report:
        return self._reports[str(path)]
