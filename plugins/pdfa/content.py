"""Content streams for PDF/A-1: every operator is one PDF 1.4 defines (6.2.10), q/Q nest at most 28
deep (6.1.12), and what the content paints tells which colour spaces, images, forms, graphics
states, shadings, patterns and fonts the file really uses (6.2, 6.3, 6.4).

qpdf tokenises each stream (pikepdf's parser, C++); this module follows the graphics state the way
a renderer would, as far as the checks need: the fill and stroke colour spaces (a device space is
used when something is painted with it), the text rendering mode and font, the resources in scope.
Forms, tiling patterns and Type 3 glyphs are followed into, each at most once for the same
inherited state, ``max_depth`` deep; every byte parsed is charged to the checker's budget.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from plugins.pdfa import colour

# PDF 1.4 Reference, Appendix A (operator summary).
OPERATORS = frozenset("""b B b* B* BDC BI BMC BT BX c cm CS cs d d0 d1 Do DP EI EMC ET EX f F f* G g gs h i ID
j J K k l m M MP n q Q re RG rg ri s S SC sc SCN scn sh T* Tc Td TD Tf Tj TJ TL Tm Tr Ts Tw Tz v w W W* y ' \"
""".split())
FILL = frozenset({"f", "F", "f*", "B", "B*", "b", "b*"})
STROKE = frozenset({"S", "s", "B", "B*", "b", "b*"})
TEXT_SHOW = frozenset({"Tj", "TJ", "'", '"'})
MAX_TEXT_BYTES = 1_000_000  # bytes of strings kept per font for the glyph checks
DEVICE = {"g": "/DeviceGray", "G": "/DeviceGray", "rg": "/DeviceRGB", "RG": "/DeviceRGB", "k": "/DeviceCMYK",
          "K": "/DeviceCMYK"}


@dataclass
class State:
    fill: Any = None  # (colour space, resources it was named in)
    stroke: Any = None
    mode: int = 0
    font: Any = None

    def copy(self) -> State:
        return State(self.fill, self.stroke, self.mode, self.font)


@dataclass
class FontUse:
    """A font as the content uses it: the text rendering modes and the strings shown."""

    dict: Any
    where: tuple[int, int]
    modes: set[int] = field(default_factory=set)
    strings: list[bytes] = field(default_factory=list)
    kept: int = 0

    def show(self, data: bytes, mode: int) -> None:
        self.modes.add(mode)
        if self.kept < MAX_TEXT_BYTES:
            self.strings.append(data)
            self.kept += len(data)


def _og(obj: Any, fallback: tuple[int, int]) -> tuple[int, int]:
    try:
        og = obj.objgen
    except Exception:  # noqa: BLE001
        return fallback
    return og if og != (0, 0) else fallback


class Walker:
    """Interprets content streams for one document; ``checker`` receives what they use."""

    def __init__(self, pikepdf: Any, checker: Any, max_depth: int = 16) -> None:
        self.pikepdf = pikepdf
        self.checker = checker
        self.max_depth = max_depth
        self.fonts: dict[Any, FontUse] = {}
        self.done: set[Any] = set()  # (stream, state key) already interpreted
        self.seen_objects: set[tuple[str, tuple[int, int]]] = set()
        self.stack: list[tuple[int, int]] = []

    # -- resources ------------------------------------------------------------------------------
    def resource(self, resources: Any, category: str, name: Any) -> Any:
        try:
            table = resources.get(category) if resources is not None else None
            if isinstance(table, self.pikepdf.Dictionary) and name in table:
                return table.get(name)
        except Exception:  # noqa: BLE001 - an unreadable resource is not there
            return None
        return None

    def once(self, kind: str, obj: Any, where: tuple[int, int]) -> bool:
        """Emit ``obj`` for ``kind`` the first time this object is met."""
        key = (kind, _og(obj, (id(obj), -1)))
        if key in self.seen_objects:
            return False
        self.seen_objects.add(key)
        self.checker.emit(kind, obj, where)
        return True

    # -- colour -----------------------------------------------------------------------------------
    def paint(self, source: Any, where: tuple[int, int]) -> None:
        space, resources = source if source is not None else ("/DeviceGray", None)
        if isinstance(space, str):
            space = self.pikepdf.Name(space)
        key = ("colour", repr(space) if isinstance(space, self.pikepdf.Name) else _og(space, (id(space), -2)),
               id(resources))
        if key in self.seen_objects:
            return
        self.seen_objects.add(key)
        colour.resolve(self.pikepdf, space, resources, self.checker.emit_colour, where)

    # -- streams ---------------------------------------------------------------------------------
    def run(self, stream: Any, resources: Any, where: tuple[int, int], state: State | None = None,
            depth: int = 0, nesting: int = 0) -> None:
        """Interpret one content stream (a page's, a form's, a pattern's, an appearance, a glyph)."""
        pikepdf = self.pikepdf
        state = state or State()
        og = _og(stream, (id(stream), -3))
        key = (og, repr(state.fill), repr(state.stroke), state.mode, id(resources))
        if key in self.done or depth > self.max_depth or og in self.stack:
            return
        self.done.add(key)
        try:
            data = stream.read_bytes()
        except Exception:  # noqa: BLE001 - undecodable content has nothing we can read
            return
        if not self.checker.charge_content(len(data)):
            return
        self.checker.content_syntax(data, og)
        try:
            instructions = pikepdf.parse_content_stream(pikepdf.Stream(self.checker.pdf, data))
        except Exception:  # noqa: BLE001 - a content stream qpdf cannot tokenise
            self.checker.emit("Operator", "?", og)
            return
        self.stack.append(og)
        try:
            self.interpret(instructions, resources, og, state, depth, nesting)
        finally:
            self.stack.pop()

    def interpret(self, instructions: Any, resources: Any, where: tuple[int, int], state: State, depth: int,
                  nesting: int) -> None:
        pikepdf = self.pikepdf
        Name = pikepdf.Name
        stack: list[State] = []
        deepest = nesting
        checker_cos = self.checker.cos

        def cos(value: Any, at: Any) -> None:  # operands are charged as content bytes, not objects
            checker_cos(value, at, charge=False)
        for instruction in instructions:
            op = str(instruction.operator)
            operands = instruction.operands
            for operand in operands:  # operands are PDF objects too (6.1.12)
                kind = type(operand)
                if kind is int:
                    if not -2147483648 <= operand <= 2147483647:
                        cos(operand, where)
                elif kind is not Decimal:
                    cos(operand, where)
                elif not -32767 <= operand <= 32767:
                    cos(operand, where)
            if op == "INLINE IMAGE":
                self.inline_image(operands[0], resources, where, state)
                continue
            if op not in OPERATORS:
                self.checker.emit("Operator", op, where)
                continue
            if op == "q":
                stack.append(state.copy())
                deepest = max(deepest, nesting + len(stack))
            elif op == "Q":
                if stack:
                    state = stack.pop()
            elif op in DEVICE:
                source = (Name(DEVICE[op]), resources)
                if op.islower():
                    state.fill = source
                else:
                    state.stroke = source
            elif op in ("cs", "CS") and operands and isinstance(operands[0], Name):
                source = (operands[0], resources)
                if op == "cs":
                    state.fill = source
                else:
                    state.stroke = source
            elif op in ("scn", "SCN") and operands and isinstance(operands[-1], Name):
                current = state.fill if op == "scn" else state.stroke
                self.pattern(operands[-1], current, resources, where, depth, nesting + len(stack))
            elif op in FILL or op in STROKE:
                if op in FILL:
                    self.paint(state.fill, where)
                if op in STROKE:
                    self.paint(state.stroke, where)
            elif op == "Tr" and operands:
                try:
                    state.mode = int(operands[0])
                except (TypeError, ValueError):
                    pass
            elif op == "Tf" and operands and isinstance(operands[0], Name):
                state.font = self.resource(resources, "/Font", operands[0])
            elif op in TEXT_SHOW:
                self.text(operands, state, where)
            elif op == "Do" and operands and isinstance(operands[0], Name):
                xobject = self.resource(resources, "/XObject", operands[0])
                if xobject is not None:
                    self.xobject(xobject, resources, where, state, depth, nesting + len(stack))
            elif op == "gs" and operands and isinstance(operands[0], Name):
                gstate = self.resource(resources, "/ExtGState", operands[0])
                if isinstance(gstate, pikepdf.Dictionary):
                    self.ext_gstate(gstate, where, state)
            elif op == "ri" and operands:
                self.checker.emit("RenderingIntent", str(operands[0]), where)
            elif op == "sh" and operands and isinstance(operands[0], Name):
                shading = self.resource(resources, "/Shading", operands[0])
                self.shading(shading, resources, where)
        self.checker.emit("Nesting", deepest, where)

    # -- what the operators use ------------------------------------------------------------------------
    def text(self, operands: Any, state: State, where: tuple[int, int]) -> None:
        pikepdf = self.pikepdf
        font = state.font
        mode = state.mode
        if font is not None and isinstance(font, pikepdf.Dictionary):
            key = _og(font, (id(font), -4))
            use = self.fonts.get(key)
            if use is None:
                use = self.fonts[key] = FontUse(font, _og(font, where))
            for operand in operands:
                if isinstance(operand, pikepdf.String):
                    use.show(bytes(operand), mode)
                elif isinstance(operand, pikepdf.Array):
                    for item in operand:
                        if isinstance(item, pikepdf.String):
                            use.show(bytes(item), mode)
        # The reference validator counts both colours of the graphics state as used by text,
        # whatever the rendering mode (a stroke colour set before mode-0 text is "used").
        self.paint(state.fill, where)
        self.paint(state.stroke, where)

    def ext_gstate(self, gstate: Any, where: tuple[int, int], state: State) -> None:
        where = _og(gstate, where)
        if self.once("ExtGState", gstate, where):
            if "/RI" in gstate:
                self.checker.emit("RenderingIntent", str(gstate.get("/RI")), where)
        font = gstate.get("/Font") if "/Font" in gstate else None
        if isinstance(font, self.pikepdf.Array) and len(font) > 0:
            state.font = font[0]

    def image(self, image: Any, resources: Any, where: tuple[int, int], state: State, kind: str) -> None:
        if image.get("/ImageMask") is True:
            self.paint(state.fill, where)
        elif "/ColorSpace" in image:
            self.paint((image.get("/ColorSpace"), resources), where)
        if "/Intent" in image:
            self.checker.emit("RenderingIntent", str(image.get("/Intent")), where)

    def inline_image(self, inline: Any, resources: Any, where: tuple[int, int], state: State) -> None:
        try:
            obj = inline.obj
        except Exception:  # noqa: BLE001
            return
        filters = obj.get("/Filter")
        names = [str(f) for f in filters] if isinstance(filters, self.pikepdf.Array) else \
            ([str(filters)] if filters is not None else [])
        self.checker.emit("InlineImage", _Inline(obj, names), where)
        self.image(obj, resources, where, state, "InlineImage")

    def xobject(self, xobject: Any, resources: Any, where: tuple[int, int], state: State, depth: int,
                nesting: int) -> None:
        pikepdf = self.pikepdf
        if not isinstance(xobject, pikepdf.Stream):
            return
        og = _og(xobject, where)
        subtype = xobject.get("/Subtype")
        if self.once("XObject", xobject, og):
            if subtype == "/Image":
                self.checker.emit("Image", xobject, og)
                smask = xobject.get("/SMask")
                if isinstance(smask, pikepdf.Stream):
                    self.once("XObject", smask, _og(smask, og))
            elif subtype == "/Form":
                self.checker.emit("Form", xobject, og)
                group = xobject.get("/Group")
                if isinstance(group, pikepdf.Dictionary):
                    self.checker.emit("Group", group, og)
        if subtype == "/Image":
            self.image(xobject, resources, og, state, "Image")
        elif subtype == "/Form":
            inner = xobject.get("/Resources")
            self.run(xobject, inner if isinstance(inner, pikepdf.Dictionary) else resources, og, state.copy(),
                     depth + 1, nesting)

    def pattern(self, name: Any, current: Any, resources: Any, where: tuple[int, int], depth: int,
                nesting: int) -> None:
        pikepdf = self.pikepdf
        pattern = self.resource(resources, "/Pattern", name)
        if pattern is None:
            return
        og = _og(pattern, where)
        kind = pattern.get("/PatternType")
        if kind == 1 and isinstance(pattern, pikepdf.Stream):
            inner = pattern.get("/Resources")
            inner = inner if isinstance(inner, pikepdf.Dictionary) else resources
            if pattern.get("/PaintType") == 2 and current is not None:
                space = current[0]
                if isinstance(space, pikepdf.Name):
                    space = self.resource(current[1], "/ColorSpace", space) or space
                if isinstance(space, pikepdf.Array) and len(space) > 1:
                    self.paint((space[1], current[1]), og)
            self.run(pattern, inner, og, State(), depth + 1, 0)
        elif kind == 2:
            gstate = pattern.get("/ExtGState")
            if isinstance(gstate, pikepdf.Dictionary):
                self.ext_gstate(gstate, og, State())
            self.shading(pattern.get("/Shading"), resources, og)

    def shading(self, shading: Any, resources: Any, where: tuple[int, int]) -> None:
        if isinstance(shading, self.pikepdf.Dictionary) and "/ColorSpace" in shading:
            self.paint((shading.get("/ColorSpace"), resources), _og(shading, where))


@dataclass
class _Inline:
    """An inline image for the rules: its dictionary (abbreviations expanded) and filter names."""

    dict: Any
    filters: list[str]

    def get(self, key: str, default: Any = None) -> Any:
        return self.dict.get(key, default)

    def __contains__(self, key: str) -> bool:
        return key in self.dict
