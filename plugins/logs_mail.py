"""What an SMTP message source holds, for the ``logs`` plugin: its parts, attachments and headers.

Structure only, no personal data: the names of the headers (not their values), the values of
MSSanté's own ``X-MSS-*`` headers (codes such as ``FIN``), the attachments' media types and file-name
extensions (never the names, which carry the patient's), the body's media type, the MIME defects the
parser met, and an XDM subject's protocol prefix (``XDM/1.0/DDM``, never the patient's name after it).
The catalogue plugin compares them with what a « Source SMTP » proof's requirement names
(``docs/requirements.md``).

The message is the one :func:`plugins.logs.smtp_facts` parsed from bounded input (its first lines,
lines and folds cut); every walk here is bounded too.
"""

from __future__ import annotations

import email.errors
import email.header
import re
from collections import Counter
from email.message import Message
from typing import Any

from validator_core.toolkit.text import linear

MAX_PARTS = 1000  # parts walked (a real message has a handful)
MAX_HEADER_NAMES = 100
MAX_DEFECTS = 10
MSS_HEADER_PREFIX = "x-mss-"
XDM_SUBJECT_PREFIX = "XDM/"
# A part's file name, by a bounded search in its header values (RE2, after a literal test: a hostile
# message repeats long parameter lists in every part): the parser's own parameter reader is quadratic
# on hostile values. RFC 2231 ``filename*=utf-8''IHE_XDM.ZIP`` is read the same way.
_FILENAME = linear(r"(?i)\b(?:file)?name\*?(?:\d+\*?)?\s*=\s*\"?([^\";\r\n]{0,255})")
_EXTENSION = re.compile(r"\.([A-Za-z0-9]{1,10})\s*$")


def is_attachment(part: Message) -> bool:
    """Attached, or named: what ``get_filename()`` reads, found by a literal search."""
    disposition = str(part.get("Content-Disposition") or "").lower()
    return (disposition.lstrip().startswith("attachment") or "filename" in disposition
            or "name=" in str(part.get("Content-Type") or "").lower())


def attachment_extension(part: Message) -> str | None:
    """``"zip"`` for ``filename="IHE_XDM.ZIP"``: the extension of the part's file name, lower case."""
    for header in ("Content-Disposition", "Content-Type"):
        value = str(part.get(header) or "")
        if "name" not in value.lower():
            continue
        match = _FILENAME.search(value)
        if match and (extension := _EXTENSION.search(match.group(1))):
            return extension.group(1).lower()
    return None


def parts_summary(message: Message) -> dict[str, Any]:
    """Parts, attachments (count, media types, extensions) and MIME defects of the first MAX_PARTS parts."""
    parts = 0
    content_types: Counter[str] = Counter()
    attachment_types: Counter[str] = Counter()
    extensions: Counter[str] = Counter()
    defects: list[str] = []
    for count, part in enumerate(message.walk()):
        if count >= MAX_PARTS:
            break
        parts += 1
        content_type = part.get_content_type()
        content_types[content_type] += 1
        for defect in part.defects:
            if len(defects) < MAX_DEFECTS and type(defect).__name__ not in defects:
                defects.append(type(defect).__name__)
        if is_attachment(part):
            attachment_types[content_type] += 1
            if extension := attachment_extension(part):
                extensions[extension] += 1
    summary: dict[str, Any] = {
        "parts": parts,
        "attachments": sum(attachment_types.values()),
        "part_types": dict(content_types.most_common(10)),
        "attachment_types": dict(attachment_types.most_common(10)),
        "attachment_extensions": dict(extensions.most_common(10)),
        "body_type": _body_type(message),
    }
    if defects:
        summary["defects"] = defects
    return summary


def header_summary(message: Message) -> dict[str, Any]:
    """The top-level header names, MSSanté's ``X-MSS-*`` values and an XDM subject's protocol prefix."""
    names = list(dict.fromkeys(message.keys()))[:MAX_HEADER_NAMES]
    summary: dict[str, Any] = {"headers": names}
    mss = {name: [" ".join(str(v).split())[:200] for v in message.get_all(name) or []][:5]
           for name in names if name.lower().startswith(MSS_HEADER_PREFIX)}
    if mss:
        summary["mss_headers"] = mss
    if prefix := xdm_subject_prefix(message.get("Subject")):
        summary["subject_prefix"] = prefix
    return summary


def xdm_subject_prefix(subject: Any) -> str | None:
    """``"XDM/1.0/DDM"`` for ``XDM/1.0/DDM+CR BIO DUPONT …``: the protocol part only, or ``None``."""
    if subject is None:
        return None
    raw = " ".join(str(subject).split())[:998]
    try:
        text = str(email.header.make_header(email.header.decode_header(raw)))
    except (ValueError, LookupError, UnicodeError, email.errors.HeaderParseError):
        text = raw
    if not text.startswith(XDM_SUBJECT_PREFIX):
        return None
    return text.split("+", 1)[0][:40]


def _body_type(message: Message) -> str:
    """The body's media type: the first part of a ``multipart/mixed`` (or ``related``) message, else the message's."""
    if message.get_content_type() in ("multipart/mixed", "multipart/related"):
        payload = message.get_payload()
        if isinstance(payload, list) and payload and isinstance(payload[0], Message):
            return payload[0].get_content_type()
    return message.get_content_type()
