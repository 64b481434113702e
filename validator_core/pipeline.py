"""The validation pipeline, one step per function: one file in, one :class:`~validator_core.Report` out.

:class:`Validation` is what is known about the file so far (its name and size, findings, facts, proof
type, detected content); each step reads and adds to it, and may end the pipeline by returning
:data:`STOP` (the report is then written from what is known: nothing later runs). :data:`STEPS` is
the order, each step cheap before the next:

1. :func:`warn_suspicious_name` — NUL, bidi override, invisible or control characters in the name.
2. :func:`refuse_not_regular` — a device, FIFO, socket or kernel pseudo-file (``stat``, never read).
3. :func:`refuse_empty` — 0 bytes.
4. :func:`detect_content` — libmagic on the file's head, in a worker (and the proof type's inference
   when none was given).
5. :func:`settle_proof_type` — the inferred type (the requirement's admitted types first), then
   :func:`check_admitted_type` against the requirement.
6. :func:`refuse_too_large` — the size (``fstat``, known before anything was read) against the type's
   limit; it comes after detection because an inferred type's limit needs the content.
7. :func:`refuse_format` — the detected format against the type's allowlist.
8. :func:`check_extension` — the name's extension against the detected format.
9. :func:`run_plugins` — every plugin check for the type and format, in workers, in parallel, each
   under the timeout (the file is hashed meanwhile).
10. :func:`check_requirement` — the requirement's expectations (``preuves_check_requirement``).

Then :meth:`Validation.report` renders the messages and gives the verdict. A new step is a new
function in :data:`STEPS`, at its place.

An engine that cannot examine the file (workers that cannot start, a plugin whose module is missing)
raises :class:`~validator_core.EngineUnavailable` from the step that found out: that is never a verdict.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Literal

from validator_core.detect import OCTET_STREAM, OpenedProof, clean_name, sha256_of
from validator_core.errors import EngineUnavailable
from validator_core.isolation import ENGINE_EXCEPTIONS, Job, Outcome, Raised, Sniffed, task_inspect, task_sniff
from validator_core import wording
from validator_core.messages import (CHECK_LABELS, NO_EXTENSION, NOT_REGULAR_KINDS, REPORT_TYPE,
                                     Message, format_advice, render, size_advice, template_fields)
from validator_core.models import EngineInfo, FileFacts, Finding, Inspection, Report, Severity, Verdict
from validator_core.proof import HEAD_BYTES, Proof
from validator_core.registry import PluginRegistry
from validator_core.catalogue import ProofSpec, apply_requirement_findings, choose_proof_type
from validator_core.rules import Rules

STOP: Literal["stop"] = "stop"  # a step's answer that ends the pipeline
StepResult = Literal["stop"] | None
SNIFF_CHECK = "detection"  # the name check.timeout/check.crashed give the content-detection step


@dataclass(frozen=True)
class Tools:
    """What the engine lends each validation: its rules, its plugins (declarations, messages), the
    check timeout (for ``check.timeout`` details) and its identity (for the report)."""

    rules: Rules
    registry: PluginRegistry
    timeout_s: float
    info: EngineInfo


@dataclass(eq=False)
class Validation:
    """One file on its way through :data:`STEPS`."""

    tools: Tools
    job: Job  # the file's tasks, served in arrival order within its share of the workers
    path: Path
    opened: OpenedProof
    file: FileFacts  # name, size, extension now; sha256 and media type as the steps learn them
    name_problems: list[str]
    proof_type: str | None  # the caller's, until settle_proof_type infers one
    spec: ProofSpec | None  # the requirement the file answers
    context: dict[str, Any]  # handed to plugins with the proof
    given_sha256: str | None  # the caller's digest (computed while receiving the upload)
    findings: list[Finding] = field(default_factory=list)
    facts: dict[str, dict[str, Any]] = field(default_factory=dict)
    inferred: bool = False
    proof: Proof | None = None  # built by detect_content (head read), completed by run_plugins
    inferred_type: str | None = None  # what the workers' inference proposed (detect_content)
    format_id: str | None = None  # the rules' format for the detected media type

    @classmethod
    def start(cls, tools: Tools, job: Job, path: Path, opened: OpenedProof, *, proof_type: str | None,
              filename: str | None, sha256: str | None, observed_size: int | None,
              context: dict[str, Any] | None, spec: ProofSpec | None) -> "Validation":
        display_name, extension, name_problems = clean_name(filename if filename is not None else path.name)
        size = max(opened.size, observed_size or 0)
        v = cls(tools=tools, job=job, path=path, opened=opened, name_problems=name_problems,
                file=FileFacts(name=display_name, size=size, extension=extension), proof_type=proof_type,
                spec=spec, context=context or {}, given_sha256=sha256)
        if spec is not None:
            v.facts["requirement"] = spec.context()
        return v

    @property
    def rules(self) -> Rules:
        return self.tools.rules

    def digest(self) -> str:
        assert self.opened.fh is not None
        return self.given_sha256 or sha256_of(self.opened.fh)

    def over_limit(self) -> bool:
        """Larger than the type's limit (no type yet: not over)."""
        return self.proof_type is not None and self.file.size > self.rules.proof_type(self.proof_type).max_bytes

    def report(self, lang: str, started: float) -> Report:
        """The verdict, with every finding's message in ``lang``."""
        for f in self.findings:
            f.message = message_for(self.tools, f, lang, self.proof_type, self.file.media_type)
        return Report(
            verdict=Verdict.from_findings(self.findings),
            proof_type=self.proof_type,
            proof_type_inferred=self.inferred,
            file=self.file,
            findings=self.findings,
            facts=self.facts,
            engine=self.tools.info,
            elapsed_ms=round((time.perf_counter() - started) * 1000, 2),
        )


Step = Callable[[Validation], StepResult]


def run(v: Validation) -> None:
    """Run :data:`STEPS` in order until one answers :data:`STOP`."""
    for step in STEPS:
        if step(v) == STOP:
            return


# -- the steps, in order ----------------------------------------------------------------------
def warn_suspicious_name(v: Validation) -> None:
    if v.name_problems:
        v.findings.append(_core("file.suspicious_name", Severity.WARNING, reason=", ".join(v.name_problems)))


def refuse_not_regular(v: Validation) -> StepResult:
    if v.opened.fh is None:  # a device, FIFO, socket or kernel pseudo-file: never read
        v.findings.append(_core("file.not_regular", Severity.ERROR, kind=v.opened.kind or "other"))
        return STOP
    return None


def refuse_empty(v: Validation) -> StepResult:
    if v.file.size == 0:
        v.file.media_type = "application/x-empty"
        v.file.sha256 = v.digest()
        v.findings.append(_core("file.empty", Severity.ERROR))
        return STOP
    return None


def detect_content(v: Validation) -> StepResult:
    """libmagic on the head, in a worker; the workers also infer the proof type when none was given."""
    assert v.opened.fh is not None
    head = v.opened.fh.read(HEAD_BYTES)
    v.proof = Proof(
        path=str(v.path), name=v.file.name, size=v.file.size, media_type=OCTET_STREAM, format=None,
        extension=v.file.extension, proof_type=v.proof_type, rules=v.rules, head=head, context=v.context,
    )
    sniff = v.job.run(task_sniff, (v.proof, v.proof_type is None))
    if not isinstance(sniff.value, Sniffed):
        if sniff.reason in ENGINE_EXCEPTIONS:  # a module or shared library is missing
            raise EngineUnavailable(f"{SNIFF_CHECK}: {sniff.reason}")
        v.findings.append(_isolation_finding(v.tools, SNIFF_CHECK, sniff))
        # Nothing past the limit is looked at; the digest of a partial upload would mislead.
        v.file.sha256 = None if v.over_limit() else v.digest()
        return STOP
    v.file.media_type = sniff.value.media_type
    v.format_id = v.rules.format_for_media_type(v.file.media_type)
    v.inferred_type = sniff.value.inferred_type
    return None


def settle_proof_type(v: Validation) -> None:
    """No type given: the inferred one (``logs`` when nothing claims the file), the requirement's first."""
    if v.proof_type is not None:
        return
    candidate = v.inferred_type
    proof_type = candidate if candidate in v.rules.proof_types else v.rules.default_proof_type
    if v.spec is not None:  # the requirement's admitted types come first
        assert v.file.media_type is not None
        proof_type = choose_proof_type(v.spec, proof_type, v.file.media_type, v.rules)
    v.proof_type = proof_type
    v.inferred = True
    v.findings.append(_core("type.inferred", Severity.INFO, proof_type=proof_type))
    media_type = v.file.media_type or ""
    if wording.is_office_document(media_type) and v.rules.proof_type(proof_type).any_format:
        # A Word/Excel/OpenDocument file lands in an "any format" type and would read « acceptée »:
        # a compte-rendu must be a PDF/A-1, so say what it was taken for.
        v.findings.append(_core("type.inferred_office_document", Severity.WARNING, proof_type=proof_type,
                                media_type=media_type))


def check_admitted_type(v: Validation) -> None:
    spec = v.spec
    if spec is not None and spec.admits and v.proof_type not in spec.admits:
        v.findings.append(_core("requirement.type_not_admitted", Severity.ERROR, requirement=spec.id,
                                admitted=", ".join(spec.admits), proof_type=v.proof_type))


def refuse_too_large(v: Validation) -> StepResult:
    if not v.over_limit():
        return None
    assert v.proof_type is not None
    limit = v.rules.proof_type(v.proof_type).max_bytes
    v.file.sha256 = None  # nothing past the limit is looked at; the digest of a partial upload would mislead
    v.findings.append(_core("file.too_large", Severity.ERROR, size=v.file.size, limit=limit, limit_mo=_mo(limit),
                            proof_type=v.proof_type))
    return STOP


def refuse_format(v: Validation) -> StepResult:
    assert v.proof_type is not None and v.file.media_type is not None
    if v.rules.allows(v.proof_type, v.format_id):
        return None
    rules, media_type = v.rules, v.file.media_type
    allowed = ", ".join(rules.formats[f].label for f in rules.proof_type(v.proof_type).formats if f in rules.formats)
    v.file.sha256 = v.digest()
    code = "format.unknown" if media_type == OCTET_STREAM else "format.not_allowed"
    v.findings.append(_core(code, Severity.ERROR, media_type=media_type, detected=_detected_label(v),
                            allowed=allowed, proof_type=v.proof_type))
    return STOP


def check_extension(v: Validation) -> None:
    if v.format_id is None:  # a format outside the rules' table ("any format" types): no extension to expect
        return
    expected = v.rules.formats[v.format_id].extensions
    extension = v.file.extension
    if extension not in expected:
        v.findings.append(_core("format.extension_mismatch", Severity.WARNING,
                                extension=f".{extension}" if extension else NO_EXTENSION,
                                detected=_detected_label(v), expected=", ".join("." + e for e in expected),
                                media_type=v.file.media_type))


def run_plugins(v: Validation) -> None:
    assert v.proof is not None and v.proof_type is not None and v.file.media_type is not None
    v.proof = Proof(**{**v.proof.__dict__, "media_type": v.file.media_type, "format": v.format_id,
                       "proof_type": v.proof_type})
    checks = v.tools.registry.checks_for(v.proof_type, v.file.media_type)
    futures = [(decl.plugin, v.job.submit(task_inspect, (decl.plugin, v.proof))) for decl in checks]
    # Hash while the workers inspect: for a large video the two take about as long as each other.
    v.file.sha256 = v.digest()
    for plugin, future in futures:
        _take_outcome(v, plugin, v.job.wait(future))


def check_requirement(v: Validation) -> None:
    if v.spec is None:
        return
    assert v.proof_type is not None
    extra = v.tools.registry.check_requirement(v.spec, v.proof_type, v.file, v.facts, v.findings, v.rules)
    apply_requirement_findings(v.findings, extra)


STEPS: tuple[Step, ...] = (
    warn_suspicious_name,
    refuse_not_regular,
    refuse_empty,
    detect_content,
    settle_proof_type,
    check_admitted_type,
    refuse_too_large,
    refuse_format,
    check_extension,
    run_plugins,
    check_requirement,
)


# -- helpers ----------------------------------------------------------------------------------
def _take_outcome(v: Validation, plugin: str, outcome: Outcome) -> None:
    """One plugin's answer: its findings and facts, or what stopped it."""
    result = outcome.value
    if isinstance(result, Inspection):
        for f in result.findings:
            f.plugin = plugin
            v.findings.append(f)
        if result.facts:
            v.facts[plugin] = result.facts
    elif isinstance(result, Raised):
        if result.type_name in ENGINE_EXCEPTIONS:  # a module or shared library is missing
            raise EngineUnavailable(f"plugin {plugin}: {result.type_name}")
        v.findings.append(_core("check.crashed", Severity.ERROR, check=plugin, reason=result.type_name))
    else:
        v.findings.append(_isolation_finding(v.tools, plugin, outcome))


def _core(code: str, severity: Severity, **details: Any) -> Finding:
    return Finding(code=code, severity=severity, plugin="core", details=details)


def _isolation_finding(tools: Tools, check: str, outcome: Outcome) -> Finding:
    if outcome.timed_out:
        return _core("check.timeout", Severity.ERROR, check=check, timeout_s=tools.timeout_s)
    return _core("check.crashed", Severity.ERROR, check=check, reason=outcome.reason or "?")


def message_for(tools: Tools, finding: Finding, lang: str, proof_type: str | None, media_type: str | None) -> str:
    """A finding's message in ``lang``: its template filled from its details and :func:`message_values`."""
    message = tools.registry.message(finding.code)
    if message is None:
        return finding.code
    template = message.template(lang)
    values = {**message_values(tools, finding, lang, proof_type, media_type, template_fields(template)),
              **finding.details}
    return render(template, values, lang, message.words)


def message_values(tools: Tools, finding: Finding, lang: str, proof_type: str | None, media_type: str | None,
                   wanted: set[str]) -> dict[str, Any]:
    """The values a template may read besides the finding's details, in ``lang``: the labels of the rules'
    proof types and formats, and the advice that depends on them. Only the ``wanted`` ones are computed."""
    rules, details = tools.rules, finding.details
    type_id = details.get("proof_type") or proof_type
    rule = rules.proof_type(type_id) if type_id in rules.proof_types else None
    values: dict[str, Any] = {}
    accepted: list[str] = []  # the media types of the formats the type accepts (none: any format)

    def say(m: Message) -> str:
        return m.template(lang)

    if rule is not None:
        values["type_label"] = _type_label(rules, type_id, lang)
        accepted = [rules.formats[f].media_types[0] for f in rule.formats if f in rules.formats]
        if wanted & {"allowed_names", "format_advice"}:
            values["allowed_names"] = wording.either([wording.format_name(t, lang) for t in accepted], lang)
            values["format_advice"] = say(format_advice(accepted))
    if "size_advice" in wanted:
        values["size_advice"] = say(size_advice(media_type, accepted))
    if "excess" in wanted and isinstance(details.get("size"), int) and isinstance(details.get("limit"), int):
        values["excess"] = details["size"] - details["limit"]
    if "kind_label" in wanted:
        values["kind_label"] = say(NOT_REGULAR_KINDS.get(str(details.get("kind")), NOT_REGULAR_KINDS["other"]))
    if "check_label" in wanted:
        values["check_label"] = say(CHECK_LABELS["detection" if details.get("check") == SNIFF_CHECK else "plugin"])
    if "admitted_labels" in wanted:
        admitted = [t.strip() for t in str(details.get("admitted", "")).split(",") if t.strip()]
        values["admitted_labels"] = wording.either([f"« {_type_label(rules, t, lang)} »" if lang != "en" else
                                                    f"“{_type_label(rules, t, lang)}”" for t in admitted], lang)
    if "report_label" in wanted:  # the proof type a PDF is taken for: the compte-rendu
        report_type = rules.proof_type_for_media_type("application/pdf")
        values["report_label"] = _type_label(rules, report_type, lang) if report_type else say(REPORT_TYPE)
    return values


def _type_label(rules: Rules, type_id: str, lang: str) -> str:
    if type_id not in rules.proof_types:
        return type_id
    rule = rules.proof_type(type_id)
    return rule.label_en if lang == "en" else rule.label_fr


def _detected_label(v: Validation) -> str:
    """The rules' label of the detected format, else a short name for the media type (``image/gif`` → ``GIF``)."""
    if v.format_id is not None:
        return v.rules.formats[v.format_id].label
    assert v.file.media_type is not None
    subtype = v.file.media_type.split("/")[-1]
    for prefix in ("x-", "vnd."):
        subtype = subtype.removeprefix(prefix)
    return subtype.upper()


def _mo(size: int) -> str:
    return f"{size / 1_000_000:g}"
