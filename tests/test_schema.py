"""The published JSON Schema is current and real reports validate against it."""

from __future__ import annotations

import jsonschema
import pytest

from fixtures import formats
from validator_core.schema import committed_schema, report_schema


def test_committed_schema_is_up_to_date():
    assert committed_schema() == report_schema(), "run `make schema` and commit validator_core/schema/report.schema.json"


@pytest.mark.skipif(not formats.have_ffmpeg(), reason="ffmpeg needed")
def test_real_reports_validate(engine, tmp_path):
    files = [
        (formats.make_video(tmp_path, "mp4", seconds=1), "video"),
        (formats.make_image(tmp_path, "GIF"), "screenshot"),
        (formats.make_pdf(tmp_path), None),
        (formats.make_sized(tmp_path, "vide.log", 0), "logs"),
        (formats.make_sized(tmp_path, "gros.log", 1_000_001, b"x"), "logs"),
    ]
    validator = jsonschema.Draft202012Validator(committed_schema())
    for path, proof_type in files:
        data = engine.validate(path, proof_type).to_dict()
        errors = sorted(validator.iter_errors(data), key=str)
        assert errors == [], (path.name, errors[:3])
    # The schema does reject a malformed report.
    bad = engine.validate(files[1][0], "screenshot").to_dict()
    bad["verdict"] = "maybe"
    assert list(validator.iter_errors(bad))
