"""The engine: rules, plugins and worker pool behind one thread-safe ``validate()``.

One call checks the request (language, proof type, requirement), opens the file (refusing devices,
FIFOs and pseudo-files before reading anything) and runs the pipeline of :mod:`validator_core.pipeline`
on it — not a regular file → empty → content detection → proof type → size → format allowlist →
extension → plugins → requirement → verdict — within one job of the worker pool.

An engine that cannot examine a file (its workers cannot start, its pool keeps breaking) raises
:class:`~validator_core.EngineUnavailable`: that is never a verdict on the file.
"""

from __future__ import annotations

import atexit
import threading
import time
from pathlib import Path
from typing import Any

from validator_core import __version__
from validator_core import pipeline
from validator_core.detect import OpenedProof, open_proof_file
from validator_core.errors import UnknownProofType, UnsupportedLanguage
from validator_core.isolation import EngineHealth, WorkerPool
from validator_core.messages import LANGS
from validator_core.models import EngineInfo, Report
from validator_core.registry import PluginConfig, PluginRegistry
from validator_core.catalogue import Catalogue, ProofSpec
from validator_core.rules import Rules, load_rules
from validator_core.settings import CoreSettings, get_core_settings


class Engine:
    """Rules, plugins and worker pool; thread-safe ``validate()``.

    One engine per process is the norm (:func:`default_engine`); the HTTP service creates its own at
    start-up from its settings.
    """

    def __init__(
        self,
        settings: CoreSettings | None = None,
        *,
        rules: Rules | None = None,
        plugin_config: PluginConfig | None = None,
    ) -> None:
        self.settings = settings or get_core_settings()
        self.rules = rules or load_rules(self.settings.rules)
        self.plugin_config = plugin_config or self.settings.plugin_config()
        # The parent's registry knows declarations and messages; inspections run in the workers.
        self.registry = PluginRegistry.load(self.plugin_config)
        self.pool = WorkerPool(
            self.plugin_config,
            workers=self.settings.worker_count(),
            timeout_s=self.settings.check_timeout_s,
            memory_mb=self.settings.worker_memory_mb,
            max_tasks=self.settings.worker_max_tasks,
            mode=self.settings.isolation,
            start_method=self.settings.worker_start,
        )
        self.info = EngineInfo(version=__version__, rules=self.rules.version, plugins=self.registry.versions())

    # -- public -----------------------------------------------------------------------------
    @property
    def proof_types(self) -> list[str]:
        return list(self.rules.proof_types)

    def check_proof_type(self, proof_type: str | None) -> None:
        if proof_type is not None and proof_type not in self.rules.proof_types:
            raise UnknownProofType(proof_type, self.proof_types)

    def validate(
        self,
        path: str | Path,
        proof_type: str | None = None,
        *,
        filename: str | None = None,
        lang: str = "fr",
        sha256: str | None = None,
        observed_size: int | None = None,
        context: dict[str, Any] | None = None,
        requirement: str | None = None,
        rem: str | None = None,
    ) -> Report:
        """Validate one file.

        :param path: a local file (for uploads, one the service created; never a client's name).
        :param proof_type: a proof type id from the rules; ``None`` to infer it from the content.
        :param filename: the name to judge the extension by and show (default: ``path``'s name).
        :param lang: ``fr`` (default) or ``en`` for the messages.
        :param sha256: the digest when the caller computed it while receiving the file.
        :param observed_size: the real size when ``path`` holds only the first bytes of a larger upload
            (the HTTP layer stops storing past the type's limit).
        :param requirement: the REM proof this file answers (``"DOC/va1.01.01.01"``): the proof type
            defaults to what it admits, a type it does not admit is an error, and its expectations
            (PDF/A-1, full screen …) are checked. See ``docs/requirements.md``.
        :param rem: the REM (``"BIO"``) the proof belongs to (the first REM holding it when ``None``).
        :raises UnknownProofType: ``proof_type`` is not in the rules.
        :raises UnknownRequirement: ``requirement`` is not in the catalogue (with close ids).
        :raises UnknownRem: ``rem`` is not in the catalogue.
        :raises UnsupportedLanguage: ``lang`` is not ``fr`` or ``en``.
        :raises OSError: ``path`` cannot be read (:class:`IsADirectoryError` for a directory). A device,
            FIFO, socket or kernel pseudo-file is not an error: it gets a report with ``file.not_regular``,
            without being read.
        :raises EngineUnavailable: the engine could not examine the file (workers cannot start, the
            pool keeps failing): no verdict. Retry after ``exc.retry_after_s``.

        Calls from several threads are served in the order they were made; each call's checks hold at
        most its share of the workers while other calls wait (see :mod:`validator_core.isolation`).
        """
        started = time.perf_counter()
        if lang not in LANGS:
            raise UnsupportedLanguage(lang, LANGS)
        self.check_proof_type(proof_type)
        spec = self.requirement(requirement, rem) if requirement else None
        if spec is not None:
            context = {**(context or {}), "requirement": spec.context()}
        path = Path(path)
        opened = open_proof_file(path)  # refuses devices, FIFOs, pseudo-files before reading anything
        try:
            return self._validate(path, opened, started, proof_type, filename, lang, sha256, observed_size,
                                  context, spec)
        finally:
            opened.close()

    def _validate(self, path: Path, opened: OpenedProof, started: float, proof_type: str | None,
                  filename: str | None, lang: str, sha256: str | None, observed_size: int | None,
                  context: dict[str, Any] | None, spec: ProofSpec | None) -> Report:
        tools = pipeline.Tools(rules=self.rules, registry=self.registry, timeout_s=self.settings.check_timeout_s,
                               info=self.info)
        # One job per file: its tasks are served in the order files arrived, within its share of workers.
        with self.pool.job() as job:
            v = pipeline.Validation.start(tools, job, path, opened, proof_type=proof_type, filename=filename,
                                          sha256=sha256, observed_size=observed_size, context=context, spec=spec)
            pipeline.run(v)
        return v.report(lang, started)

    def health(self) -> EngineHealth:
        """The engine's state, without blocking (for ``/healthz`` and ``/readyz``).

        Returns an :class:`~validator_core.isolation.EngineHealth`:

        * ``alive`` — false when the worker pool is down: it failed several times in a row and no task
          succeeded since (rebuilds go on in the background; :meth:`validate` raises
          :class:`EngineUnavailable` meanwhile). A pool being rebuilt after a one-off failure (a killed
          fork server) stays alive. Liveness probes should fail when this is false.
        * ``ready`` — alive, started and at least one worker process running: validations are answered
          now. Readiness probes should fail when this is false.
        * ``workers`` (configured), ``workers_alive`` (worker processes running now),
          ``fork_server_alive`` (``None`` without a fork server, or before it started), ``fork_server_pid``, ``start_method``,
          ``mode`` (``process`` / ``inline``), ``rebuilds`` (pools replaced since start), ``failure``
          (the last pool failure, for logs).

        Calling it also notices a dead fork server and has the pool rebuilt.
        """
        return self.pool.health()

    def catalogue(self) -> Catalogue:
        """The requirement catalogue of every catalogue plugin (built on first use)."""
        return self.registry.catalogue()

    def requirement(self, proof_id: str, rem: str | None = None) -> ProofSpec:
        """The catalogue proof ``proof_id`` (leniently); raises :class:`UnknownRequirement` / :class:`UnknownRem`."""
        return self.registry.catalogue().find(proof_id, rem)

    def close(self) -> None:
        self.pool.close()


_DEFAULT: Engine | None = None
_DEFAULT_LOCK = threading.Lock()


def default_engine() -> Engine:
    """The process-wide engine built from ``PREUVES_*`` settings (created on first use)."""
    global _DEFAULT
    with _DEFAULT_LOCK:
        if _DEFAULT is None:
            _DEFAULT = Engine()
            atexit.register(_DEFAULT.close)
        return _DEFAULT


def validate(
    path: str | Path,
    proof_type: str | None = None,
    *,
    filename: str | None = None,
    lang: str = "fr",
    **options: Any,
) -> Report:
    """Validate one proof file with the default engine. See :meth:`Engine.validate`."""
    return default_engine().validate(path, proof_type, filename=filename, lang=lang, **options)
