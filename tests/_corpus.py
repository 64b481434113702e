"""Where the opt-in corpus tests find their files: the folder named by ``PREUVES_CORPUS``.

The corpus is public third-party test data (pdfium's test PDFs, format-corpus's govdocs1 error PDFs,
corkami's PDF-syntax and image oddities …), kept outside this repository and never copied into it.
``CORPUS`` is that folder, or ``None`` with ``SKIP_REASON`` saying why the corpus tests skip. Read at
import: the autouse fixture of conftest.py removes ``PREUVES_*`` variables before each test runs.
"""

from __future__ import annotations

import os
from pathlib import Path

ENV = "PREUVES_CORPUS"


def _corpus() -> tuple[Path | None, str]:
    value = os.environ.get(ENV, "")
    if not value:
        return None, f"opt-in: set {ENV} to a folder of third-party test files ({ENV}=/path/to/corpus)"
    folder = Path(value).expanduser()
    if not folder.is_dir():
        return None, f"{ENV}={value!r} is not a folder: set it to the corpus folder"
    return folder, ""


CORPUS, SKIP_REASON = _corpus()
