"""The engine never gives a verdict on its own account (issue 12: points 1, 2, 6 and 9).

* The README's library example works as a two-line script, on stdin, with ``python -c`` and ``-m``:
  workers never import the caller's ``__main__``; nothing is left running; nothing on stderr.
* An engine that cannot run (workers that cannot start) raises ``EngineUnavailable``; the CLI exits 2.
  A worker that dies on a file is still ``check.crashed``.
* ``kill -9`` of the fork server: the pool rebuilds itself and verdicts stay right.
* Workers: a CPU limit per task, a private TMPDIR removed with the worker, their own process group,
  death with the engine.
* Devices, FIFOs, sockets and kernel pseudo-files are refused before anything reads them.
"""

from __future__ import annotations

import fcntl
import json
import os
import re
import signal
import socket
import subprocess
import sys
import tempfile
import textwrap
import time
import uuid
from pathlib import Path

import pytest

from fixtures import formats
from validator_core import Engine, EngineHealth, EngineUnavailable, Severity, Verdict
from validator_core.isolation import POOL_DIR_PREFIX, WorkerPool, sweep_stale_pool_dirs
from validator_core.messages import NOT_REGULAR_KINDS
from validator_core.registry import PluginConfig
from validator_core.settings import CoreSettings

ROOT = Path(__file__).resolve().parents[1]
PLUGIN = "fixtures.reliability_core_plugin"
PLUGIN_NAME = "reliability_core_plugin"
pytestmark = pytest.mark.timeout(240)


def _env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PREUVES_")}
    env.update({"PREUVES_LOAD_ENTRYPOINTS": "0", "PYTHONPATH": str(ROOT), **extra})
    return env


def _processes_with(marker: str) -> list[int]:
    """Live processes (not zombies) whose environment holds ``marker``."""
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit() or int(entry) == os.getpid():
            continue
        try:
            if marker.encode() not in Path(f"/proc/{entry}/environ").read_bytes():
                continue
            state = Path(f"/proc/{entry}/stat").read_text().rsplit(")", 1)[1].split()[0]
        except OSError:
            continue
        if state != "Z":
            found.append(int(entry))
    return found


def _gone(pids, within_s: float = 15.0) -> bool:
    """Wait (bounded) until none of ``pids`` runs any more."""
    deadline = time.monotonic() + within_s
    while time.monotonic() < deadline:
        alive = [p for p in pids if _running(p)]
        if not alive:
            return True
        time.sleep(0.05)
    return False


def _running(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


# =================================================================================================
# 1. The README's library example, as a new user pastes it
# =================================================================================================
def _readme_library_example() -> str:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    section = text.split("## Bibliothèque", 1)[1]
    return re.search(r"```python\n(.*?)```", section, re.S).group(1)


TWO_LINES = 'from validator_core import validate\nprint(validate("demo.mp4", "video").verdict.value)\n'


@pytest.fixture(scope="module")
def demo_dir(tmp_path_factory) -> Path:
    if not formats.have_ffmpeg():
        pytest.skip("ffmpeg is needed for a real video")
    d = tmp_path_factory.mktemp("readme")
    formats.make_video(d, "mp4", seconds=3, name="demo.mp4")
    return d


def _run_example(demo_dir: Path, how: str, code: str) -> subprocess.CompletedProcess:
    marker = f"PREUVES_TEST_MARK={uuid.uuid4().hex}"
    env = _env(PREUVES_TEST_MARK=marker.split("=", 1)[1])
    python = [sys.executable]
    if how == "script":
        script = demo_dir / "exemple.py"
        script.write_text(code, encoding="utf-8")
        args, stdin = [*python, str(script)], None
    elif how == "stdin":
        args, stdin = [*python, "-"], code
    elif how == "-c":
        args, stdin = [*python, "-c", code], None
    else:  # "-m": the main module has a name (init_main_from_name)
        (demo_dir / "exemple_mod.py").write_text(code, encoding="utf-8")
        args, stdin = [*python, "-m", "exemple_mod"], None
        env["PYTHONPATH"] = f"{demo_dir}{os.pathsep}{env['PYTHONPATH']}"
    done = subprocess.run(args, input=stdin, capture_output=True, text=True, cwd=demo_dir, env=env, timeout=120)
    # Nothing it started outlives it: fork server, workers, resource tracker.
    assert _gone(_processes_with(marker)), "processes left behind by the example"
    return done


@pytest.mark.parametrize("how", ["script", "stdin", "-c", "-m"])
def test_readme_example_unchanged_runs_without_a_main_guard(demo_dir, how):
    code = _readme_library_example()
    assert 'validate("demo.mp4", "video")' in code and "__main__" not in code
    done = _run_example(demo_dir, how, code)
    assert done.returncode == 0, done.stderr
    assert done.stderr == ""
    assert done.stdout == ""  # the example prints findings only when the video is rejected


@pytest.mark.parametrize("how", ["script", "stdin", "-c", "-m"])
def test_two_line_script_says_accepted(demo_dir, how):
    done = _run_example(demo_dir, how, TWO_LINES)
    assert (done.returncode, done.stdout, done.stderr) == (0, "accepted\n", "")


def test_a_plugins_folder_in_the_current_directory_does_not_replace_ours(demo_dir, tmp_path):
    """The fork server imports with the caller's sys.path, not ``python -c``'s current directory."""
    shadow = tmp_path / "projet"
    (shadow / "plugins").mkdir(parents=True)
    (shadow / "plugins" / "__init__.py").write_text('raise SystemExit("wrong plugins package")\n')
    (shadow / "demo.mp4").write_bytes((demo_dir / "demo.mp4").read_bytes())
    script = tmp_path / "scripts" / "verifier.py"
    script.parent.mkdir()
    script.write_text(TWO_LINES)
    done = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, cwd=shadow, env=_env(),
                          timeout=120)
    assert (done.returncode, done.stdout, done.stderr) == (0, "accepted\n", "")


# =================================================================================================
# 2. Engine failures are not verdicts
# =================================================================================================
@pytest.fixture
def log_file(tmp_path):
    def make(text: str, name: str = "journal.log") -> Path:
        path = tmp_path / name
        path.write_text(text)
        return path

    return make


@pytest.mark.parametrize("start", ["forkserver", "fork"])
def test_workers_that_cannot_start_raise_engine_unavailable(start, log_file, monkeypatch):
    if start == "forkserver":
        # 64 MB of address space: a fresh worker cannot even load its parsers (libmagic's database, plugins).
        memory_mb = 64
    else:
        # A forked worker's cap counts only what it maps beyond its parent's address space: here its
        # libmagic has no database instead (MAGIC names a missing one), as after a broken package upgrade.
        memory_mb = 2048
        monkeypatch.setenv("MAGIC", "/nonexistent/magic.mgc")
    engine = Engine(CoreSettings(worker_memory_mb=memory_mb, worker_start=start, workers=2, load_entrypoints=False,
                                 check_timeout_s=10), plugin_config=PluginConfig(entrypoints=False))
    try:
        with pytest.raises(EngineUnavailable) as info:
            engine.validate(log_file("une ligne\n"), "logs")
        assert info.value.code == "engine.unavailable"
        assert "n'a pas été examiné" in info.value.message and info.value.retry_after_s > 0
        health = engine.health()
        assert isinstance(health, EngineHealth) and health.alive is False and health.ready is False
        with pytest.raises(EngineUnavailable):  # down: answered at once, not after another rebuild
            engine.validate(log_file("une autre\n", "b.log"), "logs")
    finally:
        engine.close()


def test_cli_exits_2_with_a_french_message_when_the_engine_is_unavailable(tmp_path):
    path = tmp_path / "journal.log"
    path.write_text("une ligne\n")
    done = subprocess.run([sys.executable, "-m", "validator_core.cli", "check", "--json", str(path)],
                          capture_output=True, text=True, timeout=120, cwd=ROOT,
                          env=_env(MAGIC="/nonexistent/magic.mgc", PREUVES_WORKERS="1"))  # libmagic without its database
    assert done.returncode == 2
    assert done.stdout == ""  # no report: the file was not examined
    assert "moteur de validation est momentanément indisponible" in done.stderr


@pytest.fixture(scope="module", params=["forkserver", "fork"])
def probe_engine(request):
    """Both start methods: pebble with the fork server's workers, and the ForkPool of plain forks."""
    engine = Engine(CoreSettings(workers=2, load_entrypoints=False, check_timeout_s=4, worker_start=request.param),
                    plugin_config=PluginConfig(allow=(PLUGIN_NAME,), extra=(PLUGIN,), entrypoints=False))
    engine.start()
    yield engine
    engine.close()


def _probe(report) -> dict:
    return report.facts["reliability_core_plugin"]


def test_a_worker_killed_on_a_file_is_check_crashed_and_the_next_file_is_fine(probe_engine, log_file):
    report = probe_engine.validate(log_file("SIGKILL\n"), "logs")
    crash = [f for f in report.findings if f.code == "check.crashed"]
    assert [f.details for f in crash] == [{"check": "reliability_core_plugin", "reason": "SIGKILL"}]
    assert report.verdict == Verdict.REJECTED
    after = probe_engine.validate(log_file("rien\n", "b.log"), "logs")
    assert after.verdict == Verdict.ACCEPTED and "pid" in _probe(after)


def test_a_missing_module_is_the_engine_s_failure_not_the_file_s(probe_engine, log_file):
    with pytest.raises(EngineUnavailable) as info:
        probe_engine.validate(log_file("IMPORT\n"), "logs")
    assert "ModuleNotFoundError" in info.value.reason
    assert probe_engine.validate(log_file("rien\n", "b.log"), "logs").verdict == Verdict.ACCEPTED


# =================================================================================================
# 6. The pool rebuilds itself; workers are bounded and leave nothing behind
# =================================================================================================
def test_kill_9_of_the_fork_server_never_changes_a_verdict(log_file):
    engine = Engine(CoreSettings(workers=2, load_entrypoints=False, check_timeout_s=20),
                    plugin_config=PluginConfig(allow=(PLUGIN_NAME,), extra=(PLUGIN,), entrypoints=False))
    try:
        engine.start()
        first = engine.health()
        assert first.alive and first.fork_server_alive and first.fork_server_pid
        for round_ in range(3):
            server = engine.health().fork_server_pid
            # A file being checked while the fork server dies (its worker dies with it) …
            from concurrent.futures import ThreadPoolExecutor

            with ThreadPoolExecutor(1) as pool:
                slow = pool.submit(engine.validate, log_file("SLEEP 1\n", f"slow{round_}.log"), "logs")
                time.sleep(0.3)
                os.kill(server, signal.SIGKILL)
                # … and files sent right after: all are answered, none rejected for the engine's sake.
                quick = engine.validate(log_file("rien\n", f"quick{round_}.log"), "logs")
                assert slow.result().verdict == Verdict.ACCEPTED, slow.result().codes
            assert quick.verdict == Verdict.ACCEPTED, quick.codes
            deadline = time.monotonic() + 30
            while not (engine.health().ready and engine.health().fork_server_pid not in (None, server)):
                assert time.monotonic() < deadline, engine.health()
                time.sleep(0.05)
            assert engine.health().fork_server_alive is True and engine.health().alive
            assert not _running(server)
        assert engine.health().rebuilds >= 1
    finally:
        engine.close()


def test_health_is_typed_and_follows_the_pool(log_file):
    engine = Engine(CoreSettings(workers=1, load_entrypoints=False), plugin_config=PluginConfig(allow=(), entrypoints=False))
    before = engine.health()
    assert (before.started, before.ready, before.alive, before.workers) == (False, False, True, 1)
    engine.validate(log_file("rien\n"), "logs")
    running = engine.health()
    assert running.started and running.ready and running.workers_alive == 1
    assert running.start_method == "forkserver" and running.fork_server_alive is True
    engine.close()
    after = engine.health()
    assert after.started is False and after.fork_server_pid is None and not _running(running.fork_server_pid)
    inline = Engine(CoreSettings(isolation="inline", load_entrypoints=False), plugin_config=PluginConfig(allow=(), entrypoints=False))
    assert inline.health().ready and inline.health().mode == "inline"


def test_each_task_runs_under_a_cpu_limit_a_little_above_the_timeout(probe_engine, log_file):
    facts = _probe(probe_engine.validate(log_file("rien\n"), "logs"))
    limits = probe_engine.limits()
    timeout = limits.check_timeout_s
    headroom = limits.cpu_limit_s - timeout
    assert headroom > 0
    assert facts["cpu_used_s"] + timeout <= facts["cpu_soft_s"] <= facts["cpu_used_s"] + timeout + headroom + 1


def test_workers_get_a_private_tmpdir_removed_with_them(probe_engine, log_file):
    facts = _probe(probe_engine.validate(log_file("rien\n"), "logs"))
    pool_dir = Path(facts["tmp"]).parent
    assert pool_dir.name.startswith(POOL_DIR_PREFIX) and Path(facts["tmp"]).name == f"w{facts['pid']}"
    assert facts["env_tmpdir"] == facts["tmp"]  # subprocesses (ffmpeg, mediainfo) use it too
    # A plugin that leaves a folder (with a copy of the upload) and hangs: killed at the timeout …
    hung = probe_engine.validate(log_file("MKTEMP_HANG\n", "h.log"), "logs")
    assert "check.timeout" in hung.codes
    # … and the dead worker's folder, with what it held, goes away.
    deadline = time.monotonic() + 15
    while any(pool_dir.glob("w*/preuves-mi-*")):
        assert time.monotonic() < deadline, sorted(pool_dir.rglob("*"))
        time.sleep(0.1)
    live = {_probe(probe_engine.validate(log_file("rien\n", f"{i}.log"), "logs"))["pid"] for i in range(3)}
    assert {p.name for p in pool_dir.glob("w*")} >= {f"w{p}" for p in live}


def test_pool_directory_is_removed_at_close_and_stale_ones_are_swept(tmp_path, log_file, monkeypatch):
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    stale = tmp_path / f"{POOL_DIR_PREFIX}999999-old"
    (stale / "w1234" / "preuves-mi-x").mkdir(parents=True)
    (stale / ".owner").touch()
    owned = tmp_path / f"{POOL_DIR_PREFIX}{os.getpid()}-live"
    owned.mkdir()
    lock = os.open(owned / ".owner", os.O_CREAT | os.O_RDWR)
    fcntl.flock(lock, fcntl.LOCK_EX)  # a live engine's directory (ours)
    try:
        engine = Engine(CoreSettings(workers=1, load_entrypoints=False), plugin_config=PluginConfig(allow=(), entrypoints=False))
        engine.validate(log_file("rien\n"), "logs")
        assert not stale.exists() and owned.exists()
        ours = [p for p in tmp_path.glob(f"{POOL_DIR_PREFIX}*") if p != owned]
        assert len(ours) == 1 and list(ours[0].glob("w*"))
        engine.close()
        assert not ours[0].exists()
        assert sweep_stale_pool_dirs(str(tmp_path)) == []  # the live one stays
    finally:
        os.close(lock)


def test_a_timeout_kills_what_the_worker_started(probe_engine, tmp_path):
    path = tmp_path / "enfant.log"
    path.write_text("CHILD_HANG\n")
    report = probe_engine.validate(path, "logs")
    assert "check.timeout" in report.codes
    child = int(Path(str(path) + ".child").read_text())
    assert _gone([child]), "the worker's child process outlived it"


@pytest.mark.parametrize("start", ["forkserver", "fork"])
def test_workers_die_with_the_engine_process(start, tmp_path):
    """kill -9 of a process using the library: its busy worker (and fork server) go with it."""
    path = tmp_path / "bloque.log"
    path.write_text("HANG\n")
    marker = uuid.uuid4().hex
    code = textwrap.dedent(f"""
        from validator_core import Engine
        from validator_core.registry import PluginConfig
        from validator_core.settings import CoreSettings
        engine = Engine(CoreSettings(workers=1, worker_start={start!r}, check_timeout_s=600, load_entrypoints=False),
                        plugin_config=PluginConfig(allow=({PLUGIN_NAME!r},), extra=({PLUGIN!r},), entrypoints=False))
        engine.validate({str(path)!r}, "logs")
    """)
    proc = subprocess.Popen([sys.executable, "-c", code], cwd=ROOT, env=_env(PREUVES_TEST_MARK=marker),
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    pid_file = Path(str(path) + ".pid")
    deadline = time.monotonic() + 60
    while not pid_file.exists():
        assert time.monotonic() < deadline and proc.poll() is None
        time.sleep(0.05)
    worker = int(pid_file.read_text())
    assert _running(worker)
    proc.kill()
    proc.wait()
    assert _gone([worker]), "the busy worker outlived the engine"
    assert _gone(_processes_with(marker)), "processes of the killed engine are left"


# -- ordering and fairness (the pool itself) ------------------------------------------------------
@pytest.fixture
def task_pool():
    pools = []

    def make(workers: int, timeout_s: float = 20.0) -> WorkerPool:
        pool = WorkerPool(PluginConfig(allow=(), entrypoints=False), workers=workers, timeout_s=timeout_s,
                          memory_mb=None)
        pools.append(pool)
        return pool

    yield make
    for pool in pools:
        pool.close()


def test_one_file_s_checks_hold_no_more_than_their_share(task_pool, tmp_path):
    from fixtures.reliability_core_tasks import record

    pool = task_pool(2)
    pool.start()
    log = str(tmp_path / "starts.log")
    with pool.job() as first, pool.job() as second:
        fan_out = [first.submit(record, (log, f"A{i}", 1.0)) for i in range(4)]  # a file with four checks
        other = second.submit(record, (log, "B0", 0.1))  # the next file: one check
        outcomes = [first.wait(f) for f in fan_out] + [second.wait(other)]
    assert all(o.value for o in outcomes)
    starts = Path(log).read_text().split()
    # A had both workers while alone; B arrived, so A got no more than one of them while B waited.
    # (A0 and A1 start at once on two workers: which one logs first is the processes' race.)
    assert sorted(starts[:2]) == ["A0", "A1"] and starts[2] == "B0", starts


def test_calls_are_served_in_the_order_they_were_made(task_pool, tmp_path):
    from fixtures.reliability_core_tasks import record

    pool = task_pool(1)
    pool.start()
    log = str(tmp_path / "starts.log")
    jobs = [pool.job() for _ in range(5)]
    futures = [job.submit(record, (log, f"J{i}", 0.05)) for i, job in enumerate(jobs)]
    for job, future in zip(jobs, futures):
        assert job.wait(future).value
        job.close()
    assert Path(log).read_text().split() == [f"J{i}" for i in range(5)]


def test_a_task_waiting_for_a_worker_never_times_out(task_pool):
    from fixtures.reliability_core_tasks import sleep

    pool = task_pool(1, timeout_s=2.0)
    pool.start()
    # Three 1.5 s tasks on one worker: the last waits 3 s (> its 2 s timeout) before it starts.
    outcomes = [pool.wait(f) for f in [pool.submit(sleep, (1.5,)) for _ in range(3)]]
    assert [o.timed_out for o in outcomes] == [False, False, False]
    assert [o.value for o in outcomes] == [1.5, 1.5, 1.5]


# =================================================================================================
# 9. Special files are refused before anything reads them
# =================================================================================================
@pytest.fixture
def specials(tmp_path) -> dict[str, tuple[Path, str]]:
    fifo = tmp_path / "tube.log"
    os.mkfifo(fifo)
    sock_path = tmp_path / "prise.log"
    server = socket.socket(socket.AF_UNIX)
    server.bind(str(sock_path))
    link_zero = tmp_path / "zero.mp4"
    link_zero.symlink_to("/dev/zero")
    link_fifo = tmp_path / "lien-tube.log"
    link_fifo.symlink_to(fifo)
    yield {
        "/dev/zero": (Path("/dev/zero"), "character_device"),
        "fifo": (fifo, "fifo"),
        "socket": (sock_path, "socket"),
        "symlink to /dev/zero": (link_zero, "character_device"),
        "symlink to a fifo": (link_fifo, "fifo"),
        "/proc/self/environ": (Path("/proc/self/environ"), "pseudo_file"),
    }
    server.close()


@pytest.mark.timeout(60)
@pytest.mark.parametrize("case", ["/dev/zero", "fifo", "socket", "symlink to /dev/zero", "symlink to a fifo",
                                  "/proc/self/environ"])
def test_special_files_get_file_not_regular_without_being_read(engine, specials, case):
    path, kind = specials[case]
    for proof_type in (None, "video", "logs"):
        report = engine.validate(path, proof_type)
        assert report.codes == ["file.not_regular"]
        (found,) = report.findings
        assert found.severity == Severity.ERROR and found.details == {"kind": kind} and found.plugin == "core"
        assert report.verdict == Verdict.REJECTED and report.file.sha256 is None and report.file.size == 0
    english = engine.validate(path, "logs", lang="en").findings[0].message
    assert english.startswith("This path is not a regular file") and NOT_REGULAR_KINDS[kind].en in english
    assert engine.validate(path, "logs").findings[0].message.startswith("Ce chemin ne désigne pas un fichier ordinaire")


def test_a_symlink_to_a_regular_file_is_checked_and_a_directory_is_an_error(engine, tmp_path, log_file):
    target = log_file("une ligne de journal\n")
    link = tmp_path / "lien.log"
    link.symlink_to(target)
    assert engine.validate(link, "logs").verdict == engine.validate(target, "logs").verdict == Verdict.ACCEPTED
    with pytest.raises(IsADirectoryError):
        engine.validate(tmp_path, "logs")


@pytest.mark.timeout(60)
def test_cli_refuses_special_files(specials):
    done = subprocess.run([sys.executable, "-m", "validator_core.cli", "check", "--json", "/proc/self/environ"],
                          capture_output=True, text=True, timeout=120, cwd=ROOT, env=_env(PREUVES_WORKERS="1"))
    assert done.returncode == 1, done.stderr
    assert [f["code"] for f in json.loads(done.stdout)[0]["findings"]] == ["file.not_regular"]
    for case in ("/dev/zero", "fifo", "symlink to a fifo"):
        done = subprocess.run([sys.executable, "-m", "validator_core.cli", "check", str(specials[case][0])],
                              capture_output=True, text=True, timeout=120, cwd=ROOT, env=_env())
        assert done.returncode == 2 and "ce n'est ni un fichier ni un dossier" in done.stderr


@pytest.mark.parametrize("start", ["forkserver", "fork"])
def test_a_process_that_forks_after_using_the_engine_gets_its_own_pool(start, tmp_path):
    """A pre-forking server (or a user's os.fork()): child and parent both keep validating."""
    path = tmp_path / "journal.log"
    path.write_text("une ligne\n")
    code = textwrap.dedent(f"""
        import os, sys
        from validator_core import validate
        assert validate({str(path)!r}, "logs").verdict.value == "accepted"
        pid = os.fork()
        verdict = validate({str(path)!r}, "logs").verdict.value
        if pid == 0:
            print("child", verdict, flush=True)
            sys.exit(0)  # a normal exit: the child's own engine closes at exit
        os.waitpid(pid, 0)
        print("parent", verdict, flush=True)
    """)
    marker = uuid.uuid4().hex
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, cwd=tmp_path,
                          env=_env(PREUVES_TEST_MARK=marker, PREUVES_WORKER_START=start))
    assert done.returncode == 0, done.stderr
    assert sorted(done.stdout.split("\n")[:2]) == ["child accepted", "parent accepted"] and done.stderr == ""
    assert _gone(_processes_with(marker))


def test_a_forked_worker_of_a_process_with_a_large_address_space_starts(tmp_path):
    """Fork mode in a long-lived process that maps more than the worker's memory cap (here 2.5 GB of
    address space, never touched): the cap counts what the worker maps beyond its birth, else the
    worker could not map libmagic's database and the engine would be unavailable."""
    png = formats.make_image(tmp_path, "PNG", size=(1280, 720))
    code = textwrap.dedent(f"""
        import mmap
        reserved = mmap.mmap(-1, 2_500_000_000)
        from validator_core.engine import Engine
        from validator_core.settings import CoreSettings
        engine = Engine(CoreSettings(worker_start="fork", workers=1, worker_memory_mb=512))
        try:
            print(engine.validate({str(png)!r}, "screenshot").verdict.value)
        finally:
            engine.close()
    """)
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, cwd=tmp_path,
                          env=_env())
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() in ("accepted", "accepted_with_warnings")


@pytest.mark.parametrize("start", ["fork", "forkserver"])
def test_cli_leaves_nothing_running(start, tmp_path):
    png = formats.make_image(tmp_path, "PNG")
    marker = uuid.uuid4().hex
    done = subprocess.run([sys.executable, "-m", "validator_core.cli", "check", "--json", str(png)], capture_output=True,
                          text=True, timeout=120, cwd=ROOT,
                          env=_env(PREUVES_TEST_MARK=marker, PREUVES_WORKER_START=start))
    assert done.returncode in (0, 1) and done.stderr == ""
    assert json.loads(done.stdout)[0]["verdict"] != "rejected"
    assert _gone(_processes_with(marker)), "a worker or the fork server outlived the command"


@pytest.mark.parametrize("start", ["forkserver", "fork"])
def test_recycled_workers_keep_serving(start, log_file):
    """max_tasks=1: every task ends its worker (exit 0); nothing is mistaken for a crash."""
    engine = Engine(CoreSettings(workers=2, worker_max_tasks=1, load_entrypoints=False, worker_start=start),
                    plugin_config=PluginConfig(allow=(PLUGIN_NAME,), extra=(PLUGIN,), entrypoints=False))
    try:
        pids = set()
        for i in range(5):
            report = engine.validate(log_file("rien\n", f"{i}.log"), "logs")
            assert report.verdict == Verdict.ACCEPTED, report.codes
            pids.add(_probe(report)["pid"])
        assert len(pids) == 5  # a new worker each time
        assert engine.health().rebuilds == 0
    finally:
        engine.close()
