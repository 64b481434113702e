"""``POST /v1/bench/receive``: receive and hash only, no validation (``PREUVES_BENCH_ROUTES=1``).

The benchmark compares it with ``POST /v1/validations`` to separate the cost of receiving an upload
from the cost of checking it. Off by default: it stores uploads without looking at them.
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel

from api.deps import ApiKeyDep, EngineDep, SettingsDep, SlotDep, UploadDirDep
from api.problems import responses
from api.upload import MultipartReceiver, TooLarge, upload_pace

router = APIRouter(prefix="/v1/bench", tags=["bench"], dependencies=[ApiKeyDep])


class Received(BaseModel):
    size: int
    sha256: str | None


@router.post("/receive", operation_id="benchReceive", summary="Réception seule (mesures)", response_model=Received,
             responses=responses(400, 401, 408, 413, 422, 429, 503),
             openapi_extra={"requestBody": {"required": True, "content": {"multipart/form-data": {"schema": {
                 "type": "object", "required": ["file"],
                 "properties": {"file": {"type": "string", "format": "binary"}},
                 "additionalProperties": False}}}}})
async def bench_receive(request: Request, engine: EngineDep, settings: SettingsDep, upload_dir: UploadDirDep,
                        _slot: SlotDep) -> JSONResponse:
    cap = settings.body_cap(engine.limits().largest)
    receiver = MultipartReceiver(upload_dir, storage_limit=lambda i, f: (cap, None), body_cap=cap, file_cap=cap,
                                 drain_bytes=settings.drain_bytes, max_files=1, fields=(),
                                 too_large=TooLarge(engine.limits().largest, cap), pace=lambda: upload_pace(settings))
    received = await receiver.receive(request)
    try:
        upload = received.single_file()
        return JSONResponse({"size": upload.size, "sha256": upload.sha256})
    finally:
        received.cleanup()
