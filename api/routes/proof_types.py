"""``GET /v1/proof-types``: the rules (types, formats, size limits) the service applies."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict

from api.deps import ApiKeyDep, EngineDep
from api.language import LANG_DEPENDENCY
from api.problems import responses

router = APIRouter(prefix="/v1/proof-types", tags=["proof-types"], dependencies=[ApiKeyDep, LANG_DEPENDENCY])


class ProofTypeOut(BaseModel):
    model_config = ConfigDict(extra="allow")

    id: str
    label_fr: str
    label_en: str
    ans_row: str
    source: str
    any_format: bool
    formats: list[str]
    media_types: list[str]
    extensions: list[str]
    max_bytes: int


class RulesOut(BaseModel):
    """The rules as JSON (same as ``preuves types --json``)."""

    model_config = ConfigDict(extra="allow")

    rules: str
    proof_types: list[ProofTypeOut]


@router.get("", operation_id="listProofTypes", summary="Types de preuve, formats et tailles maximales", response_model=RulesOut,
            responses=responses(401, 422))
async def list_proof_types(engine: EngineDep) -> JSONResponse:
    return JSONResponse(engine.proof_types())
