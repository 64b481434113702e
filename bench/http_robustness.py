"""Issue 12, point 6: the HTTP service under hostile clients, on loopback.

1. **Crowd.** An ordinary upload (a 1280×720 PNG screenshot, a fresh connection each time) is timed
   on an idle service and under attack, interleaved (A, B, A, B… in one run, one server): the attack is
   ``--slow`` clients that send an upload one byte every 10 s (each with its own API key, so the
   per-caller share does not stop them: only "a validation place once the file is complete" and the
   minimum upload rate do) plus ``--idle`` TCP connections that never send a byte, all held at once
   by a separate process that reopens whatever the service closes. Target: median under attack
   ≤ 2 × median idle.
2. **Fork server kill.** ``kill -9`` of the engine's fork server, then uploads every 50 ms until one
   is answered 200 with the right verdict: the time from the kill. Target ≤ 5 s.
3. **Shutdown.** SIGTERM while ``--slow`` uploads trickle: the time until the process exits (bounded
   by ``PREUVES_SHUTDOWN_TIMEOUT_S``, 15 s, then the engine's own stop).

    python -m bench.http_robustness [--rounds 5] [--per-round 5] [--idle 10000] [--slow 32] [--kind png|log]
                                    [--markdown out.md]

Under attack the timed uploads are spread ``--spacing`` s apart (10 s: an attacked round lasts longer
than the first silent connections' deadline, 30–60 s, so the service is also closing idle sockets that
the attacker reopens, and the slow uploads reach their 30 s rate window: 408, reopened).

Exit status 1 when a target is missed.
"""

from __future__ import annotations

import argparse
import os
import resource
import selectors
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

import httpx

from bench.server import Server

RATIO_TARGET = 2.0
RECOVERY_TARGET_S = 5.0
VICTIM_KEY = "bench-victim-key"
SLOW_EVERY_S = 10.0
RECONNECT_AFTER_REFUSAL_S = 1.0


def _raise_nofile() -> int:
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < hard:
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    return resource.getrlimit(resource.RLIMIT_NOFILE)[0]


def _slow_keys(n: int) -> list[str]:
    return [f"bench-slow-key-{i:03d}" for i in range(n)]


# -- the attacker (a separate process: python -m bench.http_robustness --attack PORT IDLE SLOW) ---------
def _slow_head(port: int, key: str) -> bytes:
    boundary = "ab" + uuid.uuid4().hex
    return (f"POST /v1/validations HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nX-API-Key: {key}\r\n"
            f"Content-Type: multipart/form-data; boundary={boundary}\r\nContent-Length: 2000000\r\n\r\n"
            f"--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"slow.png\"\r\n"
            "Content-Type: image/png\r\n\r\n").encode()


def attack(port: int, idle: int, slow: int) -> None:
    """Hold ``idle`` silent connections and ``slow`` trickling uploads until stdin closes."""
    limit = _raise_nofile()
    if idle + slow + 64 > limit:
        idle = max(0, limit - slow - 64)
        print(f"note: descriptor limit {limit}: holding {idle} idle connections", file=sys.stderr, flush=True)
    selector = selectors.DefaultSelector()
    keys = _slow_keys(slow)
    state: dict[socket.socket, tuple[str, int]] = {}  # sock → ("idle" | "slow", index)
    next_byte: dict[socket.socket, float] = {}
    pending: list[tuple[float, str, int]] = []  # reconnect at, kind, index
    stats = {"reopened": 0, "refused": 0, "timed_out": 0}

    def open_one(kind: str, index: int) -> None:
        try:
            sock = socket.create_connection(("127.0.0.1", port), timeout=5)
        except OSError:
            pending.append((time.monotonic() + 0.5, kind, index))
            return
        if kind == "slow":
            sock.sendall(_slow_head(port, keys[index]))
            next_byte[sock] = time.monotonic() + SLOW_EVERY_S
        sock.setblocking(False)
        state[sock] = (kind, index)
        selector.register(sock, selectors.EVENT_READ)

    for i in range(slow):
        open_one("slow", i)
    for i in range(idle):
        open_one("idle", i)
    selector.register(sys.stdin, selectors.EVENT_READ)
    print("ready", flush=True)
    while True:
        for key, _ in selector.select(timeout=0.2):
            if key.fileobj is sys.stdin:
                if not sys.stdin.readline():
                    for sock in list(state):
                        sock.close()
                    print(f"stats {stats}", file=sys.stderr, flush=True)
                    return
                continue
            sock = key.fileobj  # type: ignore[assignment]
            try:
                data = sock.recv(65536)
            except (BlockingIOError, InterruptedError):
                continue
            except OSError:
                data = b""
            kind, index = state[sock]
            if data:
                if data.startswith(b"HTTP/1.1 429"):
                    stats["refused"] += 1
                elif data.startswith(b"HTTP/1.1 408"):
                    stats["timed_out"] += 1
                if kind == "slow":  # answered: this upload is over, start another one shortly
                    data = b""
            if not data:
                selector.unregister(sock)
                sock.close()
                del state[sock]
                next_byte.pop(sock, None)
                pending.append((time.monotonic() + (RECONNECT_AFTER_REFUSAL_S if kind == "slow" else 0), kind, index))
        now = time.monotonic()
        for sock, when in list(next_byte.items()):
            if now >= when:
                try:
                    sock.send(b"\x89")
                except OSError:
                    pass
                next_byte[sock] = when + SLOW_EVERY_S
        due = [p for p in pending if p[0] <= now]
        pending[:] = [p for p in pending if p[0] > now]
        for _, kind, index in due:
            stats["reopened"] += 1
            open_one(kind, index)


class Attack:
    def __init__(self, port: int, idle: int, slow: int) -> None:
        self.proc = subprocess.Popen([sys.executable, "-m", "bench.http_robustness", "--attack", str(port), str(idle),
                                      str(slow)], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
                                     cwd=Path(__file__).resolve().parents[1])
        line = self.proc.stdout.readline() if self.proc.stdout else ""
        if line.strip() != "ready":
            self.stop()
            raise RuntimeError(f"the attacker did not start: {line!r}")

    def stop(self) -> None:
        if self.proc.stdin:
            self.proc.stdin.close()
        try:
            self.proc.wait(30)
        except subprocess.TimeoutExpired:
            self.proc.kill()


# -- measurements ---------------------------------------------------------------------------------------
ORDINARY = {"png": ("screenshot", "capture.png"), "log": ("logs", "app.log")}
KIND = "png"


def _post(url: str, data: bytes) -> httpx.Response:
    proof_type, name = ORDINARY[KIND]
    with httpx.Client(timeout=120) as client:  # a fresh connection: it must get through the crowd
        return client.post(url + "/v1/validations", headers={"X-API-Key": VICTIM_KEY},
                           data={"proof_type": proof_type}, files={"file": (name, data)})


def _upload(url: str, data: bytes) -> float:
    started = time.perf_counter()
    response = _post(url, data)
    elapsed = time.perf_counter() - started
    if response.status_code != 200 or response.json()["verdict"] not in ("accepted", "accepted_with_warnings"):
        raise RuntimeError(f"ordinary upload answered {response.status_code}: {response.text[:300]}")
    return elapsed


def crowd(server: Server, data: bytes, rounds: int, per_round: int, idle: int, slow: int, spacing: float) -> dict:
    for _ in range(3):  # warm the workers
        _upload(server.base, data)
    quiet, attacked = [], []
    for r in range(rounds):
        quiet += [_upload(server.base, data) for _ in range(per_round)]
        attack_ = Attack(server.port, idle, slow)
        try:
            _wait_accepted(server.pid, idle)
            for i in range(per_round):
                if i:  # spread over the silent deadline: the service closes idle sockets, they come back
                    time.sleep(spacing)
                attacked.append(_upload(server.base, data))
            open_fds = len(os.listdir(f"/proc/{server.pid}/fd"))
        finally:
            attack_.stop()
        time.sleep(1.0)
        print(f"round {r + 1}/{rounds}: idle {statistics.median(quiet[-per_round:]) * 1000:.1f} ms, "
              f"attacked {statistics.median(attacked[-per_round:]) * 1000:.1f} ms, server fds {open_fds}", flush=True)
    ratio = statistics.median(attacked) / statistics.median(quiet)
    return {"idle_ms": statistics.median(quiet) * 1000, "attacked_ms": statistics.median(attacked) * 1000,
            "attacked_max_ms": max(attacked) * 1000, "ratio": ratio, "server_fds": open_fds}


def _wait_accepted(pid: int, idle: int, timeout: float = 60) -> None:
    """Until the service holds the crowd (its descriptors count them): the attack is in place, not arriving."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and len(os.listdir(f"/proc/{pid}/fd")) < idle:
        time.sleep(0.2)
    time.sleep(1.0)


def _fork_server(pid: int) -> int:
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            ppid = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            cmd = (entry / "cmdline").read_bytes()
        except OSError:
            continue
        if ppid == pid and b"multiprocessing.forkserver" in cmd:
            return int(entry.name)
    raise RuntimeError("no fork server among the service's children")


def recovery(server: Server, data: bytes, times: int) -> list[float]:
    out = []
    for _ in range(times):
        _upload(server.base, data)
        os.kill(_fork_server(server.pid), signal.SIGKILL)
        killed = time.perf_counter()
        while True:
            response = _post(server.base, data)
            if response.status_code == 200:
                if response.json()["verdict"] not in ("accepted", "accepted_with_warnings"):
                    raise RuntimeError(f"wrong verdict after the kill: {response.text[:300]}")
                break
            if response.status_code != 503 or time.perf_counter() - killed > 60:
                raise RuntimeError(f"after the kill: {response.status_code} {response.text[:300]}")
            time.sleep(0.05)
        out.append(time.perf_counter() - killed)
        print(f"fork server kill -9: validations back after {out[-1]:.2f} s", flush=True)
        time.sleep(1.0)
    return out


def shutdown(folder: Path, slow: int) -> float:
    """Seconds from SIGTERM to exit with ``slow`` uploads trickling (defaults: 15 s graceful timeout)."""
    keys = ",".join([VICTIM_KEY, *_slow_keys(slow)])
    server = Server(folder / "uploads-stop", PREUVES_API_KEYS=keys, PREUVES_WORKERS="2")
    with server:
        attack_ = Attack(server.port, 0, slow)
        try:
            deadline = time.monotonic() + 30
            while time.monotonic() < deadline and len(list((folder / "uploads-stop").rglob("up-*"))) < slow:
                time.sleep(0.2)
            assert server.proc is not None
            started = time.perf_counter()
            server.proc.send_signal(signal.SIGTERM)
            server.proc.wait(120)
            elapsed = time.perf_counter() - started
        finally:
            attack_.stop()
    print(f"SIGTERM with {slow} slow uploads: exited after {elapsed:.1f} s", flush=True)
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--per-round", type=int, default=5)
    parser.add_argument("--idle", type=int, default=10_000)
    parser.add_argument("--slow", type=int, default=32)
    parser.add_argument("--kills", type=int, default=3)
    parser.add_argument("--spacing", type=float, default=10.0, help="seconds between the uploads timed under attack")
    parser.add_argument("--kind", choices=sorted(ORDINARY), default="png",
                        help="the ordinary upload: a 1280×720 PNG screenshot (default) or a 1 kB log")
    parser.add_argument("--markdown", type=Path)
    parser.add_argument("--attack", nargs=3, type=int, metavar=("PORT", "IDLE", "SLOW"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.attack:
        attack(*args.attack)
        return

    from fixtures.media import make_picture

    global KIND
    KIND = args.kind
    with tempfile.TemporaryDirectory(prefix="bench-http-robust-") as folder:
        if KIND == "png":
            data = make_picture(Path(folder), "capture.png", size=(1280, 720)).read_bytes()
        else:
            data = b"2026-01-05 10:00:00 INFO connexion au service DMP\n" * 20
        keys = ",".join([VICTIM_KEY, *_slow_keys(args.slow)])
        with Server(Path(folder) / "uploads", PREUVES_API_KEYS=keys, PREUVES_WORKERS="2") as server:
            crowd_row = crowd(server, data, args.rounds, args.per_round, args.idle, args.slow,
                              args.spacing)
            kills = recovery(server, data, args.kills)
        stop_s = shutdown(Path(folder), args.slow)
    ok = crowd_row["ratio"] <= RATIO_TARGET and max(kills) <= RECOVERY_TARGET_S
    lines = [
        "| mesure | valeur | cible |",
        "|---|---|---|",
        f"| envoi ordinaire ({'PNG 1280×720' if KIND == 'png' else 'journal de 1 ko'}), service au repos | {crowd_row['idle_ms']:.1f} ms (médiane) | — |",
        f"| même envoi sous {args.slow} clients lents + {args.idle} connexions inactives | "
        f"{crowd_row['attacked_ms']:.1f} ms (médiane), max {crowd_row['attacked_max_ms']:.1f} ms | — |",
        f"| rapport attaque / repos | {crowd_row['ratio']:.2f} | ≤ {RATIO_TARGET:g} |",
        f"| validations de nouveau servies après `kill -9` du fork server | "
        f"{statistics.median(kills):.2f} s (médiane de {len(kills)}), max {max(kills):.2f} s | ≤ {RECOVERY_TARGET_S:g} s |",
        f"| arrêt (SIGTERM) avec {args.slow} envois lents en cours | {stop_s:.1f} s | ≤ 15 s (+ arrêt du moteur) |",
    ]
    print("\n".join(lines))
    if args.markdown:
        args.markdown.write_text("\n".join(lines) + "\n", encoding="utf-8")
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
