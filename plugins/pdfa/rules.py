"""The PDF/A-1b rules as data (ISO 19005-1:2005 with its corrigenda 1 and 2, level B).

Each rule is the way a validation profile writes one (veraPDF's for PDF/A-1B were read to learn what
each clause means; the tests and the words are ours): an id (``clause-n``), the clause, the kind of
object it applies to, a test that is true when the object conforms, and what it asks in French and
English, in words an editor understands. The checker (:mod:`plugins.pdfa.checker`) makes the
objects and hands each to the rules of its kind; a rule never reads the file itself.

Object kinds: ``Document`` (the file as a whole), ``XRefSection``, ``ObjectSyntax``, ``StreamSyntax``,
``HexString``, the syntax objects ``Integer``, ``Real``, ``String``, ``Name``, ``Array``, ``Dictionary``,
``Stream``, ``Filter``, ``FileSpec``; the graphics objects ``OutputIntents``, ``OutputProfile``,
``ICCProfile``, ``DeviceRGB``, ``DeviceCMYK``, ``DeviceGray``, ``DeviceN``, ``XObject``, ``Image``,
``InlineImage``, ``Form``, ``Group``, ``ExtGState``, ``RenderingIntent``, ``Operator``, ``Nesting``;
the fonts ``Font``, ``SimpleFont``, ``TrueTypeFont``, ``TrueTypeProgram``, ``Type1Font``, ``Type0Font``,
``CIDFont``, ``CMap``, ``Glyph``; ``Annotation``, ``Widget``, ``Action``, ``NamedAction``, ``FormField``,
``AcroForm``; and the metadata ``Metadata``, ``XMPPacket``, ``XMPProperty``, ``PDFAIdentification``,
``ExtensionContainer``, ``ExtensionObject``, ``ExtensionSchema``, ``ExtensionProperty``,
``ExtensionValueType``, ``ExtensionField``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Callable

from validator_core.toolkit import wording

# Annotation types PDF 1.4 defines, less FileAttachment, Sound and Movie (6.5.2).
ANNOTATION_TYPES = frozenset({
    "/Text", "/Link", "/FreeText", "/Line", "/Square", "/Circle", "/Highlight", "/Underline", "/Squiggly",
    "/StrikeOut", "/Stamp", "/Ink", "/Popup", "/Widget", "/PrinterMark", "/TrapNet",
})
ACTION_TYPES = frozenset({"/GoTo", "/GoToR", "/Thread", "/URI", "/Named", "/SubmitForm"})  # 6.6.1, Cor.2
NAMED_ACTIONS = frozenset({"/NextPage", "/PrevPage", "/FirstPage", "/LastPage"})
RENDERING_INTENTS = frozenset({"/RelativeColorimetric", "/AbsoluteColorimetric", "/Perceptual", "/Saturation"})
FONT_SUBTYPES = frozenset({"/Type1", "/MMType1", "/TrueType", "/Type3", "/Type0", "/CIDFontType0", "/CIDFontType2"})
SUBSET_RE = re.compile(r"[A-Z]{6}\+")


@dataclass(frozen=True)
class Rule:
    id: str
    clause: str
    object: str | tuple[str, ...]
    test: Callable[[Any, Any], bool]  # (object, context) -> conforms
    fr: str
    en: str


def _one(value: Any) -> bool:
    """An alpha value (CA, ca) is 1.0, to the profile's tolerance."""
    try:
        return abs(float(value) - 1.0) < 1e-6
    except (TypeError, ValueError):
        return False


def _normal_blend(value: Any) -> bool:
    """BM is Normal or Compatible (PDF 1.4 also allows an array of modes: the first one applies)."""
    if not isinstance(value, str) and hasattr(value, "__len__") and len(value) > 0:
        value = value[0]
    return value in ("/Normal", "/Compatible")


def _absent_or(d: Any, key: str, allowed: Callable[[Any], bool]) -> bool:
    return key not in d or allowed(d.get(key))


RULES: tuple[Rule, ...] = (
    # 6.1 File structure ---------------------------------------------------------------------------
    Rule("6.1.2-1", "6.1.2", "Document", lambda d, c: d.header_at_zero,
         "l'en-tête « %PDF-1.n » doit être au tout début du fichier",
         "the “%PDF-1.n” header must be at the very start of the file"),
    Rule("6.1.2-2", "6.1.2", "Document", lambda d, c: d.binary_comment,
         "l'en-tête doit être suivi d'un commentaire de quatre octets binaires (≥ 128)",
         "the header must be followed by a comment of four binary bytes (≥ 128)"),
    Rule("6.1.3-1", "6.1.3", "Document", lambda d, c: d.id_present,
         "le trailer doit porter l'identifiant du fichier (/ID)", "the trailer must carry the file identifier (/ID)"),
    Rule("6.1.3-2", "6.1.3", "Document", lambda d, c: not d.encrypted,
         "le fichier ne doit pas être chiffré (/Encrypt)", "the file must not be encrypted (/Encrypt)"),
    Rule("6.1.3-3", "6.1.3", "Document", lambda d, c: d.post_eof_bytes == 0,
         "rien ne doit suivre la dernière marque %%EOF (hors une fin de ligne)",
         "nothing may follow the last %%EOF marker (but one end of line)"),
    Rule("6.1.3-4", "6.1.3", "Document", lambda d, c: d.linearized_ids_match,
         "un PDF linéarisé doit porter le même /ID dans ses deux trailers",
         "a linearised PDF must carry the same /ID in both trailers"),
    Rule("6.1.4-1", "6.1.4", "XRefSection", lambda x, c: x.subsection_spacing,
         "les en-têtes de sous-section de la table des références croisées doivent être séparés par une seule espace",
         "cross-reference subsection headers must be separated by a single space"),
    Rule("6.1.4-2", "6.1.4", "XRefSection", lambda x, c: x.keyword_eol,
         "le mot-clé xref doit être suivi d'une seule fin de ligne", "the xref keyword must be followed by one end of line"),
    Rule("6.1.4-3", "6.1.4", "XRefSection", lambda x, c: not x.stream,
         "la table des références croisées doit être une table (pas un flux, apparu en PDF 1.5)",
         "the cross-reference table must be a table (not a stream, a PDF 1.5 feature)"),
    Rule("6.1.6-1", "6.1.6", "HexString", lambda h, c: h.even,
         "une chaîne hexadécimale doit avoir un nombre pair de chiffres",
         "a hexadecimal string must have an even number of digits"),
    Rule("6.1.6-2", "6.1.6", "HexString", lambda h, c: h.hex_only,
         "une chaîne hexadécimale ne doit contenir que des chiffres hexadécimaux",
         "a hexadecimal string must hold hexadecimal digits only"),
    Rule("6.1.7-1", "6.1.7", "StreamSyntax", lambda s, c: s.length_ok,
         "la longueur déclarée d'un flux (/Length) doit être sa longueur réelle",
         "a stream's declared /Length must be its real length"),
    Rule("6.1.7-2", "6.1.7", "StreamSyntax", lambda s, c: s.keyword_eol and s.endstream_eol,
         "les mots-clés stream et endstream doivent être entourés des fins de ligne prescrites",
         "the stream and endstream keywords must have the prescribed ends of line"),
    Rule("6.1.7-3", "6.1.7", "Stream", lambda s, c: not any(k in s for k in ("/F", "/FFilter", "/FDecodeParms")),
         "un flux ne doit pas désigner de données externes (/F, /FFilter, /FDecodeParms)",
         "a stream must not point to external data (/F, /FFilter, /FDecodeParms)"),
    Rule("6.1.8-1", "6.1.8", "ObjectSyntax", lambda o, c: o.spacing,
         "les mots-clés obj et endobj doivent être écrits avec les espaces et fins de ligne prescrits",
         "the obj and endobj keywords must be written with the prescribed spaces and ends of line"),
    Rule("6.1.10-1", "6.1.10", "Filter", lambda name, c: name != "/LZWDecode",
         "la compression LZW est interdite", "LZW compression is not allowed"),
    Rule("6.1.10-2", "6.1.10", "InlineImage", lambda i, c: not ({"/LZWDecode", "/LZW"} & set(i.filters)),
         "la compression LZW est interdite (image en ligne)", "LZW compression is not allowed (inline image)"),
    Rule("6.1.11-1", "6.1.11", "FileSpec", lambda f, c: "/EF" not in f,
         "aucun fichier ne doit être joint (clé /EF)", "no file may be embedded (/EF key)"),
    Rule("6.1.11-2", "6.1.11", "Document", lambda d, c: not d.embedded_files,
         "aucun fichier ne doit être joint (/EmbeddedFiles)", "no file may be embedded (/EmbeddedFiles)"),
    Rule("6.1.12-1", "6.1.12", "Integer", lambda v, c: -2147483648 <= v <= 2147483647,
         "un entier dépasse les limites de PDF 1.4 (±2³¹)", "an integer exceeds PDF 1.4's limits (±2³¹)"),
    Rule("6.1.12-2", "6.1.12", "Real", lambda v, c: -32767 <= v <= 32767,
         "un réel dépasse les limites de PDF 1.4 (±32 767)", "a real number exceeds PDF 1.4's limits (±32,767)"),
    Rule("6.1.12-3", "6.1.12", "String", lambda n, c: n <= 65535,
         "une chaîne dépasse 65 535 octets", "a string exceeds 65,535 bytes"),
    Rule("6.1.12-4", "6.1.12", "Name", lambda n, c: n <= 127,
         "un nom dépasse 127 octets", "a name exceeds 127 bytes"),
    Rule("6.1.12-5", "6.1.12", "Array", lambda n, c: n <= 8191,
         "un tableau dépasse 8 191 éléments", "an array exceeds 8,191 elements"),
    Rule("6.1.12-6", "6.1.12", "Dictionary", lambda n, c: n <= 4095,
         "un dictionnaire dépasse 4 095 entrées", "a dictionary exceeds 4,095 entries"),
    Rule("6.1.12-7", "6.1.12", "Document", lambda d, c: d.indirect_objects <= 8388607,
         "le fichier dépasse 8 388 607 objets", "the file exceeds 8,388,607 objects"),
    Rule("6.1.12-8", "6.1.12", "Nesting", lambda depth, c: depth <= 28,
         "les états graphiques (q/Q) sont imbriqués sur plus de 28 niveaux",
         "graphics states (q/Q) are nested more than 28 levels deep"),
    Rule("6.1.12-9", "6.1.12", "DeviceN", lambda n, c: n <= 8,
         "un espace colorimétrique DeviceN a plus de 8 composantes", "a DeviceN colour space has more than 8 components"),
    Rule("6.1.12-10", "6.1.12", "CMap", lambda m, c: m.max_cid <= 65535,
         "un identifiant de caractère (CID) dépasse 65 535", "a character identifier (CID) exceeds 65,535"),
    Rule("6.1.13-1", "6.1.13", "Document", lambda d, c: not d.optional_content,
         "le contenu optionnel (calques, /OCProperties) est interdit",
         "optional content (layers, /OCProperties) is not allowed"),
    # 6.2 Graphics ------------------------------------------------------------------------------------
    Rule("6.2.2-1", "6.2.2", "OutputProfile",
         lambda p, c: p.valid and p.device_class in ("prtr", "mntr") and p.colour_space in ("RGB ", "CMYK", "GRAY")
         and p.version < 3.0,
         "le profil ICC de l'OutputIntent PDF/A doit être un profil d'écran ou d'imprimante, RVB, CMJN ou gris, ICC v2",
         "the PDF/A OutputIntent's ICC profile must be a v2 monitor or printer profile, RGB, CMYK or grey"),
    Rule("6.2.2-2", "6.2.2", "OutputIntents", lambda o, c: o.same_profile,
         "toutes les OutputIntents doivent désigner le même profil ICC",
         "every OutputIntent must refer to the same ICC profile"),
    Rule("6.2.3-1", "6.2.3", "ICCProfile",
         lambda p, c: p.valid and p.device_class in ("prtr", "mntr", "scnr", "spac")
         and p.colour_space in ("RGB ", "CMYK", "GRAY", "Lab ") and p.version < 3.0,
         "un profil ICC incorporé doit être un profil ICC v2 valide", "an embedded ICC profile must be a valid v2 profile"),
    Rule("6.2.3-2", "6.2.3", "DeviceRGB", lambda _, c: c.output_cs == "RGB ",
         "couleurs RVB « périphérique » sans OutputIntent RVB (profil de sortie)",
         "device RGB colours without an RGB OutputIntent (output profile)"),
    Rule("6.2.3-3", "6.2.3", "DeviceCMYK", lambda _, c: c.output_cs == "CMYK",
         "couleurs CMJN « périphérique » sans OutputIntent CMJN (profil de sortie)",
         "device CMYK colours without a CMYK OutputIntent (output profile)"),
    Rule("6.2.3-4", "6.2.3", "DeviceGray", lambda _, c: c.output_cs is not None,
         "couleurs grises « périphérique » sans OutputIntent (profil de sortie)",
         "device grey colours without an OutputIntent (output profile)"),
    Rule("6.2.3-5", "6.2.3", ("ICCProfile", "OutputProfile"),
         lambda p, c: (p.n, p.colour_space) in ((1, "GRAY"), (3, "RGB "), (3, "Lab "), (4, "CMYK")),
         "le nombre de composantes (/N) d'un profil ICC doit être celui du profil",
         "an ICC profile's number of components (/N) must match the profile"),
    Rule("6.2.4-1", "6.2.4", "Image", lambda i, c: "/Alternates" not in i,
         "une image ne doit pas avoir de variantes (/Alternates)", "an image must not have alternates (/Alternates)"),
    Rule("6.2.4-2", "6.2.4", "XObject", lambda x, c: "/OPI" not in x,
         "un objet graphique ne doit pas désigner d'image OPI externe", "a graphics object must not use OPI"),
    Rule("6.2.4-3", "6.2.4", ("Image", "InlineImage"), lambda i, c: not i.get("/Interpolate", False),
         "l'interpolation d'image (/Interpolate) doit être désactivée", "image interpolation (/Interpolate) must be off"),
    Rule("6.2.5-1", "6.2.5", "Form", lambda f, c: "/PS" not in f and f.get("/Subtype2") != "/PS",
         "un formulaire graphique ne doit pas contenir de PostScript", "a form XObject must not hold PostScript"),
    Rule("6.2.6-1", "6.2.6", "Form", lambda f, c: "/Ref" not in f,
         "aucun contenu ne doit être importé d'un autre PDF (XObject de référence)",
         "no content may be imported from another PDF (reference XObject)"),
    Rule("6.2.7-1", "6.2.7", "XObject", lambda x, c: x.get("/Subtype") != "/PS",
         "aucun objet PostScript n'est permis", "no PostScript XObject is allowed"),
    Rule("6.2.8-1", "6.2.8", "ExtGState", lambda g, c: "/TR" not in g,
         "un état graphique ne doit pas avoir de fonction de transfert (/TR)",
         "a graphics state must not have a transfer function (/TR)"),
    Rule("6.2.8-2", "6.2.8", "ExtGState", lambda g, c: _absent_or(g, "/TR2", lambda v: v == "/Default"),
         "un état graphique ne doit pas avoir de fonction de transfert (/TR2) autre que Default",
         "a graphics state must not have a transfer function (/TR2) other than Default"),
    Rule("6.2.9-1", "6.2.9", "RenderingIntent", lambda name, c: name in RENDERING_INTENTS,
         "une intention de rendu doit être l'une des quatre de PDF 1.4", "a rendering intent must be one of PDF 1.4's four"),
    Rule("6.2.10-1", "6.2.10", "Operator", lambda op, c: False,
         "un flux de contenu utilise un opérateur que PDF 1.4 ne définit pas",
         "a content stream uses an operator PDF 1.4 does not define"),
    # 6.3 Fonts ----------------------------------------------------------------------------------------
    Rule("6.3.2-1", "6.3.2", "Font", lambda f, c: f.dict.get("/Type") == "/Font",
         "un dictionnaire de police doit être de type /Font", "a font dictionary must be of type /Font"),
    Rule("6.3.2-2", "6.3.2", "Font", lambda f, c: f.subtype in FONT_SUBTYPES,
         "le sous-type d'une police doit être l'un de ceux de PDF 1.4", "a font's subtype must be one of PDF 1.4's"),
    Rule("6.3.2-3", "6.3.2", "Font", lambda f, c: f.subtype == "/Type3" or f.base_font is not None,
         "une police doit avoir un nom (/BaseFont)", "a font must have a name (/BaseFont)"),
    Rule("6.3.2-4", "6.3.2", "SimpleFont", lambda f, c: f.standard or "/FirstChar" in f.dict,
         "une police simple doit déclarer /FirstChar", "a simple font must declare /FirstChar"),
    Rule("6.3.2-5", "6.3.2", "SimpleFont", lambda f, c: f.standard or "/LastChar" in f.dict,
         "une police simple doit déclarer /LastChar", "a simple font must declare /LastChar"),
    Rule("6.3.2-6", "6.3.2", "SimpleFont", lambda f, c: f.standard or f.widths_size_ok,
         "une police simple doit donner la chasse de chacun de ses caractères (/Widths)",
         "a simple font must give the width of each of its characters (/Widths)"),
    Rule("6.3.2-7", "6.3.2", "Font", lambda f, c: f.font_file_subtype in (None, "/Type1C", "/CIDFontType0C"),
         "une police incorporée doit être Type 1, TrueType ou CFF (pas OpenType)",
         "an embedded font must be Type 1, TrueType or CFF (not OpenType)"),
    Rule("6.3.3-1", "6.3.3", "Type0Font", lambda f, c: f.cmap_identity or f.cid_system_info_compatible,
         "une police composite et son CMap doivent décrire le même jeu de caractères (CIDSystemInfo)",
         "a composite font and its CMap must describe the same character collection (CIDSystemInfo)"),
    Rule("6.3.3-2", "6.3.3", "CIDFont",
         lambda f, c: f.subtype != "/CIDFontType2" or "/CIDToGIDMap" in f.dict or f.invisible_only,
         "une police CID TrueType doit avoir sa table /CIDToGIDMap", "a TrueType CID font must have its /CIDToGIDMap"),
    Rule("6.3.3-3", "6.3.3", "CMap", lambda m, c: m.identity or m.embedded,
         "un CMap autre qu'Identity doit être incorporé", "a CMap other than Identity must be embedded"),
    Rule("6.3.3-4", "6.3.3", "CMap", lambda m, c: m.wmode_consistent,
         "le sens d'écriture (/WMode) d'un CMap incorporé doit être le même dans son dictionnaire et son programme",
         "an embedded CMap's writing mode (/WMode) must be the same in its dictionary and its program"),
    Rule("6.3.4-1", "6.3.4", "Font",
         lambda f, c: f.subtype in ("/Type3", "/Type0") or f.invisible_only or f.embedded,
         "une police utilisée n'est pas incorporée (les 14 polices standard doivent l'être aussi)",
         "a font used is not embedded (the 14 standard fonts must be too)"),
    Rule("6.3.5-1", "6.3.5", "Glyph", lambda g, c: g.invisible or g.present is not False,
         "un caractère affiché est absent de la police incorporée",
         "a character shown is missing from the embedded font"),
    Rule("6.3.5-2", "6.3.5", "Type1Font", lambda f, c: not f.subset or f.charset_complete,
         "un sous-ensemble de police Type 1 doit lister ses glyphes (/CharSet)",
         "a Type 1 font subset must list its glyphs (/CharSet)"),
    Rule("6.3.5-3", "6.3.5", "CIDFont", lambda f, c: not f.subset or f.cidset_complete,
         "un sous-ensemble de police CID doit lister ses caractères (/CIDSet)",
         "a CID font subset must list its characters (/CIDSet)"),
    Rule("6.3.6-1", "6.3.6", "Glyph", lambda g, c: g.invisible or g.width_ok is not False,
         "la chasse d'un caractère (/Widths) diffère de celle de la police incorporée",
         "a character's width (/Widths) differs from the embedded font's"),
    Rule("6.3.7-1", "6.3.7", "TrueTypeFont",
         lambda f, c: f.symbolic or f.encoding in ("/MacRomanEncoding", "/WinAnsiEncoding"),
         "une police TrueType non symbolique doit utiliser le codage MacRoman ou WinAnsi, sans /Differences",
         "a non-symbolic TrueType font must use MacRoman or WinAnsi encoding, without /Differences"),
    Rule("6.3.7-2", "6.3.7", "TrueTypeFont", lambda f, c: not f.symbolic or "/Encoding" not in f.dict,
         "une police TrueType symbolique ne doit pas déclarer de codage (/Encoding)",
         "a symbolic TrueType font must not declare an encoding (/Encoding)"),
    Rule("6.3.7-3", "6.3.7", "TrueTypeProgram", lambda p, c: not p.symbolic or p.cmap_subtables == 1,
         "le programme d'une police TrueType symbolique doit avoir une seule table cmap",
         "a symbolic TrueType font program must have a single cmap subtable"),
    # 6.4 Transparency -------------------------------------------------------------------------------
    Rule("6.4-1", "6.4", "ExtGState", lambda g, c: _absent_or(g, "/SMask", lambda v: v == "/None"),
         "la transparence est interdite (masque /SMask d'un état graphique)",
         "transparency is not allowed (graphics state /SMask)"),
    Rule("6.4-2", "6.4", "XObject", lambda x, c: "/SMask" not in x,
         "la transparence est interdite (masque /SMask d'une image)", "transparency is not allowed (image /SMask)"),
    Rule("6.4-3", "6.4", "Group", lambda g, c: g.get("/S") != "/Transparency",
         "la transparence est interdite (groupe de transparence)", "transparency is not allowed (transparency group)"),
    Rule("6.4-4", "6.4", "ExtGState", lambda g, c: _absent_or(g, "/BM", _normal_blend),
         "la transparence est interdite (mode de fusion autre que Normal)",
         "transparency is not allowed (blend mode other than Normal)"),
    Rule("6.4-5", "6.4", "ExtGState", lambda g, c: _absent_or(g, "/CA", _one),
         "la transparence est interdite (opacité du trait /CA différente de 1)",
         "transparency is not allowed (stroke opacity /CA other than 1)"),
    Rule("6.4-6", "6.4", "ExtGState", lambda g, c: _absent_or(g, "/ca", _one),
         "la transparence est interdite (opacité du remplissage /ca différente de 1)",
         "transparency is not allowed (fill opacity /ca other than 1)"),
    # 6.5 Annotations --------------------------------------------------------------------------------
    Rule("6.5.2-1", "6.5.2", "Annotation", lambda a, c: a.dict.get("/Subtype") in ANNOTATION_TYPES,
         "type d'annotation interdit (pièce jointe, son, vidéo, ou inconnu de PDF 1.4)",
         "annotation type not allowed (attachment, sound, movie, or unknown to PDF 1.4)"),
    Rule("6.5.3-1", "6.5.3", "Annotation", lambda a, c: _absent_or(a.dict, "/CA", _one),
         "une annotation ne doit pas être transparente (/CA)", "an annotation must not be transparent (/CA)"),
    Rule("6.5.3-2", "6.5.3", "Annotation", lambda a, c: a.flags is not None and a.flags & 4 and not a.flags & 0b100011,
         "une annotation doit être imprimable et visible (indicateurs /F)",
         "an annotation must be printable and visible (/F flags)"),
    Rule("6.5.3-3", "6.5.3", "Annotation", lambda a, c: not a.has_colour or c.output_cs == "RGB ",
         "une annotation colorée (/C, /IC) demande une OutputIntent RVB",
         "a coloured annotation (/C, /IC) needs an RGB OutputIntent"),
    Rule("6.5.3-4", "6.5.3", "Annotation", lambda a, c: a.appearance_ok,
         "l'apparence d'une annotation (/AP) ne doit avoir que l'apparence normale (/N), du bon type",
         "an annotation's appearance (/AP) must hold only the normal appearance (/N), of the right type"),
    # 6.6 Actions --------------------------------------------------------------------------------------
    Rule("6.6.1-1", "6.6.1", "Action", lambda a, c: a.get("/S") in ACTION_TYPES,
         "action interdite (JavaScript, lancement de programme, son, vidéo, réinitialisation ou import de formulaire…)",
         "action not allowed (JavaScript, program launch, sound, movie, form reset or import…)"),
    Rule("6.6.1-2", "6.6.1", "NamedAction", lambda a, c: a.get("/N") in NAMED_ACTIONS,
         "action nommée autre que page suivante, précédente, première ou dernière",
         "named action other than next, previous, first or last page"),
    Rule("6.6.1-3", "6.6.1", "Widget", lambda w, c: "/A" not in w,
         "un champ de formulaire ne doit déclencher aucune action (/A)", "a form field must not trigger actions (/A)"),
    Rule("6.6.2-1", "6.6.2", "Widget", lambda w, c: "/AA" not in w,
         "un champ de formulaire ne doit pas avoir d'actions déclenchées (/AA)",
         "a form field widget must not have triggered actions (/AA)"),
    Rule("6.6.2-2", "6.6.2", "FormField", lambda f, c: "/AA" not in f,
         "un champ de formulaire ne doit pas avoir d'actions déclenchées (/AA)",
         "a form field must not have triggered actions (/AA)"),
    Rule("6.6.2-3", "6.6.2", "Document", lambda d, c: not d.catalog_aa,
         "le document ne doit pas avoir d'actions déclenchées (/AA du catalogue)",
         "the document must not have triggered actions (catalogue /AA)"),
    # 6.7 Metadata -------------------------------------------------------------------------------------
    Rule("6.7.2-1", "6.7.2", "Document", lambda d, c: d.metadata_present,
         "le document doit porter des métadonnées XMP (/Metadata du catalogue)",
         "the document must carry XMP metadata (catalogue /Metadata)"),
    Rule("6.7.2-2", "6.7.2", "Metadata", lambda m, c: "/Filter" not in m,
         "un flux de métadonnées ne doit pas être compressé (/Filter)", "a metadata stream must not be compressed (/Filter)"),
    Rule("6.7.3-1", "6.7.3", "Document", lambda d, c: d.info_matches_xmp,
         "les champs du dictionnaire Info (titre, auteur, dates…) doivent être identiques dans les métadonnées XMP",
         "the Info dictionary's entries (title, author, dates…) must be the same in the XMP metadata"),
    Rule("6.7.5-1", "6.7.5", "XMPPacket", lambda p, c: "bytes" not in p.header_attributes,
         "l'en-tête du paquet XMP ne doit pas avoir d'attribut bytes",
         "the XMP packet header must not have a bytes attribute"),
    Rule("6.7.5-2", "6.7.5", "XMPPacket", lambda p, c: "encoding" not in p.header_attributes,
         "l'en-tête du paquet XMP ne doit pas avoir d'attribut encoding",
         "the XMP packet header must not have an encoding attribute"),
    Rule("6.7.8-1", "6.7.8", "ExtensionObject", lambda o, c: not o.undefined,
         "une description de schéma d'extension XMP contient des champs inconnus",
         "an XMP extension schema description holds unknown fields"),
    Rule("6.7.8-2", "6.7.8", "ExtensionContainer", lambda n, c: n.kind == "bag" and n.prefix == "pdfaExtension",
         "les schémas d'extension XMP doivent être un Bag pdfaExtension:schemas",
         "XMP extension schemas must be a pdfaExtension:schemas Bag"),
    Rule("6.7.8-3", "6.7.8", "ExtensionSchema", lambda o, c: _schema_ok(o),
         "un schéma d'extension XMP est mal décrit (schema, namespaceURI, prefix, property, valueType)",
         "an XMP extension schema is ill described (schema, namespaceURI, prefix, property, valueType)"),
    Rule("6.7.8-4", "6.7.8", "ExtensionProperty", lambda o, c: _property_ok(o),
         "une propriété d'un schéma d'extension XMP est mal décrite (name, valueType, category, description)",
         "a property of an XMP extension schema is ill described (name, valueType, category, description)"),
    Rule("6.7.8-5", "6.7.8", "ExtensionValueType", lambda o, c: _value_type_ok(o),
         "un type de valeur d'un schéma d'extension XMP est mal décrit",
         "a value type of an XMP extension schema is ill described"),
    Rule("6.7.8-6", "6.7.8", "ExtensionField", lambda o, c: _field_ok(o),
         "un champ d'un type de valeur d'extension XMP est mal décrit", "a field of an XMP extension value type is ill described"),
    Rule("6.7.9-1", "6.7.9", "XMPPacket", lambda p, c: p.valid,
         "les métadonnées XMP ne sont pas du XMP valide (XML mal formé ou RDF non conforme)",
         "the XMP metadata is not valid XMP (malformed XML or non-conforming RDF)"),
    Rule("6.7.9-2", "6.7.9", "XMPProperty", lambda p, c: p.defined and p.type_ok,
         "une propriété XMP n'est pas définie par un schéma standard ou d'extension, ou n'a pas le bon type",
         "an XMP property is not defined by a standard or extension schema, or has the wrong type"),
    Rule("6.7.11-1", "6.7.11", "PDFAIdentification", lambda i, c: i.present,
         "les métadonnées XMP doivent déclarer la conformité PDF/A (schéma pdfaid)",
         "the XMP metadata must declare PDF/A conformance (pdfaid schema)"),
    Rule("6.7.11-2", "6.7.11", "PDFAIdentification", lambda i, c: not i.present or i.part == "1",
         "la déclaration PDF/A doit annoncer la partie 1 (pdfaid:part)", "the PDF/A claim must name part 1 (pdfaid:part)"),
    Rule("6.7.11-3", "6.7.11", "PDFAIdentification", lambda i, c: not i.present or i.conformance in ("A", "B"),
         "la déclaration PDF/A doit annoncer le niveau A ou B (pdfaid:conformance)",
         "the PDF/A claim must name level A or B (pdfaid:conformance)"),
    Rule("6.7.11-4", "6.7.11", "PDFAIdentification", lambda i, c: i.prefixes_ok,
         "les propriétés d'identification PDF/A doivent utiliser le préfixe pdfaid",
         "the PDF/A identification properties must use the pdfaid prefix"),
    # 6.9 Interactive forms ----------------------------------------------------------------------------
    Rule("6.9-1", "6.9", "AcroForm", lambda f, c: f.get("/NeedAppearances") is not True,
         "un formulaire ne doit pas demander au lecteur de recalculer ses apparences (/NeedAppearances)",
         "a form must not ask the viewer to rebuild its appearances (/NeedAppearances)"),
    Rule("6.9-2", "6.9", "Widget", lambda w, c: "/AP" in w,
         "un champ de formulaire doit avoir son apparence (/AP)", "a form field must have its appearance (/AP)"),
)


def _field(o: Any, name: str, prefix: str | None, *, required_prefix: bool = True, kind: str = "simple") -> bool:
    """A field of an extension schema structure: of its kind, with the required prefix (or absent
    when ``required_prefix`` is false)."""
    node = o.fields.get(name)
    if node is None:
        return not required_prefix
    if kind == "simple" and node.kind != "simple":
        return False
    if kind == "seq" and node.kind not in ("seq", "alt"):
        return False
    return node.prefix == prefix


def _schema_ok(o: Any) -> bool:
    has_properties = "property" in o.fields and bool(o.fields["property"].children)
    return (_field(o, "schema", "pdfaSchema", required_prefix=False)
            and _field(o, "namespaceURI", "pdfaSchema", required_prefix=has_properties)
            and _field(o, "prefix", "pdfaSchema", required_prefix=False)
            and _field(o, "property", "pdfaSchema", required_prefix=False, kind="seq")
            and _field(o, "valueType", "pdfaSchema", required_prefix=False, kind="seq"))


def _property_ok(o: Any) -> bool:
    category = o.fields.get("category")
    return (_field(o, "name", "pdfaProperty") and _field(o, "valueType", "pdfaProperty") and o.type_defined
            and _field(o, "category", "pdfaProperty") and category.value in ("external", "internal")
            and _field(o, "description", "pdfaProperty"))


def _value_type_ok(o: Any) -> bool:
    return (_field(o, "type", "pdfaType") and _field(o, "namespaceURI", "pdfaType")
            and _field(o, "prefix", "pdfaType", required_prefix=False) and _field(o, "description", "pdfaType")
            and _field(o, "field", "pdfaType", kind="seq"))


def _field_ok(o: Any) -> bool:
    return (_field(o, "name", "pdfaField") and _field(o, "valueType", "pdfaField") and o.type_defined
            and _field(o, "description", "pdfaField"))


def by_object() -> dict[str, list[Rule]]:
    """The rules of each object kind."""
    out: dict[str, list[Rule]] = {}
    for rule in RULES:
        for kind in (rule.object,) if isinstance(rule.object, str) else rule.object:
            out.setdefault(kind, []).append(rule)
    return out


RULES_BY_ID = {rule.id: rule for rule in RULES}


def describe(failed: list[dict], lang: str, limit: int = 5) -> str:
    """The failed clauses in words, at most ``limit`` of them: "6.2.3 (…) ; 6.3.4 (…)"."""
    clauses: dict[str, str] = {}
    for item in failed:
        rule = RULES_BY_ID.get(item["rule"])
        if rule is not None and rule.clause not in clauses:
            clauses[rule.clause] = rule.en if lang == "en" else rule.fr
    shown = [f"{clause} ({text})" for clause, text in list(clauses.items())[:limit]]
    rest = len(clauses) - len(shown)
    if rest > 0:
        shown.append(f"and {wording.count(rest, 'more clause', 'more clauses', lang)}" if lang == "en" else
                     f"et {wording.count(rest, 'autre clause', 'autres clauses', lang)}")
    return " ; ".join(shown) if lang != "en" else "; ".join(shown)
