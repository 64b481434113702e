"""``GET /v1/requirements``: the REM catalogue — requirements, scenarios, proofs and the proof types
each admits (same data and filters as ``preuves requirements --json``); ``GET
/v1/requirements/checklist``: the checklist of a REM's proofs for an editor to fill (``preuves
requirements --checklist``, :func:`validator_core.service.requirements_checklist`)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse, Response

from api.deps import ApiKeyDep, EngineDep
from api.language import LANG_DEPENDENCY, LangDep, answer_in
from api.problems import responses
from validator_core.errors import UnknownRem
from validator_core.service import rem_profiles, requirements_checklist, resolve_profiles

# The catalogue's texts are the ANS's, in French only: its JSON says so (Content-Language), whatever
# language was asked; the checklist's own words follow the request.
CATALOGUE_LANG = "fr"

router = APIRouter(prefix="/v1/requirements", tags=["requirements"], dependencies=[ApiKeyDep, LANG_DEPENDENCY])


@router.get("", operation_id="listRequirements", summary="Exigences des REM : preuves attendues et types de preuve admis", responses=responses(401, 422))
async def list_requirements(
    engine: EngineDep,
    rem: Annotated[str | None, Query(description="Un REM : BIO, RIS, LGC, DPI, PFI, DB")] = None,
    profile: Annotated[list[str] | None, Query(description="Profil(s) ; par défaut : tous")] = None,
    search: Annotated[str | None, Query(max_length=200, description="Texte cherché (identifiant, preuve, exigence)")] = None,
    unclassified: Annotated[bool, Query(description="Seulement les preuves dont le type n'a pas pu être déduit")] = False,
) -> JSONResponse:
    catalogue = await run_in_threadpool(engine.catalogue)  # built once, on first use
    if rem and rem.upper() not in {r.upper() for r in catalogue.rems}:
        raise UnknownRem(rem, catalogue.rems)
    if profile:  # an unknown profile is refused with the valid ones (422), not answered with no proof
        profile = resolve_profiles(engine, rem, profile)
    proofs = catalogue.select(rem, profile or None, search)
    if unclassified:
        proofs = [p for p in proofs if not p.classified]
    body: dict[str, Any] = {"stats": catalogue.stats(), "count": len(proofs), "proofs": [p.to_dict() for p in proofs]}
    answer_in(CATALOGUE_LANG)
    return JSONResponse(body)


# /profiles and /checklist are declared before /{proof_id:path}, which would take them for proof ids.
@router.get("/profiles", operation_id="getRemProfiles", summary="Les profils d'un REM et les conditions que ses preuves posent",
            responses=responses(401, 422))
async def get_profiles(
    engine: EngineDep, rem: Annotated[str, Query(description="Le REM : BIO, RIS, LGC, DPI, PFI, DB")],
) -> JSONResponse:
    catalogue = await run_in_threadpool(engine.catalogue)
    body = {**rem_profiles(engine, rem), "editions": list(catalogue.editions.values())}
    answer_in(CATALOGUE_LANG)
    return JSONResponse(body)


CHECKLIST_TYPES = {"csv": "text/csv; charset=utf-8", "md": "text/markdown; charset=utf-8"}


@router.get("/checklist", operation_id="getChecklist", summary="La liste à remplir des preuves d'un REM (CSV ou Markdown)",
            responses={**responses(401, 422), 200: {
                "description": "CSV (`;`, colonnes proof;file;requirement;… : un manifeste une fois `file` rempli) "
                               "ou Markdown", "content": {t.split(";")[0]: {"schema": {"type": "string"}}
                                                          for t in CHECKLIST_TYPES.values()}}})
async def get_checklist(
    engine: EngineDep,
    lang: LangDep,
    rem: Annotated[str, Query(description="Le REM : BIO, RIS, LGC, DPI, PFI, DB")],
    profile: Annotated[list[str] | None, Query(description="Profil(s) en plus de « Général »")] = None,
    output: Annotated[str, Query(alias="format", pattern="^(csv|md)$", description="`csv` (défaut) ou `md`")] = "csv",
) -> Response:
    await run_in_threadpool(engine.catalogue)  # built once, on first use
    text = requirements_checklist(engine, rem, profile or [], output, lang)
    filename = f"preuves-{rem.lower()}.{output}"
    return Response(text, media_type=CHECKLIST_TYPES[output],
                    headers={"Content-Disposition": f'attachment; filename="{filename}"'})


@router.get("/{proof_id:path}", operation_id="getRequirement", summary="Une preuve du catalogue (identifiant lu avec tolérance)",
            responses=responses(401, 422))
async def get_requirement(
    engine: EngineDep,
    proof_id: str,
    rem: Annotated[str | None, Query(description="Le REM (le premier qui contient la preuve sinon)")] = None,
) -> JSONResponse:
    catalogue = await run_in_threadpool(engine.catalogue)
    spec = catalogue.find(proof_id, rem)  # UnknownRequirement → 422 with close ids
    answer_in(CATALOGUE_LANG)
    return JSONResponse({**spec.to_dict(), "requirement_text": spec.requirement_text, "scenario_text": spec.scenario_text})
