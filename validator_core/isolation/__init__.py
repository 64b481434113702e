"""Per-file checks run in worker processes: wall-clock timeout, CPU and address-space caps, replacement.

Parsers (libmediainfo, libmagic, pypdf, lxml, Pillow) have all had crashes, hangs and memory blow-ups on
crafted files, so nothing that parses an upload runs in the caller's process. The fork server's
workers run in pebble's ``ProcessPool`` (Apache Tika's forked-worker model, without writing a
supervisor); plain forks of the caller (the one-shot CLI) in :class:`~validator_core.isolation.forkpool.ForkPool`,
which gives the same guarantees without pebble's and multiprocessing's imports. Either way a task past
its timeout has its worker killed and replaced; a worker that dies (segfault, ``os.abort()``, OOM kill)
is replaced too. The engine turns either into a ``check.timeout`` / ``check.crashed`` finding.

Around them, :class:`WorkerPool` adds what an engine that must never give a wrong verdict on its own
account needs:

* **Workers never import the caller's ``__main__``.** Our own process classes hand the child
  multiprocessing's preparation data *without* ``init_main_from_path`` / ``init_main_from_name`` (the
  main-module fix-up that re-runs a two-line script, breaks on ``python - < script.py`` and in
  notebooks). Nothing global is patched: only the pool's own workers are started this way.
* **Start methods.** ``forkserver`` (the default for long-lived engines: the HTTP service, the library):
  a private fork server started from a clean interpreter with the caller's ``sys.path`` (never the
  current directory's ``plugins/``), which imports the parsers once so a replaced worker is ready in
  milliseconds. ``fork`` (the one-shot CLI, single-threaded when the pool starts): no second
  interpreter to start.
* **Engine failures are not verdicts.** A pool that breaks for reasons that are not the file's (workers
  that cannot start, fork refused, the fork server killed) is rebuilt — fork server included — and the
  tasks that were running on it are run again; when it cannot be rebuilt, :class:`EngineUnavailable`
  is raised. A worker that dies *on a file* is told apart by a canary: a known tiny task run on a
  worker born after the death. If the canary answers, the death was the file's (``check.crashed``);
  if not, the engine is at fault.
* **Timeouts count from when a worker starts a task** (the worker's acknowledgement), never from the
  submission: a task waiting for a worker never times out because others were slow. Only as many
  tasks as there are workers are handed to the process pool; the rest wait in the pool's queue, in order.
* **Fairness.** Each :meth:`WorkerPool.job` (one ``Engine.validate`` call) is served in the order jobs
  were created, and a job never holds more than its share of the workers (``ceil(workers / active
  jobs)``) while another job waits: one file whose plugins fan out cannot take every worker from the
  files behind it.
* **Nothing outlives its owner.** Workers get a CPU limit (``RLIMIT_CPU``, a little above the timeout,
  set per task), their own process group (a timeout kills what the worker started too), a private
  temporary directory (``TMPDIR`` and :data:`tempfile.tempdir`) that the parent removes when the
  worker is gone, and die with the engine: with a fork server, workers close their copy of its
  "alive" pipe and ask the kernel for ``SIGKILL`` when it dies (``PR_SET_PDEATHSIG``), and the fork
  server exits when the engine process does; in every mode a watchdog thread exits when the engine
  process is gone. Pool directories left by a killed engine are swept at the next start.

Each worker started by the fork server rebuilds the plugin registry from a picklable
:class:`~validator_core.registry.PluginConfig` with the caller's ``sys.path``; a forked worker keeps the
engine's, which it inherits (the same configuration and ``sys.path``), instead of loading the plugins
again.

Where each part lives:

* :mod:`~validator_core.isolation.pool`: :class:`WorkerPool` (dispatch, rebuilds, the canary, health,
  close) and :class:`EngineHealth`;
* :mod:`~validator_core.isolation.scheduler`: :class:`Job` and the fair choice of the next task;
* :mod:`~validator_core.isolation.outcome`: :class:`Outcome`, and whether an end is the file's or the engine's;
* :mod:`~validator_core.isolation.process`: the process classes pebble is given and the private fork server;
* :mod:`~validator_core.isolation.forkpool`: :class:`~validator_core.isolation.forkpool.ForkPool`, plain forks;
* :mod:`~validator_core.isolation.kill`: killing a worker and its process group;
* :mod:`~validator_core.isolation.worker`: what runs in a worker (start-up, limits, the tasks);
* :mod:`~validator_core.isolation.tmpdirs`: the private temporary directories and their sweeping.

This package re-exports what the rest of the code uses.
"""

from validator_core.isolation.outcome import ENGINE_EXCEPTIONS, Outcome
from validator_core.isolation.pool import CORE_PRELOAD, START_METHODS, EngineHealth, WorkerPool
from validator_core.isolation.scheduler import Job
from validator_core.isolation.tmpdirs import POOL_DIR_PREFIX, sweep_stale_pool_dirs
from validator_core.isolation.worker import CanaryAnswer, Raised, Sniffed, task_canary, task_inspect, task_sniff

__all__ = [
    "CORE_PRELOAD",
    "ENGINE_EXCEPTIONS",
    "POOL_DIR_PREFIX",
    "START_METHODS",
    "CanaryAnswer",
    "EngineHealth",
    "Job",
    "Outcome",
    "Raised",
    "Sniffed",
    "WorkerPool",
    "sweep_stale_pool_dirs",
    "task_canary",
    "task_inspect",
    "task_sniff",
]
