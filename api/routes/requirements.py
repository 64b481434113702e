"""``GET /v1/requirements``: the REM catalogue — requirements, scenarios, proofs and the proof types
each admits (same data and filters as ``preuves requirements --json``)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse

from api.deps import ApiKeyDep, EngineDep
from api.problems import responses
from validator_core.errors import UnknownRem

router = APIRouter(prefix="/v1/requirements", tags=["requirements"], dependencies=[ApiKeyDep])


@router.get("", summary="Exigences des REM : preuves attendues et types de preuve admis", responses=responses(401, 422))
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
    proofs = catalogue.select(rem, profile or None, search)
    if unclassified:
        proofs = [p for p in proofs if not p.classified]
    body: dict[str, Any] = {"stats": catalogue.stats(), "count": len(proofs), "proofs": [p.to_dict() for p in proofs]}
    return JSONResponse(body)


@router.get("/{proof_id:path}", summary="Une preuve du catalogue (identifiant lu avec tolérance)",
            responses=responses(401, 422))
async def get_requirement(
    engine: EngineDep,
    proof_id: str,
    rem: Annotated[str | None, Query(description="Le REM (le premier qui contient la preuve sinon)")] = None,
) -> JSONResponse:
    catalogue = await run_in_threadpool(engine.catalogue)
    spec = catalogue.find(proof_id, rem)  # UnknownRequirement → 422 with close ids
    return JSONResponse({**spec.to_dict(), "requirement_text": spec.requirement_text, "scenario_text": spec.scenario_text})
