"""The ``preuves`` command's exit (issue 12: start-up): the same statuses and output, whichever way it ends.

A one-shot ``preuves check`` whose worker is a plain fork ends with ``os._exit`` once the ``atexit``
callbacks ran and stdout and stderr are flushed (``validator_core.cli._exit``); with a fork server's
pool (multiprocessing loaded) it exits as usual. Both are run here as a user runs them: the installed
console script (else ``python -m validator_core.cli``), in a fresh process, output to a pipe.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import uuid
from pathlib import Path

import pytest

from fixtures import formats

ROOT = Path(__file__).resolve().parents[1]
STARTS = ["fork", "forkserver"]


def _preuves() -> list[str]:
    script = Path(sys.executable).with_name("preuves")
    return [str(script)] if script.exists() else [sys.executable, "-m", "validator_core.cli"]


def _run(args: list[str], start: str, cwd: Path, **env: str) -> subprocess.CompletedProcess:
    environ = {k: v for k, v in os.environ.items() if not k.startswith("PREUVES_")}
    environ.update({"PREUVES_WORKER_START": start, **env})
    return subprocess.run([*_preuves(), *args], capture_output=True, text=True, cwd=cwd, env=environ, timeout=120)


@pytest.fixture(scope="module")
def files(tmp_path_factory) -> Path:
    d = tmp_path_factory.mktemp("exit")
    formats.make_image(d, "PNG", size=(1280, 720), name="bon.png")
    (d / "faux.png").write_text("pas une image\n")  # text named .png: not a screenshot
    return d


@pytest.mark.parametrize("start", STARTS)
def test_an_accepted_file_exits_0_with_its_whole_report(files, start):
    done = _run(["check", "--json", "bon.png"], start, files)
    assert done.returncode == 0, done.stderr
    assert [r["verdict"] for r in json.loads(done.stdout)] != ["rejected"]
    assert done.stderr == ""


@pytest.mark.parametrize("start", STARTS)
def test_a_rejected_file_exits_1_and_the_table_is_complete(files, start):
    done = _run(["check", "--type", "screenshot", "bon.png", "faux.png"], start, files)
    assert done.returncode == 1, done.stderr
    last = done.stdout.rstrip("\n").splitlines()[-1]  # the summary line, written last: flushed before exit
    assert "2 fichiers" in last and "1 rejeté" in last, done.stdout


@pytest.mark.parametrize("start", STARTS)
def test_a_missing_path_exits_2_with_its_message_on_stderr(files, start):
    done = _run(["check", "absent.png"], start, files)
    assert done.returncode == 2 and done.stdout == ""
    assert "absent.png" in done.stderr


def test_an_engine_that_cannot_start_exits_2_without_a_report(files):
    done = _run(["check", "--json", "bon.png"], "fork", files, MAGIC="/nonexistent/magic.mgc")
    assert done.returncode == 2 and done.stdout == ""
    assert "moteur de validation est momentanément indisponible" in done.stderr


def test_usage_errors_and_version_keep_click_s_statuses(files):
    assert _run(["check", "--format", "pdf", "bon.png"], "fork", files).returncode == 2
    version = _run(["--version"], "fork", files)
    assert version.returncode == 0 and "preuves" in version.stdout


def test_a_long_output_to_a_pipe_arrives_whole(files):
    """48 reports in JSON (~70 kB, more than a pipe holds): all of it is written before the process ends."""
    from PIL import Image

    Image.new("RGB", (1280, 720), "white").save(files / "blanc.png")  # a blank screen: no text to read (quick)
    names = []
    for i in range(48):
        name = f"copie{i}.png"
        if not (files / name).exists():
            os.link(files / "blanc.png", files / name)
        names.append(name)
    done = _run(["check", "--json", *names], "fork", files, PREUVES_WORKERS="2")
    assert done.returncode == 0, done.stderr
    assert len(done.stdout) > 65536
    assert [r["file"]["name"] for r in json.loads(done.stdout)] == names


@pytest.mark.parametrize("start", STARTS)
def test_nothing_is_left_running_after_the_command(files, start):
    marker = uuid.uuid4().hex
    done = _run(["check", "bon.png"], start, files, PREUVES_TEST_MARK=marker)
    assert done.returncode == 0
    left = []
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            if marker.encode() in Path(f"/proc/{pid}/environ").read_bytes():
                state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
                if state != "Z":
                    left.append(pid)
        except OSError:
            continue
    assert left == []


GC_PROBE = """
import atexit, gc, sys
atexit.register(lambda: print("GC", gc.isenabled(), flush=True))  # atexit runs before the quick exit too
sys.argv = ["preuves", *sys.argv[1:]]
from validator_core.console import run
run()
"""


@pytest.mark.parametrize("args", [["check", "bon.png"], ["types", "--json"]])
def test_the_collector_paused_for_start_up_runs_again_for_the_command(files, args):
    """``validator_core.console`` turns the garbage collector off for start-up only: on for the work."""
    environ = {k: v for k, v in os.environ.items() if not k.startswith("PREUVES_")}
    done = subprocess.run([sys.executable, "-c", GC_PROBE, *args], capture_output=True, text=True, cwd=files,
                          env=environ, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.rstrip().splitlines()[-1] == "GC True"
