"""One PDF/A-1b check: make each object the rules apply to, hand it to the rules of its kind, count
what fails.

The walk, in order:

1. the bytes (:mod:`plugins.pdfa.filebytes`): header, end of file, xref sections, each object's
   ``obj``/``stream`` keywords and hex strings;
2. every object of the object table once, with its direct contents, for the syntax rules (numbers,
   strings, names, arrays, dictionaries, streams and their filters, file specifications, metadata
   streams);
3. the document from its catalogue: OutputIntents, the page tree (each node once), each page's
   content, group and annotations (their appearances are content too), the forms' fields, the
   outline and every action reached, the fonts the content shows text with, the XMP packet.

Work is bounded by counting, never by time (:class:`Budget`): objects and elements visited (both
passes), bytes of content streams and font programs read, content instructions followed, font
programs read. A budget spent stops the walk; the result then says the
check is incomplete, and does not call the file conformant.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from fontTools import agl

from plugins.pdfa import colour, content, filebytes, fonts, xmp
from plugins.pdfa import xmp_schemas as S
from plugins.pdfa.rules import RULES, SUBSET_RE, by_object

MAX_XREF_SECTIONS = 64
MAX_WALK_DEPTH = 64
# The ID and EI keywords of an inline image: its data, in between, is not PDF syntax.
_INLINE_KEYWORD_RE = re.compile(rb"(?<!" + filebytes.NOT_WS + rb")(?:ID|EI)(?!" + filebytes.NOT_WS + rb")")
# Dictionary brackets and well-formed hex strings (pairs of hex digits): what 6.1.6 has nothing against.
_GOOD_HEX_RE = re.compile(rb"<<|>>|<(?:" + filebytes.WS + rb"*+[0-9A-Fa-f]" + filebytes.WS + rb"*+[0-9A-Fa-f])*+"
                          + filebytes.WS + rb"*+>")
MAX_FONT_PROGRAM_BYTES = 8_000_000  # a font program larger than this is not read (the check is incomplete)


@dataclass(frozen=True)
class Budget:
    """The work one check may do (``pdf_report`` reads it from rules.toml, ``[thresholds.pdf_report]``
    ``pdfa_*``: :func:`plugins.pdf_report.pdfa_budget`)."""

    max_objects: int
    max_content_bytes: int
    max_fonts: int
    max_operators: int


class _Spent(Exception):
    """A budget is spent: the walk stops where it is."""


@dataclass
class DocumentView:
    """The file as a whole, for the ``Document`` rules."""

    header_at_zero: bool = True
    binary_comment: bool = True
    post_eof_bytes: int = 0
    id_present: bool = True
    linearized_ids_match: bool = True
    encrypted: bool = False
    embedded_files: bool = False
    indirect_objects: int = 0
    optional_content: bool = False
    catalog_aa: bool = False
    metadata_present: bool = True
    info_matches_xmp: bool = True


@dataclass
class OutputIntentsView:
    same_profile: bool


@dataclass
class AnnotationView:
    dict: Any
    flags: int | None
    has_colour: bool
    appearance_ok: bool


@dataclass
class IdentificationView:
    present: bool
    part: str | None
    conformance: str | None
    prefixes_ok: bool


@dataclass
class TrueTypeProgramView:
    symbolic: bool
    cmap_subtables: int


class Checker:
    def __init__(self, pikepdf: Any, pdf: Any, data: bytes, budget: Budget, header_at: int = 0) -> None:
        self.pikepdf = pikepdf
        self.pdf = pdf
        self.data = data
        self.header_at = header_at
        self.budget = budget
        self.rules = by_object()
        self.failures: dict[str, list[Any]] = {}  # rule id -> [count, example]
        self.visited = 0
        self.content_bytes = 0
        self.operators = 0
        self.fonts_read = 0
        self.limit: str | None = None
        self.output_cs: str | None = None
        self.walker = content.Walker(pikepdf, self)
        self.seen: set[Any] = set()
        self.programs: dict[Any, fonts.Program | None] = {}  # font programs read, by stream

    # -- dispatch -------------------------------------------------------------------------------------
    def emit(self, kind: str, obj: Any, where: Any) -> None:
        for rule in self.rules.get(kind, ()):
            try:
                ok = bool(rule.test(obj, self))
            except Exception:  # noqa: BLE001 - an object a test cannot read does not conform
                ok = False
            if not ok:
                entry = self.failures.get(rule.id)
                if entry is None:
                    self.failures[rule.id] = [1, where]
                else:
                    entry[0] += 1

    def emit_colour(self, kind: str, obj: Any, where: Any) -> None:
        if kind == "ICCProfile":
            key = ("icc", obj.objgen if obj.objgen != (0, 0) else id(obj))
            if key in self.seen:
                return
            self.seen.add(key)
            obj = colour.icc_info(obj)
        self.emit(kind, obj, where)

    def charge(self, n: int = 1) -> None:
        self.visited += n
        if self.visited > self.budget.max_objects:
            self.limit = "objects"
            raise _Spent()

    def charge_content(self, n: int) -> bool:
        self.content_bytes += n
        if self.content_bytes > self.budget.max_content_bytes:
            self.limit = self.limit or "content_bytes"
            return False
        return True

    def charge_operators(self, n: int) -> bool:
        self.operators += n
        if self.operators > self.budget.max_operators:
            self.limit = self.limit or "operators"
            return False
        return True

    def first(self, key: Any) -> bool:
        """True the first time ``key`` is met in the structure walk."""
        if key in self.seen:
            return False
        self.seen.add(key)
        return True

    # -- the check ---------------------------------------------------------------------------------------
    def run(self) -> dict[str, Any]:
        pikepdf, pdf = self.pikepdf, self.pdf
        document = DocumentView()
        try:
            xref = pdf.get_xref_table()
        except Exception:  # noqa: BLE001
            xref = {}
        document.indirect_objects = len(xref)
        for phase in (lambda: self.bytes_pass(xref, document), lambda: self.syntax_pass(xref),
                      lambda: self.structure(document)):
            try:
                phase()
            except _Spent:
                break
            except (Exception, RecursionError):  # noqa: BLE001 - what qpdf cannot give us is not vouched for
                self.limit = self.limit or "unreadable"
        self.emit("Document", document, "file")
        return self.result()

    def result(self) -> dict[str, Any]:
        failed = []
        for rule in RULES:
            entry = self.failures.get(rule.id)
            if entry is not None:
                count, where = entry
                example = f"object {where[0]} {where[1]}" if isinstance(where, tuple) and where[0] >= 0 else str(where)
                failed.append({"clause": rule.clause, "rule": rule.id, "count": count, "example": example})
        complete = self.limit is None
        return {"checked": "1B", "conformant": complete and not failed, "failed": failed, "rules": len(RULES),
                "complete": complete, **({"limit": self.limit} if self.limit else {})}

    # -- 1. bytes ---------------------------------------------------------------------------------------------
    def bytes_pass(self, xref: dict, document: DocumentView) -> None:
        pikepdf, pdf = self.pikepdf, self.pdf
        offsets = []
        for og, entry in xref.items():
            if entry.type != 1:
                continue
            length = None
            try:
                obj = pdf.get_object(og)
                if isinstance(obj, pikepdf.Stream):
                    raw = obj.stream_dict.get("/Length")
                    length = int(raw) if raw is not None else -1
            except Exception:  # noqa: BLE001 - an object qpdf cannot read is checked as written
                pass
            offsets.append((entry.offset + self.header_at, og, length))
        self.charge(len(offsets))
        scan = filebytes.scan(self.data, offsets, MAX_XREF_SECTIONS)
        document.header_at_zero = scan.file.header_at_zero
        document.binary_comment = scan.file.binary_comment
        document.post_eof_bytes = scan.file.post_eof_bytes
        for section in scan.sections:
            self.emit("XRefSection", section, f"xref at {section.offset}")
        for kind, items in (("ObjectSyntax", scan.objects), ("StreamSyntax", scan.streams),
                            ("HexString", scan.hex_strings)):
            for item in items:
                self.emit(kind, item, item.objgen)
        self.trailer_ids(scan.sections, document)

    def trailer_ids(self, sections: list[filebytes.XrefSection], document: DocumentView) -> None:
        """6.1.3: the last trailer has an /ID; a linearised file's first-page trailer too, the same."""
        pikepdf, pdf = self.pikepdf, self.pdf
        try:
            trailer = pdf.trailer
            document.encrypted = "/Encrypt" in trailer or pdf.is_encrypted
            parsed = _id_bytes(trailer.get("/ID"), pikepdf)
        except Exception:  # noqa: BLE001
            parsed = None
        if not sections:  # no cross-reference section where startxref says: what qpdf rebuilt
            document.id_present = parsed is not None
            return
        if getattr(pdf, "is_linearized", False):
            first = filebytes.trailer_id(min(sections, key=lambda s: s.offset).trailer)
            last = filebytes.trailer_id(max(sections, key=lambda s: s.offset).trailer)
            document.id_present = first is not None
            document.linearized_ids_match = last is None or first is None or first == last
        else:
            document.id_present = filebytes.trailer_id(sections[0].trailer) is not None

    # -- 2. syntax ---------------------------------------------------------------------------------------------
    def syntax_pass(self, xref: dict) -> None:
        pdf = self.pdf
        for og, entry in xref.items():
            if entry.type not in (1, 2):
                continue
            try:
                root = pdf.get_object(og)
            except Exception:  # noqa: BLE001 - an unreadable object has nothing to check
                continue
            self.cos(root, og)

    def cos(self, root: Any, og: Any, charge: bool = True) -> None:
        """The syntax rules on one object and what it holds directly (references are objects of
        their own, checked where the object table lists them)."""
        pikepdf = self.pikepdf
        Dictionary, Array, Stream, Name, String = (pikepdf.Dictionary, pikepdf.Array, pikepdf.Stream,
                                                   pikepdf.Name, pikepdf.String)
        emit = self.emit
        stack = [root]
        count = 0
        room = self.budget.max_objects - self.visited if charge else float("inf")
        while stack:
            value = stack.pop()
            count += 1
            if count > room:  # charged as it goes: one object may hold millions of elements
                self.charge(count)
            if value is None or value is True or value is False:
                continue
            if isinstance(value, int):
                if not -2147483648 <= value <= 2147483647:
                    emit("Integer", value, og)
                continue
            if isinstance(value, Decimal):
                if not -32767 <= value <= 32767:
                    emit("Real", value, og)
                continue
            if isinstance(value, Name):
                size = len(str(value).encode("utf-8", "surrogateescape")) - 1
                if size > 127:
                    emit("Name", size, og)
                continue
            if isinstance(value, String):
                size = len(bytes(value))
                if size > 65535:
                    emit("String", size, og)
                continue
            if value is not root and getattr(value, "is_indirect", False):
                continue
            if isinstance(value, Array):
                size = len(value)
                if size > 8191:
                    emit("Array", size, og)
                if count + len(stack) + size > room:
                    self.charge(count + len(stack) + size)
                stack.extend(value)
                continue
            if isinstance(value, Stream):
                stream_dict = value.stream_dict
                emit("Stream", stream_dict, og)
                filters = stream_dict.get("/Filter")
                for name in (filters if isinstance(filters, Array) else (filters,) if filters else ()):
                    emit("Filter", str(name), og)
                value = stream_dict
            if isinstance(value, Dictionary):
                size = len(value)
                if size > 4095:
                    emit("Dictionary", size, og)
                if count + len(stack) + size > room:
                    self.charge(count + len(stack) + size)
                if value.get("/Type") == "/Filespec" or "/EF" in value:
                    emit("FileSpec", value, og)
                metadata = value.get("/Metadata") if "/Metadata" in value else None
                if isinstance(metadata, Stream) and self.first(("metadata", _og(metadata, id(metadata)))):
                    emit("Metadata", metadata.stream_dict, _og(metadata, og))
                for key, item in value.items():
                    if len(key) > 128:
                        emit("Name", len(key.encode("utf-8", "surrogateescape")) - 1, og)
                    stack.append(item)
        if charge:
            self.charge(count)

    def content_syntax(self, data: bytes, where: Any) -> None:
        """6.1.6 on a content stream as written: its hex strings (inline image data left out)."""
        if b"<" not in data or b"<" not in _GOOD_HEX_RE.sub(b"", data):
            return  # every hex string well formed (a "<" left may be in a string: the careful scan decides)
        found: list[filebytes.HexString] = []
        start, inside = 0, False
        for match in _INLINE_KEYWORD_RE.finditer(data):  # one pass: each ID pairs with the next EI
            if not inside and match.group() == b"ID":
                filebytes.scan_body(data, start, match.start(), where, found)
                inside = True
            elif inside and match.group() == b"EI":
                start, inside = match.end(), False
        if not inside:
            filebytes.scan_body(data, start, len(data), where, found)
        for item in found:
            self.emit("HexString", item, where)

    # -- 3. structure ------------------------------------------------------------------------------------------
    def structure(self, document: DocumentView) -> None:
        pikepdf, pdf = self.pikepdf, self.pdf
        Dictionary = pikepdf.Dictionary
        try:
            root = pdf.Root
        except Exception:  # noqa: BLE001
            return
        root_og = _og(root, (-1, -1))
        document.optional_content = "/OCProperties" in root
        document.catalog_aa = "/AA" in root
        names = root.get("/Names")
        document.embedded_files = isinstance(names, Dictionary) and "/EmbeddedFiles" in names
        self.output_intents(root)
        packet = self.metadata(root, document)
        self.info_dictionary(packet, document)
        for key in ("/OpenAction",):
            value = root.get(key)
            if isinstance(value, Dictionary):
                self.action(value, root_og)
        self.additional_actions(root.get("/AA"), root_og)
        if isinstance(names, Dictionary):
            self.name_tree_actions(names.get("/JavaScript"))
        self.pages(root)
        self.acroform(root.get("/AcroForm"), root_og)
        self.outlines(root.get("/Outlines"))
        self.check_fonts()

    def output_intents(self, root: Any) -> None:
        pikepdf = self.pikepdf
        intents = root.get("/OutputIntents")
        if not isinstance(intents, pikepdf.Array):
            return
        profiles = set()
        pdfa_profile = None
        for intent in intents:
            if not isinstance(intent, pikepdf.Dictionary):
                continue
            profile = intent.get("/DestOutputProfile")
            if isinstance(profile, pikepdf.Stream):
                profiles.add(profile.objgen if profile.objgen != (0, 0) else id(profile))
                if intent.get("/S") == "/GTS_PDFA1" and pdfa_profile is None:
                    pdfa_profile = profile
        self.emit("OutputIntents", OutputIntentsView(len(profiles) <= 1), _og(intents, _og(root, (-1, -1))))
        if pdfa_profile is not None:
            info = colour.icc_info(pdfa_profile)
            self.emit("OutputProfile", info, _og(pdfa_profile, (-1, -1)))
            if info.valid:
                self.output_cs = info.colour_space

    # -- metadata ---------------------------------------------------------------------------------------
    def metadata(self, root: Any, document: DocumentView) -> xmp.Packet | None:
        pikepdf = self.pikepdf
        stream = root.get("/Metadata")
        if not isinstance(stream, pikepdf.Stream):
            document.metadata_present = False
            self.emit("PDFAIdentification", IdentificationView(False, None, None, True), "XMP")
            return None
        where = _og(stream, (-1, -1))
        try:
            data = stream.read_bytes()
        except Exception:  # noqa: BLE001
            data = b""
        packet = xmp.read_packet(data, max(1, self.budget.max_objects - self.visited))
        if packet.truncated:
            self.limit = "objects"
        self.emit("XMPPacket", packet, where)
        objects, defined, types = xmp.extension_objects(packet)
        if packet.extension is not None:
            self.emit("ExtensionContainer", packet.extension, where)
        kinds = {"schema": "ExtensionSchema", "property": "ExtensionProperty", "valueType": "ExtensionValueType",
                 "field": "ExtensionField"}
        for obj in objects:
            self.emit("ExtensionObject", obj, where)
            self.emit(kinds[obj.kind], obj, where)
        for prop in xmp.properties(packet, defined, types):
            self.emit("XMPProperty", prop, where)
        part = packet.property(S.NS_PDFAID, "part")
        conformance = packet.property(S.NS_PDFAID, "conformance")
        amd = packet.property(S.NS_PDFAID, "amd")
        present = packet.valid and (part is not None or conformance is not None)
        prefixes_ok = all(node is None or node.prefix == "pdfaid" for node in (part, conformance, amd))
        part_value = (xmp.simple(part) or "").strip()
        part_value = str(int(part_value)) if part_value.lstrip("+").isdigit() else part_value or None
        self.emit("PDFAIdentification", IdentificationView(present, part_value, xmp.simple(conformance),
                                                           prefixes_ok), where)
        return packet

    def info_dictionary(self, packet: xmp.Packet | None, document: DocumentView) -> None:
        pikepdf = self.pikepdf
        try:
            info = self.pdf.trailer.get("/Info")
        except Exception:  # noqa: BLE001
            info = None
        if not isinstance(info, pikepdf.Dictionary):
            return
        if packet is None or not packet.valid:
            document.info_matches_xmp = False
            return
        expected = xmp.info_counterparts(packet)
        for key, value in expected.items():
            if key not in info:
                continue
            entry = info.get(key)
            if entry is None:
                continue
            if not isinstance(entry, pikepdf.String) or value is None:
                document.info_matches_xmp = False
                return
            text = str(entry)
            if text.endswith("\x00"):  # a C string's terminator, written by some producers
                text = text[:-1]
            if key in ("/CreationDate", "/ModDate"):
                moment = xmp.parse_pdf_date(bytes(entry).decode("latin-1"))
                ok = moment is not None and moment == value
            elif key == "/Author":
                ok = len(value) == 1 and value[0] == text
            else:
                ok = value == text
            if not ok:
                document.info_matches_xmp = False
                return

    # -- pages ------------------------------------------------------------------------------------------
    def pages(self, root: Any) -> None:
        pikepdf = self.pikepdf
        Dictionary, Array = pikepdf.Dictionary, pikepdf.Array
        top = root.get("/Pages")
        if not isinstance(top, Dictionary):
            return
        stack: list[tuple[Any, Any, int]] = [(top, None, 0)]
        while stack:
            node, resources, depth = stack.pop()
            self.charge()
            og = _og(node, (-1, -1))
            if not self.first(("page-node", og if og != (-1, -1) else id(node))) or depth > MAX_WALK_DEPTH:
                continue
            own = node.get("/Resources")
            if isinstance(own, Dictionary):
                resources = own
            kids = node.get("/Kids")
            if isinstance(kids, Array):
                for kid in reversed(list(kids)):
                    if isinstance(kid, Dictionary):
                        stack.append((kid, resources, depth + 1))
                continue
            self.page(node, resources, og)

    def page(self, page: Any, resources: Any, og: tuple[int, int]) -> None:
        pikepdf = self.pikepdf
        group = page.get("/Group")
        if isinstance(group, pikepdf.Dictionary):
            self.emit("Group", group, og)
        self.additional_actions(page.get("/AA"), og)
        contents = page.get("/Contents")
        streams = contents if isinstance(contents, pikepdf.Array) else [contents]
        for stream in streams:
            if isinstance(stream, pikepdf.Stream):
                self.walker.run(stream, resources, og)
        annots = page.get("/Annots")
        if isinstance(annots, pikepdf.Array):
            for annot in annots:
                if isinstance(annot, pikepdf.Dictionary):
                    self.annotation(annot, resources, og)

    # -- annotations, forms, actions ---------------------------------------------------------------------
    def annotation(self, annot: Any, resources: Any, page_og: tuple[int, int]) -> None:
        pikepdf = self.pikepdf
        og = _og(annot, page_og)
        if not self.first(("annot", og if og != page_og else id(annot))):
            return
        self.charge()
        subtype = annot.get("/Subtype")
        flags = annot.get("/F")
        flags = int(flags) if isinstance(flags, int) and not isinstance(flags, bool) else None
        has_colour = any(isinstance(annot.get(k), pikepdf.Array) and len(annot.get(k)) > 0 for k in ("/C", "/IC"))
        appearance = annot.get("/AP")
        appearance_ok = True
        if appearance is not None:
            normal = appearance.get("/N") if isinstance(appearance, pikepdf.Dictionary) else None
            button = subtype == "/Widget" and _inherited(annot, "/FT", pikepdf) == "/Btn"
            keys = set(appearance.keys()) if isinstance(appearance, pikepdf.Dictionary) else set()
            if keys != {"/N"}:
                appearance_ok = False
            elif button:
                appearance_ok = isinstance(normal, pikepdf.Dictionary) and not isinstance(normal, pikepdf.Stream) \
                    and len(normal) > 0
            else:
                appearance_ok = isinstance(normal, pikepdf.Stream)
        self.emit("Annotation", AnnotationView(annot, flags, has_colour, appearance_ok), og)
        if subtype == "/Widget":
            self.emit("Widget", annot, og)
        action = annot.get("/A")
        if isinstance(action, pikepdf.Dictionary):
            self.action(action, og)
        self.additional_actions(annot.get("/AA"), og)
        if isinstance(appearance, pikepdf.Dictionary):
            for key in ("/N", "/R", "/D"):
                state = appearance.get(key)
                streams = [state] if isinstance(state, pikepdf.Stream) else (
                    list(state.values()) if isinstance(state, pikepdf.Dictionary) else [])
                for stream in streams:
                    if not isinstance(stream, pikepdf.Stream):
                        continue
                    inner = stream.get("/Resources")
                    inner = inner if isinstance(inner, pikepdf.Dictionary) else resources
                    if stream.get("/Subtype") == "/Form":
                        self.walker.xobject(stream, inner, og, content.State(), 0)
                    else:
                        self.walker.run(stream, inner, _og(stream, og))

    def action(self, action: Any, where: tuple[int, int], depth: int = 0) -> None:
        pikepdf = self.pikepdf
        if depth > MAX_WALK_DEPTH or not isinstance(action, pikepdf.Dictionary):
            return
        og = _og(action, where)
        if not self.first(("action", og if og != where else id(action))):
            return
        self.charge()
        self.emit("Action", action, og)
        if action.get("/S") == "/Named":
            self.emit("NamedAction", action, og)
        following = action.get("/Next")
        for item in following if isinstance(following, pikepdf.Array) else [following]:
            self.action(item, og, depth + 1)

    def name_tree_actions(self, tree: Any) -> None:
        """The document-level scripts (/Names /JavaScript): actions like any other (6.6.1)."""
        pikepdf = self.pikepdf
        stack = [(tree, 0)]
        while stack:
            node, depth = stack.pop()
            if not isinstance(node, pikepdf.Dictionary) or depth > MAX_WALK_DEPTH:
                continue
            self.charge()
            kids = node.get("/Kids")
            if isinstance(kids, pikepdf.Array):
                stack.extend((kid, depth + 1) for kid in kids)
            leaves = node.get("/Names")
            if isinstance(leaves, pikepdf.Array):
                for i in range(1, len(leaves), 2):
                    self.action(leaves[i], _og(node, (-1, -1)))

    def additional_actions(self, aa: Any, where: tuple[int, int]) -> None:
        if isinstance(aa, self.pikepdf.Dictionary):
            for _, action in aa.items():
                self.action(action, _og(aa, where))

    def acroform(self, form: Any, where: tuple[int, int]) -> None:
        pikepdf = self.pikepdf
        if not isinstance(form, pikepdf.Dictionary):
            return
        self.emit("AcroForm", form, _og(form, where))
        fields = form.get("/Fields")
        stack = [(f, 0) for f in fields] if isinstance(fields, pikepdf.Array) else []
        while stack:
            field, depth = stack.pop()
            if not isinstance(field, pikepdf.Dictionary) or depth > MAX_WALK_DEPTH:
                continue
            og = _og(field, where)
            if not self.first(("field", og if og != where else id(field))):
                continue
            self.charge()
            self.emit("FormField", field, og)
            self.additional_actions(field.get("/AA"), og)
            kids = field.get("/Kids")
            if isinstance(kids, pikepdf.Array):
                stack.extend((kid, depth + 1) for kid in kids)

    def outlines(self, outlines: Any) -> None:
        pikepdf = self.pikepdf
        if not isinstance(outlines, pikepdf.Dictionary):
            return
        stack = [outlines.get("/First")]
        while stack:
            item = stack.pop()
            if not isinstance(item, pikepdf.Dictionary):
                continue
            og = _og(item, (-1, -1))
            if not self.first(("outline", og if og != (-1, -1) else id(item))):
                continue
            self.charge()
            action = item.get("/A")
            if isinstance(action, pikepdf.Dictionary):
                self.action(action, og)
            stack.append(item.get("/Next"))
            stack.append(item.get("/First"))

    # -- fonts -----------------------------------------------------------------------------------------------
    def check_fonts(self) -> None:
        for use in list(self.walker.fonts.values()):
            self.charge()
            self.font(use)

    def font(self, use: content.FontUse) -> None:
        pikepdf = self.pikepdf
        font = use.dict
        where = use.where
        view = self.font_view(font, use.modes)
        self.emit("Font", view, where)
        subtype = view.subtype
        if subtype in ("/Type1", "/MMType1", "/TrueType", "/Type3"):
            self.emit("SimpleFont", view, where)
        if subtype == "/TrueType":
            self.emit("TrueTypeFont", view, where)
        if subtype == "/Type3":
            self.type3(font, where)
            return
        if subtype == "/Type0":
            self.type0(font, view, use, where)
            return
        program = self.program(font.get("/FontDescriptor"), where)
        if subtype in ("/Type1", "/MMType1"):
            view.charset_complete = _charset_complete(font.get("/FontDescriptor"), program)
            self.emit("Type1Font", view, where)
        if program is None:
            return
        if subtype == "/TrueType":
            self.emit("TrueTypeProgram", TrueTypeProgramView(view.symbolic, program.cmap_subtables), where)
        self.simple_glyphs(font, view, program, use, where)

    def font_view(self, font: Any, modes: set[int]) -> fonts.FontView:
        pikepdf = self.pikepdf
        subtype = fonts.name_of(font.get("/Subtype"))
        base = fonts.name_of(font.get("/BaseFont"))
        view = fonts.FontView(font, subtype, base)
        base_name = base[1:] if base else ""
        view.subset = SUBSET_RE.match(base_name) is not None
        view.standard = subtype in ("/Type1", "/MMType1") and base_name in fonts.STANDARD_14
        view.invisible_only = bool(modes) and modes <= {3}
        descriptor = font.get("/FontDescriptor")
        key, stream = fonts.font_file(descriptor)
        view.embedded = stream is not None
        if key == "/FontFile3":
            view.font_file_subtype = fonts.name_of(stream.get("/Subtype"))
        try:
            flags = int(descriptor.get("/Flags", 0)) if isinstance(descriptor, pikepdf.Dictionary) else 0
        except (TypeError, ValueError):
            flags = 0
        view.symbolic = bool(flags & 4)
        encoding = font.get("/Encoding")
        if isinstance(encoding, pikepdf.Name):
            view.encoding = str(encoding)
        elif isinstance(encoding, pikepdf.Dictionary) and "/Differences" not in encoding:
            view.encoding = fonts.name_of(encoding.get("/BaseEncoding"))
        first, last, widths = font.get("/FirstChar"), font.get("/LastChar"), font.get("/Widths")
        view.widths_size_ok = (isinstance(widths, pikepdf.Array) and isinstance(first, int) and isinstance(last, int)
                               and len(widths) == last - first + 1)
        return view

    def program(self, descriptor: Any, where: tuple[int, int]) -> fonts.Program | None:
        key, stream = fonts.font_file(descriptor)
        if stream is None:
            return None
        cache = ("program", _og(stream, (id(stream), -5)))
        if cache in self.seen:
            return self.programs.get(cache)
        self.seen.add(cache)
        if self.fonts_read >= self.budget.max_fonts:
            self.limit = self.limit or "fonts"
            return None
        self.fonts_read += 1
        program = None
        try:
            data = stream.read_bytes()
            if len(data) > MAX_FONT_PROGRAM_BYTES:
                self.limit = self.limit or "fonts"
                raise ValueError("font program too large")
            if not self.charge_content(len(data)):  # decrypted or parsed like content: the same budget
                raise ValueError("bytes budget spent")
            if key == "/FontFile2":
                program = fonts.read_truetype(data)
            elif key == "/FontFile3":
                program = fonts.read_cff(data)
            else:
                length1, length2 = stream.get("/Length1"), stream.get("/Length2")
                program = fonts.read_type1(data, length1 if isinstance(length1, int) else None,
                                           length2 if isinstance(length2, int) else None)
        except Exception:  # noqa: BLE001 - a program fontTools cannot read: its glyphs are not known
            program = None
        self.programs[cache] = program
        return program

    def simple_glyphs(self, font: Any, view: fonts.FontView, program: fonts.Program, use: content.FontUse,
                      where: tuple[int, int]) -> None:
        pikepdf = self.pikepdf
        codes = sorted({b for data in use.strings for b in data})[:fonts.MAX_CODES_PER_FONT]
        first = font.get("/FirstChar")
        widths = font.get("/Widths")
        names = _simple_encoding(font, program, pikepdf)
        invisible = view.invisible_only
        for code in codes:
            pdf_width = None  # compared only where /Widths gives one (outside it, MissingWidth is a default)
            if isinstance(widths, pikepdf.Array) and isinstance(first, int) and 0 <= code - first < len(widths):
                pdf_width = widths[code - first]
            present, width = _glyph(program, code, names, view.symbolic)
            width_ok = None
            if present and width is not None and pdf_width is not None:
                try:
                    width_ok = abs(float(pdf_width) - width) <= fonts.WIDTH_TOLERANCE
                except (TypeError, ValueError):
                    width_ok = False
            self.emit("Glyph", fonts.GlyphView(present, width_ok, invisible), where)

    def type0(self, font: Any, view: fonts.FontView, use: content.FontUse, where: tuple[int, int]) -> None:
        pikepdf = self.pikepdf
        encoding = font.get("/Encoding")
        descendants = font.get("/DescendantFonts")
        cid_font = descendants[0] if isinstance(descendants, pikepdf.Array) and len(descendants) > 0 else None
        if isinstance(encoding, pikepdf.Stream):
            cmap = fonts.read_cmap(encoding, encoding.get("/WMode"))
            cmap_info = encoding.get("/CIDSystemInfo")
        else:
            name = fonts.name_of(encoding)
            cmap = fonts.CMapView(identity=name in ("/Identity-H", "/Identity-V"), embedded=False)
            cmap_info = None
        self.emit("CMap", cmap, _og(encoding, where) if encoding is not None else where)
        view.cmap_identity = cmap.identity
        if not isinstance(cid_font, pikepdf.Dictionary):
            return
        cid_where = _og(cid_font, where)
        info = cid_font.get("/CIDSystemInfo")
        if isinstance(cmap_info, pikepdf.Dictionary):
            cmap.registry, cmap.ordering = str(cmap_info.get("/Registry", "")), str(cmap_info.get("/Ordering", ""))
        if cmap.embedded and isinstance(info, pikepdf.Dictionary) and cmap.registry is not None:
            view.cid_system_info_compatible = (cmap.registry == str(info.get("/Registry", ""))
                                               and cmap.ordering == str(info.get("/Ordering", "")))
        self.emit("Type0Font", view, where)
        cid_view = self.font_view(cid_font, use.modes)
        descriptor = cid_font.get("/FontDescriptor")
        program = self.program(descriptor, cid_where)
        readable = program is not None and (cmap.identity or cmap.embedded)
        to_gid = _cid_to_gid(cid_font, pikepdf)
        cids = sorted({cid for data in use.strings for _, cid in fonts.cids_of(data, cmap)})[:fonts.MAX_CODES_PER_FONT] \
            if readable else []
        glyphs = [(cid, *_cid_glyph(program, cid, to_gid)) for cid in cids]
        cid_view.cidset_complete = _cidset_complete(descriptor, [cid for cid, present, _ in glyphs if present], pikepdf)
        self.emit("Font", cid_view, cid_where)
        self.emit("CIDFont", cid_view, cid_where)
        widths = _cid_widths(cid_font, pikepdf) if readable else {}
        default = cid_font.get("/DW", 1000)
        for cid, present, width in glyphs:
            width_ok = None
            if present and width is not None:
                try:
                    width_ok = abs(float(widths.get(cid, default)) - width) <= fonts.WIDTH_TOLERANCE
                except (TypeError, ValueError):
                    width_ok = False
            self.emit("Glyph", fonts.GlyphView(present, width_ok, cid_view.invisible_only), cid_where)

    def type3(self, font: Any, where: tuple[int, int]) -> None:
        pikepdf = self.pikepdf
        procs = font.get("/CharProcs")
        resources = font.get("/Resources")
        if isinstance(procs, pikepdf.Dictionary):
            for _, proc in procs.items():
                if isinstance(proc, pikepdf.Stream):
                    self.walker.run(proc, resources if isinstance(resources, pikepdf.Dictionary) else None,
                                    _og(proc, where))


# --- helpers ----------------------------------------------------------------------------------------------
def _og(obj: Any, fallback: Any) -> Any:
    try:
        og = obj.objgen
    except Exception:  # noqa: BLE001
        return fallback
    return og if og != (0, 0) else fallback


def _id_bytes(value: Any, pikepdf: Any) -> tuple[bytes, ...] | None:
    if isinstance(value, pikepdf.Array):
        return tuple(bytes(v) for v in value if isinstance(v, pikepdf.String))
    return None


def _inherited(field: Any, key: str, pikepdf: Any) -> Any:
    node, depth = field, 0
    while isinstance(node, pikepdf.Dictionary) and depth < MAX_WALK_DEPTH:
        if key in node:
            return node.get(key)
        node, depth = node.get("/Parent"), depth + 1
    return None


def _simple_encoding(font: Any, program: fonts.Program, pikepdf: Any) -> dict[int, str]:
    """Code → glyph name for a simple font: the program's own encoding, then /Encoding's base and
    /Differences (PDF 1.4, 5.5.5)."""
    names = dict(program.builtin)
    encoding = font.get("/Encoding")
    base = encoding if isinstance(encoding, pikepdf.Name) else (
        encoding.get("/BaseEncoding") if isinstance(encoding, pikepdf.Dictionary) else None)
    table = fonts.encoding_table(str(base)) if base is not None else None
    if table is None and program.kind == "truetype" and not program.builtin:
        table = None
    if table is not None:
        names = {code: name for code, name in enumerate(table) if name != ".notdef"}
    if isinstance(encoding, pikepdf.Dictionary):
        differences = encoding.get("/Differences")
        code = 0
        for item in differences if isinstance(differences, pikepdf.Array) else ():
            if isinstance(item, int):
                code = item
            elif isinstance(item, pikepdf.Name):
                names[code] = str(item)[1:]
                code += 1
    return names


def _glyph(program: fonts.Program, code: int, names: dict[int, str], symbolic: bool) -> tuple[bool | None, float | None]:
    """Is the glyph for ``code`` in the program, and its width (1/1000 em)."""
    if program.kind == "truetype":
        gid = None
        name = names.get(code)
        if name is not None and not symbolic:
            unicode = agl.AGL2UV.get(name)
            if unicode is not None and (3, 1) in program.cmaps:
                gid = program.cmaps[(3, 1)].get(unicode)
            if gid is None and (1, 0) in program.cmaps:
                mac = fonts.encoding_table("/MacRomanEncoding") or []
                mac_code = mac.index(name) if name in mac else None
                gid = program.cmaps[(1, 0)].get(mac_code) if mac_code is not None else None
            if gid is None:
                gid = program.gid_by_name.get(name)
        if gid is None:
            for table in ((3, 0), (1, 0), (3, 1)):
                mapping = program.cmaps.get(table)
                if not mapping:
                    continue
                for candidate in (code, 0xF000 + code, 0xF100 + code, 0xF200 + code):
                    if candidate in mapping:
                        gid = mapping[candidate]
                        break
                if gid is not None:
                    break
        if gid is None or gid == 0 or gid >= program.glyph_count:
            return False, None
        return True, program.widths.get(gid)
    name = names.get(code, ".notdef")
    if name not in program.glyphs:
        return False, None
    return True, program.widths.get(name)


def _cid_glyph(program: fonts.Program, cid: int, to_gid: Any) -> tuple[bool | None, float | None]:
    if program.kind == "truetype":
        gid = cid if to_gid is None else (to_gid[cid] if cid < len(to_gid) else 0)
        if gid >= program.glyph_count:
            return False, None
        return True, program.widths.get(gid)
    if program.cids is not None:
        if cid not in program.cids:
            return False, None
        return True, program.widths.get(cid)
    names = sorted(program.glyphs)
    return (cid < program.glyph_count), None if not names else None


def _cid_widths(cid_font: Any, pikepdf: Any) -> dict[int, Any]:
    """The /W array of a CIDFont as CID → width."""
    out: dict[int, Any] = {}
    w = cid_font.get("/W")
    if not isinstance(w, pikepdf.Array):
        return out
    items = list(w)
    i = 0
    while i < len(items) and len(out) < 65536:
        first = items[i]
        if i + 1 < len(items) and isinstance(items[i + 1], pikepdf.Array) and isinstance(first, int):
            for k, width in enumerate(items[i + 1]):
                out[first + k] = width
            i += 2
        elif i + 2 < len(items) and isinstance(first, int) and isinstance(items[i + 1], int):
            for cid in range(first, min(items[i + 1], first + 65536) + 1):
                out[cid] = items[i + 2]
            i += 3
        else:
            break
    return out


def _cid_to_gid(cid_font: Any, pikepdf: Any) -> Any:
    mapping = cid_font.get("/CIDToGIDMap")
    if isinstance(mapping, pikepdf.Stream):
        try:
            data = mapping.read_bytes()[:131072]
        except Exception:  # noqa: BLE001
            return None
        return [data[i] << 8 | data[i + 1] for i in range(0, len(data) - 1, 2)]
    return None


def _charset_complete(descriptor: Any, program: fonts.Program | None) -> bool:
    """A Type 1 subset's /CharSet lists every glyph its program defines (.notdef aside)."""
    try:
        charset = descriptor.get("/CharSet")
    except Exception:  # noqa: BLE001
        return False
    if charset is None:
        return False
    if program is None:
        return True
    listed = {name.lstrip("/") for name in str(charset).replace("/", " /").split()} - {".notdef"}
    return program.glyphs - {".notdef"} == listed


def _cidset_complete(descriptor: Any, shown: list[int], pikepdf: Any) -> bool:
    """A CID subset's /CIDSet has the bit of every CID the content shows that its program holds (what
    PDF/A-1 asks of the set: the glyphs used; the reference validator reads it the same way)."""
    cidset = descriptor.get("/CIDSet") if isinstance(descriptor, pikepdf.Dictionary) else None
    if not isinstance(cidset, pikepdf.Stream):
        return False
    try:
        bits = cidset.read_bytes()
    except Exception:  # noqa: BLE001
        return False
    return all(cid // 8 < len(bits) and bits[cid // 8] & (0x80 >> (cid % 8)) for cid in shown if cid != 0)


def check(pikepdf: Any, pdf: Any, data: bytes, budget: Budget, header_at: int = 0) -> dict[str, Any]:
    """Check an open document (``pdf``, its bytes ``data``) against PDF/A-1b."""
    return Checker(pikepdf, pdf, data, budget, header_at).run()
