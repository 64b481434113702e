"""File proofs against what their texts name: a file name, a format, an SMTP message, HL7 v2, a ZIP.

Read from the ``logs`` plugin's facts (``facts["logs"]``: the formats it recognised, the message's
headers and parts, the HL7 v2 message types, the ZIP's central directory), never from the file.

- ``file_name`` (« nommé LOINC_1_export_chapitres_[date du jour au format AAAAMMJJ].csv »): warning;
- ``file_format`` ``csv`` / ``zip``: a warning when the detected content differs;
- ``file_format`` ``smtp`` (« Source SMTP … »): not an RFC 5322 message is an **error** (the text
  makes it certain); MIME defects, a header the requirement names missing or with another value
  (``smtp_headers``), an attachment it names missing (``smtp_attachments``): warnings;
- ``hl7_message_type`` (« message HL7 de type A31 », « à minima … A47 »): no HL7 v2 message, or none
  of that type in MSH-9, is a warning (a log may hold the message in another form);
- ``ihe_xdm`` / ``zip_contents``: an IHE XDM archive without ``IHE_XDM/<lot>/METADATA.XML`` or
  without a document next to it, an archive holding fewer files than the proof names: warnings.
"""

from __future__ import annotations

import re
from typing import Any

from plugins.rem_catalogue.expectations import asked
from validator_core import Finding, finding

# What a file proof's stated format looks like once detected (libmagic media types).
FILE_FORMAT_MEDIA_TYPES: dict[str, tuple[str, ...]] = {
    "csv": ("text/csv", "text/plain", "application/csv"),
    "zip": ("application/zip", "application/x-zip-compressed"),
}
FILE_FORMAT_LABELS = {"csv": "CSV", "zip": "ZIP"}
# The attachments a requirement names, as a message carries them (media types, file-name extensions).
ATTACHMENT_KINDS: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "zip": (("application/zip", "application/x-zip-compressed"), ("zip",)),
    "pdf": (("application/pdf",), ("pdf",)),
}
ATTACHMENT_LABELS = {"zip": "ZIP (IHE_XDM.ZIP)", "pdf": "PDF"}
_XDM_METADATA = re.compile(r"(?i)^(?:[^/]*/)?IHE_XDM/[^/]+/METADATA\.XML$")
_XDM_SUBSET = re.compile(r"(?i)^((?:[^/]*/)?IHE_XDM/[^/]+/)")


def file_name_regex(pattern: str, proof_id: str = "") -> re.Pattern[str]:
    """``LOINC_1_export_chapitres_[AAAAMMJJ].csv`` → a regex matching ``…_20230315.csv``, optionally
    after ``proof_id`` and a separator: a dossier folder names its files by their proof
    (``LOI_va1.01.01.01 LOINC_1_export_chapitres_20230315.csv``, see ``docs/requirements.md``), and the
    name the ANS imposes is what follows."""
    parts = re.split(r"\[AAAAMMJJ\]", pattern)
    # The id as the dossier layout writes it: its "/" as "/", "_", "-" or a space (validator_core.dossier).
    tokens = [t for t in re.split(r"[/\-\s]+", proof_id) if t]
    prefix = r"(?:" + r"[\s_\-/]*".join(re.escape(t) for t in tokens) + r"[\s_\-]+)?" if tokens else ""
    return re.compile("^" + prefix + r"\d{8}".join(re.escape(p) for p in parts) + "$", re.IGNORECASE)


def check_files(requirement: Any, proof_type: str, file: Any, facts: dict, rules: Any) -> list[Finding]:
    expected = requirement.expectations
    out: list[Finding] = []
    if pattern := expected.get("file_name"):
        if not file_name_regex(pattern, requirement.id).match(file.name or ""):
            out.append(finding("requirement.file_name_mismatch", "warning", expected=pattern, name=file.name,
                               **asked(requirement, "file_name")))
    if proof_type != "logs":
        return out
    logs = facts.get("logs")
    file_format = expected.get("file_format")
    if file_format in FILE_FORMAT_MEDIA_TYPES and file.media_type:
        if file.media_type not in FILE_FORMAT_MEDIA_TYPES[file_format]:
            out.append(finding("requirement.file_format_mismatch", "warning", expected=FILE_FORMAT_LABELS[file_format],
                               media_type=file.media_type, **asked(requirement, "file_format")))
    if not isinstance(logs, dict):  # the logs plugin is disabled or failed: nothing to compare
        return out
    formats = logs.get("formats") or []
    if file_format == "smtp":
        out += _smtp(requirement, logs, formats)
    if expected.get("hl7_message_type"):
        out += _hl7(requirement, logs, formats)
    if isinstance(logs.get("zip"), dict):
        out += _zip(requirement, logs["zip"])
    return out


def _smtp(requirement: Any, logs: dict, formats: list) -> list[Finding]:
    smtp = logs.get("smtp")
    if "smtp" not in formats or not isinstance(smtp, dict):
        return [finding("requirement.smtp_expected", "error", **asked(requirement, "file_format"))]
    out: list[Finding] = []
    if smtp.get("defects") or smtp.get("nesting_too_deep"):
        out.append(finding("requirement.smtp_malformed", "warning",
                           defects=", ".join(smtp.get("defects") or ["nesting_too_deep"]),
                           **asked(requirement, "file_format")))
    present = {str(name).lower() for name in smtp.get("headers") or ()}
    missing, mismatched = [], []
    for header in requirement.expectations.get("smtp_headers") or ():
        name = header["name"]
        if name == "Content-Type" and header.get("values"):
            found = smtp.get("body_type") if "multipart/report" not in header["values"] else smtp.get("content_type")
            if found not in header["values"]:
                mismatched.append((name, ", ".join(header["values"]), found or "—"))
        elif name.lower() not in present:
            missing.append(name)
        elif "value" in header:
            values = [v for key, vs in (smtp.get("mss_headers") or {}).items() if key.lower() == name.lower() for v in vs]
            if header["value"] not in [v.strip() for v in values]:
                mismatched.append((name, header["value"], ", ".join(values) or "—"))
    if missing:
        out.append(finding("requirement.smtp_header_missing", "warning", headers=", ".join(missing),
                           **asked(requirement, "smtp_headers")))
    for name, wanted, found in mismatched:
        out.append(finding("requirement.smtp_header_mismatch", "warning", header=name, expected=wanted, found=found,
                           **asked(requirement, "smtp_headers")))
    wanted_attachments = requirement.expectations.get("smtp_attachments") or ()
    types, extensions = smtp.get("attachment_types") or {}, smtp.get("attachment_extensions") or {}
    absent = [kind for kind in wanted_attachments
              if not (set(types) & set(ATTACHMENT_KINDS[kind][0]) or set(extensions) & set(ATTACHMENT_KINDS[kind][1]))]
    if absent:
        found = ", ".join(sorted({*types, *(f".{e}" for e in extensions)})) or "none"
        out.append(finding("requirement.smtp_attachment_missing", "warning",
                           missing=", ".join(ATTACHMENT_LABELS[k] for k in absent), found=found,
                           **asked(requirement, "smtp_attachments")))
    return out


def _hl7(requirement: Any, logs: dict, formats: list) -> list[Finding]:
    wanted = str(requirement.expectations["hl7_message_type"]).upper()
    hl7 = logs.get("hl7v2")
    if "hl7v2" not in formats or not isinstance(hl7, dict):
        return [finding("requirement.hl7_message_missing", "warning", expected=wanted,
                        **asked(requirement, "hl7_message_type"))]
    types = [str(t) for t in (hl7.get("message_types") or {})]
    events = {t.split("^")[1].upper() if "^" in t else t.upper() for t in types}
    if wanted not in events:
        return [finding("requirement.hl7_type_mismatch", "warning", expected=wanted, found=", ".join(types) or "—",
                        **asked(requirement, "hl7_message_type"))]
    return []


def _zip(requirement: Any, archive: dict) -> list[Finding]:
    expected = requirement.expectations
    names = [str(entry.get("name", "")) for entry in archive.get("entries") or () if isinstance(entry, dict)]
    files = [name for name in names if not name.endswith("/")]
    complete = len(names) >= int(archive.get("members") or 0)  # the entries list every member
    listed = ", ".join(files[:8]) + (" …" if len(files) > 8 else "")
    out: list[Finding] = []
    if expected.get("ihe_xdm") and complete:
        metadata = [name for name in files if _XDM_METADATA.match(name)]
        documents = [name for name in files if _XDM_SUBSET.match(name) and not _XDM_METADATA.match(name)]
        missing = [] if metadata else ["IHE_XDM/<lot>/METADATA.XML"]
        if not documents:
            missing.append("IHE_XDM/<lot>/<document> (CDA, PDF)")
        if missing:
            out.append(finding("requirement.ihe_xdm_incomplete", "warning", missing=", ".join(missing),
                               members=listed or "—", **asked(requirement, "ihe_xdm")))
    items = expected.get("zip_contents") or ()
    if items and complete and len(files) < len(items):
        out.append(finding("requirement.zip_missing_files", "warning", expected=len(items), count=len(files),
                           items=" ; ".join(items), members=listed or "—", **asked(requirement, "zip_contents")))
    return out
