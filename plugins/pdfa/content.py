"""Content streams for PDF/A-1: every operator is one PDF 1.4 defines (6.2.10), q/Q nest at most 28
deep (6.1.12), and what the content paints tells which colour spaces, images, forms, graphics
states, shadings, patterns and fonts the file really uses (6.2, 6.3, 6.4).

qpdf tokenises each stream (pikepdf's parser, C++) and, when a linear scan of the bytes finds only
PDF 1.4 operators and numbers besides strings and names, hands over only the operators followed
(most of a page's are path and text positioning); this module follows the graphics state the way
a renderer would, as far as the checks need: the fill and stroke colour spaces (a device space is
used when something is painted with it), the text rendering mode and font, the resources in scope.
Forms, tiling patterns and Type 3 glyphs are followed into, each at most once for the same
inherited state, ``max_depth`` deep; every byte parsed and every instruction handed over is charged
to the checker's budget.
"""

from __future__ import annotations

import re
import warnings
from collections import Counter
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import re2

from plugins.pdfa import colour
from plugins.pdfa.filebytes import DELIMITER_CHARS, NOT_WS, WHITE_CHARS, WS

# PDF 1.4 Reference, Appendix A (operator summary).
OPERATORS = frozenset("""b B b* B* BDC BI BMC BT BX c cm CS cs d d0 d1 Do DP EI EMC ET EX f F f* G g gs h i ID
j J K k l m M MP n q Q re RG rg ri s S SC sc SCN scn sh T* Tc Td TD Tf Tj TJ TL Tm Tr Ts Tw Tz v w W W* y ' \"
""".split())
TEXT_SHOW = frozenset({"Tj", "TJ", "'", '"'})
FILL = frozenset({"f", "F", "f*", "B", "B*", "b", "b*"})
STROKE = frozenset({"S", "s", "B", "B*", "b", "b*"})
PAINT = FILL | STROKE
# Operators that change nothing the checks follow (paths, text positioning and state, marked content).
PLAIN = OPERATORS - PAINT - TEXT_SHOW - frozenset(
    {"q", "Q", "g", "G", "rg", "RG", "k", "K", "Tf", "Tr", "cs", "CS", "scn", "SCN", "Do", "gs", "ri", "sh"})
# What the interpretation follows; qpdf hands over only these (its operator filter, C++) when the
# stream is known to hold nothing else worth a look (:func:`_tokens`).
FOLLOWED = " ".join(sorted(OPERATORS - PLAIN))
_FOLLOWED_TOKENS = frozenset(op.encode() for op in OPERATORS - PLAIN)
_KNOWN_TOKENS = frozenset(op.encode() for op in OPERATORS) | {b"true", b"false", b"null"}
MAX_STREAM_INSTRUCTIONS = 500_000  # instructions of one stream qpdf hands over at once (~150 Mo of objects)
MAX_SAVED_STATES = 64  # q without Q kept on the stack (past 28 the nesting already fails 6.1.12)
MAX_TEXT_BYTES = 1_000_000  # bytes of strings kept per font for the glyph checks
DEVICE = {"g": "/DeviceGray", "G": "/DeviceGray", "rg": "/DeviceRGB", "RG": "/DeviceRGB", "k": "/DeviceCMYK",
          "K": "/DeviceCMYK"}
DEFAULT_SOURCE = ("/DeviceGray", None)  # the colour space of the initial graphics state
# Bytes of a content stream that could write a number past PDF 1.4's limits (6.1.12): a number token
# of five digits or more (RE2: linear, ~400 Mo/s); checked against the limits right away, and only an
# out-of-range one (perhaps inside a string) sends the stream to the operand-by-operand check.
_NUMBER_RE = re2.compile(rb"(?:^|[" + WHITE_CHARS + DELIMITER_CHARS.replace(b"<", b"") + rb"])([+-]?[0-9]{5,}(?:\.[0-9]*)?)")  # "<": hex digits
# ... a name of 128 bytes or more, or 8,192 bytes without a closing bracket (a long string or array).
_NAME_RE = re2.compile(rb"/[^" + WHITE_CHARS + DELIMITER_CHARS + rb"]{128}")
_CLOSING_RE = re.compile(rb"[)\]>]")


# A content stream's strings (nested up to three deep), hex strings, names and comments, taken out to
# leave its operators and numbers. Python's re, not RE2: a substitution of a million strings through
# RE2's Python binding is ten times slower; these patterns are linear all the same (disjoint
# alternatives, possessive repeats: nothing to backtrack into).
_STRING_RE = re.compile(rb"\((?:[^()\\]++|\\[\s\S]|\((?:[^()\\]++|\\[\s\S]|\((?:[^()\\]++|\\[\s\S])*+\))*+\))*+\)")
_HEX_STRING_RE = re.compile(rb"<[^<>]*+>")
_COMMENT_RE = re.compile(rb"%[^\r\n]*+")
_NAME_TOKEN_RE = re.compile(rb"/[^" + WHITE_CHARS + DELIMITER_CHARS + rb"]*+")
_INLINE_DATA_RE = re.compile(rb"(?<!" + NOT_WS + rb")ID" + WS)
_NUMBER_TOKEN_RE = re.compile(rb"[+-]?(?:[0-9]++\.?[0-9]*+|\.[0-9]++)")
_WORD_RE = re.compile(rb"[A-Za-z'\"*]++")  # a keyword, or a word of a string: at least as many as operators
_BRACKETS = bytes.maketrans(b"[]{}", b"    ")


def _tokens(data: bytes) -> list[bytes] | None:
    """The tokens of a content stream but its strings, hex strings, names and comments (operators,
    numbers, true/false/null), or None when the bytes cannot be read that simply: inline image data
    (binary, between ID and EI), strings nested more than three deep, brackets that do not pair."""
    if b"ID" in data and _INLINE_DATA_RE.search(data):
        return None
    text = _STRING_RE.sub(b" ", data) if b"(" in data else data
    if b"(" in text or b")" in text:
        return None
    text = text.replace(b"<<", b" ").replace(b">>", b" ")
    if b"<" in text:
        text = _HEX_STRING_RE.sub(b" ", text)
    if b"<" in text or b">" in text:
        return None
    if b"%" in text:
        text = _COMMENT_RE.sub(b" ", text)
    if b"/" in text:
        text = _NAME_TOKEN_RE.sub(b" ", text)
    return text.translate(_BRACKETS).split()


def _only_known(tokens: list[bytes]) -> bool:
    """Every token an operator of PDF 1.4, a number or true/false/null."""
    return all(_NUMBER_TOKEN_RE.fullmatch(t) for t in set(tokens) - _KNOWN_TOKENS)


def _out_of_range(token: bytes) -> bool:
    if b"." in token:
        return abs(float(token)) > 32767
    return not -2147483648 <= int(token) <= 2147483647


def _limits_at_stake(data: bytes) -> tuple[bool, bool]:
    """(numbers, objects): whether the bytes write a number, or a name, string or array, that could
    pass PDF 1.4's limits; the operands are then checked one by one."""
    numbers = any(_out_of_range(m.group(1)) for m in _NUMBER_RE.finditer(data))
    objects = _NAME_RE.search(data) is not None or (
        len(data) > 65535 and max(map(len, _CLOSING_RE.split(data)), default=0) > 8191)
    return numbers, objects


@dataclass
class State:
    fill: Any = DEFAULT_SOURCE  # (colour space, resources it was named in)
    stroke: Any = DEFAULT_SOURCE
    mode: int = 0
    font: Any = None  # the font dictionary

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
        if mode not in self.modes:
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
        self.fonts: dict[Any, FontUse] = {}  # by font object
        self.font_uses: dict[int, FontUse] = {}  # by id() of the font dictionary met, kept alive in ``kept``
        self.kept: list[Any] = []
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
        """Something is painted with ``source`` (a colour space and the resources it was named in)."""
        space, resources = source if source is not None else DEFAULT_SOURCE
        if isinstance(space, str):
            space = self.pikepdf.Name(space)
        key = ("colour", str(space) if isinstance(space, self.pikepdf.Name) else _og(space, (id(space), -2)),
               id(resources))
        if key in self.seen_objects:
            return
        self.seen_objects.add(key)
        colour.resolve(self.pikepdf, space, resources, self.checker.emit_colour, where)

    # -- streams ---------------------------------------------------------------------------------
    def run(self, stream: Any, resources: Any, where: tuple[int, int], state: State | None = None,
            depth: int = 0) -> None:
        """Interpret one content stream (a page's, a form's, a pattern's, an appearance, a glyph)."""
        pikepdf = self.pikepdf
        state = state or State()
        og = _og(stream, (id(stream), -3))
        key = (og, id(state.fill), id(state.stroke), state.mode, id(resources))
        if key in self.done or depth > self.max_depth or og in self.stack:
            return
        self.done.add(key)
        try:
            data = stream.read_bytes()
        except Exception:  # noqa: BLE001 - content that cannot be decoded (corrupt, or past qpdf's limits)
            self.checker.limit = self.checker.limit or "unreadable"  # is not vouched for
            return
        if not self.checker.charge_content(len(data)):
            return
        self.checker.content_syntax(data, og)
        # Operands are PDF objects too (6.1.12), checked one by one only where the bytes could break a
        # limit: long enough for a long string or array, or writing a long number or name.
        numbers, objects = _limits_at_stake(data)
        # Most streams hold only PDF 1.4 operators and numbers besides strings and names: qpdf then
        # hands over only the operators followed. Any other stream is read instruction by instruction.
        tokens = None if numbers or objects else _tokens(data)
        followed_only = tokens is not None and _only_known(tokens)
        if len(data) // 2 > MAX_STREAM_INSTRUCTIONS:  # an instruction takes two bytes at least
            if followed_only:
                counts = Counter(tokens)
                expected = sum(counts[op] for op in _FOLLOWED_TOKENS)
            else:
                expected = len(_WORD_RE.findall(data))
            if expected > MAX_STREAM_INSTRUCTIONS:
                self.checker.limit = self.checker.limit or "operators"
                return
        try:
            with warnings.catch_warnings():  # pikepdf warns of a stream that ends mid-object: it is parsed anyway
                warnings.simplefilter("ignore")
                instructions = pikepdf.parse_content_stream(pikepdf.Stream(self.checker.pdf, data),
                                                            FOLLOWED if followed_only else "")
        except Exception:  # noqa: BLE001 - a content stream qpdf cannot tokenise
            self.checker.emit("Operator", "?", og)
            return
        if not self.checker.charge_operators(len(instructions)):
            return
        self.stack.append(og)
        try:
            self.interpret(instructions, resources, og, state, depth, numbers, objects)
        finally:
            self.stack.pop()

    def interpret(self, instructions: Any, resources: Any, where: tuple[int, int], state: State, depth: int,
                  numbers: bool = False, objects: bool = False) -> None:
        pikepdf = self.pikepdf
        Name, String, Array = pikepdf.Name, pikepdf.String, pikepdf.Array
        cos, emit, paint = self.checker.cos, self.checker.emit, self.paint
        stack: list[State] = []
        deepest = level = 0  # q/Q nesting counts within one content stream (a form's own q/Q start again)
        painted: set[int] = set()
        kept: list[Any] = []  # the sources painted, alive while their ids are in ``painted``
        looked_up: dict[tuple[str, str], Any] = {}  # resources of this stream by (category, name)
        last_font: Any = None
        last_use: FontUse | None = None

        def lookup(category: str, name: Any) -> Any:
            key = (category, str(name))
            if key not in looked_up:
                looked_up[key] = self.resource(resources, category, name)
            return looked_up[key]

        def use(source: Any) -> None:
            if id(source) not in painted:
                painted.add(id(source))
                kept.append(source)
                paint(source, where)

        for instruction in instructions:
            op = str(instruction.operator)
            if op in PLAIN and not numbers and not objects:  # most operators: paths, positions, text state
                continue
            operands = instruction.operands
            if objects:
                for operand in operands:
                    cos(operand, where, charge=False)  # charged as content bytes, not as objects
            elif numbers:
                for operand in operands:
                    kind = type(operand)
                    if kind is int and not -2147483648 <= operand <= 2147483647:
                        emit("Integer", operand, where)
                    elif kind is Decimal and not -32767 <= operand <= 32767:
                        emit("Real", operand, where)
            if op in PAINT:
                if op in FILL:
                    use(state.fill)
                if op in STROKE:
                    use(state.stroke)
            elif op in TEXT_SHOW:
                # The reference validator counts both colours of the graphics state as used by text,
                # whatever the rendering mode (a stroke colour set before mode-0 text is "used").
                if id(state.fill) not in painted:
                    use(state.fill)
                if id(state.stroke) not in painted:
                    use(state.stroke)
                if state.font is not last_font:
                    last_font, last_use = state.font, state.font and self.font_use(state.font, where)
                if last_use is not None and operands:
                    last = operands[-1]
                    if isinstance(last, String):
                        last_use.show(bytes(last), state.mode)
                    elif isinstance(last, Array):
                        for item in last:
                            if isinstance(item, String):
                                last_use.show(bytes(item), state.mode)
            elif op == "q":
                level += 1
                if level > deepest:
                    deepest = level
                if len(stack) < MAX_SAVED_STATES:
                    stack.append(state.copy())
            elif op == "Q":
                if level > 0:
                    if level <= len(stack):
                        state = stack.pop()
                    level -= 1
            elif op in DEVICE:
                if op.islower():
                    state.fill = (DEVICE[op], resources)
                else:
                    state.stroke = (DEVICE[op], resources)
            elif op == "Tf":
                if operands and isinstance(operands[0], Name):
                    state.font = lookup("/Font", operands[0])
            elif op == "Tr":
                try:
                    state.mode = int(operands[0])
                except (IndexError, TypeError, ValueError):
                    pass
            elif op in ("cs", "CS"):
                if operands and isinstance(operands[0], Name):
                    if op == "cs":
                        state.fill = (operands[0], resources)
                    else:
                        state.stroke = (operands[0], resources)
            elif op in ("scn", "SCN"):
                if operands and isinstance(operands[-1], Name):
                    current = state.fill if op == "scn" else state.stroke
                    self.pattern(operands[-1], current, resources, where, depth)
            elif op == "Do":
                if operands and isinstance(operands[0], Name):
                    xobject = lookup("/XObject", operands[0])
                    if xobject is not None:
                        self.xobject(xobject, resources, where, state, depth)
            elif op == "INLINE IMAGE":
                self.inline_image(operands[0], resources, where, state)
            elif op == "gs":
                if operands and isinstance(operands[0], Name):
                    gstate = lookup("/ExtGState", operands[0])
                    if isinstance(gstate, pikepdf.Dictionary):
                        self.ext_gstate(gstate, where, state)
            elif op == "ri":
                if operands:
                    emit("RenderingIntent", str(operands[0]), where)
            elif op == "sh":
                if operands and isinstance(operands[0], Name):
                    self.shading(lookup("/Shading", operands[0]), resources, where)
            elif op not in OPERATORS:
                emit("Operator", op, where)
        emit("Nesting", deepest, where)

    # -- what the operators use ------------------------------------------------------------------------
    def font_use(self, font: Any, where: tuple[int, int]) -> FontUse | None:
        """The record of what the content shows with ``font`` (one per font dictionary)."""
        use = self.font_uses.get(id(font))
        if use is not None:
            return use
        if not isinstance(font, self.pikepdf.Dictionary):
            return None
        key = _og(font, (id(font), -4))
        use = self.fonts.get(key)
        if use is None:
            use = self.fonts[key] = FontUse(font, _og(font, where))
        self.font_uses[id(font)] = use
        self.kept.append(font)  # alive as long as its id is a key
        return use

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

    def xobject(self, xobject: Any, resources: Any, where: tuple[int, int], state: State, depth: int) -> None:
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
                     depth + 1)

    def pattern(self, name: Any, current: Any, resources: Any, where: tuple[int, int], depth: int) -> None:
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
            self.run(pattern, inner, og, State(), depth + 1)
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
