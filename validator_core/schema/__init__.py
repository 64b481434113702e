"""The published JSON Schema of the report (``report.schema.json`` beside this file).

Generated from :class:`validator_core.models.Report` by pydantic (imported here only: the models are
plain dataclasses); ``make schema`` (or
``python -m validator_core.schema``) rewrites it, and a test fails when the committed file is stale.
"""

from __future__ import annotations

import json
from importlib import resources
from typing import Any

from validator_core.models import Report

SCHEMA_ID = "https://segur-preuves.example/schema/report.schema.json"


def report_schema() -> dict[str, Any]:
    from pydantic import TypeAdapter

    schema = TypeAdapter(Report).json_schema(mode="serialization")
    return {"$schema": "https://json-schema.org/draft/2020-12/schema", "$id": SCHEMA_ID, **schema}


def committed_schema() -> dict[str, Any]:
    return json.loads(resources.files("validator_core.schema").joinpath("report.schema.json").read_text("utf-8"))


def main() -> None:
    print(json.dumps(report_schema(), ensure_ascii=False, indent=2))


if __name__ == "__main__":
    main()
