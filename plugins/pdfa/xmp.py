"""The document's XMP packet, read the way ISO 19005-1 6.7 asks: its encoding and header, its RDF
turned into XMP properties, each property against its schema, the PDF/A identification and the
extension schemas that describe every property the XMP Specification does not define.

The XML goes through the project's hardened parser (:func:`validator_core.toolkit.xml.parse_xml`: no
entity, no DTD, no network, libxml2's size limits); the RDF is then read into XMP's data model
(simple values, structures, Bag/Seq/Alt arrays, ``xml:lang`` qualifiers) by a small iterative-free
walk bounded in elements (``max_nodes``). A packet that is not well-formed XML, or whose RDF is not
XMP (a property written twice, text where an element is due, an unknown ``rdf:parseType``), is not
valid XMP (6.7.9). Nothing here evaluates anything from the packet but regular expressions that
run in linear time on short values.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Any

from plugins.pdfa import xmp_schemas as S
from validator_core.toolkit.xml import parse_xml


class XmpError(Exception):
    """The packet is XML but its RDF is not XMP."""


@dataclass
class Node:
    """One XMP node: a property, a structure field or an array item."""

    ns: str
    name: str
    prefix: str | None = None
    kind: str = "simple"  # simple | struct | bag | seq | alt
    value: str = ""
    lang: str | None = None
    children: list[Node] = field(default_factory=list)

    @property
    def alt_text(self) -> bool:
        return self.kind == "alt" and any(child.lang is not None for child in self.children)

    def child(self, ns: str, name: str) -> Node | None:
        for node in self.children:
            if node.ns == ns and node.name == name:
                return node
        return None


@dataclass
class Packet:
    """What the checker and the rules need from the document's XMP packet."""

    header_attributes: dict[str, str] = field(default_factory=dict)
    valid: bool = False  # well-formed XML and XMP's RDF
    properties: list[Node] = field(default_factory=list)
    extension: Node | None = None  # pdfaExtension:schemas
    truncated: bool = False

    def property(self, ns: str, name: str) -> Node | None:
        for node in self.properties:
            if node.ns == ns and node.name == name:
                return node
        return None


# --- bytes to text -------------------------------------------------------------------------------
_BOMS = ((b"\x00\x00\xfe\xff", "utf-32-be"), (b"\xff\xfe\x00\x00", "utf-32-le"), (b"\xef\xbb\xbf", "utf-8-sig"),
         (b"\xfe\xff", "utf-16-be"), (b"\xff\xfe", "utf-16-le"))
_NO_BOM = ((b"\x00\x00\x00<", "utf-32-be"), (b"<\x00\x00\x00", "utf-32-le"), (b"\x00<\x00?", "utf-16-be"),
           (b"<\x00?\x00", "utf-16-le"))


def decode(data: bytes) -> str | None:
    """The packet as text: UTF-8, -16 or -32 (XMP Specification 3.3), told by its first bytes."""
    encoding = "utf-8"
    for bom, name in _BOMS:
        if data.startswith(bom):
            encoding = name
            data = data[len(bom):] if not name.endswith("-sig") else data
            break
    else:
        for start, name in _NO_BOM:
            if data.startswith(start):
                encoding = name
                break
    try:
        text = data.decode(encoding)
    except (UnicodeDecodeError, ValueError):
        return None
    return text.lstrip("\ufeff")


_XPACKET_RE = re.compile(r"<\?xpacket\s+begin\s*=\s*(['\"]).*?\1(.*?)\?>", re.S)
_ATTRIBUTE_RE = re.compile(r"([A-Za-z_][\w.-]*)\s*=\s*(?:'([^']*)'|\"([^\"]*)\")")
_XML_DECL_RE = re.compile(r"^\s*<\?xml[^>]*\?>")


def header_attributes(text: str) -> dict[str, str]:
    """The attributes of the ``<?xpacket begin=…?>`` header, ``begin`` excluded (``id``, ``bytes`` …)."""
    match = _XPACKET_RE.search(text, 0, 4096)
    if match is None:
        return {}
    return {m.group(1): m.group(2) if m.group(2) is not None else m.group(3)
            for m in _ATTRIBUTE_RE.finditer(match.group(2))}


# --- RDF to XMP --------------------------------------------------------------------------------
def _split(tag: str) -> tuple[str, str]:
    if tag.startswith("{"):
        ns, _, local = tag[1:].partition("}")
        return ns, local
    return "", tag


def _prefix_for(element: Any, ns: str) -> str | None:
    for prefix, uri in element.nsmap.items():
        if uri == ns:
            return prefix
    return None


class _Reader:
    """XMP's RDF subset (XMP Specification part 1, 7.x), read into :class:`Node` trees."""

    def __init__(self, max_nodes: int) -> None:
        self.left = max_nodes
        self.truncated = False

    def charge(self) -> None:
        self.left -= 1
        if self.left < 0:
            self.truncated = True
            raise XmpError("too many nodes")

    @staticmethod
    def elements(element: Any) -> list[Any]:
        """Child elements; text other than white space between them is not RDF."""
        out = []
        if (element.text or "").strip():
            raise XmpError("text between elements")
        for child in element:
            if isinstance(child.tag, str):
                out.append(child)
            if (child.tail or "").strip():
                raise XmpError("text between elements")
        return out

    def read(self, rdf: Any) -> list[Node]:
        properties: list[Node] = []
        seen: set[tuple[str, str]] = set()
        about: str | None = None
        for description in self.elements(rdf):
            ns, local = _split(description.tag)
            if ns == S.NS_RDF and local != "Description":
                raise XmpError("top-level node is not rdf:Description")
            for key, value in description.attrib.items():
                if key in (f"{{{S.NS_RDF}}}about", "about"):
                    if about is None or not about:
                        about = value
                    elif value and value != about:
                        raise XmpError("mismatched rdf:about")
            for node in self.description_content(description):
                if (node.ns, node.name) in seen:
                    raise XmpError("duplicate property")
                seen.add((node.ns, node.name))
                properties.append(node)
        return properties

    def description_content(self, description: Any) -> list[Node]:
        """The properties (or fields) a node element holds: its attributes, then its children."""
        out: list[Node] = []
        for key, value in description.attrib.items():
            ns, local = _split(key)
            if ns == S.NS_RDF:
                if local in ("about", "ID", "nodeID"):
                    continue
                raise XmpError("rdf attribute on a node element")
            if ns == S.NS_XML or (not ns and local == "about"):
                continue
            if not ns:
                raise XmpError("attribute without namespace")
            self.charge()
            out.append(Node(ns, local, _prefix_for(description, ns), "simple", value))
        for element in self.elements(description):
            out.append(self.property_element(element))
        return out

    def property_element(self, element: Any, item: bool = False) -> Node:
        self.charge()
        ns, local = _split(element.tag)
        if ns == S.NS_RDF and not (item and local == "li"):
            raise XmpError("rdf element used as a property")
        if item and not (ns == S.NS_RDF and local == "li"):
            raise XmpError("array item is not rdf:li")
        node = Node(ns, local, element.prefix)
        attributes = dict(element.attrib)
        node.lang = attributes.pop(f"{{{S.NS_XML}}}lang", None)
        attributes.pop(f"{{{S.NS_RDF}}}ID", None)
        attributes.pop(f"{{{S.NS_RDF}}}datatype", None)
        parse_type = attributes.pop(f"{{{S.NS_RDF}}}parseType", None)
        if parse_type is not None:
            if parse_type != "Resource" or attributes:
                raise XmpError("unsupported rdf:parseType")
            node.kind = "struct"
            for child in self.elements(element):
                node.children.append(self.property_element(child))
            return self.unwrap_value(node)
        if attributes:  # an empty property element: a URI, or a structure written as attributes
            if (element.text or "").strip() or len(element):
                raise XmpError("property with both attributes and content")
            resource = attributes.pop(f"{{{S.NS_RDF}}}resource", None)
            attributes.pop(f"{{{S.NS_RDF}}}nodeID", None)
            if resource is not None:
                if attributes:
                    raise XmpError("rdf:resource with fields")
                node.value = resource
                return node
            node.kind = "struct"
            for key, value in attributes.items():
                field_ns, field_local = _split(key)
                if not field_ns or field_ns == S.NS_RDF and field_local != "value":
                    raise XmpError("invalid field attribute")
                self.charge()
                node.children.append(Node(field_ns, field_local, _prefix_for(element, field_ns), "simple", value))
            return self.unwrap_value(node)
        children = [child for child in element if isinstance(child.tag, str)]
        if not children:
            node.value = element.text or ""
            return node
        inner = self.elements(element)
        if len(inner) != 1:
            raise XmpError("property holds more than one node")
        holder = inner[0]
        holder_ns, holder_local = _split(holder.tag)
        if holder_ns == S.NS_RDF and holder_local in ("Bag", "Seq", "Alt"):
            node.kind = holder_local.lower()
            for li in self.elements(holder):
                node.children.append(self.property_element(li, item=True))
            return node
        if holder_ns == S.NS_RDF and holder_local != "Description":
            raise XmpError("unknown rdf node")
        node.kind = "struct"
        node.children.extend(self.description_content(holder))
        return self.unwrap_value(node)

    @staticmethod
    def unwrap_value(node: Node) -> Node:
        """A structure with rdf:value is a value with qualifiers (XMP's general qualifier form)."""
        value = node.child(S.NS_RDF, "value")
        if value is None:
            seen = set()
            for child in node.children:
                if (child.ns, child.name) in seen:
                    raise XmpError("duplicate field")
                seen.add((child.ns, child.name))
            return node
        value.ns, value.name, value.prefix, value.lang = node.ns, node.name, node.prefix, value.lang or node.lang
        for qualifier in node.children:
            if qualifier is not value and qualifier.ns == S.NS_XML and qualifier.name == "lang":
                value.lang = qualifier.value
        return value


def _find_rdf(root: Any) -> Any:
    ns, local = _split(root.tag)
    if ns == S.NS_RDF and local == "RDF":
        return root
    if ns == S.NS_META and local in ("xmpmeta", "xapmeta"):
        for child in root:
            if isinstance(child.tag, str) and _split(child.tag) == (S.NS_RDF, "RDF"):
                return child
    return None


def read_packet(data: bytes, max_nodes: int) -> Packet:
    """Read one XMP packet (the bytes of a metadata stream, decoded)."""
    packet = Packet()
    text = decode(data)
    if text is None:
        return packet
    packet.header_attributes = header_attributes(text)
    xml = _XML_DECL_RE.sub("", text, count=1).encode("utf-8")
    parsed = parse_xml(xml)
    if not parsed.well_formed or parsed.doctype:
        return packet
    rdf = _find_rdf(parsed.root)
    if rdf is None:
        return packet
    reader = _Reader(max_nodes)
    try:
        properties = reader.read(rdf)
    except XmpError:
        packet.truncated = reader.truncated
        return packet
    packet.valid = True
    for node in properties:
        if node.ns == S.NS_EXTENSION and node.name == "schemas":
            packet.extension = node
        else:
            packet.properties.append(node)
    return packet


# --- value types --------------------------------------------------------------------------------
_CHOICE_RE = re.compile(r"(open |closed )?(choice |choice$)(of )?")
_SIMPLE_RES = {name: re.compile(pattern) for name, pattern in S.SIMPLE_PATTERNS.items()}
_DATE_RE = re.compile(
    r"(-?\d{1,4})(?:-(\d\d)(?:-(\d\d)(?:T(\d\d):(\d\d)(?::(\d\d)(?:[.,](\d+))?)?(Z|[+-]\d\d:\d\d)?)?)?)?")


def simplify_type(type_name: str) -> str:
    """A value type as the checker compares it: lower case, "Open Choice of X" read as X."""
    value = _CHOICE_RE.sub("", type_name.lower()).strip()
    if not value:
        return "text"
    if value.endswith("lang alt"):
        return value
    if value in ("bag", "seq", "alt"):
        return value + " text"
    return value


def parse_xmp_date(value: str) -> datetime | None:
    """An XMP date (ISO 8601 as XMP writes it), as an aware datetime (UTC when no zone is given)."""
    match = _DATE_RE.fullmatch(value.strip()) if len(value) <= 64 else None
    if match is None:
        return None
    year, month, day, hour, minute, second, fraction, zone = match.groups()
    try:
        moment = datetime(int(year), int(month or 1), int(day or 1), int(hour or 0), int(minute or 0),
                          int(second or 0), int((fraction or "0")[:6].ljust(6, "0")))
    except ValueError:
        return None
    offset = timedelta(0)
    if zone and zone != "Z":
        sign = -1 if zone[0] == "-" else 1
        offset = sign * timedelta(hours=int(zone[1:3]), minutes=int(zone[4:6]))
    return moment.replace(tzinfo=timezone(offset))


class Types:
    """The value types known in one packet: the XMP Specification's, and those its extension
    schemas describe (``pdfaType``)."""

    def __init__(self) -> None:
        self.structures = {name.lower(): (ns, {k: v for k, v in fields.items()})
                           for name, (ns, fields) in S.STRUCTURES.items()}

    def add_structure(self, name: str, ns: str, fields: dict[str, str]) -> None:
        self.structures[simplify_type(name)] = (ns, fields)

    def known(self, type_name: str) -> bool:
        value = simplify_type(type_name)
        head, _, rest = value.partition(" ")
        while head in ("bag", "seq", "alt") and rest:
            value = rest
            head, _, rest = value.partition(" ")
        return (value in _SIMPLE_RES or value in S.TEXT_TYPES or value in ("date", "lang alt")
                or value in self.structures)

    def conforms(self, node: Node, type_name: str, depth: int = 0) -> bool:
        value = simplify_type(type_name)
        if depth > 32:
            return False
        if value == "lang alt":
            return node.kind == "alt" and (node.alt_text or not node.children)
        for array in ("bag", "seq", "alt"):
            if value.startswith(array + " "):
                return node.kind == array and all(self.conforms(c, value[len(array) + 1:], depth + 1)
                                                  for c in node.children)
        if value in self.structures:
            ns, fields = self.structures[value]
            return node.kind == "struct" and all(
                c.ns == ns and c.name in fields and self.conforms(c, fields[c.name], depth + 1)
                for c in node.children)
        if node.kind != "simple":
            return False
        if value == "date":
            return parse_xmp_date(node.value) is not None
        if value in _SIMPLE_RES:  # a number, boolean, media type … is short (and the pattern then cheap)
            return len(node.value) <= 256 and _SIMPLE_RES[value].fullmatch(node.value) is not None
        return value in S.TEXT_TYPES


# --- the checks' views --------------------------------------------------------------------------
@dataclass
class Property:
    """A top-level property for 6.7.9: defined somewhere, and of its defined type."""

    node: Node
    defined: bool
    type_ok: bool


@dataclass
class ExtensionObject:
    """One structure of the extension schema container: its kind, fields (ns, name) → node, and
    the fields the specification does not define."""

    kind: str  # schema | property | valueType | field
    node: Node
    fields: dict[str, Node]
    undefined: bool
    type_defined: bool = True


# Fields each structure of the extension container may hold (ISO 19005-1 6.7.8, tables 2 to 6).
EXTENSION_FIELDS = {
    "schema": (S.NS_SCHEMA, frozenset({"schema", "namespaceURI", "prefix", "property", "valueType"})),
    "property": (S.NS_PROPERTY, frozenset({"name", "valueType", "category", "description"})),
    "valueType": (S.NS_TYPE, frozenset({"type", "namespaceURI", "prefix", "description", "field"})),
    "field": (S.NS_FIELD, frozenset({"name", "valueType", "description"})),
}


def _object(kind: str, node: Node) -> ExtensionObject:
    ns, names = EXTENSION_FIELDS[kind]
    fields = {c.name: c for c in node.children if c.ns == ns}
    undefined = any(c.ns != ns or c.name not in names for c in node.children)
    return ExtensionObject(kind, node, fields, undefined)


def extension_objects(packet: Packet) -> tuple[list[ExtensionObject], dict[str, dict[str, str]], Types]:
    """The structures of the extension container, the properties they define (namespace → name →
    value type) and the value types known in the packet."""
    types = Types()
    objects: list[ExtensionObject] = []
    defined: dict[str, dict[str, str]] = {}
    container = packet.extension
    if container is None or container.kind not in ("bag", "seq", "alt"):
        return objects, defined, types
    schemas = [_object("schema", item) for item in container.children]
    objects.extend(schemas)
    value_types: list[ExtensionObject] = []
    for schema in schemas:
        listing = schema.fields.get("valueType")
        for item in listing.children if listing is not None and listing.kind != "simple" else ():
            value_type = _object("valueType", item)
            value_types.append(value_type)
            fields: dict[str, str] = {}
            field_list = value_type.fields.get("field")
            for field_item in field_list.children if field_list is not None and field_list.kind != "simple" else ():
                field_object = _object("field", field_item)
                value_types.append(field_object)
                name, value = field_object.fields.get("name"), field_object.fields.get("valueType")
                if name is not None and value is not None and name.kind == value.kind == "simple":
                    fields[name.value] = value.value
            type_name, ns = value_type.fields.get("type"), value_type.fields.get("namespaceURI")
            if type_name is not None and ns is not None and fields and type_name.kind == ns.kind == "simple":
                types.add_structure(type_name.value, ns.value, fields)
    objects.extend(value_types)
    for schema in schemas:
        ns_node = schema.fields.get("namespaceURI")
        namespace = ns_node.value if ns_node is not None and ns_node.kind == "simple" else None
        listing = schema.fields.get("property")
        for item in listing.children if listing is not None and listing.kind != "simple" else ():
            prop = _object("property", item)
            objects.append(prop)
            name, value = prop.fields.get("name"), prop.fields.get("valueType")
            if name is not None and value is not None and name.kind == value.kind == "simple" and namespace:
                defined.setdefault(namespace, {})[name.value] = value.value
    for obj in objects:
        if obj.kind in ("property", "field"):
            value = obj.fields.get("valueType")
            obj.type_defined = value is not None and value.kind == "simple" and types.known(value.value)
    return objects, defined, types


def properties(packet: Packet, defined: dict[str, dict[str, str]], types: Types) -> list[Property]:
    """Each top-level property: predefined (XMP 2004) or described by an extension schema, and of
    the type its definition gives."""
    out = []
    for node in packet.properties:
        type_name = S.PREDEFINED.get(node.ns, {}).get(node.name) or defined.get(node.ns, {}).get(node.name)
        out.append(Property(node, type_name is not None,
                            type_name is not None and types.conforms(node, type_name)))
    return out


# --- values the Info dictionary is compared with (6.7.3) ------------------------------------------
def localized(node: Node | None) -> str | None:
    """A Lang Alt's x-default item (or its first), as XMP toolkits read a title or description."""
    if node is None or node.kind != "alt" or not node.children:
        return None
    for item in node.children:
        if item.lang == "x-default" and item.kind == "simple":
            return item.value
    first = node.children[0]
    return first.value if first.kind == "simple" else None


def simple(node: Node | None) -> str | None:
    return node.value if node is not None and node.kind == "simple" else None


def info_counterparts(packet: Packet) -> dict[str, Any]:
    """The XMP values the Info dictionary's entries must equal: Title, Subject, Author (the list of
    creators), Keywords, Producer, Creator, and the two dates (as datetimes)."""
    creator = packet.property(S.NS_DC, "creator")
    values: dict[str, Any] = {
        "/Title": localized(packet.property(S.NS_DC, "title")),
        "/Subject": localized(packet.property(S.NS_DC, "description")),
        "/Author": ([c.value for c in creator.children if c.kind == "simple"]
                    if creator is not None and creator.kind in ("seq", "bag", "alt") else None),
        "/Keywords": simple(packet.property(S.NS_PDF, "Keywords")),
        "/Producer": simple(packet.property(S.NS_PDF, "Producer")),
        "/Creator": simple(packet.property(S.NS_XMP, "CreatorTool")),
    }
    for key, name in (("/CreationDate", "CreateDate"), ("/ModDate", "ModifyDate")):
        raw = simple(packet.property(S.NS_XMP, name))
        values[key] = parse_xmp_date(raw) if raw is not None else None
    return values


# PDF dates as writers write them (PDF 1.4, 3.8.3, and the usual variants: apostrophes missing,
# "Z00'00'" for UTC, a trailing NUL), read the way the reference validator reads them.
_PDF_DATE_RE = re.compile(
    r"\s*(?:D:)?(\d{4})(\d\d)?(\d\d)?(\d\d)?(\d\d)?(\d\d)?(?:([+\-Z])(?:(\d\d)'?(?:(\d\d)'?)?)?)?\s*\x00?")


def parse_pdf_date(value: str) -> datetime | None:
    """A PDF date (``D:YYYYMMDDHHmmSSOHH'mm'``) as an aware datetime, or None when not one."""
    match = _PDF_DATE_RE.fullmatch(value) if len(value) <= 64 else None
    if match is None:
        return None
    year, month, day, hour, minute, second, sign, tz_hour, tz_minute = match.groups()
    try:
        moment = datetime(int(year), int(month or 1), int(day or 1), int(hour or 0), int(minute or 0),
                          int(second or 0))
    except ValueError:
        return None
    offset = timedelta(0)
    if sign in ("+", "-") and tz_hour:
        offset = (-1 if sign == "-" else 1) * timedelta(hours=int(tz_hour), minutes=int(tz_minute or 0))
    try:
        return moment.replace(tzinfo=timezone(offset))
    except ValueError:
        return None
