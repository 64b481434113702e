"""Running one job: the dossier use case (:func:`validator_core.service.check_dossier`, what
``POST /v1/dossiers`` and ``preuves dossier`` run) on the job's staged files.

Each file is read from the staging storage (uploaded with the request) or, for a JSON job, from the
``s3://`` object it names, capped at its proof's size limit. The job's progress is recorded as each
file is done, with that file's report: a job run again after its process stopped (SIGTERM, a killed
service, a redelivered Celery task) checks only the files it had not checked yet, when its reports
come from an engine with the same rules and plugins. A job cancelled (``DELETE``) or whose process is
stopping stops at its next file (:class:`JobStopped`). A file the storage no longer has (an object
missing) is that file's problem in the result, the others are still validated; a job none of whose
files could be read ends ``failed``.
The staged files are deleted once the job has ended.

The same function runs in the service's runner threads (embedded queue, SQLite store) and in a
``preuves worker``'s Celery task (Redis store).
"""

from __future__ import annotations

import logging
import tempfile
import threading
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable

from api import metrics_collector as metrics
from api.jobs.storage import FetchError, Storage, fetch_object, s3_client
from api.jobs.store import CANCELLED, DONE, FAILED, QUEUED, RUNNING, Job, JobStore
from api.validating import show_names
from validator_core.dossier import match_files
from validator_core.engine import BatchItem, BatchProgress, Engine
from validator_core.errors import PreuvesError
from validator_core.models import Report
from validator_core.service import check_dossier

if TYPE_CHECKING:
    from api.jobs.redis_store import RedisJobStore

log = logging.getLogger("preuves.jobs")


class JobStopped(Exception):
    """The job is no longer running here: cancelled, or its process is stopping (it is queued again)."""


def run_job(engine: Engine, store: "JobStore | RedisJobStore", storage: Storage, job: Job, *, stopping: threading.Event,
            on_ended: Callable[[Job], None] = lambda job: None) -> str:
    """Run a claimed job to its end; the status it ended with (or ``queued`` when put back)."""
    started = time.perf_counter()
    try:
        status, result = _check(engine, store, storage, job, stopping)
    except JobStopped:
        if stopping.is_set():
            store.release(job.id)  # resumed by the next process (files kept)
            return QUEUED
        storage.delete_job(job.id)  # cancelled
        return CANCELLED
    except PreuvesError as exc:  # the engine could not examine the files (workers down …)
        log.warning("job failed", extra={"job": job.id, "code": exc.code})
        status, result = FAILED, {"error": {"code": exc.code, "detail": exc.message, "detail_en": exc.message_en}}
    callback = "pending" if job.request.get("callback_url") else None
    finished = store.finish(job.id, status, result, callback_status=callback)
    # The result is kept first (a crash now leaves staged files, never a lost result); the staged files
    # go before the callback, whose retries may take minutes.
    storage.delete_job(job.id)
    if finished:
        metrics.JOBS_ENDED.labels(status).inc()
        metrics.JOB_DURATION.observe(time.perf_counter() - started)
        ended = store.get(job.id)
        if ended is not None:
            on_ended(ended)
    return status


def _check(engine: Engine, store: "JobStore | RedisJobStore", storage: Storage, job: Job,
           stopping: threading.Event) -> tuple[str, dict[str, Any]]:
    request = job.request
    lang = request.get("lang", "fr")

    engine_info = engine.info.to_dict()
    saved = {index: report for index, report in store.file_reports(job.id).items()
             if report.get("engine") == engine_info}  # reports of another rules version are made again
    earlier: dict[str, Report] = {}
    index_of: dict[str, int] = {}

    def on_done(done: BatchProgress) -> None:
        if isinstance(done.outcome, Report):
            store.save_file(job.id, index_of[str(done.item.path)], done.outcome.to_dict())
        if stopping.is_set() or store.progress(job.id, len(earlier) + done.done) != RUNNING:
            raise JobStopped()

    with tempfile.TemporaryDirectory(prefix=f"job-{job.id}-") as work:
        names: dict[str, str] = {}
        received: dict[str, BatchItem] = {}
        problems: dict[str, FetchError] = {}
        files: list[tuple[str, Path]] = []
        for item in request["files"]:
            if item["index"] in saved:  # checked by an earlier run: neither fetched nor checked again
                path = Path(work) / f"checked-{item['index']}"
                earlier[str(path)] = Report(**saved[item["index"]])
            else:
                try:
                    path, sha256, observed_size = _fetch(engine, storage, job, item, Path(work))
                except FetchError as exc:
                    path, sha256, observed_size = Path(work) / f"absent-{item['index']}", None, None  # never created
                    problems[str(path)] = exc
                received[str(path)] = BatchItem(path, filename=item["filename"], sha256=sha256,
                                                observed_size=observed_size)
                index_of[str(path)] = item["index"]
            names[str(path)] = item["name"]
            files.append((item["name"], path))
        if earlier:
            store.progress(job.id, len(earlier))
        dossier = match_files(engine.catalogue(), request["rem"], files)
        result = check_dossier(engine, dossier, rem=request["rem"], profiles=request.get("profiles", []), lang=lang,
                               conditions=request.get("conditions") or {}, received=received, earlier=earlier,
                               on_done=on_done)
    for proof in result.proofs:
        for file in proof.files:  # the engine's "no such file" replaced by what the storage said
            if file.path in problems:
                file.error = problems[file.path].message if lang == "fr" else problems[file.path].message_en
    show_names(result, names)
    all_missing = bool(problems) and len(problems) == len(request["files"])
    return (FAILED if all_missing else DONE), result.to_dict()



def _fetch(engine: Engine, storage: Storage, job: Job, item: dict[str, Any], work: Path) -> tuple[Path, str | None, int | None]:
    """A local path for one of the job's files, its digest and (when stored only in part) its real size."""
    if "url" not in item:  # uploaded with the request, staged
        return storage.fetch(f"{job.id}/{item['index']}", work), item.get("sha256"), item.get("observed_size")
    path, size, sha256 = fetch_object(s3_client(), item["url"], work / f"object-{item['index']}",
                                      _size_cap(engine, item["proof"], job.request["rem"]))
    return path, sha256, size if sha256 is None else None


def _size_cap(engine: Engine, proof: str, rem: str) -> int:
    """The largest size a file of ``proof`` may have: the limit of the largest type it admits."""
    limits = engine.limits()
    try:
        admits = engine.catalogue().find(proof, rem).admits
    except PreuvesError:  # listed as an unknown proof; its file is still read up to the largest limit
        return limits.largest
    return max((limits.for_type(t) for t in admits), default=limits.largest)
