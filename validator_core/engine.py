"""The validation pipeline: one file in, one :class:`~validator_core.Report` out.

Order (each step cheap before the next): not a regular file (``stat``, nothing opened) → empty file →
size against the type's limit (``fstat``, no read) → content detection on the file's head (libmagic, in
a worker) → format allowlist by content → extension against content → plugin checks (in workers, in
parallel, each under the timeout) → verdict.

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
from validator_core.detect import OCTET_STREAM, OpenedProof, clean_name, open_proof_file, sha256_of
from validator_core.errors import EngineUnavailable, UnknownProofType, UnsupportedLanguage
from validator_core.isolation import (
    ENGINE_EXCEPTIONS, EngineHealth, Raised, Sniffed, WorkerPool, task_inspect, task_sniff,
)
from validator_core.messages import LANGS, render
from validator_core.models import EngineInfo, FileFacts, Finding, Inspection, Report, Severity, Verdict
from validator_core.proof import HEAD_BYTES, Proof
from validator_core.registry import PluginConfig, PluginRegistry
from validator_core.requirements import ProofSpec, apply_requirement_findings, choose_proof_type
from validator_core.rules import Rules, load_rules
from validator_core.settings import CoreSettings, get_core_settings

SNIFF_CHECK = "detection"  # the name check.timeout/check.crashed give the content-detection step


def _label_of(media_type: str) -> str:
    """A short name for a media type outside the rules' formats: ``image/gif`` → ``GIF``."""
    subtype = media_type.split("/")[-1]
    for prefix in ("x-", "vnd."):
        subtype = subtype.removeprefix(prefix)
    return subtype.upper()


def _mo(size: int) -> str:
    return f"{size / 1_000_000:g}"


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
        size = max(opened.size, observed_size or 0)
        display_name, extension, name_problems = clean_name(filename if filename is not None else path.name)
        facts_file = FileFacts(name=display_name, size=size, extension=extension)
        findings: list[Finding] = []
        facts: dict[str, dict[str, Any]] = {}
        inferred = False
        if spec is not None:
            facts["requirement"] = spec.context()

        def finish(type_id: str | None) -> Report:
            for f in findings:
                f.message = self._message(f, lang, type_id)
            return Report(
                verdict=Verdict.from_findings(findings),
                proof_type=type_id,
                proof_type_inferred=inferred,
                file=facts_file,
                findings=findings,
                facts=facts,
                engine=self.info,
                elapsed_ms=round((time.perf_counter() - started) * 1000, 2),
            )

        def digest() -> str:
            assert opened.fh is not None
            return sha256 or sha256_of(opened.fh)

        if name_problems:
            findings.append(self._core("file.suspicious_name", Severity.WARNING, reason=", ".join(name_problems)))
        if opened.fh is None:  # a device, FIFO, socket or kernel pseudo-file: never read
            findings.append(self._core("file.not_regular", Severity.ERROR, kind=opened.kind or "other"))
            return finish(proof_type)
        if size == 0:
            facts_file.media_type = "application/x-empty"
            facts_file.sha256 = digest()
            findings.append(self._core("file.empty", Severity.ERROR))
            return finish(proof_type)

        # Size before anything reads the file (the type is known, or the largest limit applies).
        over_limit = proof_type is not None and size > self.rules.proof_type(proof_type).max_bytes
        head = opened.fh.read(HEAD_BYTES)
        base = Proof(
            path=str(path), name=display_name, size=size, media_type=OCTET_STREAM, format=None,
            extension=extension, proof_type=proof_type, rules=self.rules, head=head, context=context or {},
        )
        # One job per file: its tasks are served in the order files arrived, within its share of workers.
        with self.pool.job() as job:
            sniff = job.run(task_sniff, (base, proof_type is None))
            if not isinstance(sniff.value, Sniffed):
                self._raise_if_engine_incomplete(SNIFF_CHECK, sniff)
                findings.append(self._isolation_finding(SNIFF_CHECK, sniff))
                facts_file.sha256 = None if over_limit else digest()
                return finish(proof_type)
            media_type = sniff.value.media_type
            facts_file.media_type = media_type
            if proof_type is None:
                candidate = sniff.value.inferred_type
                proof_type = candidate if candidate in self.rules.proof_types else self.rules.default_proof_type
                if spec is not None:  # the requirement's admitted types come first
                    proof_type = choose_proof_type(spec, proof_type, media_type, self.rules)
                inferred = True
                findings.append(self._core("type.inferred", Severity.INFO, proof_type=proof_type))
                over_limit = size > self.rules.proof_type(proof_type).max_bytes
            rule = self.rules.proof_type(proof_type)
            if spec is not None and spec.admits and proof_type not in spec.admits:
                findings.append(self._core("requirement.type_not_admitted", Severity.ERROR, requirement=spec.id,
                                           admitted=", ".join(spec.admits), proof_type=proof_type))

            if over_limit:
                # Nothing past the limit is looked at; the digest of a partial upload would mislead.
                facts_file.sha256 = None
                findings.append(
                    self._core("file.too_large", Severity.ERROR, size=size, limit=rule.max_bytes,
                               limit_mo=_mo(rule.max_bytes), proof_type=proof_type)
                )
                return finish(proof_type)

            format_id = self.rules.format_for_media_type(media_type)
            allowed_labels = ", ".join(self.rules.formats[f].label for f in rule.formats if f in self.rules.formats)
            detected_label = self.rules.formats[format_id].label if format_id else _label_of(media_type)
            if not self.rules.allows(proof_type, format_id):
                facts_file.sha256 = digest()
                code = "format.unknown" if media_type == OCTET_STREAM else "format.not_allowed"
                findings.append(
                    self._core(code, Severity.ERROR, media_type=media_type, detected=detected_label,
                               allowed=allowed_labels, proof_type=proof_type)
                )
                return finish(proof_type)
            if format_id is not None:
                expected = self.rules.formats[format_id].extensions
                if extension not in expected:
                    findings.append(
                        self._core("format.extension_mismatch", Severity.WARNING,
                                   extension=f".{extension}" if extension else "(aucune)",
                                   detected=detected_label, expected=", ".join("." + e for e in expected))
                    )

            proof = Proof(**{**base.__dict__, "media_type": media_type, "format": format_id, "proof_type": proof_type})
            checks = self.registry.checks_for(proof_type, media_type)
            futures = [(decl.plugin, job.submit(task_inspect, (decl.plugin, proof))) for decl in checks]
            # Hash while the workers inspect: for a large video the two take about as long as each other.
            facts_file.sha256 = digest()
            for plugin, future in futures:
                outcome = job.wait(future)
                result = outcome.value
                if isinstance(result, Inspection):
                    for f in result.findings:
                        f.plugin = plugin
                        findings.append(f)
                    if result.facts:
                        facts[plugin] = result.facts
                elif isinstance(result, Raised):
                    if result.type_name in ENGINE_EXCEPTIONS:  # a module or shared library is missing
                        raise EngineUnavailable(f"plugin {plugin}: {result.type_name}")
                    findings.append(self._core("check.crashed", Severity.ERROR, check=plugin, reason=result.type_name))
                else:
                    findings.append(self._isolation_finding(plugin, outcome))
        if spec is not None:
            apply_requirement_findings(
                findings, self.registry.check_requirement(spec, proof_type, facts_file, facts, findings, self.rules)
            )
        return finish(proof_type)

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

    def requirement(self, proof_id: str, rem: str | None = None) -> ProofSpec:
        """The catalogue proof ``proof_id`` (leniently); raises :class:`UnknownRequirement` / :class:`UnknownRem`."""
        return self.registry.catalogue().find(proof_id, rem)

    def close(self) -> None:
        self.pool.close()

    # -- helpers ----------------------------------------------------------------------------
    def _core(self, code: str, severity: Severity, **details: Any) -> Finding:
        return Finding(code=code, severity=severity, plugin="core", details=details)

    @staticmethod
    def _raise_if_engine_incomplete(check: str, outcome: Any) -> None:
        if outcome.crashed and outcome.reason in ENGINE_EXCEPTIONS:
            raise EngineUnavailable(f"{check}: {outcome.reason}")

    def _isolation_finding(self, check: str, outcome: Any) -> Finding:
        if outcome.timed_out:
            return self._core("check.timeout", Severity.ERROR, check=check, timeout_s=self.settings.check_timeout_s)
        return self._core("check.crashed", Severity.ERROR, check=check, reason=outcome.reason or "?")

    def _message(self, finding: Finding, lang: str, proof_type: str | None) -> str:
        message = self.registry.message(finding.code)
        if message is None:
            return finding.code
        values = dict(finding.details)
        type_id = values.get("proof_type") or proof_type
        if type_id in self.rules.proof_types:
            rule = self.rules.proof_type(type_id)
            values.setdefault("type_label", rule.label_en if lang == "en" else rule.label_fr)
        return render(message.template(lang), values)


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
