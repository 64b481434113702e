"""Streaming reception of multipart/form-data uploads to private temp files.

Starlette's ``UploadFile`` / ``request.form()`` spools the whole upload with no size cap of its own,
so the service parses the body itself with ``python_multipart``'s streaming parser over
``request.stream()``:

- each ``file`` part goes to a temp file with a generated name in a private per-process directory
  (never the client's name), hashed (sha256) while it arrives; memory per upload stays bounded by
  one flush buffer;
- past the storage limit of the part (the proof type's limit when known, else the largest), bytes are
  no longer stored nor hashed. A one-file upload (``refuse_over_limit``) then ends at once with 413
  ``file.too_large``; a batch or dossier keeps counting the part (up to the per-file cap), and the
  engine reports ``file.too_large`` with the observed size for that file only;
- past the per-file cap or the body cap the request ends with 413 — counted on the bytes actually
  received, so a lying or absent ``Content-Length`` (chunked transfer) changes nothing. After a 413
  the rest of the body is still read and dropped, up to the drain budget, so that a client still
  sending reads the answer; it is parsed on the way, so that the refused file's whole size is known
  when it ends within that budget;
- the body must keep coming: no byte for ``PREUVES_BODY_IDLE_TIMEOUT_S``, or less than
  ``PREUVES_MIN_UPLOAD_RATE_BYTES`` per second over ``PREUVES_UPLOAD_RATE_WINDOW_S``, ends it with 408
  (:class:`UploadPace`): a client that trickles bytes holds its place for one window, not forever;
- every temp file is removed when the request ends, whatever the outcome (report, error, client
  disconnect); a process killed outright leaves its directory behind, which the next process to
  start removes (:meth:`UploadDir.sweep`).
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import os
import re
import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Callable

import time

import anyio
from python_multipart.exceptions import MultipartParseError
from python_multipart.multipart import MultipartParser, parse_options_header
from starlette.requests import ClientDisconnect, Request

from api import metrics_collector as metrics
from api.errors import (ApiError, BadMultipart, BadRequest, BodyTooLarge, FileTooLarge, MissingFile, Unavailable,
                        UploadTimeout)

if TYPE_CHECKING:
    from api.settings import ApiSettings

log = logging.getLogger("preuves.api.upload")

FLUSH_BYTES = 256 * 1024  # buffered per file part, then written and hashed in a worker thread
FIELD_MAX_BYTES = 1024  # proof_type / lang values are short words
PART_HEADERS_MAX_BYTES = 16 * 1024
MAX_PARTS = 256  # files + fields + ignored parts in one request
FILE_FIELD = "file"
_PROC_DIR = re.compile(r"^proc-(\d+)-")


class UploadDir:
    """A private directory (mode 0700) of this process's uploads under the configured root."""

    def __init__(self, root: Path) -> None:
        self.root = root
        root.mkdir(parents=True, exist_ok=True)
        self.sweep(root)
        self.path = Path(tempfile.mkdtemp(prefix=f"proc-{os.getpid()}-", dir=root))

    @staticmethod
    def sweep(root: Path) -> list[Path]:
        """Remove the directories of processes that no longer exist (killed before their cleanup)."""
        removed = []
        for entry in root.iterdir() if root.is_dir() else ():
            match = _PROC_DIR.match(entry.name)
            if not match or not entry.is_dir():
                continue
            pid = int(match.group(1))
            if pid != os.getpid() and not _pid_alive(pid):
                shutil.rmtree(entry, ignore_errors=True)
                removed.append(entry)
        if removed:
            log.warning("removed upload directories of dead processes", extra={"count": len(removed)})
        return removed

    def new_file(self) -> tuple[int, Path]:
        fd, name = tempfile.mkstemp(prefix="up-", dir=self.path)  # O_EXCL, mode 0600
        return fd, Path(name)

    def close(self) -> None:
        shutil.rmtree(self.path, ignore_errors=True)


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's process: not ours to judge
        return True
    return True


@dataclass
class ReceivedFile:
    """One file part, stored (up to its storage limit) in a temp file."""

    index: int
    filename: str
    path: Path
    size: int = 0  # bytes received for this part
    stored: int = 0  # bytes written to ``path``
    limit: int = 0
    proof_type: str | None = None  # the type whose limit ``limit`` is (None: the largest, type not known yet)
    sha256: str | None = None  # None when not every byte was stored
    _hasher: "hashlib._Hash" = field(default_factory=hashlib.sha256, repr=False)
    _buffer: bytearray = field(default_factory=bytearray, repr=False)
    _fh: object = field(default=None, repr=False)

    @property
    def truncated(self) -> bool:
        return self.size > self.stored

    @property
    def observed_size(self) -> int | None:
        """What the engine needs to judge the size when the stored file is only the head."""
        return self.size if self.truncated else None

    # -- called on the event loop (cheap) ---------------------------------------------------
    def feed(self, data: bytes) -> None:
        self.size += len(data)
        room = self.limit - self.stored - len(self._buffer)
        if room > 0:
            self._buffer += data[:room] if len(data) > room else data

    def take(self) -> bytes:
        data, self._buffer = bytes(self._buffer), bytearray()
        return data

    @property
    def pending(self) -> int:
        return len(self._buffer)

    # -- called in a worker thread (disk and hashing) ------------------------------------------
    def write(self, data: bytes) -> None:
        if data:
            self._fh.write(data)  # type: ignore[attr-defined]
            self._hasher.update(data)
            self.stored += len(data)

    def finish(self) -> None:
        self._fh.close()  # type: ignore[attr-defined]
        self.sha256 = None if self.truncated else self._hasher.hexdigest()

    def discard(self) -> None:
        with contextlib.suppress(Exception):
            self._fh.close()  # type: ignore[attr-defined]
        with contextlib.suppress(FileNotFoundError):
            self.path.unlink()


@dataclass
class Received:
    files: list[ReceivedFile]
    fields: dict[str, list[str]]

    def cleanup(self) -> None:
        for received in self.files:
            received.discard()

    def field(self, name: str) -> str | None:
        """A field given at most once; an empty value counts as absent."""
        values = self.fields.get(name, [])
        if len(values) > 1:
            raise BadRequest(f"Le champ « {name} » est donné {len(values)} fois : donnez-le une seule fois.",
                             f"The “{name}” field is given {len(values)} times: give it once.", field=name)
        return values[0] or None if values else None

    def single_file(self) -> ReceivedFile:
        if not self.files:
            raise MissingFile()
        if len(self.files) > 1:
            raise BadRequest(
                "Un seul champ « file » par requête ; utilisez POST /v1/validations/batch pour plusieurs fichiers.",
                "One “file” field per request; use POST /v1/validations/batch for several files.",
                files=len(self.files),
            )
        return self.files[0]


class _Over(Exception):
    """The body must be refused (413): ``part`` is the file that is too large (None: the body as a whole),
    ``body_limit`` the service cap it passed (None: the file's own type limit)."""

    def __init__(self, part: ReceivedFile | None, body_limit: int | None) -> None:
        self.part = part
        self.body_limit = body_limit


class TooLarge:
    """The 413 of a file too large: ``(part, complete, declared, body_limit, close) -> error``.

    ``part`` is None when the body is refused on its announced length (``declared``) before any of it
    is read. This default knows no type names; :func:`api.validating.validating_receiver` gives one
    that does."""

    def __init__(self, largest: int, file_cap: int, labels: dict[str, tuple[str, str]] | None = None) -> None:
        self.largest = largest
        self.file_cap = file_cap
        self.labels = labels or {}

    def __call__(self, part: ReceivedFile | None, *, complete: bool, declared: int | None, body_limit: int | None,
                 close: bool) -> ApiError:
        proof_type = part.proof_type if part is not None else None
        if body_limit is None and part is not None and part.size > self.file_cap:
            body_limit = self.file_cap  # refused at its type's limit, and over the service's cap too
        # The limit this service applies to the file: its type's, or the cap when an operator set it lower.
        limit = min(part.limit if part is not None else self.largest, self.file_cap)
        return FileTooLarge(
            size=part.size if part is not None else None, complete=complete, limit=limit, proof_type=proof_type,
            label=self.labels.get(proof_type or ""), declared=declared, body_limit=body_limit,
            index=part.index if part is not None else None,
            filename=part.filename if part is not None else None, close=close)


class _Field:
    def __init__(self, name: str) -> None:
        self.name = name
        self.value = bytearray()

    def feed(self, data: bytes) -> None:
        self.value += data
        if len(self.value) > FIELD_MAX_BYTES:
            raise BadRequest(f"Le champ « {self.name} » dépasse {FIELD_MAX_BYTES} octets : un nom de type, de preuve ou "
                             "de REM tient en quelques mots.",
                             f"The “{self.name}” field is over {FIELD_MAX_BYTES} bytes: a type, proof or REM name "
                             "is a few words.", field=self.name)


class _Ignored:
    def feed(self, data: bytes) -> None:
        pass


def boundary_of(request: Request) -> bytes:
    content_type, params = parse_options_header(request.headers.get("content-type", ""))
    boundary = params.get(b"boundary")
    if content_type != b"multipart/form-data" or not boundary or len(boundary) > 200:
        raise BadMultipart(
            "Le corps doit être en multipart/form-data (avec un paramètre boundary) : envoyez le fichier comme un "
            "formulaire (curl -F file=@preuve.pdf).",
            "The body must be multipart/form-data (with a boundary parameter): send the file as a form "
            "(curl -F file=@proof.pdf).",
        )
    return boundary


@dataclass
class UploadPace:
    """How slowly a body may come: some byte every ``idle_s``, and ``min_rate`` bytes per second over
    each ``window_s`` (0: no minimum). :meth:`wait_s` is how long the next read may wait."""

    idle_s: float
    min_rate: int
    window_s: float
    clock: Callable[[], float] = time.monotonic
    received: int = 0

    def __post_init__(self) -> None:
        now = self.clock()
        self._last = self._window_start = now
        self._window_bytes = 0

    def wait_s(self) -> float:
        deadline = self._last + self.idle_s
        if self.min_rate:
            deadline = min(deadline, self._window_start + self.window_s)
        return max(0.0, deadline - self.clock())

    def check(self, n: int) -> None:
        """After a read of ``n`` bytes (0: the wait ran out); raises :class:`UploadTimeout`."""
        now = self.clock()
        if n:
            self._last = now
            self._window_bytes += n
            self.received += n
        elif now - self._last >= self.idle_s:
            self._fail("idle")
        elapsed = now - self._window_start
        if self.min_rate and elapsed >= self.window_s:
            if self._window_bytes < self.min_rate * elapsed:
                self._fail("slow")
            self._window_start, self._window_bytes = now, 0

    def _fail(self, reason: str) -> None:
        metrics.UPLOAD_TIMEOUTS.labels(reason).inc()
        raise UploadTimeout(reason, idle_s=self.idle_s, min_rate=self.min_rate, window_s=self.window_s,
                            received=self.received)


def upload_pace(settings: ApiSettings) -> UploadPace:
    """A fresh pace for one request, from the service's settings (``PREUVES_BODY_IDLE_TIMEOUT_S`` …)."""
    return UploadPace(idle_s=settings.body_idle_timeout_s, min_rate=settings.min_upload_rate_bytes,
                      window_s=settings.upload_rate_window_s)


class BodyReader:
    """The request body, chunk by chunk, each read bounded by an :class:`UploadPace`.

    Reads the ASGI ``receive`` channel itself rather than ``request.stream()``: a read given up
    because its wait ran out must leave the stream usable (cancelling an async generator ends it).
    """

    def __init__(self, request: Request, pace: UploadPace) -> None:
        self._receive = request.receive
        self.pace = pace
        self.done = False

    async def next(self) -> bytes | None:
        """The next non-empty chunk, or None at the end of the body."""
        while not self.done:
            with anyio.move_on_after(self.pace.wait_s()) as scope:
                message = await self._receive()
            if scope.cancelled_caught:
                self.pace.check(0)
                continue
            if message["type"] == "http.disconnect":
                raise ClientDisconnect()
            body = message.get("body", b"")
            if not message.get("more_body", False):
                self.done = True
            if body:
                self.pace.check(len(body))
                return body
        return None


class MultipartReceiver:
    """Receive one request's multipart body: files to temp files, small fields in memory.

    :param storage_limit: ``(file index, fields received so far) -> (bytes, proof type)``: what to
        store of that file part — the proof type's limit when the type is already known, else the
        largest with type None.
    :param body_cap: over this many body bytes, 413 (``request.body_too_large``; ``file.too_large`` when
        ``refuse_over_limit`` and the file being received is already over its limit).
    :param file_cap: over this many bytes in one file part, 413 ``file.too_large`` (batch: each file
        like a single upload).
    :param refuse_over_limit: a file part over its storage limit is a 413 ``file.too_large`` at once
        (one-file uploads), rather than counted for the engine to report.
    :param too_large: makes that 413 (:class:`TooLarge`).
    :param drain_bytes: after a 413, read and drop up to this many more bytes so that a client still
        sending can read it; past it the connection is closed.
    :param pace: how slowly the body may come (default: no bound, for callers that set none).
    """

    def __init__(
        self,
        upload_dir: UploadDir,
        *,
        storage_limit: Callable[[int, dict[str, list[str]]], tuple[int, str | None]],
        body_cap: int,
        file_cap: int,
        drain_bytes: int,
        max_files: int,
        too_large: TooLarge,
        refuse_over_limit: bool = False,
        fields: tuple[str, ...] = ("proof_type", "lang"),
        pace: Callable[[], UploadPace] | None = None,
    ) -> None:
        self.upload_dir = upload_dir
        self.pace = pace or (lambda: UploadPace(idle_s=float("inf"), min_rate=0, window_s=1.0))
        self.storage_limit = storage_limit
        self.body_cap = body_cap
        self.file_cap = file_cap
        self.drain_bytes = drain_bytes
        self.max_files = max_files
        self.too_large = too_large
        self.refuse_over_limit = refuse_over_limit
        self.wanted_fields = fields
        self.files: list[ReceivedFile] = []
        self.fields: dict[str, list[str]] = {}
        self._part: ReceivedFile | _Field | _Ignored | None = None
        self._parts = 0
        self._headers: list[tuple[bytes, bytes]] = []
        self._hfield = bytearray()
        self._hvalue = bytearray()
        self._hsize = 0
        self._ended = False
        # Once a 413 is decided (``_over``), the rest of the body is only measured: nothing more is
        # stored, and the end of the refused file part says whether its whole size is known.
        self._over: _Over | None = None
        self._refused_complete = False

    # -- parser callbacks (synchronous, on the event loop) ------------------------------------
    def _on_part_begin(self) -> None:
        self._parts += 1
        if self._parts > MAX_PARTS:
            raise BadMultipart(f"Plus de {MAX_PARTS} parties dans la requête.", f"More than {MAX_PARTS} parts.")
        self._headers, self._hsize, self._part = [], 0, None

    def _on_header_field(self, data: bytes, start: int, end: int) -> None:
        self._hfield += data[start:end]
        self._count_header(end - start)

    def _on_header_value(self, data: bytes, start: int, end: int) -> None:
        self._hvalue += data[start:end]
        self._count_header(end - start)

    def _count_header(self, n: int) -> None:
        self._hsize += n
        if self._hsize > PART_HEADERS_MAX_BYTES:
            raise BadMultipart("En-têtes de partie trop longs.", "Part headers too long.")

    def _on_header_end(self) -> None:
        self._headers.append((bytes(self._hfield).lower(), bytes(self._hvalue)))
        self._hfield, self._hvalue = bytearray(), bytearray()

    def _on_headers_finished(self) -> None:
        if self._refusing:  # the answer is decided: later parts are neither stored nor checked
            self._part = _Ignored()
            return
        disposition = next((v for k, v in self._headers if k == b"content-disposition"), None)
        if disposition is None:
            raise BadMultipart("Partie sans en-tête Content-Disposition.", "Part without Content-Disposition header.")
        # latin-1 keeps the bytes as they are; browsers send the file name in UTF-8.
        kind, params = parse_options_header(disposition.decode("latin-1"))
        name = params.get(b"name", b"").decode("latin-1")
        if kind != b"form-data" or not name:
            raise BadMultipart("Partie sans nom de champ (Content-Disposition: form-data; name=…).",
                               "Part without a field name (Content-Disposition: form-data; name=…).")
        if name == FILE_FIELD:
            if len(self.files) >= self.max_files:
                raise BadRequest(f"Plus de {self.max_files} fichiers dans la requête : envoyez-les en plusieurs requêtes.",
                                 f"More than {self.max_files} files in the request: send them in several requests.",
                                 max_files=self.max_files)
            filename = params.get(b"filename", b"").decode("utf-8", errors="replace")
            # Before the temp file exists: storage_limit may reject the fields received so far.
            limit, proof_type = self.storage_limit(len(self.files), self.fields)
            fd, path = self.upload_dir.new_file()
            received = ReceivedFile(index=len(self.files), filename=filename, path=path, limit=limit,
                                    proof_type=proof_type)
            received._fh = open(fd, "wb")  # noqa: SIM115 - closed in finish()/discard()
            self.files.append(received)
            self._part = received
        elif name in self.wanted_fields:
            self._part = _Field(name)
        else:
            self._part = _Ignored()

    def _on_part_data(self, data: bytes, start: int, end: int) -> None:
        part = self._part
        if part is None:
            return
        if self._refusing:  # measured, never stored
            if isinstance(part, ReceivedFile):
                part.size += end - start
            return
        part.feed(data[start:end])
        # Decided here, answered once the parser has taken the whole chunk (raising from a callback
        # would lose the rest of the chunk, and with it the end of the part).
        if not isinstance(part, ReceivedFile):
            return
        if part.size > self.file_cap:
            self._over = _Over(part, self.file_cap)
        elif self.refuse_over_limit and part.size > part.limit:
            self._over = _Over(part, None)

    def _on_part_end(self) -> None:
        part = self._part
        if self._over is not None and part is self._over.part:
            self._refused_complete = True
        elif isinstance(part, _Field) and not self._refusing:
            try:
                value = bytes(part.value).decode("utf-8").strip()
            except UnicodeDecodeError:
                raise BadRequest(f"Le champ « {part.name} » n'est pas du texte UTF-8.",
                                 f"The “{part.name}” field is not UTF-8 text.", field=part.name) from None
            self.fields.setdefault(part.name, []).append(value)

    def _on_end(self) -> None:
        self._ended = True

    # -- the request ----------------------------------------------------------------------------
    async def receive(self, request: Request) -> Received:
        """Read the whole body (bounded); on any failure no temp file remains."""
        boundary = boundary_of(request)
        declared = request.headers.get("content-length")
        if declared is not None and declared.isdigit() and int(declared) > self.body_cap + self.drain_bytes:
            # Announced too big to be worth reading: answer now (a client sending
            # "Expect: 100-continue" has not sent the body yet). A one-file upload that big is a file
            # over every type's limit.
            if self.refuse_over_limit:
                raise self.too_large(None, complete=False, declared=int(declared), body_limit=self.body_cap, close=True)
            raise BodyTooLarge(self.body_cap, close=True)
        parser = MultipartParser(boundary, callbacks={
            "on_part_begin": self._on_part_begin, "on_part_data": self._on_part_data,
            "on_part_end": self._on_part_end, "on_header_field": self._on_header_field,
            "on_header_value": self._on_header_value, "on_header_end": self._on_header_end,
            "on_headers_finished": self._on_headers_finished, "on_end": self._on_end,
        })
        reader = BodyReader(request, self.pace())
        total = 0
        try:
            try:
                while (chunk := await reader.next()) is not None:
                    total += len(chunk)
                    try:
                        parser.write(chunk)  # bounded: nothing past a part's limit is stored
                    except MultipartParseError:
                        if self._over is None:
                            raise BadMultipart("Corps multipart/form-data mal formé : vérifiez le client HTTP qui l'envoie.",
                                               "Malformed multipart/form-data body: check the HTTP client that "
                                               "sends it.") from None
                    if total > self.body_cap and self._over is None:
                        part = self._part if isinstance(self._part, ReceivedFile) else None
                        # One upload's file already over its limit is why its body is over the cap.
                        self._over = _Over(part if self.refuse_over_limit and part and part.size > part.limit else None,
                                           self.body_cap)
                    if self._over is not None:
                        raise self._over
                    await self._flush(FLUSH_BYTES)
                parser.finalize()
                if not self._ended:
                    raise BadMultipart("Corps multipart/form-data incomplet (délimiteur final absent) : renvoyez la requête "
                                       "entière.",
                                       "Incomplete multipart/form-data body (no closing boundary): send the whole "
                                       "request again.")
                await self._flush(0)
                for received in self.files:
                    await anyio.to_thread.run_sync(received.finish)
            except _Over as over:
                ended = await self._measure(reader, parser)
                if over.part is None:
                    raise BodyTooLarge(over.body_limit or self.body_cap, close=not ended) from None
                raise self.too_large(over.part, complete=self._refused_complete, declared=None,
                                     body_limit=over.body_limit, close=not ended) from None
            except (BadRequest, BadMultipart, UploadTimeout) as exc:
                exc.headers["Connection"] = "close"  # the rest of the body is not read
                raise
            except OSError as exc:
                log.error("cannot store upload", extra={"errno": exc.errno})
                raise Unavailable("stockage temporaire indisponible", 5, reason_en="temporary storage unavailable") from None
        except BaseException:  # includes ClientDisconnect and cancellation: nothing stays on disk
            for received in self.files:
                received.discard()
            raise
        return Received(files=self.files, fields=self.fields)

    @property
    def _refusing(self) -> bool:
        return self._over is not None

    async def _measure(self, reader: BodyReader, parser: MultipartParser) -> bool:
        """Read and drop up to ``drain_bytes`` more (at the upload's pace), still parsing so that the end
        of the refused file part is seen; True when the body ended within that budget."""
        if self.drain_bytes <= 0:
            return False
        parsing, seen = True, 0
        try:
            while (chunk := await reader.next()) is not None:
                seen += len(chunk)
                if seen > self.drain_bytes:
                    return False
                if parsing:
                    try:
                        parser.write(chunk)
                    except Exception:  # noqa: BLE001 - a malformed rest changes nothing: the answer is the 413
                        parsing = False
        except (ClientDisconnect, UploadTimeout):
            return False
        return True

    async def _flush(self, threshold: int) -> None:
        for received in self.files:
            if received.pending and received.pending >= threshold:
                await anyio.to_thread.run_sync(received.write, received.take())

