"""Cold start-up and pool recovery (issue 12, points 5 and 6).

1. A cold ``preuves check one.png`` (a white 1280×720 PNG) against a cold ``mediainfo --Output=JSON
   small.mp4`` (5 s of 1280×720 H.264), timed interleaved in one run (A, B, A, B …: the same machine
   load for both), each run a fresh process; the ratio of the means. Target: ≤ 12×. ``PYTHONDONTWRITEBYTECODE``
   is removed from the commands' environment: with it set, every start recompiles every module
   (nobody runs ``preuves`` that way), and the warm-up runs leave the ``.pyc`` files written. The bare
   interpreter (``python -c pass``) runs in the same rounds, as the floor; then the phases of one
   check (imports, engine, pool start, validation, pool stop, table) are timed inside fresh processes.
2. ``kill -9`` of the engine's fork server: time until a validation succeeds again, and until
   ``Engine.health()`` says ready again. Target: ≤ 5 s.

Both files are generated here (Pillow, ffmpeg); mediainfo is a Debian package. Standalone::

    python -m bench.startup [--runs N] [--baseline DIR] [--markdown bench/STARTUP.md]

``--baseline DIR``: the same ``preuves check`` from another checkout's code, in the same rounds (a
fourth command), for a before/after ratio measured under the same load. ``DIR`` holds that commit's
``validator_core``, ``plugins`` and ``api`` (``git archive <commit> validator_core plugins api | tar -x
-C DIR``); it is put ahead of this install on ``PYTHONPATH`` (the built-in plugins' names still come
from this install's entry points).

``section_startup(rep, runs)`` writes the same into ``bench/run.py``'s report.
"""

from __future__ import annotations

import argparse
import os
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

from fixtures import formats

ROOT = Path(__file__).resolve().parents[1]
TARGET_RATIO = 12.0
TARGET_RECOVERY_S = 5.0


def _files(directory: Path) -> tuple[Path, Path]:
    from PIL import Image

    png = directory / "one.png"
    Image.new("RGB", (1280, 720), "white").save(png)
    mp4 = formats.make_video(directory, "mp4", seconds=5, size="1280x720", name="small.mp4")
    return png, mp4


def _preuves() -> list[str]:
    script = Path(sys.executable).with_name("preuves")
    return [str(script)] if script.exists() else [sys.executable, "-m", "validator_core.cli"]


def _env(marker: str) -> dict[str, str]:
    """The caller's environment, without ``PREUVES_*`` (defaults, as a user runs it) nor ``PYTHONDONTWRITEBYTECODE``."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("PREUVES_") and k != "PYTHONDONTWRITEBYTECODE"}
    env["PREUVES_BENCH_MARK"] = marker  # inherited by every process the command starts
    return env


def cold_start(runs: int = 20, warmup: int = 3, baseline: Path | None = None) -> dict[str, object]:
    """``preuves check``, ``mediainfo`` and, as the floor, the bare interpreter, timed interleaved in one run.

    Each round starts every command once, in turn (A, B, C, A, B, C …), so that the machine's load falls
    on all of them alike. Returns each command line with its timings (s) and the ratio of the means of
    the first two; with ``baseline`` (another checkout's code, see the module's docstring), its
    ``preuves check`` as a fourth command of every round, and its ratio to ``mediainfo``.
    """
    if shutil.which("mediainfo") is None:
        raise RuntimeError("mediainfo (Debian package) is needed for the comparison")
    with tempfile.TemporaryDirectory(prefix="bench-startup-") as tmp:
        directory = Path(tmp)
        png, mp4 = _files(directory)
        marker = uuid.uuid4().hex
        commands = [[*_preuves(), "check", png.name], ["mediainfo", "--Output=JSON", mp4.name],
                    [sys.executable, "-c", "pass"]]
        env = _env(marker)
        envs = [env] * len(commands)
        if baseline is not None:
            commands.append(commands[0])
            envs.append({**env, "PYTHONPATH": os.pathsep.join(filter(None, (str(baseline.resolve()),
                                                                             env.get("PYTHONPATH"))))})
        times: list[list[float]] = [[] for _ in commands]
        for round_no in range(warmup + runs):
            for command, command_env, samples in zip(commands, envs, times):
                started = time.perf_counter()
                done = subprocess.run(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=command_env,
                                      cwd=directory, timeout=120)
                elapsed = time.perf_counter() - started
                if done.returncode not in (0, 1):  # 1: preuves' "a file is rejected"
                    raise RuntimeError(f"{command[0]} exited {done.returncode}: {done.stderr[-500:]!r}")
                if round_no >= warmup:
                    samples.append(elapsed)
        leftovers = _leftovers(marker)
        phases = breakdown(png, runs=max(3, runs // 3), env=env)
    ours, theirs, python = times[:3]
    result: dict[str, object] = {
        "commands": [" ".join(c) for c in commands[:3]],
        "preuves": ours, "mediainfo": theirs, "python": python,
        "ratio": statistics.fmean(ours) / statistics.fmean(theirs),
        "leftover_processes": leftovers,
        "phases": phases,
    }
    if baseline is not None:
        result["baseline"] = times[3]
        result["baseline_ratio"] = statistics.fmean(times[3]) / statistics.fmean(theirs)
    return result


# What ``preuves check one.png`` does, step by step as the CLI does it, timed inside a fresh process
# (the interpreter's teardown, which the command skips, is not a phase).
_PHASES_PROBE = """
import gc, sys, time
gc.disable()  # as the console script does (validator_core.console) until the workers are forked
marks = [time.perf_counter()]
import click
import validator_core.cli as cli
from validator_core import cli_support
marks.append(time.perf_counter())
registry = cli_support.load_registry()  # the CLI loads it before reading its command line
marks.append(time.perf_counter())
with click.Context(cli.main) as ctx:
    ctx.meta[cli_support.REGISTRY_KEY] = registry
    engine = cli_support.command_engine(None, files=1)
marks.append(time.perf_counter())
engine.start()
gc.enable()
marks.append(time.perf_counter())
report = engine.validate(sys.argv[1])
marks.append(time.perf_counter())
engine.close()
marks.append(time.perf_counter())
cli._print_reports([report], (sys.argv[1],), "fr")
marks.append(time.perf_counter())
sys.stderr.write("PHASES " + " ".join(f"{b - a:.6f}" for a, b in zip(marks, marks[1:])) + "\\n")
"""
PHASES = ("import de la CLI (click)",
          "registre des plugins : import du registre et des plugins, enregistrement (avant la lecture de la "
          "ligne de commande)",
          "`Engine()` : import du moteur (pipeline, isolation), réglages, règles",
          "démarrage du pool (fork d'un worker par isolation.forkpool, tâche témoin)",
          "`validate()` : détection et inspection dans le worker, sha256 ici",
          "arrêt du pool",
          "affichage du tableau (import de rich et rendu)")


def breakdown(png: Path, runs: int, env: dict[str, str]) -> list[list[float]]:
    """Per phase of :data:`PHASES`, its durations (s) over ``runs`` fresh processes."""
    samples: list[list[float]] = [[] for _ in PHASES]
    for run in range(runs + 1):  # the first run writes any stale .pyc: not counted
        done = subprocess.run([sys.executable, "-c", _PHASES_PROBE, png.name], capture_output=True, text=True,
                              env=env, cwd=png.parent, timeout=120)
        line = next((x for x in done.stderr.splitlines() if x.startswith("PHASES ")), None)
        if line is None:
            raise RuntimeError(f"phase probe failed: {done.stderr[-500:]}")
        if run == 0:
            continue
        for i, value in enumerate(line.split()[1:]):
            samples[i].append(float(value))
    return samples


def _leftovers(marker: str) -> int:
    """Processes started by the measured commands still running after they ended (none may outlive them)."""
    count = 0
    for pid in os.listdir("/proc"):
        if not pid.isdigit() or int(pid) == os.getpid():
            continue
        try:
            if marker.encode() in Path(f"/proc/{pid}/environ").read_bytes():
                count += 1
        except OSError:
            continue
    return count


def fork_server_recovery(runs: int = 5) -> dict[str, list[float]]:
    """kill -9 the fork server of a started engine; time to the first successful validation and to ready."""
    from validator_core import EngineUnavailable, Verdict
    from validator_core.engine import Engine
    from validator_core.registry import PluginConfig
    from validator_core.settings import CoreSettings

    first_ok: list[float] = []
    ready: list[float] = []
    with tempfile.TemporaryDirectory(prefix="bench-recovery-") as tmp:
        png = formats.make_image(Path(tmp), "PNG", size=(1280, 720), name="one.png")
        engine = Engine(CoreSettings(load_entrypoints=False, workers=2), plugin_config=PluginConfig(entrypoints=False))
        try:
            engine.start()
            for _ in range(runs):
                assert engine.validate(png, "screenshot").verdict != Verdict.REJECTED
                server_pid = engine.health().fork_server_pid
                os.kill(server_pid, signal.SIGKILL)
                killed = time.perf_counter()
                while True:
                    try:
                        report = engine.validate(png, "screenshot")
                    except EngineUnavailable:
                        if time.perf_counter() - killed > 60:
                            raise
                        time.sleep(0.05)
                        continue
                    if report.verdict == Verdict.REJECTED:
                        raise RuntimeError(f"wrong verdict after the kill: {report.codes}")
                    break
                first_ok.append(time.perf_counter() - killed)
                while not engine.health().ready:
                    time.sleep(0.01)
                ready.append(time.perf_counter() - killed)
                if engine.health().fork_server_pid == server_pid:
                    raise RuntimeError("the fork server was not replaced")
        finally:
            engine.close()
    return {"first_ok": first_ok, "ready": ready}


def _ms(samples: list[float]) -> str:
    return f"{statistics.median(samples) * 1000:.0f} ({min(samples) * 1000:.0f}–{max(samples) * 1000:.0f})"


def _mean(samples: list[float]) -> str:
    return f"{statistics.mean(samples) * 1000:.0f} ± {statistics.stdev(samples) * 1000:.0f}"


def section_startup(rep, runs: int = 15, baseline: Path | None = None) -> None:
    """For ``bench/run.py``: the two measurements as a section of ``bench/RESULTS.md``."""
    rep.h("Démarrage à froid et reprise après la mort du serveur de fork (ms)")
    cold = cold_start(max(5, runs), baseline=baseline)
    ours, theirs, python = cold["commands"]
    rows = [
        [f"`{ours}` (PNG blanc 1280×720)", _mean(cold["preuves"]), _ms(cold["preuves"])],
        [f"`{theirs}` (H.264 1280×720, 5 s)", _mean(cold["mediainfo"]), _ms(cold["mediainfo"])],
        [f"`{python}` (l'interpréteur seul, plancher)", _mean(cold["python"]), _ms(cold["python"])],
        ["rapport des moyennes preuves / mediainfo", f"{cold['ratio']:.1f}×", ""],
    ]
    if baseline is not None:
        rows += [[f"`{ours}`, code de `{baseline}` (avant, mêmes tours)", _mean(cold["baseline"]),
                  _ms(cold["baseline"])],
                 ["rapport des moyennes avant / mediainfo", f"{cold['baseline_ratio']:.1f}×", ""]]
    rows.append(["processus du moteur restés après les commandes", str(cold["leftover_processes"]), ""])
    rep.table(["commande (processus neuf, tours entrelacés)", "moyenne ± σ", "médiane (min–max)"], rows)
    rep.table(["où passe le temps de `preuves check` (dans le processus, après l'interpréteur)", "médiane (min–max)"],
              [[name, _ms(samples)] for name, samples in zip(PHASES, cold["phases"])])
    rep.target(f"`preuves check` à froid ≤ {TARGET_RATIO:g}× `mediainfo`", f"{cold['ratio']:.1f}×",
               cold["ratio"] <= TARGET_RATIO)
    recovery = fork_server_recovery(max(3, runs // 3))
    rep.table(["après `kill -9` du serveur de fork", "médiane (min–max)"], [
        ["première validation réussie", _ms(recovery["first_ok"])],
        ["`Engine.health().ready` de nouveau vrai", _ms(recovery["ready"])],
    ])
    worst = max(recovery["first_ok"])
    rep.target(f"validations de nouveau servies ≤ {TARGET_RECOVERY_S:g} s après `kill -9` du serveur de fork",
               f"{worst:.2f} s (pire cas)", worst <= TARGET_RECOVERY_S)


class _Print:
    """Prints each section as it is measured and keeps it as Markdown (``--markdown``)."""

    def __init__(self) -> None:
        self.lines: list[str] = []
        self.targets: list[tuple[str, str, bool | None]] = []

    def h(self, title: str) -> None:
        print(f"== {title}", flush=True)
        self.lines += ["", f"## {title}", ""]

    def table(self, header: list[str], rows: list[list[str]]) -> None:
        print("   " + " | ".join(header))
        self.lines += ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
        for row in rows:
            print("   " + " | ".join(row), flush=True)
            self.lines.append("| " + " | ".join(row) + " |")
        self.lines.append("")

    def target(self, name: str, value: str, met: bool | None) -> None:
        print(f"-> {name}: {value} ({'atteint' if met else 'non atteint'})", flush=True)
        self.targets.append((name, value, met))

    def markdown(self, command: str) -> str:
        from bench.measure import machine

        head = ["# Démarrage à froid (`python -m bench.startup`)", "",
                f"- Date : {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}", f"- Machine : {machine()}",
                f"- Commande : `{command}`",
                f"- Charge de la machine (moyenne sur 1 min, à la fin) : {os.getloadavg()[0]:.1f} ; priorité du run "
                f"(`nice`) : {os.nice(0)} (une priorité plus haute que celle des autres processus de la machine "
                "réduit leur bruit, pour toutes les commandes)", "",
                "Chaque tour lance chaque commande une fois, dans un processus neuf, l'une après l'autre (la "
                "même charge pour toutes) ; `PYTHONDONTWRITEBYTECODE` est retiré de leur environnement. La ligne "
                "« avant » (`--baseline`) exécute le code d'un autre commit avec l'installation de ce dépôt. Les "
                "phases sont mesurées ensuite, dans des processus neufs.", "",
                "| objectif | mesure | atteint |", "|---|---|---|",
                *(f"| {name} | {value} | {'oui' if met else 'non'} |" for name, value, met in self.targets)]
        return "\n".join([*head, *self.lines]) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument("--baseline", type=Path, metavar="DIR",
                        help="another checkout's validator_core, plugins and api, timed in the same rounds")
    parser.add_argument("--markdown", type=Path, metavar="FILE", help="also write the results there (bench/STARTUP.md)")
    args = parser.parse_args()
    rep = _Print()
    section_startup(rep, args.runs, args.baseline)
    if args.markdown:
        args.markdown.write_text(rep.markdown("python -m bench.startup " + " ".join(sys.argv[1:])), encoding="utf-8")


if __name__ == "__main__":
    main()
