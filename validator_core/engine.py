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
import itertools
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, Sequence, TypeVar

from validator_core import __version__
from validator_core import pipeline
from validator_core.detect import OpenedProof, open_proof_file
from validator_core.errors import EngineUnavailable, UnknownProofType, UnsupportedLanguage
from validator_core.isolation import EngineHealth, WorkerPool
from validator_core.messages import LANGS
from validator_core.models import EngineInfo, Report
from validator_core.catalogue import Catalogue, ProofSpec
from validator_core.registry import PluginConfig, PluginRegistry
from validator_core.rules import Rules, load_rules
from validator_core.settings import CoreSettings, get_core_settings

if TYPE_CHECKING:
    from validator_core.messages import Message

T = TypeVar("T")
R = TypeVar("R")


@dataclass(frozen=True)
class Limits:
    """What the engine bounds, for the layers in front of it (an upload stores no more than its type
    admits, a client is told how long a check may take)."""

    max_bytes: dict[str, int]  # proof type id → its size limit (bytes)
    check_timeout_s: float  # one plugin check on one file, from the moment a worker starts it
    cpu_limit_s: float  # the CPU time a worker may spend on one task (a little above the timeout)

    @property
    def largest(self) -> int:
        """The largest size limit: what a file of a type not known yet may be."""
        return max(self.max_bytes.values())

    def for_type(self, proof_type: str | None) -> int:
        """The limit of ``proof_type``, or the largest one when the type is unknown or not given yet."""
        return self.max_bytes.get(proof_type or "", self.largest)


@dataclass(frozen=True)
class BatchItem:
    """One file for :meth:`Engine.validate_many`, with what :meth:`Engine.validate` takes for it."""

    path: str | Path
    proof_type: str | None = None
    requirement: str | None = None
    filename: str | None = None
    sha256: str | None = None
    observed_size: int | None = None
    context: dict[str, Any] | None = None  # what the plugins see in ``proof.context`` (e.g. ``dossier``)


@dataclass(frozen=True)
class BatchProgress:
    """One file of :meth:`Engine.validate_many` done: its outcome, how many are done, how long it took."""

    item: BatchItem
    outcome: Report | OSError
    done: int
    total: int
    elapsed_s: float


class Engine:
    """Rules, plugins and worker pool behind one façade; thread-safe ``validate()``.

    Callers use its public methods only: validating (:meth:`validate`, :meth:`validate_many`), what it
    knows (:meth:`proof_types`, :meth:`limits`, :meth:`catalogue`, :meth:`requirement`,
    :meth:`plugin_names`, :meth:`message`, ``info``) and its life (:meth:`start`, :meth:`health`,
    :meth:`close`). Its rules, registry and pool are private: the use cases both faces share are in
    :mod:`validator_core.service`.

    One engine per process is the norm (:func:`default_engine`); the HTTP service creates its own at
    start-up from its settings.
    """

    def __init__(
        self,
        settings: CoreSettings | None = None,
        *,
        rules: Rules | None = None,
        plugin_config: PluginConfig | None = None,
        registry: PluginRegistry | None = None,
    ) -> None:
        self._settings = settings or get_core_settings()
        self._rules = rules or load_rules(self._settings.rules)
        # The parent's registry knows declarations and messages; inspections run in the workers.
        # A caller that already loaded the plugins (the command line) hands its registry over.
        self._registry = registry or PluginRegistry.load(plugin_config or self._settings.plugin_config())
        self._plugin_config = self._registry.config
        self._pool = WorkerPool(
            self._plugin_config,
            preload=self._registry.preload,
            registry=self._registry,
            workers=self._settings.worker_count(),
            timeout_s=self._settings.check_timeout_s,
            memory_mb=self._settings.worker_memory_mb,
            max_tasks=self._settings.worker_max_tasks,
            mode=self._settings.isolation,
            start_method=self._settings.worker_start,
        )
        self.info = EngineInfo(version=__version__, rules=self._rules.version, plugins=self._registry.versions())

        self._limits = Limits(
            max_bytes={type_id: rule.max_bytes for type_id, rule in self._rules.proof_types.items()},
            check_timeout_s=self._settings.check_timeout_s, cpu_limit_s=self._pool.cpu_limit_s,
        )

    # -- public: what callers (CLI, HTTP service, scripts) may ask; nothing else is reached into --
    def start(self) -> None:
        """Start the workers now rather than on the first file (the CLI does it before any thread
        exists, so that ``fork`` is safe; the HTTP service at start-up, off the event loop)."""
        self._pool.start()

    def proof_types(self) -> dict[str, Any]:
        """The proof types, their formats and size limits, as JSON (``GET /v1/proof-types``,
        ``preuves types --json``): ``{"rules": <version>, "proof_types": [...]}``."""
        return self._rules.to_dict()

    def check_proof_type(self, proof_type: str | None) -> None:
        """Raise :class:`UnknownProofType` (with the valid ids) unless ``proof_type`` is ``None`` or known."""
        if proof_type is not None and proof_type not in self._rules.proof_types:
            raise UnknownProofType(proof_type, list(self._rules.proof_types))

    def limits(self) -> Limits:
        """The limits the engine applies: each proof type's size, the check timeout and CPU limit."""
        return self._limits

    def catalogue(self) -> Catalogue:
        """The requirement catalogue the plugins registered (built once, on first use: the HTTP service
        asks at start-up so that no request pays for it)."""
        return self._registry.catalogue()

    def plugin_names(self) -> list[str]:
        """The plugins registered (those that declare no check too)."""
        return self._registry.plugin_names

    def message(self, code: str) -> Message | None:
        """The French/English templates of a finding code, from whoever registered it (``None``: unknown)."""
        return self._registry.message(code)

    def validate_many(
        self,
        files: Sequence[BatchItem],
        *,
        lang: str = "fr",
        rem: str | None = None,
        on_done: Callable[[BatchProgress], None] | None = None,
    ) -> list[Report | OSError]:
        """Validate several files, as many at once as there are workers; outcomes in the order given.

        What ``preuves check`` does for its paths and the HTTP service for a request's files (one file,
        a batch, a dossier). Each file gets what :meth:`validate` gives it, or the :class:`OSError`
        that kept it from being read: that is the file's outcome, the others are still validated.

        :param rem: the REM of every file's ``requirement``.
        :param on_done: called as each file is done (one call at a time, from the thread that
            validated it) with a :class:`BatchProgress`: a progress bar, metrics.
        :raises UnsupportedLanguage, UnknownProofType, UnknownRequirement, UnknownRem: before any file
            is read.
        :raises EngineUnavailable: the engine could not examine a file: no outcome for any (the files not
            started are not validated). Otherwise the first other error (in the order of the files).
        """
        if lang not in LANGS:
            raise UnsupportedLanguage(lang, LANGS)
        for item in files:
            self.check_proof_type(item.proof_type)
            if item.requirement:
                self.requirement(item.requirement, rem)
        done_lock = threading.Lock()
        done = itertools.count(1)

        def one(item: BatchItem) -> Report | OSError:
            started = time.perf_counter()
            outcome: Report | OSError
            try:
                outcome = self.validate(item.path, item.proof_type, filename=item.filename, lang=lang,
                                        sha256=item.sha256, observed_size=item.observed_size,
                                        requirement=item.requirement, rem=rem, context=item.context)
            except OSError as exc:
                outcome = exc
            if on_done is not None:
                with done_lock:
                    on_done(BatchProgress(item, outcome, next(done), len(files), time.perf_counter() - started))
            return outcome

        return _map_bounded(one, files, self._pool.workers)

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
        tools = pipeline.Tools(rules=self._rules, registry=self._registry, timeout_s=self._settings.check_timeout_s,
                               info=self.info)
        # One job per file: its tasks are served in the order files arrived, within its share of workers.
        with self._pool.job() as job:
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
        return self._pool.health()

    def requirement(self, proof_id: str, rem: str | None = None) -> ProofSpec:
        """The catalogue proof ``proof_id`` (leniently); raises :class:`UnknownRequirement` / :class:`UnknownRem`."""
        return self._registry.catalogue().find(proof_id, rem)

    def close(self) -> None:
        self._pool.close()


def _map_bounded(call: Callable[[T], R], items: Sequence[T], threads: int) -> list[R]:
    """``call`` on every item, at most ``threads`` at once, results in the order of the items.

    The first failure cancels the calls not started yet; once the others are done,
    :class:`EngineUnavailable` is raised before any other error (the engine's failure is the batch's,
    whatever else went wrong), else the first in the order of the items.
    """
    if min(len(items), threads) <= 1:  # one file (or one worker): no thread
        return [call(item) for item in items]
    from concurrent.futures import ThreadPoolExecutor, as_completed

    with ThreadPoolExecutor(max_workers=min(len(items), threads), thread_name_prefix="preuves-batch") as executor:
        futures = [executor.submit(call, item) for item in items]
        for future in as_completed(futures):
            if future.exception() is not None:
                for pending in futures:
                    pending.cancel()
                break
    errors = [f.exception() for f in futures if not f.cancelled() and f.exception() is not None]
    if errors:
        raise next((e for e in errors if isinstance(e, EngineUnavailable)), errors[0])
    return [f.result() for f in futures]


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
