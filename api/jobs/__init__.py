"""Asynchronous dossier jobs (``POST /v1/jobs``): the dossier use case run after the request has been
answered, with its state kept where a restart finds it.

- :mod:`api.jobs.service` — :class:`~api.jobs.service.JobService`, what the route calls: submit, look
  up, cancel, readiness;
- :mod:`api.jobs.store` — the jobs and their results (SQLite in the data folder);
- :mod:`api.jobs.storage` — where uploaded files wait for their runner;
- :mod:`api.jobs.queue` — the embedded queue: runner threads in the service's process;
- :mod:`api.jobs.runner` — one job: :func:`validator_core.service.check_dossier` on its files;
- :mod:`api.jobs.callbacks` — the signed, retried POST of an ended job to its ``callback_url``.

A service package rather than a core one: a job is an HTTP request answered later (its caller, its
idempotency key, its callback, its staged upload); the engine and the dossier use case it runs are
the core's, unchanged.
"""
