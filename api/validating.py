"""What the validating routes (one file, a batch, a dossier) share between the request and the
service layer (:mod:`validator_core.service`):

- the receiver of their multipart form (:func:`validating_receiver`): each file part stored up to its
  type's limit (:meth:`Engine.limits`), and a bad ``proof_type`` / ``requirement`` / ``rem`` sent
  before a file answered before the file is read (:class:`EarlyRequestError`);
- one shape for a one-file upload over its type's limit: the 413 ``file.too_large`` the receiver gives
  while reading, or the same once the engine knew the type (:func:`refuse_too_large`);
- the OpenAPI schemas of their common fields;
- running the use cases off the event loop, under the service's thread limit, with each file's
  metrics (:func:`validate_uploads`, :func:`check_uploaded_dossier`);
- a dossier's file names: the one matched and shown (:func:`display_name`), put back in the result
  in place of the paths validated (:func:`show_names`) — ``/v1/dossiers`` and ``/v1/jobs``.

Routes import from here, never from one another.
"""

from __future__ import annotations

from functools import partial
from pathlib import Path
from typing import Any, Callable, Iterable, TypeVar

import anyio
from fastapi import Request

from api import metrics_collector as metrics
from api.errors import BadRequest, FileTooLarge
from api.settings import ApiSettings
from api.upload import MultipartReceiver, ReceivedFile, TooLarge, UploadDir, upload_pace
from validator_core.dossier import Dossier, DossierResult
from validator_core.engine import BatchItem, BatchProgress, Engine
from validator_core.errors import PreuvesError
from validator_core.messages import LANGS
from validator_core.models import Report
from validator_core.service import check_dossier, check_fields

REM_SCHEMA: dict[str, Any] = {
    "type": "string", "maxLength": 20,
    "description": "Le REM de la preuve (BIO, RIS, LGC, DPI, PFI, DB ; GET /v1/requirements). Sans `requirement` : "
                   "seulement vérifié. Absent : le premier REM qui contient la preuve.",
}
LANG_SCHEMA: dict[str, Any] = {"type": "string", "enum": list(LANGS), "default": "fr",
                               "description": "Langue de la réponse ; absent : `?lang=`, sinon `Accept-Language`, sinon fr"}

T = TypeVar("T")


class EarlyRequestError(BadRequest):
    """A bad field seen before a file part (unknown type, requirement, REM): answered before the file
    is read, with the same code and details as when it is found after the body."""

    def __init__(self, exc: PreuvesError) -> None:
        super().__init__(exc.message, exc.message_en, **exc.details)
        self.code = exc.code


def validating_receiver(engine: Engine, settings: ApiSettings, upload_dir: UploadDir, *, body_cap: int,
                        max_files: int, fields: tuple[str, ...], one_file: bool = False) -> MultipartReceiver:
    """The receiver of a validating route: each file capped like a single upload (the service cap) and
    stored up to its type's limit; the whole body capped at ``body_cap``. ``one_file``: a file over its
    type's limit (the largest when the type is not given before it) is a 413 ``file.too_large`` as soon
    as it passes it."""
    limits = engine.limits()

    def storage_limit(index: int, received: dict[str, list[str]]) -> tuple[int, str | None]:
        # Called as each file part begins, with the fields received so far.
        try:
            check_fields(engine, proof_types=received.get("proof_type", []), rems=received.get("rem", []),
                         requirements=received.get("requirement", []))
        except PreuvesError as exc:
            raise EarlyRequestError(exc) from None
        types = received.get("proof_type", [])
        proof_type = (types[index] if index < len(types) else None) or None
        return limits.for_type(proof_type), proof_type

    file_cap = settings.body_cap(limits.largest)
    return MultipartReceiver(
        upload_dir, storage_limit=storage_limit, body_cap=body_cap, file_cap=file_cap,
        drain_bytes=settings.drain_bytes, max_files=max_files, fields=fields, pace=partial(upload_pace, settings),
        too_large=TooLarge(limits.largest, file_cap, type_labels(engine)), refuse_over_limit=one_file,
    )


def type_labels(engine: Engine) -> dict[str, tuple[str, str]]:
    """Each proof type's name (French, English), as the rules give it."""
    return {t["id"]: (t["label_fr"], t["label_en"]) for t in engine.proof_types()["proof_types"]}


def refuse_too_large(engine: Engine, report: Report) -> None:
    """A one-file upload's report that says ``file.too_large`` is answered as the 413 a file over its
    type's limit gets while it is received: one shape, whichever way the service learnt the type."""
    finding = next((f for f in report.findings if f.code == "file.too_large"), None)
    if finding is None:
        return
    proof_type = finding.details.get("proof_type") or report.proof_type
    raise FileTooLarge(size=report.file.size, complete=True, limit=int(finding.details["limit"]),
                       proof_type=proof_type, label=type_labels(engine).get(proof_type or ""), index=0,
                       filename=report.file.name)


async def validate_uploads(request: Request, engine: Engine, files: list[tuple[ReceivedFile, str | None, str | None]],
                           lang: str, *, rem: str | None = None) -> list[Report]:
    """Validate received files ``(file, proof type, requirement)`` (:meth:`Engine.validate_many`),
    reports in the same order.

    At most as many at once as the engine has workers: one batch never takes every worker from the
    other requests. One file's error is the request's: an engine that could not examine a file is a
    503 for the whole batch (never a partial result).
    """
    items = [_item(upload, proof_type, requirement) for upload, proof_type, requirement in files]
    outcomes = await _in_thread(request, partial(engine.validate_many, items, lang=lang, rem=rem,
                                                 on_done=_metrics(upload for upload, _, _ in files)))
    for outcome in outcomes:
        if isinstance(outcome, OSError):  # a temp file of this service that cannot be read: our fault (500)
            raise outcome
    return [outcome for outcome in outcomes if isinstance(outcome, Report)]


async def check_uploaded_dossier(request: Request, engine: Engine, dossier: Dossier, files: list[ReceivedFile], *,
                                 rem: str, profiles: list[str], lang: str,
                                 conditions: dict[str, list[str]] | None = None) -> DossierResult:
    """:func:`~validator_core.service.check_dossier` on the received files (bounded like a batch)."""
    received = {str(upload.path): _item(upload) for upload in files}
    return await _in_thread(request, partial(check_dossier, engine, dossier, rem=rem, profiles=profiles, lang=lang,
                                             conditions=conditions, received=received, on_done=_metrics(files)))


def show_names(result: DossierResult, names: dict[str, str]) -> None:
    """Put the client's names back in ``result``, which lists the paths the files were validated at
    (temp or staged files: the name is shown, never used on disk)."""
    for proof in [*result.proofs, *result.unknown]:
        for file in proof.files:
            file.path = names.get(file.path, file.path)
    result.unmatched = [str(Path(names[path])) for path in result.unmatched]  # listed as paths, as by the CLI


def display_name(upload: ReceivedFile) -> str:
    """The name a dossier's file is matched and shown by."""
    # Browsers send a folder's files with their relative path; Windows clients may use "\".
    name = upload.filename.replace("\\", "/").strip().lstrip("/")
    return name or f"(fichier {upload.index + 1})"


def _item(upload: ReceivedFile, proof_type: str | None = None, requirement: str | None = None) -> BatchItem:
    """A received file as the engine validates it: judged by the client's name, the digest and the
    real size the receiver measured."""
    return BatchItem(upload.path, proof_type, requirement, filename=upload.filename, sha256=upload.sha256,
                     observed_size=upload.observed_size)


async def _in_thread(request: Request, call: Callable[[], T]) -> T:
    """Run the (blocking) engine in a thread: the event loop keeps serving other requests."""
    return await anyio.to_thread.run_sync(call, limiter=request.app.state.validate_limiter)


def _metrics(files: Iterable[ReceivedFile]) -> Callable[[BatchProgress], None]:
    """The ``on_done`` that counts each validated file in the metrics."""
    by_path = {str(upload.path): upload for upload in files}

    def observe(done: BatchProgress) -> None:
        if isinstance(done.outcome, Report):
            size = by_path[str(done.item.path)].size
            metrics.RECEIVED_BYTES.inc(size)
            metrics.FILE_SIZE.observe(size)
            metrics.observe_report(done.outcome.to_dict(), done.elapsed_s)

    return observe
