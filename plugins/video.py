"""Built-in plugin ``video``: can the ANS reviewer play this demonstration, and read it?

Runs on proofs of type ``video`` or ``screenshot`` whose content libmagic detected as ``video/*`` (the
ANS row « Vidéos, Captures d'écrans » admits MP4, MOV, AVI and FLV; pictures go to ``screenshot``).

Facts come from libmediainfo (pymediainfo, bundled library) at a low ``parse_speed``: it reads the
container's headers and index, not the frames, so a 50 MB file costs a few milliseconds. For MP4/MOV
we first walk the boxes ourselves (``plugins/video_boxes.py``: a few bytes per box): that tells a
missing ``moov`` index — the file an interrupted recording or upload leaves — from other damage, finds
a missing media data box, and refuses sample tables whose declared entry counts cannot fit in their
box *before* libmediainfo believes them (a 66 kB file declaring 2³²−1 ``stts`` entries kept it busy
for minutes). Last, a few frames are decoded at a few positions (``plugins/video_frames.py``, the
ffmpeg libraries through PyAV): an index is no proof that the pictures it points to decode. Then a
bounded sample of keyframes spread over the duration says what the pictures show: nearly all uniform
(``video.blank``), one screen for nearly the whole duration (``video.static``), and the text of each
distinct scene read by OCR (``plugins/screen_text.py``): a real patient's NIR or the real INS-NIR OID
on screen (warnings), the facts the catalogue's requirement checks read (``facts.video.screen_text``).

Errors: no video track, unreadable file, no duration, missing index, truncated data, container that
disagrees with the detected format, lying sample table, too many boxes, no media data, frames that do
not decode, a picture too large to decode. Warnings (numbers from ``[thresholds.video]`` in the rules):
picture too small to read, too short, a codec the reviewer's player may not open, odd or variable
frame rate, blank or still picture, a real NIR or the real INS OID on screen; information: no OCR
available. User documentation: ``docs/checks/video.md``.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
import time
from typing import TYPE_CHECKING, Any, Iterator, Mapping

from plugins import screen_text
from validator_core import Inspection, Proof, finding, hookimpl
from validator_core.toolkit.screens import readable_minimum

if TYPE_CHECKING:
    from plugins import video_frames

__version__ = "1.0.0"

PLUGIN = "video"

# What the inspection imports (the fork server imports them once for every worker): libmediainfo
# and PyAV, the box walk and the frame sampler, which the service process that only reads this
# module's declarations never needs, and what reading the text on screen needs (Tesseract, Pillow,
# the identity scanner; its module registers this plugin's OCR messages, so it is imported here).
PRELOAD = ("pymediainfo", "av", "plugins.video_boxes", "plugins.video_frames") + screen_text.PRELOAD

# What MediaInfo calls each container the rules know (MOV and MP4 are the same ISO/QuickTime family:
# MediaInfo says "MPEG-4" for both and tells them apart only by the profile).
CONTAINERS: dict[str, frozenset[str]] = {
    "mp4": frozenset({"MPEG-4"}),
    "mov": frozenset({"MPEG-4"}),
    "avi": frozenset({"AVI"}),
    "flv": frozenset({"Flash Video"}),
}
LABELS = {"mp4": "MP4", "mov": "MOV", "avi": "AVI", "flv": "FLV"}


@hookimpl
def preuves_register_checks(register):
    register(
        proof_types=("video", "screenshot"),
        media_types=("video/*",),
        version=__version__,
        description="Lisibilité des vidéos (piste vidéo, durée, index, définition, codec, cadence)",
        preload=PRELOAD,
    )


# The reasons the checks give (details.reason: a key, or the decoder's own message), in words.
UNREADABLE_WORDS = {"unrecognised_format": ("format non reconnu", "unrecognised format")}
DECODER_WORDS = {
    "no_video_stream": ("aucun flux vidéo", "no video stream"),
    "open_failed": ("ouverture impossible", "cannot be opened"),
    "no_frame_decoded": ("aucune image décodée", "no picture decoded"),
    "frame_corrupt": ("image signalée corrompue par le décodeur", "picture flagged as corrupt by the decoder"),
}

# How the pictures are coded (details.picture: MediaInfo's chroma subsampling, or a colour model key).
PICTURE_WORDS = {"rgb": ("couleurs RVB", "RGB colour"), "monochrome": ("niveaux de gris", "greyscale")}
COLOUR_MODELS = {"RGB": "rgb", "Y": "monochrome"}  # MediaInfo's colour space → its PICTURE_WORDS key


@hookimpl
def preuves_register_messages(register):
    register(
        "video.unreadable",
        fr="La vidéo n'a pas pu être lue ({reason:word}) : le fichier est endommagé ou n'est pas une vidéo. "
        "Réexportez-la depuis votre outil d'enregistrement.",
        en="The video could not be read ({reason:word}): the file is damaged or is not a video. "
        "Export it again from your recording tool.",
        words=UNREADABLE_WORDS,
    )
    register(
        "video.no_video_track",
        fr="Le fichier {container} ne contient aucune piste vidéo ({audio_tracks:count:piste son:pistes son}) : "
        "l'ANS ne verra aucune image. Déposez l'enregistrement vidéo de l'écran.",
        en="The {container} file holds no video track ({audio_tracks:count:audio track:audio tracks}): the ANS "
        "will see no picture. File the video recording of the screen.",
    )
    register(
        "video.index_missing",
        fr="Le fichier {container} est incomplet : son index (« moov ») est absent, aucun lecteur ne "
        "pourra l'ouvrir. L'enregistrement ou le transfert a probablement été interrompu ; "
        "réexportez la vidéo.",
        en="The {container} file is incomplete: its index (“moov”) is missing, no player can open it. "
        "The recording or the transfer was probably interrupted; export the video again.",
    )
    register(
        "video.truncated",
        fr="Le fichier vidéo est tronqué : il s'arrête avant la fin des données annoncées par son "
        "en-tête, la lecture s'interrompra. Déposez le fichier complet.",
        en="The video file is truncated: it stops before the end of the data its header announces, "
        "playback will stop early. File the complete file.",
    )
    register(
        "video.no_duration",
        fr="La vidéo n'a pas de durée lisible (durée nulle ou absente) : elle ne peut pas être lue. "
        "Réexportez-la depuis votre outil d'enregistrement.",
        en="The video has no readable duration (zero or missing): it cannot be played. "
        "Export it again from your recording tool.",
    )
    register(
        "video.container_mismatch",
        fr="Le début du fichier annonce le format {detected}, mais son contenu est au format {parsed} : "
        "réexportez la vidéo dans un format accepté (MP4 de préférence).",
        en="The file starts like {detected} but its content is in the {parsed} format: export the video "
        "again in an accepted format (preferably MP4).",
    )
    register(
        "video.resolution_low",
        fr="La définition de la vidéo ({width}×{height}) est inférieure à celle d'un écran lisible "
        "({minimum}) : le texte des fenêtres risque d'être illisible. Enregistrez l'écran entier, à sa "
        "définition d'origine.",
        en="The video's size ({width}×{height}) is below a readable screen ({minimum}): text in the "
        "windows may be unreadable. Record the whole screen, at its native resolution.",
    )
    register(
        "video.too_short",
        fr="La vidéo ne dure que {duration_s:number} s (minimum conseillé : {min_s:number} s) : elle montre "
        "difficilement le déroulé des étapes du scénario. Enregistrez le scénario en entier.",
        en="The video lasts only {duration_s:number} s (advised minimum: {min_s:number} s): it can hardly show "
        "the scenario's steps. Record the whole scenario.",
    )
    register(
        "video.codec_unusual",
        fr="La vidéo est encodée en {codec}, que le lecteur de l'évaluateur risque de ne pas ouvrir "
        "(codecs sûrs : {playable}). Réencodez-la en H.264 (MP4).",
        en="The video is encoded in {codec}, which the reviewer's player may not open (safe codecs: "
        "{playable}). Re-encode it as H.264 (MP4).",
    )
    register(
        "video.picture_format_unusual",
        fr="Les images de la vidéo sont en {codec} « {profile} » ({picture:word}, {bit_depth} bits) : les "
        "lecteurs des navigateurs, de Windows et de macOS ne lisent pas ce format d'image (VLC, oui), "
        "l'évaluateur risque de ne rien voir. Réexportez la vidéo en H.264 ordinaire : couleurs 4:2:0, 8 bits "
        "(« yuv420p » ou « 4:2:0 » dans les réglages de l'enregistreur).",
        en="The video's pictures are {codec} “{profile}” ({picture:word}, {bit_depth}-bit): the players of "
        "browsers, Windows and macOS do not play this picture format (VLC does), the reviewer may see nothing. "
        "Export the video again as ordinary H.264: 4:2:0 colour, 8-bit (“yuv420p” or “4:2:0” in the "
        "recorder's settings).",
        words=PICTURE_WORDS,
    )
    register(
        "video.frame_rate_abnormal",
        fr="La cadence de la vidéo ({frame_rate:number} images/s) sort de la plage attendue "
        "({min_fps:number} à {max_fps:number} images/s) : vérifiez qu'elle se lit normalement.",
        en="The video's frame rate ({frame_rate:number} fps) is outside the expected range ({min_fps:number} "
        "to {max_fps:number} fps): check that it plays normally.",
    )
    register(
        "video.sample_table_invalid",
        fr="L'index du fichier {container} est faux : une de ses tables (piste {track}) annonce "
        "{declared:count:entrée:entrées} alors que sa place n'en permet que {capacity}. Le fichier est endommagé ou fabriqué ; "
        "il n'a pas été analysé plus loin. Réexportez la vidéo depuis votre outil d'enregistrement.",
        en="The {container} file's index is wrong: one of its tables (track {track}) announces "
        "{declared:count:entry:entries} where only {capacity} fit. The file is damaged or crafted; it was not analysed further. "
        "Export the video again from your recording tool.",
    )
    register(
        "video.too_complex",
        fr="Le fichier {container} a une structure anormalement complexe (plus de {limit} boîtes) : il n'a "
        "pas été analysé. Une vidéo enregistrée normalement en a quelques dizaines ; réexportez-la.",
        en="The {container} file has an abnormally complex structure (over {limit} boxes): it was not "
        "analysed. A normally recorded video has a few dozen; export it again.",
    )
    register(
        "video.no_media_data",
        fr="Le fichier {container} ne contient que son index : les images et le son (boîte « mdat ») sont "
        "absents ou vides, rien ne peut être lu. Le fichier a été mal copié ou tronqué ; déposez la vidéo "
        "complète.",
        en="The {container} file holds only its index: the pictures and sound (the “mdat” box) are missing "
        "or empty, nothing can be played. The file was badly copied or cut; file the complete video.",
    )
    register(
        "video.frames_undecodable",
        fr="Les images de la vidéo ne se décodent pas ({failed} {failed:plural:position:positions} sur "
        "{sampled} essayées, la première à {at_s:number} s ; décodeur : « {reason:word} ») : le lecteur de l'évaluateur montrera une image "
        "noire, figée ou brouillée. Réexportez la vidéo depuis votre outil d'enregistrement.",
        en="The video's pictures do not decode ({failed} of {sampled} positions tried, the first at {at_s:number} s; "
        "decoder: “{reason:word}”): the reviewer's player will show a black, frozen or garbled picture. "
        "Export the video again from your recording tool.",
        words=DECODER_WORDS,
    )
    register(
        "video.too_many_pixels",
        fr="La vidéo annonce des images de {width}×{height} pixels ({megapixels:number} Mpx), au-delà du plafond de "
        "{max_megapixels:number} Mpx : elles n'ont pas été décodées. Un enregistrement d'écran réel est bien plus "
        "petit ; réexportez la vidéo en 1080p ou 720p.",
        en="The video announces {width}×{height} pictures ({megapixels:number} MP), over the {max_megapixels:number} MP "
        "cap: they were not decoded. A real screen recording is much smaller; export the video again in "
        "1080p or 720p.",
    )
    register(
        "video.blank",
        fr="La vidéo est vide : {blank} {blank:plural:image:images} sur {sampled} échantillonnées {blank:plural:est unie:sont unies} (noires, blanches ou "
        "d'une seule couleur). L'enregistrement n'a probablement pas capté l'écran ; refaites-le.",
        en="The video is blank: {blank} of {sampled} sampled pictures are uniform (black, white or one colour). "
        "The recording probably did not capture the screen; record it again.",
    )
    register(
        "video.static",
        fr="L'image de la vidéo ne change pas pendant {still_s:number} s sur {duration_s:number} s "
        "({scenes:count:écran distinct:écrans distincts} sur {sampled} images échantillonnées) : un écran figé ne "
        "montre pas le déroulé du scénario. Enregistrez l'écran pendant que vous déroulez les étapes.",
        en="The video's picture does not change for {still_s:number} s of {duration_s:number} s "
        "({scenes:count:distinct screen:distinct screens} in {sampled} sampled pictures): a still screen does not "
        "show the scenario's steps. Record the screen while you go through the steps.",
    )
    screen_text.register_messages(register, PLUGIN, ("la vidéo", "the video"))
    register(
        "video.frame_rate_variable",
        fr="La cadence de la vidéo est variable ({min_fps:number} à {max_fps:number} images/s) : certains "
        "lecteurs désynchronisent ou saccadent. Si elle saccade, réexportez-la à cadence fixe (30 images/s).",
        en="The video's frame rate is variable ({min_fps:number} to {max_fps:number} fps): some players stutter "
        "or lose sync. If it stutters, export it again at a constant frame rate (30 fps).",
    )


# -- helpers -------------------------------------------------------------------------------------


def _num(value: Any) -> float | None:
    """MediaInfo gives numbers as int, float or text ("25.000"); anything else is None."""
    if value is None or isinstance(value, bool):
        return None
    try:
        return float(str(value).split()[0])
    except (ValueError, IndexError):
        return None


def _fmt(value: float) -> str:
    return f"{value:.3f}".rstrip("0").rstrip(".")


def flv_tail_complete(path: str, size: int) -> bool:
    """Whether an FLV ends on a whole tag: its last 4 bytes give the size of the tag before them.

    An FLV body is ``tag, PreviousTagSize, tag, PreviousTagSize…``; a cut file ends mid-tag, so the
    last four bytes are not the size of a tag that ends right there. O(1): two small reads.
    """
    if size < 13 + 4:
        return False
    with open(path, "rb") as fh:
        fh.seek(size - 4)
        previous = int.from_bytes(fh.read(4), "big")
        start = size - 4 - previous
        if previous < 11 or start < 13:  # 13 = FLV header (9) + PreviousTagSize0 (4)
            return previous == 0 and size == 13  # a header-only file is complete (and empty)
        fh.seek(start)
        tag = fh.read(11)
    return len(tag) == 11 and tag[0] & 0x1F in (8, 9, 18) and int.from_bytes(tag[1:4], "big") == previous - 11


@contextlib.contextmanager
def _named_for_mediainfo(proof: Proof) -> Iterator[str]:
    """The proof's path, seen under the canonical extension of its detected format.

    libmediainfo picks its parsers by extension: on an extensionless upload temp file ("up-…") it
    tries them all and a 50 Mo MP4 takes ~400 ms instead of ~5 ms. A symlink in a private directory
    gives it the right name; the content is still judged by its bytes (the engine detected the format).
    """
    wanted = LABELS.get(proof.format or "", "").lower()
    if not wanted or os.path.splitext(proof.path)[1].lower() == "." + wanted:
        yield proof.path
        return
    tmp = tempfile.mkdtemp(prefix="preuves-mi-")
    try:  # removed whatever happens in the parse (the worker's private TMPDIR covers a kill)
        link = os.path.join(tmp, "proof." + wanted)
        os.symlink(os.path.abspath(proof.path), link)
        yield link
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


# -- the check -----------------------------------------------------------------------------------


@hookimpl
def preuves_inspect(proof: Proof) -> Inspection:
    from pymediainfo import MediaInfo

    from plugins import video_boxes

    limits = proof.thresholds(PLUGIN)
    findings = []
    facts: dict[str, Any] = {}
    label = LABELS.get(proof.format or "", proof.format or proof.media_type)

    structure = None
    if proof.format in ("mp4", "mov"):
        # Before libmediainfo: it trusts declared counts and loops over them (bounded work first).
        structure = video_boxes.walk(proof.path, proof.size, max_boxes=int(limits["max_boxes"]))
        if structure.too_many_boxes:
            findings.append(finding("video.too_complex", "error", container=label, limit=structure.max_boxes))
            return Inspection(findings=findings, facts=facts)
        if structure.lie is not None:
            lie = structure.lie
            findings.append(finding("video.sample_table_invalid", "error", container=label, box=lie.box,
                                    track=lie.track if lie.track is not None else "-", declared=lie.declared,
                                    capacity=lie.capacity, path=lie.path, offset=lie.offset))
            return Inspection(findings=findings, facts=facts)

    # Only the local path the engine created; never mediainfo_options (SECURITY.md).
    try:
        with _named_for_mediainfo(proof) as path:
            info = MediaInfo.parse(path, parse_speed=float(limits["mediainfo_parse_speed"]))
    except Exception as exc:  # noqa: BLE001 - libmediainfo refusing a file is a finding, not a crash
        findings.append(finding("video.unreadable", "error", reason=type(exc).__name__))
        return Inspection(findings=findings, facts=facts)

    general = next(iter(info.general_tracks), None)
    container = getattr(general, "format", None) if general is not None else None
    videos = info.video_tracks
    audios = info.audio_tracks
    facts["container"] = container
    if general is not None and getattr(general, "format_profile", None):
        facts["container_profile"] = general.format_profile
    facts["audio"] = bool(audios)

    # One cause per file: a missing index or missing media data explains every later symptom.
    structure_broken = False
    if structure is not None:
        if "moov" not in structure.top_level:
            structure_broken = True
            findings.append(finding("video.index_missing", "error", container=label))
        elif structure.media_bytes == 0:
            structure_broken = True
            findings.append(finding("video.no_media_data", "error", container=label))

    if container is None:
        if not structure_broken:
            findings.append(finding("video.unreadable", "error", reason="unrecognised_format"))
        return Inspection(findings=findings, facts=facts)

    expected = CONTAINERS.get(proof.format or "")
    if expected is not None and container not in expected:
        findings.append(finding("video.container_mismatch", "error", detected=label, parsed=container))

    truncated = general is not None and str(getattr(general, "istruncated", "")).lower() == "yes"
    if proof.format == "flv" and not flv_tail_complete(proof.path, proof.size):
        truncated = True  # libmediainfo does not flag a cut FLV; its tag chain does
    if truncated and not structure_broken:
        findings.append(finding("video.truncated", "error"))

    if not videos:
        if not structure_broken:
            findings.append(finding("video.no_video_track", "error", container=label, audio_tracks=len(audios)))
        return Inspection(findings=findings, facts=facts)

    video = videos[0]
    duration_ms = _num(video.duration) or _num(getattr(general, "duration", None))
    width = int(_num(video.width) or 0)
    height = int(_num(video.height) or 0)
    frame_rate = _num(video.frame_rate) or _num(getattr(general, "frame_rate", None))
    facts.update(
        {
            "duration_s": round(duration_ms / 1000, 3) if duration_ms else None,
            "width": width or None,
            "height": height or None,
            "codec": video.format,
            "frame_rate": round(frame_rate, 3) if frame_rate else None,
            "frame_rate_mode": video.frame_rate_mode,
            "bitrate": int(_num(getattr(general, "overall_bit_rate", None)) or 0) or None,
        }
    )
    if audios:
        facts["audio_codec"] = audios[0].format

    if not duration_ms or duration_ms <= 0:
        findings.append(finding("video.no_duration", "error"))
    elif duration_ms / 1000 < float(limits["min_duration_s"]):
        findings.append(
            finding("video.too_short", "warning", duration_s=_fmt(duration_ms / 1000),
                    min_s=_fmt(float(limits["min_duration_s"])))
        )

    if not any(f.severity.value == "error" for f in findings):
        # Only a file whose structure holds up: the decoder would just repeat the cause already given.
        findings += _frames_findings(proof, limits, width, height, facts)

    if width and height:
        minimum = readable_minimum(width, height, limits["readable_screens"])
        if minimum is not None:
            findings.append(finding("video.resolution_low", "warning", width=width, height=height, minimum=minimum))

    playable = list(limits["playable_codecs"])
    if video.format and video.format not in playable:
        findings.append(
            finding("video.codec_unusual", "warning", codec=video.format, playable=", ".join(playable))
        )

    findings += _picture_format_findings(video, limits, facts)

    min_fps, max_fps = float(limits["min_frame_rate"]), float(limits["max_frame_rate"])
    if frame_rate and not (min_fps <= frame_rate <= max_fps):
        findings.append(
            finding("video.frame_rate_abnormal", "warning", frame_rate=_fmt(frame_rate),
                    min_fps=_fmt(min_fps), max_fps=_fmt(max_fps))
        )
    if limits["warn_variable_frame_rate"] and str(video.frame_rate_mode or "").upper() == "VFR":
        low = _num(getattr(video, "minimum_frame_rate", None))
        high = _num(getattr(video, "maximum_frame_rate", None))
        findings.append(
            finding("video.frame_rate_variable", "warning",
                    min_fps=_fmt(low) if low else "?", max_fps=_fmt(high) if high else "?")
        )
    return Inspection(findings=findings, facts=facts)


def _picture_format_findings(video: Any, limits: Mapping[str, Any], facts: dict[str, Any]) -> list:
    """4:2:0 colour at 8 bits is what every player decodes. Recorders fed RGB (ffmpeg's libx264 on a
    screen grab, OBS's « I444 ») write H.264 High 4:4:4, others High 10 or 4:2:2: players built on
    hardware decoders (browsers, Windows', macOS') refuse them, VLC plays them."""
    colour = str(getattr(video, "color_space", None) or "") or None
    chroma = str(getattr(video, "chroma_subsampling", None) or "") or None
    depth = _num(getattr(video, "bit_depth", None))
    bits = int(depth) if depth else None
    profile = str(getattr(video, "format_profile", None) or "").split("@")[0] or None
    facts.update({"codec_profile": profile, "color_space": colour, "chroma_subsampling": chroma, "bit_depth": bits})
    odd_colour = colour is not None and colour not in limits["playable_color_spaces"]
    odd_chroma = chroma is not None and chroma not in limits["playable_chroma_subsampling"]
    odd_depth = bits is not None and bits > int(limits["playable_max_bit_depth"])
    if not (odd_colour or odd_chroma or odd_depth):
        return []
    # What details.picture names: the colour model when it is the odd part (a PICTURE_WORDS key), else the
    # subsampling (said as is).
    picture = COLOUR_MODELS.get(colour, chroma or colour) if odd_colour else (chroma or "4:2:0")
    return [finding("video.picture_format_unusual", "warning", codec=video.format or "?", profile=profile or "?",
                    picture=picture, bit_depth=bits if bits else "?", color_space=colour, chroma=chroma)]


def _too_many_pixels(width: int, height: int, max_pixels: int):
    return finding("video.too_many_pixels", "error", width=width, height=height,
                   megapixels=f"{width * height / 1e6:.1f}", max_megapixels=f"{max_pixels / 1e6:g}")


def _frames_findings(proof: Proof, limits: Mapping[str, Any], width: int, height: int, facts: dict[str, Any]) -> list:
    """Decode a few frames (start, then keyframes further on): an index proves nothing about the data.
    The same open file then gives the picture sample (:func:`_pictures_findings`): one pass, each
    keyframe decoded once. Only ``decode_positions`` judge whether the frames decode."""
    from plugins import video_frames

    max_pixels = int(limits["max_pixels"])
    if width * height > max_pixels:  # what libmediainfo read; the decoder's own size is checked too
        return [_too_many_pixels(width, height, max_pixels)]
    count = int(limits["sample_frames"])
    pictures = video_frames.Pictures(
        positions=tuple(i / count for i in range(count)), thumb_size=tuple(int(v) for v in limits["scene_thumb_size"]),
        pixel_delta=int(limits["scene_pixel_delta"]), changed_share=float(limits["scene_changed_share"]),
        picture_max_pixels=int(limits["ocr_max_pixels"]))
    sample = video_frames.sample_frames(
        proof.path,
        container_format=proof.format,
        positions=tuple(float(p) for p in limits["decode_positions"]),
        frames_per_position=int(limits["decode_frames_per_position"]),
        max_packets_per_position=int(limits["decode_max_packets_per_position"]),
        max_pixels=max_pixels,
        pictures=pictures,
    )
    if sample.skipped == "too_many_pixels":
        return [_too_many_pixels(sample.width, sample.height, max_pixels)]
    facts["frames_decoded"] = sample.decoded
    if not sample.opened or not sample.has_video:
        reason = sample.open_error or ("no_video_stream" if sample.opened else "open_failed")
        return [finding("video.frames_undecodable", "error", failed=1, sampled=1, at_s="0", reason=reason)]
    failed = sample.failed
    if not sample.positions or failed:
        first = failed[0] if failed else None
        reason = (first.error if first and first.error else None) or sample.first_error or "no_frame_decoded"
        return [finding("video.frames_undecodable", "error", failed=len(failed) or 1,
                        sampled=len(sample.positions) or 1, at_s=_fmt(first.target_s) if first else "0",
                        reason=reason)]
    return _pictures_findings(sample, limits, facts)


def _pictures_findings(sample: video_frames.FrameSample, limits: Mapping[str, Any], facts: dict[str, Any]) -> list:
    """What the pictures show: ``sample_frames`` keyframes spread over the duration (the cost is the
    sample's, whatever the duration), blank or unchanging, and the text of each distinct scene."""
    from plugins import video_frames

    duration = facts.get("duration_s") or sample.duration_s
    summary = video_frames.summarise(sample.pictured, duration, float(limits["blank_max_stddev"]))
    facts.update({"frames_sampled": summary.sampled, "blank_share": round(summary.blank_share, 3),
                  "scenes": summary.scenes, "longest_still_s": summary.longest_still_s})
    if not summary.sampled:
        return []
    out = []
    blank = summary.blank_share >= float(limits["blank_min_share"])
    if blank:
        out.append(finding("video.blank", "warning", blank=summary.blank, sampled=summary.sampled))
    elif (duration and summary.sampled >= int(limits["static_min_frames"])
          and summary.longest_still_s >= float(limits["static_min_share"]) * duration):
        out.append(finding("video.static", "warning", still_s=_fmt(summary.longest_still_s), duration_s=_fmt(duration),
                           scenes=summary.scenes, sampled=summary.sampled))
    if limits["ocr"] and not blank:
        out += _screen_text(summary, limits, facts)
    return out


def _screen_text(summary: video_frames.Summary, limits: Mapping[str, Any], facts: dict[str, Any]) -> list:
    """OCR of the distinct scenes (at most ``ocr_max_frames``, spread over the video), never of every sample."""
    scenes = [f for f in summary.scene_frames if f.picture is not None]
    wanted = int(limits["ocr_max_frames"])
    if len(scenes) > wanted:
        scenes = [scenes[round(i * (len(scenes) - 1) / max(1, wanted - 1))] for i in range(wanted)]
    shown = screen_text.ScreenText()
    deadline = time.monotonic() + float(limits["ocr_budget_ms"]) / 1000
    try:
        for scene in scenes:
            remaining_ms = int((deadline - time.monotonic()) * 1000)
            if remaining_ms <= 0:
                break  # the budget is spent: the scenes left are not read (images_read says how many were)
            picture = scene.picture
            lines = screen_text.read_lines(picture, limits, timeout_ms=remaining_ms)
            if lines is None:
                continue
            at = _fmt(scene.time_s or 0.0)
            shown.add(lines, lambda line, p=picture, at=at: f"at_s={at}, {screen_text.region(line.box, *p.size)}",
                      int(limits["ocr_sample_chars"]))
    except screen_text.OcrUnavailable as exc:
        return [screen_text.unavailable(PLUGIN, exc.reason)]
    facts["screen_text"] = shown.facts()
    return shown.findings(PLUGIN)
