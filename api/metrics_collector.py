"""The service's Prometheus metrics (prometheus-client): counters, histograms and gauges the middleware,
admission, upload and validation code update, and their exposition text (served by
``api/routes/metrics.py``).

Several HTTP processes (``preuves serve --workers N``): each process has its own counters, and a
scrape reaches one of them. ``api.server.run`` then turns on prometheus-client's multi-process mode
(``PROMETHEUS_MULTIPROC_DIR``, a fresh directory per start): every process writes its values to
memory-mapped files there and ``/metrics`` aggregates them (counters and histograms summed, the queue
depth gauge summed over live processes). See docs/http.md.
"""

from __future__ import annotations

import os

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
)
from prometheus_client import multiprocess

SIZE_BUCKETS = (1e3, 1e4, 1e5, 1e6, 5e6, 1e7, 2.5e7, 5e7, 1e8)
TIME_BUCKETS = (0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 20, 30, 60)

REQUESTS = Counter("preuves_http_requests_total", "Requêtes HTTP traitées", ["method", "route", "status"])
REQUEST_DURATION = Histogram("preuves_http_request_duration_seconds", "Durée des requêtes HTTP", ["route"],
                             buckets=TIME_BUCKETS)
RECEIVED_BYTES = Counter("preuves_upload_bytes_total", "Octets de fichiers reçus")
FILE_SIZE = Histogram("preuves_upload_file_size_bytes", "Taille des fichiers reçus", buckets=SIZE_BUCKETS)
VERDICTS = Counter("preuves_validations_total", "Rapports rendus, par type de preuve et verdict", ["proof_type", "verdict"])
VALIDATION_DURATION = Histogram("preuves_validation_duration_seconds", "Durée de la vérification (moteur)",
                                ["proof_type"], buckets=TIME_BUCKETS)
CHECK_TIMEOUTS = Counter("preuves_check_timeouts_total", "Vérifications arrêtées à leur délai (check.timeout)", ["check"])
CHECK_CRASHES = Counter("preuves_check_crashes_total", "Vérifications plantées (check.crashed)", ["check"])
QUEUE_DEPTH = Gauge("preuves_in_flight_requests", "Requêtes en cours de vérification (corps reçu en entier)",
                    multiprocess_mode="livesum")
RECEIVING = Gauge("preuves_receiving_requests", "Requêtes de validation admises dont le corps est en cours de réception",
                  multiprocess_mode="livesum")
UPLOAD_TIMEOUTS = Counter("preuves_upload_timeouts_total", "Envois abandonnés (408) : corps trop lent ou interrompu",
                          ["reason"])  # reason: "slow" or "idle"
CONNECTIONS_CLOSED = Counter("preuves_connections_closed_total", "Connexions fermées par le service avant une requête",
                             ["reason"])  # "header_timeout", "idle_timeout" (nothing sent), "evicted" (idle, at the cap), "refused", "malformed"
RATE_LIMITED = Counter("preuves_rate_limited_total", "Requêtes refusées par la limite de débit par appelant (429)",
                       ["caller"])  # caller: "key" or "ip" (the kind, never the identity)
SATURATED = Counter("preuves_saturated_total", "Requêtes refusées faute de place (429) ou de workers (503)", ["status"])


def observe_report(report: dict, seconds: float) -> None:
    proof_type = report.get("proof_type") or "unknown"
    VERDICTS.labels(proof_type, report.get("verdict", "unknown")).inc()
    VALIDATION_DURATION.labels(proof_type).observe(seconds)
    for finding in report.get("findings", ()):
        code = finding.get("code")
        if code == "check.timeout":
            CHECK_TIMEOUTS.labels(str(finding.get("details", {}).get("check", "?"))).inc()
        elif code == "check.crashed":
            CHECK_CRASHES.labels(str(finding.get("details", {}).get("check", "?"))).inc()


def render() -> tuple[bytes, str]:
    """The exposition text of this process, or of all processes in multi-process mode."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
        return generate_latest(registry), CONTENT_TYPE_LATEST
    return generate_latest(), CONTENT_TYPE_LATEST

# Jobs (POST /v1/jobs, api/jobs/): how many wait, how long they take, who runs them.
JOBS_ENDED = Counter("preuves_jobs_ended_total", "Travaux terminés, par statut", ["status"])
JOB_DURATION = Histogram("preuves_job_duration_seconds", "Durée d'exécution d'un travail (de sa prise à sa fin)",
                         buckets=TIME_BUCKETS + (120, 300, 600, 1800))
JOBS_QUEUED = Gauge("preuves_jobs_queued", "Travaux en attente dans la file", multiprocess_mode="max")
JOB_RUNNERS = Gauge("preuves_job_runners", "Exécutants de travaux disponibles (threads de la file intégrée, "
                    "ou workers Celery joignables)", multiprocess_mode="max")
CALLBACKS = Counter("preuves_job_callbacks_total", "Envois de callbacks, par issue", ["outcome"])  # delivered, retry, abandoned
