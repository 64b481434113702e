"""``GET /metrics``: Prometheus exposition (open, like the health endpoints: no file data in it).

The metrics themselves are defined and updated in :mod:`api.metrics_collector`.
"""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import Response

from api import metrics_collector

router = APIRouter(tags=["operations"])


@router.get(
    "/metrics", summary="Métriques Prometheus", response_class=Response,
    responses={200: {"description": "Format texte Prometheus", "content": {"text/plain": {"schema": {"type": "string"}}}}},
)
async def prometheus_metrics() -> Response:
    body, content_type = metrics_collector.render()
    return Response(body, media_type=content_type)
