"""Built-in plugin `logs`: files (TBB, DUMP, logs, …) — what they are, and what they must not hold.

Facts: text or binary, encoding, line count, first/last timestamps, and the structured formats
recognised (HL7 v2, FHIR JSON, CDA, SOAP, SMTP message source, ZIP, generic XML/JSON). Warnings:
secrets (private keys, tokens, passwords), NIRs with a valid key that are not test identities, XML or
JSON that does not parse, a DOCTYPE (never expanded), a ZIP that promises a bomb (never inflated).

Codes and thresholds are documented for users in ``docs/checks/logs.md``.
"""

from __future__ import annotations

import email
import email.policy
import io
import json
import re
import zipfile
from collections import Counter
from datetime import datetime
from typing import Any

from validator_core import Inspection, Proof, finding, hookimpl
from validator_core.textscan import decode_text, scan_identities, scan_secrets
from validator_core.xmlsafe import find_first, local_name, parse_xml

__version__ = "1.0.0"
PLUGIN = "logs"
READ_LIMIT = 1_000_000  # the ANS limit for this proof type; the engine already refused larger files
DEFAULTS: dict[str, Any] = {
    "zip_max_ratio": 100,
    "zip_ratio_min_bytes": 10_000_000,
    "zip_max_uncompressed_bytes": 100_000_000,
    "zip_max_members_listed": 50,
    "hl7_max_messages": 1000,
    "timestamp_scan_lines": 200,
}

MESSAGES: dict[str, tuple[str, str]] = {
    "logs.secret": (
        "Le fichier contient des secrets ({kinds}, lignes {lines}) : retirez-les (ou masquez-les) avant "
        "le dépôt, et renouvelez les clés, jetons ou mots de passe concernés.",
        "The file holds secrets ({kinds}, lines {lines}): remove (or mask) them before filing, and renew "
        "the keys, tokens or passwords concerned.",
    ),
    "logs.nir_not_test": (
        "{count} NIR valide(s) qui ne sont pas des identités de test ({nirs}) : des données réelles de "
        "patients ont pu fuiter dans la preuve. Utilisez des identités fictives.",
        "{count} valid NIR(s) that are not test identities ({nirs}): real patient data may have leaked "
        "into the proof. Use fictitious identities.",
    ),
    "logs.ins_real_oid": (
        "Le fichier cite {count} fois l'OID de l'INS-NIR réel (1.2.250.1.213.1.4.8) : une preuve doit "
        "utiliser des identités de test (OID …4.10) ou de démonstration (…4.11).",
        "The file quotes the real INS-NIR OID (1.2.250.1.213.1.4.8) {count} time(s): a proof must use test "
        "(OID …4.10) or demo (…4.11) identities.",
    ),
    "logs.xml_invalid": (
        "Le fichier XML n'est pas bien formé (ligne {line}, colonne {column}).",
        "The XML file is not well-formed (line {line}, column {column}).",
    ),
    "logs.xml_doctype": (
        "Le XML déclare un DOCTYPE ({entities} entité(s), dont {external} externe(s)) : il n'a été ni "
        "chargé ni développé. Retirez-le si ce n'est pas voulu.",
        "The XML declares a DOCTYPE ({entities} entity(ies), {external} external): it was neither loaded "
        "nor expanded. Remove it if it is not intended.",
    ),
    "logs.json_invalid": (
        "Le fichier JSON n'est pas valide (ligne {line}, colonne {column}).",
        "The JSON file is not valid (line {line}, column {column}).",
    ),
    "logs.zip_bomb": (
        "L'archive ZIP annonce {uncompressed} octets décompressés pour {compressed} compressés "
        "(ratio {ratio}) : c'est une bombe de décompression, pas un lot de logs.",
        "The ZIP archive declares {uncompressed} bytes uncompressed for {compressed} compressed "
        "(ratio {ratio}): that is a decompression bomb, not a log bundle.",
    ),
    "logs.zip_unreadable": (
        "Le fichier ressemble à une archive ZIP mais son répertoire central est illisible.",
        "The file looks like a ZIP archive but its central directory cannot be read.",
    ),
    "logs.zip_unsafe_names": (
        "L'archive ZIP contient {count} chemin(s) dangereux (absolu ou « .. ») : {names}.",
        "The ZIP archive holds {count} unsafe path(s) (absolute or “..”): {names}.",
    ),
    "logs.zip_encrypted": (
        "L'archive ZIP contient {count} fichier(s) chiffré(s) : l'ANS ne pourra pas les lire.",
        "The ZIP archive holds {count} encrypted file(s): the ANS will not be able to read them.",
    ),
}


@hookimpl
def preuves_register_checks(register):
    register(
        proof_types=("logs",),
        media_types=None,
        version=__version__,
        description="Fichiers (TBB, DUMP, logs) : formats reconnus, secrets, NIR réels, XML/JSON, ZIP",
    )


@hookimpl
def preuves_register_messages(register):
    for code, (fr, en) in MESSAGES.items():
        register(code, fr=fr, en=en)


# --- timestamps --------------------------------------------------------------------------------------
# A log line's timestamp is at its start; a 1 MB single-line file must not be scanned 5 times whole.
TIMESTAMP_LINE_CHARS = 256
_MONTHS = {m: i for i, m in enumerate(("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"), 1)}
_TS_PATTERNS: tuple[tuple[re.Pattern[str], str], ...] = (
    # ISO 8601 / RFC 3339 (most application logs)
    (re.compile(r"\b(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2}):(\d{2})(?:[.,]\d+)?(Z|[+-]\d{2}:?\d{2})?"), "iso"),
    # Common/combined log format: [10/Oct/2023:13:55:36 +0200]
    (re.compile(r"\b(\d{2})/([A-Za-z]{3})/(\d{4}):(\d{2}):(\d{2}):(\d{2})(?: ([+-]\d{4}))?"), "clf"),
    # French dates: 24/03/2023 14:05:00
    (re.compile(r"\b(\d{2})/(\d{2})/(\d{4})[ T](\d{2}):(\d{2}):(\d{2})\b"), "fr"),
    # RFC 5322 (SMTP Date:, Received:): Fri, 24 Mar 2023 14:05:00 +0100
    (re.compile(r"\b(\d{1,2}) ([A-Za-z]{3}) (\d{4}) (\d{2}):(\d{2}):(\d{2})(?: ([+-]\d{4}))?"), "rfc5322"),
    # HL7 v2 DTM in MSH-7: 20230324140500[+0100]
    (re.compile(r"(?<=\|)((?:19|20)\d{2})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})?(?:\.\d+)?([+-]\d{4})?(?=\||\^|\r|\n|$)"), "hl7"),
)


def _timestamp(match: re.Match[str], style: str) -> str | None:
    """An ISO 8601 rendering of a matched timestamp, or ``None`` when it is not a real date."""
    g = match.groups()
    try:
        if style == "iso":
            dt = datetime(int(g[0]), int(g[1]), int(g[2]), int(g[3]), int(g[4]), int(g[5]))
            zone = g[6] or ""
        elif style == "clf":
            dt = datetime(int(g[2]), _MONTHS[g[1].lower()], int(g[0]), int(g[3]), int(g[4]), int(g[5]))
            zone = g[6] or ""
        elif style == "fr":
            dt = datetime(int(g[2]), int(g[1]), int(g[0]), int(g[3]), int(g[4]), int(g[5]))
            zone = ""
        elif style == "rfc5322":
            dt = datetime(int(g[2]), _MONTHS[g[1].lower()], int(g[0]), int(g[3]), int(g[4]), int(g[5]))
            zone = g[6] or ""
        else:
            dt = datetime(int(g[0]), int(g[1]), int(g[2]), int(g[3]), int(g[4]), int(g[5] or 0))
            zone = g[6] or ""
    except (ValueError, KeyError):
        return None
    if zone and zone != "Z" and ":" not in zone:
        zone = zone[:3] + ":" + zone[3:]
    return dt.isoformat() + zone


def _first_timestamp(lines: list[str]) -> str | None:
    for line in lines:
        line = line[:TIMESTAMP_LINE_CHARS]
        best: tuple[int, str] | None = None
        for pattern, style in _TS_PATTERNS:
            for match in pattern.finditer(line):
                value = _timestamp(match, style)
                if value is not None:
                    if best is None or match.start() < best[0]:
                        best = (match.start(), value)
                    break
        if best is not None:
            return best[1]
    return None


def timestamps(text: str, scan_lines: int) -> dict[str, str]:
    # Lines split on \r too: an HL7 v2 dump separates its segments with carriage returns.
    lines = re.split(r"\r\n|\r|\n", text)
    out: dict[str, str] = {}
    first = _first_timestamp(lines[:scan_lines])
    if first:
        out["first_timestamp"] = first
        last = _first_timestamp(list(reversed(lines[-scan_lines:])))
        if last:
            out["last_timestamp"] = last
    return out


# --- structured formats ------------------------------------------------------------------------------
_MSH_RE = re.compile(r"(?:^|[\r\n\x0b])MSH([|^~\\&#!])")


def hl7v2_facts(text: str, max_messages: int) -> dict[str, Any] | None:
    """HL7 v2 messages (an MSH segment each): count, MSH-9 types, MSH-12 versions."""
    types: Counter[str] = Counter()
    versions: Counter[str] = Counter()
    count = 0
    for match in _MSH_RE.finditer(text):
        if count >= max_messages:
            break
        sep = match.group(1)
        start = match.start(1) - 3
        segment = re.split(r"[\r\n\x1c]", text[start:start + 2048], maxsplit=1)[0]
        fields = segment.split(sep)
        if len(fields) < 9 or len(fields[1]) < 3:  # MSH-2 holds the encoding characters
            continue
        component = fields[1][0]
        count += 1
        parts = fields[8].split(component)
        types["^".join(p for p in parts[:2] if p) or "?"] += 1
        if len(fields) > 11 and fields[11]:
            versions[fields[11].split(component)[0][:10]] += 1
    if not count:
        return None
    return {
        "messages": count,
        "truncated": count >= max_messages,
        "message_types": dict(types.most_common(20)),
        "versions": sorted(versions),
    }


def fhir_facts(value: Any) -> dict[str, Any] | None:
    if not isinstance(value, dict) or not isinstance(value.get("resourceType"), str):
        return None
    out: dict[str, Any] = {"resourceType": value["resourceType"][:64]}
    if value["resourceType"] == "Bundle":
        entries = value.get("entry") if isinstance(value.get("entry"), list) else []
        kinds = Counter(
            e["resource"]["resourceType"][:64]
            for e in entries[:10_000]
            if isinstance(e, dict) and isinstance(e.get("resource"), dict) and isinstance(e["resource"].get("resourceType"), str)
        )
        out["bundle_type"] = str(value.get("type"))[:32] if value.get("type") else None
        out["entries"] = len(entries)
        out["entry_resource_types"] = dict(kinds.most_common(20))
    if isinstance(value.get("meta"), dict) and isinstance(value["meta"].get("profile"), list):
        out["profiles"] = [str(p)[:200] for p in value["meta"]["profile"][:5]]
    return {k: v for k, v in out.items() if v is not None}


SOAP_NAMESPACES = {
    "http://schemas.xmlsoap.org/soap/envelope/": "1.1",
    "http://www.w3.org/2003/05/soap-envelope": "1.2",
}
HL7_V3 = "urn:hl7-org:v3"
FHIR_NS = "http://hl7.org/fhir"


def xml_structured(root: Any) -> tuple[str | None, dict[str, Any]]:
    """(format, facts) for a recognised XML vocabulary: CDA, SOAP, FHIR XML; (None, {}) otherwise."""
    name, namespace = local_name(root), (root.tag.split("}", 1)[0][1:] if root.tag.startswith("{") else None)
    if name == "ClinicalDocument" and namespace == HL7_V3:
        facts: dict[str, Any] = {}
        templates = [c.get("root") for c in root if local_name(c) == "templateId" and c.get("root")]
        if templates:
            facts["template_ids"] = templates[:10]
        for child in root:
            if local_name(child) == "code":
                facts["code"] = child.get("code")
                facts["code_system"] = child.get("codeSystem")
                break
        facts["structured_body"] = find_first(root, "structuredBody", 5000) is not None
        return "cda", {k: v for k, v in facts.items() if v is not None}
    if name == "Envelope" and namespace in SOAP_NAMESPACES:
        facts = {"version": SOAP_NAMESPACES[namespace], "header": False}
        for child in root:
            child_name = local_name(child)
            if child_name == "Header":
                facts["header"] = True
                for header in child:
                    if local_name(header) == "Action" and header.text:
                        facts["action"] = header.text.strip()[:200]
            elif child_name == "Body":
                operation = next((c for c in child if isinstance(c.tag, str)), None)
                if operation is not None:
                    facts["body"] = local_name(operation)
                    facts["fault"] = local_name(operation) == "Fault"
        return "soap", facts
    if namespace == FHIR_NS:
        return "fhir_xml", {"resourceType": name}
    return None, {}


_SMTP_HEADER_RE = re.compile(r"(?im)^(Received|Return-Path|Message-ID|MIME-Version|DKIM-Signature|From|To|Subject|Date|Content-Type):")


def looks_like_smtp(text: str) -> bool:
    """RFC 5322 headers at the top: at least a From: and two other message headers before a blank line."""
    head = re.split(r"\r?\n\r?\n", text[:65536], maxsplit=1)[0]
    names = {m.group(1).lower() for m in _SMTP_HEADER_RE.finditer(head)}
    first = head.lstrip().split(":", 1)[0]
    return "from" in names and len(names) >= 3 and bool(re.fullmatch(r"[A-Za-z0-9-]+|From [^\n]*", first[:200]))


def smtp_facts(data: bytes) -> dict[str, Any]:
    """The message's structure only: no addresses, no subject (personal data), no bodies."""
    message = email.message_from_bytes(data, policy=email.policy.compat32)
    parts = 0
    attachments = 0
    content_types: Counter[str] = Counter()
    for count, part in enumerate(message.walk()):
        if count >= 1000:
            break
        parts += 1
        content_types[part.get_content_type()] += 1
        if part.get_filename() or (part.get("Content-Disposition") or "").lower().startswith("attachment"):
            attachments += 1
    return {
        "content_type": message.get_content_type(),
        "parts": parts,
        "attachments": attachments,
        "part_types": dict(content_types.most_common(10)),
        "received_headers": len(message.get_all("Received") or []),
        "dkim_signed": message.get("DKIM-Signature") is not None,
        "has_message_id": message.get("Message-ID") is not None,
        "date": (str(message.get("Date")).strip()[:64] if message.get("Date") else None),
    }


_EMBEDDED = {
    "soap": re.compile(r"<(?:[\w.-]+:)?Envelope\b[^>]{0,500}?(?:schemas\.xmlsoap\.org/soap/envelope/|www\.w3\.org/2003/05/soap-envelope)", re.S),
    "cda": re.compile(r"<(?:[\w.-]+:)?ClinicalDocument\b[^>]{0,500}?urn:hl7-org:v3", re.S),
    "fhir_json": re.compile(r"\"resourceType\"\s*:\s*\"[A-Z][A-Za-z]+\""),
}


def zip_facts(data: bytes, limits: dict[str, Any]) -> tuple[dict[str, Any] | None, list]:
    """Members from the central directory only (``infolist``): nothing is ever decompressed."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        infos = archive.infolist()
    except (zipfile.BadZipFile, zipfile.LargeZipFile, ValueError, OSError, EOFError, NotImplementedError):
        return None, [finding("logs.zip_unreadable", "warning")]
    findings = []
    total = sum(i.file_size for i in infos)
    compressed = sum(i.compress_size for i in infos)
    ratio = total / max(compressed, 1)
    listed = int(limits["zip_max_members_listed"])
    facts: dict[str, Any] = {
        "members": len(infos),
        "uncompressed_bytes": total,
        "compressed_bytes": compressed,
        "ratio": round(ratio, 1),
        "entries": [
            {"name": i.filename[:200], "size": i.file_size, "compressed": i.compress_size}
            for i in infos[:listed]
        ],
    }
    if (ratio > float(limits["zip_max_ratio"]) and total >= int(limits["zip_ratio_min_bytes"])) or total > int(
        limits["zip_max_uncompressed_bytes"]
    ):
        findings.append(finding("logs.zip_bomb", "warning", uncompressed=total, compressed=compressed,
                                ratio=round(ratio), max_ratio=limits["zip_max_ratio"]))
    unsafe = [i.filename for i in infos if i.filename.startswith(("/", "\\")) or ".." in re.split(r"[\\/]", i.filename)
              or re.match(r"^[A-Za-z]:", i.filename)]
    if unsafe:
        findings.append(finding("logs.zip_unsafe_names", "warning", count=len(unsafe),
                                names=", ".join(n[:80] for n in unsafe[:3])))
    encrypted = sum(1 for i in infos if i.flag_bits & 0x1)
    if encrypted:
        facts["encrypted_members"] = encrypted
        findings.append(finding("logs.zip_encrypted", "warning", count=encrypted))
    return facts, findings


# --- inspection ---------------------------------------------------------------------------------------
def _json_document(text: str) -> tuple[str, Any, tuple[int, int] | None]:
    """("json", value, None), ("ndjson", first value, None) or ("invalid", None, (line, column))."""
    try:
        return "json", json.loads(text), None
    except json.JSONDecodeError as exc:
        error = exc
    except RecursionError:  # nesting deeper than the interpreter's limit: not a log
        return "invalid", None, (1, 1)
    if error.msg == "Extra data":
        lines = [line for line in text.splitlines() if line.strip()]
        try:
            values = [json.loads(line) for line in lines[:1000]]
            return "ndjson", values[0], None
        except (json.JSONDecodeError, RecursionError):
            pass
    return "invalid", None, (error.lineno, error.colno)


@hookimpl
def preuves_inspect(proof: Proof) -> Inspection:
    limits = {**DEFAULTS, **proof.thresholds(PLUGIN)}
    data = proof.read(READ_LIMIT)
    findings: list = []
    formats: list[str] = []
    facts: dict[str, Any] = {"formats": formats}

    if data.startswith((b"PK\x03\x04", b"PK\x05\x06")) or proof.media_type in {"application/zip", "application/x-zip-compressed"}:
        facts["kind"] = "binary"
        zfacts, zfindings = zip_facts(data, limits)
        findings.extend(zfindings)
        if zfacts is not None:
            formats.append("zip")
            facts["zip"] = zfacts
        return Inspection(findings=findings, facts=facts)

    decoded = decode_text(data)
    text = decoded.text
    facts["kind"] = "text" if decoded.is_text else "binary"
    if decoded.is_text:
        facts["encoding"] = decoded.encoding
        if decoded.bom:
            facts["bom"] = True
        # CR alone ends a line too: HL7 v2 separates segments with carriage returns.
        breaks = text.count("\n") + text.count("\r") - text.count("\r\n")
        facts["lines"] = breaks + (1 if text and not text.endswith(("\n", "\r")) else 0)
        facts.update(timestamps(text, int(limits["timestamp_scan_lines"])))

        stripped = text.lstrip("\ufeff \t\r\n")
        if stripped.startswith(("{", "[")):
            shape, value, error = _json_document(stripped)
            if shape == "invalid":
                findings.append(finding("logs.json_invalid", "warning", line=error[0], column=error[1]))
            else:
                formats.append(shape)
                fhir = fhir_facts(value)
                if fhir is not None:
                    formats.append("fhir_json")
                    facts["fhir"] = fhir
        elif stripped.startswith("<") and re.match(r"<[?!A-Za-z_]", stripped):
            parsed = parse_xml(data)
            facts["xml"] = parsed.facts()
            if parsed.doctype:
                findings.append(finding("logs.xml_doctype", "warning", entities=parsed.entity_declarations,
                                        external=parsed.external_entities, references=parsed.entity_references))
            if parsed.well_formed:
                formats.append("xml")
                kind, structured = xml_structured(parsed.root)
                if kind:
                    formats.append(kind)
                    facts[kind] = structured
            else:
                findings.append(finding("logs.xml_invalid", "warning", line=parsed.error_line or "?",
                                        column=parsed.error_column or "?"))
        if looks_like_smtp(text):
            formats.append("smtp")
            facts["smtp"] = smtp_facts(data)

    # Messages embedded in log lines (a SOAP call, an HL7 dump, a FHIR resource after a log prefix).
    hl7 = hl7v2_facts(text, int(limits["hl7_max_messages"]))
    if hl7 is not None:
        formats.append("hl7v2")
        facts["hl7v2"] = hl7
    embedded = [name for name, pattern in _EMBEDDED.items() if name not in formats and pattern.search(text)]
    if embedded:
        facts["embedded_formats"] = embedded

    secrets = scan_secrets(text)
    if secrets.found:
        facts["secrets"] = dict(secrets.counts)
        findings.append(finding("logs.secret", "warning", kinds=", ".join(secrets.kinds()),
                                lines=", ".join(str(n) for n in secrets.first_lines()), counts=dict(secrets.counts)))
    identities = scan_identities(text)
    facts["identities"] = identities.facts()
    if identities.unknown_valid:
        findings.append(finding("logs.nir_not_test", "warning", count=len(identities.unknown_valid),
                                nirs=", ".join(identities.unknown_valid[:5])))
    if identities.ins_oids.get("ins_nir"):
        findings.append(finding("logs.ins_real_oid", "warning", count=identities.ins_oids["ins_nir"]))
    return Inspection(findings=findings, facts=facts)
