"""Asynchronous dossier jobs (``POST /v1/jobs``): the dossier use case run after the request has been
answered, with its state kept where a restart finds it.

- :mod:`api.jobs.service` — :class:`~api.jobs.service.JobService`, what the route calls: submit, look
  up, cancel, readiness — over the embedded or the distributed mode;
- :mod:`api.jobs.store` — the jobs and their results in SQLite (the data folder): the embedded mode;
- :mod:`api.jobs.redis_store` — the same in Redis, shared by replicas and workers: the distributed mode;
- :mod:`api.jobs.storage` — where uploaded files wait for their runner (a folder or an S3 bucket), and
  the ``s3://`` objects a JSON job names;
- :mod:`api.jobs.queue` — the embedded queue: runner threads in the service's process;
- :mod:`api.jobs.distributed` — the Celery queue on Redis and ``preuves worker``;
- :mod:`api.jobs.runner` — one job: :func:`validator_core.service.check_dossier` on its files;
- :mod:`api.jobs.callbacks` — the signed, retried POST of an ended job to its ``callback_url``.

A service package rather than a core one: a job is an HTTP request answered later (its caller, its
idempotency key, its callback, its staged upload, the service's settings); the engine and the dossier
use case it runs are the core's, unchanged. ``preuves worker`` is therefore the service plugin's
command (``api/commands.py``), next to ``preuves serve``.
"""
