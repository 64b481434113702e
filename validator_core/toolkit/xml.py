"""Hardened XML parsing for uploads (``SECURITY.md``, "XML").

Every plugin that parses XML from a proof goes through :func:`parse_xml`: one explicit lxml parser that
never resolves entities, never loads a DTD, never touches the network and keeps libxml2's size limits
(``huge_tree=False``, which also bounds entity amplification: a billion-laughs file fails in
microseconds). A DOCTYPE or an entity declaration is *reported* (counted from the DTD lxml keeps, or
from the raw prolog when the parse failed), never expanded. Error messages are reduced to a line and
a column: libxml2's text may quote the document.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from lxml import etree

from validator_core.toolkit.text import linear, mask_secrets

__all__ = ["XmlParse", "parse_xml", "hardened_parser", "local_name", "child_text", "find_first"]


def hardened_parser() -> etree.XMLParser:
    """A new parser with the options SECURITY.md requires (parsers are not shared between threads)."""
    return etree.XMLParser(
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        dtd_validation=False,
        huge_tree=False,
        remove_pis=True,
    )


# The prolog up to the root element: DOCTYPE with an optional internal subset (which may hold '>').
# RE2 (linear time): with a backtracking engine, "<!DOCTYPE [" repeated rescanned the rest of the
# prolog from every occurrence (35x an ordinary log), and "<!ENTITY a" repeated did the same.
_DOCTYPE_RE = linear(rb"(?is)<!DOCTYPE\s[^\[>]*(\[.*?\]\s*)?>")
_ENTITY_RE = linear(rb"(?i)<!ENTITY\s+(%\s+)?[^\s>]+\s+(SYSTEM|PUBLIC)?")
_EXTERNAL_ID_RE = linear(rb"\s(?:SYSTEM|PUBLIC)\s")
PROLOG_SCAN_BYTES = 64 * 1024
MAX_DECLARATIONS = 1000  # entity declarations counted in a prolog the parser refused


@dataclass
class XmlParse:
    """What :func:`parse_xml` found. ``root`` is ``None`` when the document is not well-formed."""

    root: Any = None  # lxml.etree._Element
    error_line: int | None = None
    error_column: int | None = None
    doctype: bool = False
    entity_declarations: int = 0
    external_entities: int = 0
    entity_references: int = 0
    facts_extra: dict[str, Any] = field(default_factory=dict)

    @property
    def well_formed(self) -> bool:
        return self.root is not None

    @property
    def root_name(self) -> str | None:
        return None if self.root is None else etree.QName(self.root).localname

    @property
    def root_namespace(self) -> str | None:
        return None if self.root is None else etree.QName(self.root).namespace

    def facts(self) -> dict[str, Any]:
        out: dict[str, Any] = {"well_formed": self.well_formed}
        if self.root is not None:
            # Names come from the file: an element may be named like a token (masked as in logs.secret).
            out["root"] = mask_secrets(self.root_name, 200)
            if self.root_namespace:
                out["namespace"] = mask_secrets(self.root_namespace, 300)
        else:
            out["error_line"] = self.error_line
            out["error_column"] = self.error_column
        if self.doctype:
            out["doctype"] = True
            out["entity_declarations"] = self.entity_declarations
            out["external_entities"] = self.external_entities
        return out


def _scan_prolog(data: bytes, result: XmlParse) -> None:
    """Count DOCTYPE / ENTITY declarations in the raw bytes (for documents the parser refused)."""
    head = data[:PROLOG_SCAN_BYTES]
    doctype = _DOCTYPE_RE.search(head)
    if doctype is None and b"<!DOCTYPE" not in head.upper():
        return
    result.doctype = True
    subset = doctype.group(0) if doctype else head
    for count, match in enumerate(_ENTITY_RE.finditer(subset)):
        if count >= MAX_DECLARATIONS:  # enough to report; the count then reads "at least"
            break
        result.entity_declarations += 1
        if match.group(2):
            result.external_entities += 1
    if doctype is not None and _EXTERNAL_ID_RE.search(doctype.group(0).split(b"[", 1)[0]):
        result.external_entities += 1  # an external DTD subset (never loaded)


def parse_xml(data: bytes) -> XmlParse:
    """Parse ``data`` with :func:`hardened_parser`; never raises for bad input."""
    result = XmlParse()
    try:
        root = etree.fromstring(data, hardened_parser())
    except etree.XMLSyntaxError as exc:
        result.error_line, result.error_column = (exc.position or (exc.lineno, None))[:2]
        _scan_prolog(data, result)
        return result
    except (ValueError, TypeError):  # e.g. a str with an encoding declaration; bytes never do
        _scan_prolog(data, result)
        return result
    if root is None:  # pragma: no cover - lxml returns None for some recover modes only
        _scan_prolog(data, result)
        return result
    result.root = root
    docinfo = root.getroottree().docinfo
    dtd = docinfo.internalDTD
    if docinfo.doctype or dtd is not None:
        result.doctype = True
    if dtd is not None:
        for entity in dtd.iterentities():
            result.entity_declarations += 1
            if entity.system_url:
                result.external_entities += 1
    if docinfo.system_url or docinfo.public_id:
        result.external_entities += 1
    # Unexpanded references stay in the tree as entity nodes: count a bounded number of them.
    for count, _ in enumerate(root.iter(etree.Entity)):
        if count >= 10_000:
            break
        result.entity_references += 1
    return result


def local_name(element: Any) -> str:
    """The local name of an element (``""`` for comments, entities and other non-elements)."""
    tag = element.tag
    if not isinstance(tag, str):
        return ""
    return tag.rsplit("}", 1)[-1]


def child_text(element: Any, name: str) -> str | None:
    """An attribute ``name`` of ``element`` or the text of its first child element named ``name``.

    Gazelle reports carry the same field either way depending on the version: read both.
    """
    value = element.get(name)
    if value is not None:
        return value.strip()
    for child in element:
        if local_name(child) == name:
            return (child.text or "").strip()
    return None


def find_first(element: Any, name: str, limit: int = 100_000) -> Any:
    """The first descendant element with local name ``name`` (bounded walk), or ``None``."""
    for count, node in enumerate(element.iter()):
        if count >= limit:
            return None
        if local_name(node) == name:
            return node
    return None
