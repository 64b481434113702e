"""Service settings: the engine's ``PREUVES_*`` settings plus the HTTP ones.

Every field is ``PREUVES_<NAME>`` in the environment and is documented for operators in
``docs/http.md``. ``get_settings()`` is cached: one settings object per process. Read and checked
like :class:`~validator_core.settings.CoreSettings` (a checked dataclass): a bad value is a
``ValueError`` naming its variable.
"""

from __future__ import annotations

import ipaddress
import os
import resource
import tempfile
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Annotated, Literal

from pydantic import SecretStr

from validator_core.checked import Check, FieldError
from validator_core.settings import CoreSettings

# Room for the multipart framing around one file: boundaries, part headers (name, filename,
# content type) and the small ``proof_type`` / ``lang`` fields. 64 KiB is far more than a browser sends.
MULTIPART_OVERHEAD_BYTES = 64 * 1024
# Idle connections cost ~10 kB each in the server; past this many, the oldest idle ones are closed.
DEFAULT_MAX_CONNECTIONS = 16_384


@dataclass(slots=True, init=False)
class ApiSettings(CoreSettings):
    """HTTP service settings (``api/``), on top of :class:`~validator_core.settings.CoreSettings`."""

    host: Annotated[str, Check(
        description="Adresse d'écoute (127.0.0.1 tant qu'aucune clé n'est définie)",
    )] = "127.0.0.1"
    port: Annotated[int, Check(ge=0, le=65535, description="Port d'écoute")] = 8000
    http_workers: Annotated[int, Check(ge=1, description="Processus du service HTTP (preuves serve --workers)")] = 1
    api_keys: Annotated[list[SecretStr], Check(
        split=",",
        description="Clés d'API acceptées (séparées par des virgules, plusieurs pour la rotation) ; vide = pas d'authentification",
    )] = field(default_factory=list)
    allow_anonymous: Annotated[bool, Check(
        description="Sans clé d'API, accepter d'écouter ailleurs que sur la boucle locale",
    )] = False
    max_body_bytes: Annotated[int | None, Check(
        gt=0,
        description="Plafond du corps d'une requête POST /v1/validations (défaut : plus grande limite de type + 64 Kio)",
    )] = None
    batch_max_files: Annotated[int, Check(ge=1, description="Fichiers au plus par requête de lot")] = 20
    batch_max_body_bytes: Annotated[int | None, Check(
        gt=0,
        description="Plafond du corps d'une requête de lot (défaut : 4 × max_body_bytes)",
    )] = None
    dossier_max_files: Annotated[int, Check(
        ge=1, le=250,  # le: the multipart parser stops at 256 parts (api/upload.py MAX_PARTS)
        description="Fichiers au plus par requête POST /v1/dossiers",
    )] = 100
    dossier_max_body_bytes: Annotated[int | None, Check(
        gt=0,
        description="Plafond du corps d'une requête de dossier (défaut : 4 × max_body_bytes)",
    )] = None
    rate_limit_per_min: Annotated[int, Check(
        ge=0,
        description="Requêtes /v1/* par minute et par appelant (clé d'API, sinon adresse IP), par processus — ou pour tout le "
                    "service quand PREUVES_JOBS_BROKER désigne Redis ; 0 = pas de limite",
    )] = 600
    rate_limit_burst: Annotated[int | None, Check(
        ge=1,
        description="Requêtes d'affilée permises au-delà du débit (défaut : rate_limit_per_min / 10, au moins 1)",
    )] = None
    drain_bytes: Annotated[int, Check(
        ge=0,
        description="Octets encore lus (et jetés) après le dépassement du plafond, pour que le client reçoive le 413",
    )] = 8_000_000
    max_in_flight: Annotated[int, Check(
        ge=1,
        description="Requêtes en cours de vérification simultanées par processus (place prise une fois le corps reçu "
                    "en entier) ; au-delà : 429",
    )] = 32
    max_receiving: Annotated[int | None, Check(
        ge=1,
        description="Envois en cours de réception simultanés par processus (défaut : 4 × max_in_flight) ; au-delà : 429",
    )] = None
    max_in_flight_per_caller: Annotated[int | None, Check(
        ge=1,
        description="Requêtes de validation en cours (réception + vérification) par appelant (clé d'API, sinon adresse) "
                    "(défaut : max_in_flight / 4, au moins 1) ; au-delà : 429 rate_limit.in_flight",
    )] = None
    retry_after_s: Annotated[int, Check(
        ge=1,
        description="Valeur de l'en-tête Retry-After des réponses 429/503 (secondes)",
    )] = 5
    header_timeout_s: Annotated[float, Check(
        gt=0,
        description="Délai pour recevoir une ligne de requête et des en-têtes complets, depuis leur premier octet "
                    "(secondes) ; au-delà : 408 et fermeture",
    )] = 10.0
    idle_connection_timeout_s: Annotated[float, Check(
        gt=0,
        description="Délai après lequel une connexion qui n'a envoyé aucun octet de requête est fermée (secondes)",
    )] = 60.0
    body_idle_timeout_s: Annotated[float, Check(
        gt=0,
        description="Délai maximal sans aucun octet du corps d'un envoi (secondes) ; au-delà : 408",
    )] = 15.0
    min_upload_rate_bytes: Annotated[int, Check(
        ge=0,
        description="Débit minimal d'un envoi (octets par seconde), mesuré sur upload_rate_window_s ; 0 = pas de minimum",
    )] = 10_000
    upload_rate_window_s: Annotated[float, Check(
        ge=1,
        description="Fenêtre de mesure du débit minimal d'un envoi (secondes)",
    )] = 30.0
    keep_alive_s: Annotated[int, Check(
        ge=1,
        description="Délai d'inactivité d'une connexion entre deux requêtes (secondes)",
    )] = 5
    shutdown_timeout_s: Annotated[int, Check(
        ge=1,
        description="Attente maximale des requêtes en cours à l'arrêt (SIGTERM) avant de les interrompre (secondes)",
    )] = 15
    max_connections: Annotated[int | None, Check(
        ge=16,
        description="Connexions ouvertes au plus par processus (défaut : selon la limite de descripteurs, au plus 16 384) ; "
                    "au-delà, les connexions inactives les plus anciennes sont fermées",
    )] = None
    backlog: Annotated[int, Check(ge=16, description="File d'attente des connexions du noyau (listen backlog)")] = 2048
    trusted_proxies: Annotated[list[str], Check(
        split=",",
        description="Mandataires (adresses ou réseaux CIDR, séparés par des virgules) dont l'en-tête X-Forwarded-For "
                    "est cru ; vide = l'adresse de la connexion est l'appelant",
    )] = field(default_factory=list)
    tmp_dir: Annotated[Path | None, Check(
        description="Répertoire des fichiers temporaires de réception (défaut : <tmp système>/segur-preuves)",
    )] = None
    data_dir: Annotated[Path | None, Check(
        description="Répertoire des données du service : file des travaux (jobs.sqlite3) et fichiers déposés "
                    "(défaut : $XDG_DATA_HOME/segur-preuves, sinon ~/.local/share/segur-preuves)",
    )] = None
    jobs_max_files: Annotated[int, Check(
        ge=1, le=250,  # le: the multipart parser stops at 256 parts (api/upload.py MAX_PARTS)
        description="Fichiers au plus par travail (POST /v1/jobs)",
    )] = 250
    jobs_max_body_bytes: Annotated[int | None, Check(
        gt=0,
        description="Plafond du corps d'une requête POST /v1/jobs (défaut : 20 × max_body_bytes)",
    )] = None
    jobs_runners: Annotated[int, Check(
        ge=1,
        description="Travaux exécutés à la fois par processus du service (file intégrée)",
    )] = 2
    jobs_ttl_s: Annotated[int, Check(
        ge=1,
        description="Durée de conservation d'un travail terminé et de son résultat (secondes)",
    )] = 86_400
    jobs_broker: Annotated[str | None, Check(
        description="redis://… : les travaux passent par Celery (Redis courtier et stockage des résultats) et sont "
                    "exécutés par `preuves worker` ; vide = file intégrée au service",
    )] = None
    jobs_visibility_timeout_s: Annotated[int, Check(
        ge=1,
        description="Mode distribué : délai après lequel un travail pris par un worker disparu est redonné à un autre "
                    "(secondes ; plus long que le plus long travail)",
    )] = 7200
    worker_metrics_port: Annotated[int | None, Check(
        ge=1, le=65535,
        description="Port où `preuves worker` expose ses métriques Prometheus (durées et issues des travaux qu'il "
                    "exécute) ; vide = pas d'exposition",
    )] = None
    storage: Annotated[str | None, Check(
        description="Où attendent les fichiers des travaux : un répertoire partagé par les workers (/chemin) ; "
                    "défaut : <data_dir>/staged",
    )] = None
    callback_hosts: Annotated[list[str], Check(
        split=",",
        description="Hôtes (nom[:port]) auxquels un callback_url peut s'adresser, séparés par des virgules ; "
                    "vide = aucun callback accepté",
    )] = field(default_factory=list)
    callback_secret: Annotated[SecretStr | None, Check(
        description="Clé HMAC-SHA256 de la signature X-Preuves-Signature des callbacks (obligatoire pour "
                    "accepter un callback_url)",
    )] = None
    callback_attempts: Annotated[int, Check(ge=1, description="Essais d'envoi d'un callback avant abandon")] = 5
    callback_backoff_s: Annotated[float, Check(
        gt=0,
        description="Attente avant le 2e essai d'un callback (doublée à chaque essai suivant, secondes)",
    )] = 2.0
    callback_timeout_s: Annotated[float, Check(gt=0, description="Délai d'un essai de callback (secondes)")] = 10.0
    cors_origins: Annotated[list[str], Check(
        split=",",
        description="Origines autorisées en CORS (le portail), séparées par des virgules ; vide = pas de CORS",
    )] = field(default_factory=list)
    bench_routes: Annotated[bool, Check(
        description="Active POST /v1/bench/receive (réception seule, pour les mesures)",
    )] = False
    log_level: Annotated[Literal["debug", "info", "warning", "error"], Check(
        description="Niveau des journaux",
    )] = "info"
    log_json: Annotated[bool | None, Check(
        description="Journaux en JSON (une ligne par événement) ; 0 = texte lisible ; non défini : texte sur un "
                    "terminal, JSON sinon",
    )] = None

    def _check(self) -> None:
        for item in self.trusted_proxies:
            try:
                ipaddress.ip_network(item, strict=False)  # the error names the bad entry at start-up
            except ValueError as exc:
                raise FieldError("trusted_proxies", str(exc)) from None
        self.api_keys = [key for key in self.api_keys if key.get_secret_value()]

    # -- derived ----------------------------------------------------------------------------
    @property
    def auth_enabled(self) -> bool:
        return bool(self.api_keys)

    def body_cap(self, largest_type_limit: int) -> int:
        """The cap of one upload request's body: over it, 413."""
        return self.max_body_bytes or largest_type_limit + MULTIPART_OVERHEAD_BYTES

    def batch_body_cap(self, largest_type_limit: int) -> int:
        return self.batch_max_body_bytes or 4 * self.body_cap(largest_type_limit)

    def dossier_body_cap(self, largest_type_limit: int) -> int:
        return self.dossier_max_body_bytes or 4 * self.body_cap(largest_type_limit)

    @property
    def rate_limit_capacity(self) -> int:
        """The token bucket's size: how many requests a caller may send at once after a pause."""
        return self.rate_limit_burst or max(1, self.rate_limit_per_min // 10)

    @property
    def receiving_limit(self) -> int:
        return self.max_receiving or 4 * self.max_in_flight

    @property
    def per_caller_limit(self) -> int:
        return self.max_in_flight_per_caller or max(1, self.max_in_flight // 4)

    def connection_limit(self) -> int:
        """Open connections per process: what the file-descriptor limit leaves room for, at most 16,384.

        Room is kept for what each request opens besides its socket (temp files, pipes to the workers)
        so that ``accept()`` never meets EMFILE.
        """
        if self.max_connections:
            return self.max_connections
        soft, _hard = resource.getrlimit(resource.RLIMIT_NOFILE)
        if soft == resource.RLIM_INFINITY:
            soft = DEFAULT_MAX_CONNECTIONS * 2
        reserve = max(256, soft // 8, 4 * self.receiving_limit)
        return max(16, min(DEFAULT_MAX_CONNECTIONS, soft - reserve))

    def upload_dir(self) -> Path:
        return self.tmp_dir or Path(tempfile.gettempdir()) / "segur-preuves"

    def data_path(self) -> Path:
        """Where the service keeps what must outlive a restart (the job store, staged files)."""
        if self.data_dir:
            return self.data_dir
        base = os.environ.get("XDG_DATA_HOME") or Path.home() / ".local" / "share"
        return Path(base) / "segur-preuves"

    def storage_path(self) -> Path:
        return Path(self.storage) if self.storage else self.data_path() / "staged"

    def jobs_body_cap(self, largest_type_limit: int) -> int:
        return self.jobs_max_body_bytes or 20 * self.body_cap(largest_type_limit)

    def listen_host(self, host: str | None = None) -> tuple[str, str | None]:
        """The address to bind, and a warning to log when it differs from the one asked for.

        Without API keys the service is open to anyone who reaches it: it binds the loopback only,
        unless ``PREUVES_ALLOW_ANONYMOUS=1`` says the operator wants that (e.g. behind a gateway that
        authenticates).
        """
        wanted = host or self.host
        if self.auth_enabled or self.allow_anonymous or is_loopback(wanted):
            return wanted, None
        return "127.0.0.1", (  # a log line: in English like the service's other logs
            f"no API key (PREUVES_API_KEYS): listening on 127.0.0.1 only instead of {wanted}; "
            "set PREUVES_API_KEYS, or PREUVES_ALLOW_ANONYMOUS=1 to listen without authentication"
        )


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


@lru_cache(maxsize=1)
def get_settings() -> ApiSettings:
    return ApiSettings()
