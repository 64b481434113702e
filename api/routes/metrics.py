"""``GET /metrics``: Prometheus exposition (open, like the health endpoints: no file data in it).

The metrics themselves are defined and updated in :mod:`api.metrics_collector`.
"""

from __future__ import annotations

import contextlib

import anyio
from fastapi import APIRouter, Request
from fastapi.responses import Response

from api.errors import Unavailable

from api import metrics_collector

router = APIRouter(tags=["operations"])


@router.get(
    "/metrics", operation_id="getMetrics", summary="Métriques Prometheus", response_class=Response,
    responses={200: {"description": "Format texte Prometheus", "content": {"text/plain": {"schema": {"type": "string"}}}}},
)
async def prometheus_metrics(request: Request) -> Response:
    jobs = getattr(request.app.state, "jobs", None)
    if jobs is not None:  # the job queue's length and workers, read now (Redis is shared by every replica)
        with contextlib.suppress(Unavailable):
            await anyio.to_thread.run_sync(jobs.readiness)
    body, content_type = metrics_collector.render()
    return Response(body, media_type=content_type)
