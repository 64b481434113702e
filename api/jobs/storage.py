"""Where a job's uploaded files wait for the runner: a folder every runner can read.

``POST /v1/jobs`` moves each received file here (:meth:`FolderStorage.stage`) before answering 202;
the runner validates it in place (:meth:`FolderStorage.local_path`); the job's files are deleted when
the job ends (:meth:`FolderStorage.delete_job`).
"""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from api.settings import ApiSettings


class FetchError(Exception):
    """A job's file could not be read from the storage: that file's problem in the result."""

    def __init__(self, message: str, message_en: str) -> None:
        super().__init__(message)
        self.message = message
        self.message_en = message_en


class FolderStorage:
    """Staged files under ``root/<job id>/<index>`` (mode 0700: they are the callers' documents)."""

    def __init__(self, root: Path) -> None:
        root.mkdir(parents=True, exist_ok=True, mode=0o700)
        self.root = root

    def describe(self) -> str:
        return str(self.root)

    def stage(self, job_id: str, index: int, source: Path) -> str:
        """Move ``source`` (a received temp file) into the job's folder; the key to find it again."""
        folder = self.root / job_id
        folder.mkdir(exist_ok=True, mode=0o700)
        key = f"{job_id}/{index}"
        shutil.move(source, self.root / key)  # a rename when the upload folder is on the same filesystem
        return key

    def local_path(self, key: str) -> Path:
        """The staged file to validate; :class:`FetchError` when it is gone."""
        path = self.root / key
        if not path.is_file():
            raise FetchError(f"fichier déposé introuvable dans le stockage ({key})",
                             f"staged file not found in the storage ({key})")
        return path

    def delete_job(self, job_id: str) -> None:
        shutil.rmtree(self.root / job_id, ignore_errors=True)

    def check(self) -> None:
        """Raise :class:`OSError` when the folder cannot be written (readiness)."""
        fd, name = tempfile.mkstemp(prefix=".ready-", dir=self.root)
        os.close(fd)
        os.unlink(name)


def storage_from(settings: "ApiSettings") -> FolderStorage:
    """The staging storage the settings name (``PREUVES_STORAGE``, else the data folder's)."""
    return FolderStorage(settings.storage_path())
