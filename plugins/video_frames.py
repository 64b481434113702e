"""Decode a handful of video frames in-process, with bounded work: does the picture really decode?

libmediainfo reads headers and the index, never the frames: a video whose media data was zeroed,
replaced by random bytes or cut off still has a perfect index. The reviewer's player decodes frames;
so do we, with the ffmpeg libraries (PyAV, which most players' decoders share), at a few positions
only: the start, then a keyframe before each further position (a seek reads the index, not the data
in between). Each position decodes at most ``frames_per_position`` frames from at most
``max_packets_per_position`` packets, single-threaded; nothing here reads the whole file.

:func:`sample_frames` returns what was decoded and what went wrong; the ``video`` plugin turns that
into findings. With :class:`Pictures`, the same open file then gives a wider sample of keyframes
(each decoded once, whichever part asked first): a small greyscale thumbnail of each and a picture of
each that differs from the one before; :func:`summarise` tells blank frames, distinct scenes and the
longest still stretch from them, and the scenes' pictures go to OCR.
ffmpeg's log messages are captured, never printed (a worker's stderr is the caller's).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

# libavformat demuxer for each format the engine detects.
DEMUXERS = {"mp4": "mov", "mov": "mov", "avi": "avi", "flv": "flv"}

# Opening runs libavformat's stream probe, which decodes each stream's first frame (~40 ms for a 1080p
# keyframe of a busy picture) to learn parameters the MP4/MOV index (``stsd``) already states. These
# per-stream options reach only the probe's own codec contexts (PyAV decodes with contexts of its own);
# one per stream for the first few (a recording has a video track and an audio track or two).
SKIP_PROBE_DECODING = [{"skip_frame": "all"}] * 8

# Pixel formats whose first plane is the luma at 8 bits a sample: that plane IS the greyscale picture,
# read without a conversion (swscale's ``gray`` plus ``to_image`` cost ~10 ms a 1080p frame; this ~1 ms).
LUMA_FIRST = frozenset({"yuv420p", "yuvj420p", "yuv422p", "yuvj422p", "yuv444p", "yuvj444p", "yuv440p", "yuvj440p",
                        "yuv411p", "yuvj411p", "nv12", "nv21", "gray"})
# swscale's ``gray`` is full range: a limited-range luma (16–235, the default of video) is stretched to
# 0–255 the same way, so every threshold tuned on swscale's pictures (blank, scenes, dark themes) holds.
LIMITED_TO_FULL = [min(255, max(0, round((v - 16) * 255 / 219))) for v in range(256)]
JPEG_RANGE = 2  # AVCOL_RANGE_JPEG: a frame tagged full range

_PRINTABLE = re.compile(r"[^ -~]+")
_REPEATED = re.compile(r"\s*\(repeated \d+ more times?\)")  # PyAV's log de-duplication note
MAX_MESSAGES = 8


@dataclass
class Position:
    """One place sampled: ``target_s`` asked, frames decoded there, the first error met."""

    target_s: float
    decoded: int = 0  # frames the decoder returned, clean or not
    clean: int = 0  # frames not flagged corrupt by the decoder
    packets: int = 0
    error: str | None = None
    reused: bool = False  # the seek landed on a keyframe another position already decoded cleanly

    @property
    def ok(self) -> bool:
        return self.clean > 0 or self.reused


@dataclass
class SampledFrame:
    time_s: float | None
    key_frame: bool
    width: int
    height: int
    frame: Any = field(default=None, repr=False)  # the ``av.VideoFrame`` when ``keep_frames``
    thumb: Any = field(default=None, repr=False)  # a small greyscale Pillow copy, with ``pictures``
    picture: Any = field(default=None, repr=False)  # greyscale Pillow copy for OCR, when the picture changed


@dataclass
class FrameSample:
    opened: bool = False
    open_error: str | None = None
    has_video: bool = False
    width: int = 0
    height: int = 0
    duration_s: float | None = None
    skipped: str | None = None  # why no frame was decoded on purpose ("too_many_pixels")
    positions: list[Position] = field(default_factory=list)
    frames: list[SampledFrame] = field(default_factory=list)  # the frames decoded at ``positions``
    pictured: list[SampledFrame] = field(default_factory=list)  # with ``pictures``: its sample, in time order
    messages: list[str] = field(default_factory=list)  # the decoder's error messages (first few, sanitised)
    clean_keys: set[int] = field(default_factory=set)  # pts of the keyframes decoded cleanly

    @property
    def decoded(self) -> int:
        return sum(p.clean for p in self.positions)

    @property
    def failed(self) -> list[Position]:
        return [p for p in self.positions if not p.ok]

    @property
    def first_error(self) -> str | None:
        for position in self.positions:
            if position.error:
                return position.error
        return self.messages[0] if self.messages else None


def clean_message(text: Any) -> str:
    """A decoder message fit for a report: printable ASCII, one line, short (never a path or data)."""
    return _REPEATED.sub("", _PRINTABLE.sub(" ", str(text))).strip()[:120]


def _error_text(exc: BaseException) -> str:
    # FFmpegError carries (errno, strerror, function, log record); the path argument is left out.
    log = getattr(exc, "log", None)
    if log and len(log) >= 3 and log[2]:
        return clean_message(log[2])
    return clean_message(getattr(exc, "strerror", None) or type(exc).__name__)


def sample_frames(
    path: str,
    *,
    container_format: str | None = None,
    positions: tuple[float, ...],
    frames_per_position: int,
    max_packets_per_position: int,
    max_pixels: int,
    keep_frames: bool = False,
    pictures: "Pictures | None" = None,
) -> FrameSample:
    """Decode up to ``frames_per_position`` frames at each fraction of the duration in ``positions``.

    ``container_format`` is the engine's detected format (``mp4``, ``mov``, ``avi``, ``flv``): the
    matching demuxer is forced, so libavformat never guesses another format from the bytes. A stream
    whose declared picture exceeds ``max_pixels`` is not decoded (``skipped``). With ``pictures``, once
    every position decoded, the same open file gives the picture sample (``pictured``): the keyframe
    before each of ``pictures.positions``, one frame each, a keyframe already decoded at ``positions``
    not decoded again; each gets a thumbnail, and a greyscale picture for OCR when it differs from the
    frame before (see :func:`summarise`). Only ``positions`` are judged (``failed``): a picture position
    that does not decode is left out of the sample. Never raises for a bad file: every failure is in
    the result.
    """
    import av
    import av.logging

    out = FrameSample()
    previous_level = av.logging.get_level()
    av.logging.set_level(av.logging.ERROR)
    try:
        with av.logging.Capture(local=True) as logs:
            try:
                _Sampler(av, out, max_packets_per_position, keep_frames, pictures).run(
                    path, container_format, positions, frames_per_position, max_pixels)
            finally:
                out.messages = [clean_message(record[2]) for record in logs[:MAX_MESSAGES] if len(record) > 2]
    finally:
        av.logging.set_level(previous_level)
    return out


def _open(av, path: str, demuxer: str | None):
    # MP4/MOV: the index (``stsd``) already gives every stream's parameters, so libavformat need not
    # read ahead (probesize, analyzeduration) nor decode a frame (SKIP_PROBE_DECODING) to probe them.
    if demuxer != "mov":
        return av.open(path, format=demuxer, mode="r")
    options = {"probesize": "32", "analyzeduration": "0"}
    try:
        return av.open(path, format=demuxer, mode="r", options=options, stream_options=SKIP_PROBE_DECODING)
    except ValueError:  # an index declaring no stream: PyAV takes no per-stream options, the probe finds them
        return av.open(path, format=demuxer, mode="r", options=options)


class _Sampler:
    """One open file, one pass: the decode check's positions, then (with ``pictures``) the picture sample."""

    def __init__(self, av, out: FrameSample, max_packets: int, keep: bool, pictures: "Pictures | None") -> None:
        self.av, self.out, self.max_packets, self.keep, self.pictures = av, out, max_packets, keep, pictures
        self.seen: set[int] = set()  # pts of the frames kept in ``out.frames``
        self.pictured: set[int] = set()  # pts of the frames in ``out.pictured``
        self.held: dict[int, Any] = {}  # keyframes the check decoded, for the picture sample (a few at most)

    def run(self, path, container_format, positions, frames_per_position, max_pixels) -> None:
        av, out = self.av, self.out
        try:
            container = _open(av, path, DEMUXERS.get(container_format or ""))
        except (av.error.FFmpegError, OSError, MemoryError, ValueError) as exc:
            out.open_error = _error_text(exc)
            return
        try:
            out.opened = True
            if not container.streams.video:
                return
            stream = container.streams.video[0]
            out.has_video = True
            context = stream.codec_context
            context.thread_type = "NONE"  # one thread: bounded memory, and no frame delay between threads
            context.thread_count = 1
            out.width, out.height = int(context.width or 0), int(context.height or 0)
            if out.width * out.height > max_pixels:
                out.skipped = "too_many_pixels"
                return
            out.duration_s = _duration_s(container, stream)
            for index, fraction in enumerate(positions):
                position = self._place(container, stream, fraction, seek=index > 0 or fraction > 0)
                if position is None:
                    break  # nowhere to seek to: the start is all we can sample
                out.positions.append(position)
                if position.error is None:
                    self._decode_at(container, stream, position, frames_per_position, picture=False)
            if self.pictures is None or not out.positions or out.failed:
                return  # the check failed: what the pictures show is not asked
            for fraction in self.pictures.positions:
                position = self._place(container, stream, fraction, seek=True)
                if position is None:
                    break
                if position.error is None:
                    self._decode_at(container, stream, position, 1, picture=True)
        finally:
            self.held.clear()
            container.close()

    def _place(self, container, stream, fraction: float, *, seek: bool) -> Position | None:
        """The position at ``fraction`` of the duration, the demuxer moved to the keyframe before it."""
        duration = self.out.duration_s
        target = (duration or 0.0) * fraction
        position = Position(target_s=round(target, 3))
        if fraction > 0 and not duration:
            return None
        if seek:
            try:
                offset = int(target / stream.time_base) + int(stream.start_time or 0)
                container.seek(offset, stream=stream, backward=True, any_frame=False)
                stream.codec_context.flush_buffers()
            except (self.av.error.FFmpegError, OverflowError, ZeroDivisionError) as exc:
                position.error = _error_text(exc)
        return position

    def _decode_at(self, container, stream, position: Position, wanted: int, *, picture: bool) -> None:
        av, out = self.av, self.out
        demux = container.demux(stream)
        try:
            while position.decoded < wanted and position.packets < self.max_packets:
                try:
                    packet = next(demux)
                except StopIteration:
                    return
                except (av.error.FFmpegError, MemoryError) as exc:  # the demuxer met damaged data
                    position.error = position.error or _error_text(exc)
                    return
                position.packets += 1
                if position.packets == 1 and packet.is_keyframe and packet.pts is not None and packet.pts in out.clean_keys:
                    # Seeking landed on a keyframe already decoded cleanly (a video with few keyframes):
                    # that picture is proven; decoding it again would only cost time.
                    position.reused = True
                    if picture and packet.pts in self.held:  # the check decoded it: pictured in time order
                        self._picture(self.held.pop(packet.pts))
                    return
                try:
                    frames = packet.decode()  # an empty packet at the end flushes the decoder's delay
                except (av.error.FFmpegError, MemoryError) as exc:
                    position.error = position.error or _error_text(exc)
                    continue
                for frame in frames:
                    position.decoded += 1
                    if frame.is_corrupt:
                        position.error = position.error or "frame_corrupt"
                        continue
                    position.clean += 1
                    if frame.key_frame and frame.pts is not None:  # a keyframe keeps its packet's pts
                        out.clean_keys.add(frame.pts)
                        if not picture and self.pictures is not None:
                            self.held[frame.pts] = frame
                    if picture:
                        self._picture(frame)
                    else:
                        self._keep(frame)
        finally:
            demux.close()

    def _sampled(self, frame) -> SampledFrame:
        return SampledFrame(time_s=round(float(frame.time), 3) if frame.time is not None else None,
                            key_frame=bool(frame.key_frame), width=frame.width, height=frame.height,
                            frame=frame if self.keep else None)

    def _keep(self, frame) -> None:
        pts = frame.pts if frame.pts is not None else -1 - len(self.seen)
        if pts not in self.seen:  # a short video: several positions seek back to the same keyframe
            self.seen.add(pts)
            self.out.frames.append(self._sampled(frame))

    def _picture(self, frame) -> None:
        pts = frame.pts if frame.pts is not None else -1 - len(self.pictured)
        if pts in self.pictured:
            return
        self.pictured.add(pts)
        sampled = self._sampled(frame)
        pictured = self.out.pictured
        self.pictures.take(frame, sampled, pictured[-1] if pictured else None)
        pictured.append(sampled)


def _duration_s(container, stream) -> float | None:
    if stream.duration and stream.time_base:
        return float(stream.duration * stream.time_base)
    if container.duration:
        return container.duration / 1_000_000  # AV_TIME_BASE
    return None


# -- what the sampled pictures show --------------------------------------------------------------


@dataclass
class Pictures:
    """The picture sample (``[thresholds.video]``): the keyframe before each of ``positions`` (fractions
    of the duration, in order), compared as ``thumb_size`` greyscale thumbnails; two frames differ when
    more than ``changed_share`` of its pixels moved by more than ``pixel_delta`` levels (compression noise
    moves a few levels; a new window, many pixels). A frame that differs from the one before keeps a
    greyscale copy of at most ``picture_max_pixels`` for OCR."""

    positions: tuple[float, ...]
    thumb_size: tuple[int, int]
    pixel_delta: int
    changed_share: float
    picture_max_pixels: int

    def take(self, frame: Any, sampled: SampledFrame, previous: SampledFrame | None) -> None:
        width, height = self.thumb_size
        sampled.thumb = grey(frame, width, height)
        if previous is not None and previous.thumb is not None and not self.differ(previous.thumb, sampled.thumb):
            return
        scale = min(1.0, (self.picture_max_pixels / max(1, frame.width * frame.height)) ** 0.5)
        width, height = max(2, round(frame.width * scale) // 2 * 2), max(2, round(frame.height * scale) // 2 * 2)
        sampled.picture = grey(frame, width, height)

    def differ(self, a: Any, b: Any) -> bool:
        from PIL import ImageChops

        histogram = ImageChops.difference(a, b).histogram()
        moved = sum(histogram[self.pixel_delta + 1:])
        return moved > self.changed_share * max(1, a.width * a.height)


def grey(frame: Any, width: int, height: int) -> Any:
    """``frame`` as a ``width``×``height`` greyscale Pillow picture, the values swscale's ``gray`` gives.

    At the frame's own size, a luma-first frame's first plane is the picture (limited range stretched
    by :data:`LIMITED_TO_FULL`); otherwise, and for other pixel formats, swscale converts and scales.
    """
    from PIL import Image

    name = frame.format.name
    if (width, height) == (frame.width, frame.height) and name in LUMA_FIRST:
        plane = frame.planes[0]
        luma = Image.frombuffer("L", (frame.width, frame.height), plane, "raw", "L", plane.line_size, 1)
        full = name.startswith("yuvj") or name == "gray" or frame.color_range == JPEG_RANGE
        return luma.copy() if full else luma.point(LIMITED_TO_FULL)
    return frame.reformat(width=width, height=height, format="gray").to_image().convert("L")


@dataclass
class Summary:
    """What the sample shows: blank frames, scenes (runs of alike frames), the longest still stretch."""

    sampled: int = 0
    blank: int = 0
    scenes: int = 0
    longest_still_s: float = 0.0
    scene_frames: list[SampledFrame] = field(default_factory=list)  # the first frame of each scene

    @property
    def blank_share(self) -> float:
        return self.blank / self.sampled if self.sampled else 0.0


def summarise(frames: list[SampledFrame], duration_s: float | None, blank_max_stddev: float) -> Summary:
    """Blank frames (brightness std-dev under ``blank_max_stddev``), scenes and still stretches.

    A still stretch runs from the first frame of a scene (the start of the video for the first) to the
    first frame of the next scene (the end of the video for the last): what the sample can tell, as
    the pictures between two sampled frames are not decoded.
    """
    from PIL import ImageStat

    out = Summary()
    timed = [f for f in frames if f.thumb is not None]
    out.sampled = len(timed)
    starts: list[float] = []
    for index, sampled in enumerate(timed):
        if ImageStat.Stat(sampled.thumb).stddev[0] < blank_max_stddev:
            out.blank += 1
        if sampled.picture is not None or index == 0:
            out.scene_frames.append(sampled)
            starts.append(0.0 if index == 0 else float(sampled.time_s or 0.0))
    out.scenes = len(out.scene_frames)
    end = float(duration_s or (timed[-1].time_s if timed and timed[-1].time_s else 0.0))
    bounds = starts + [max(end, starts[-1] if starts else 0.0)]
    out.longest_still_s = round(max((b - a for a, b in zip(bounds, bounds[1:])), default=0.0), 3)
    return out
