"""The job store of the distributed mode: jobs in Redis, shared by every replica and every worker.

Same jobs and transitions as the SQLite store (:mod:`api.jobs.store`), kept where all the service's
processes on all machines see them: one hash per job (``preuves:job:<id>``), the reports of the files
it has checked so far (``preuves:jobfiles:<id>``, for a redelivered task), its idempotency key
(``preuves:idem:<caller>:<key>``), and the set of callbacks still owed. Each status change is one Lua
script, so that two processes never both move a job (a cancel racing a finish, a redelivered task
racing its first run). An ended job and its key expire with Redis's own ``EXPIRE``.

The queue itself is Celery's (:mod:`api.jobs.distributed`); this store only holds the jobs' state.
"""

from __future__ import annotations

import json
import time
from typing import Any

import redis

from api.jobs.store import CANCELLED, QUEUED, RUNNING, IdempotencyConflict, Job

JOB = "preuves:job:"
FILES = "preuves:jobfiles:"  # the reports of the files a running job has checked (a resumed run skips them)
IDEMPOTENCY = "preuves:idem:"
CALLBACKS_OWED = "preuves:callbacks"

# KEYS: job, idempotency key ("" for none). ARGV: job id, body digest, then the job's field/value pairs.
_CREATE = """
if KEYS[2] ~= '' then
  local other = redis.call('GET', KEYS[2])
  if other then
    local digest = redis.call('HGET', ARGV[3] .. other, 'body_digest')
    if digest then return {other, digest} end
  end
  redis.call('SET', KEYS[2], ARGV[1])
end
redis.call('HSET', KEYS[1], unpack(ARGV, 4))
return {ARGV[1], ARGV[2]}
"""
# KEYS: job. ARGV: statuses allowed (",a,b,"), expiry in seconds (0: none), "total" to set done = total,
# then field/value pairs. Returns {moved (0/1), status before}.
_MOVE = """
local status = redis.call('HGET', KEYS[1], 'status')
if not status then return {0, false} end
if not string.find(ARGV[1], ',' .. status .. ',', 1, true) then return {0, status} end
redis.call('HSET', KEYS[1], unpack(ARGV, 4))
if ARGV[3] == 'total' then redis.call('HSET', KEYS[1], 'done', redis.call('HGET', KEYS[1], 'total')) end
local ttl = tonumber(ARGV[2])
if ttl > 0 then
  redis.call('EXPIRE', KEYS[1], ttl)
  local idem = redis.call('HGET', KEYS[1], 'idempotency')
  if idem and idem ~= '' then redis.call('EXPIRE', idem, ttl) end
end
return {1, status}
"""


class RedisJobStore:
    def __init__(self, url: str, *, ttl_s: float) -> None:
        # Short timeouts: a Redis that does not answer is a 503 now, not a request hanging.
        self.redis = redis.Redis.from_url(url, socket_timeout=5, socket_connect_timeout=2)
        self.ttl_s = ttl_s
        self._create = self.redis.register_script(_CREATE)
        self._move = self.redis.register_script(_MOVE)

    def close(self) -> None:
        self.redis.close()

    def ping(self) -> None:
        """Raise :class:`redis.RedisError` when Redis does not answer."""
        self.redis.ping()

    def create(self, job_id: str, request: dict[str, Any], *, total: int, caller: str, body_digest: str,
               idempotency_key: str | None = None) -> tuple[Job, bool]:
        now = time.time()
        idem = f"{IDEMPOTENCY}{caller}:{idempotency_key}" if idempotency_key is not None else ""
        fields = {"status": QUEUED, "request": json.dumps(request), "done": 0, "total": total, "created_at": now,
                  "body_digest": body_digest, "idempotency": idem}
        pairs = [item for pair in fields.items() for item in pair]
        found, digest = self._create(keys=[JOB + job_id, idem], args=[job_id, body_digest, JOB, *pairs])
        found, digest = found.decode(), digest.decode()
        if found == job_id:
            return Job(job_id, QUEUED, request, 0, total, now, body_digest), True
        if digest != body_digest:
            raise IdempotencyConflict(found)
        job = self.get(found)
        assert job is not None  # the script saw it
        return job, False

    def delete(self, job_id: str) -> None:
        """Forget a job that was never queued (its message could not be sent)."""
        idem = self.redis.hget(JOB + job_id, "idempotency")
        self.redis.delete(JOB + job_id, *([idem] if idem else []))

    def get(self, job_id: str) -> Job | None:
        row = {k.decode(): v.decode() for k, v in self.redis.hgetall(JOB + job_id).items()}
        if not row:
            return None
        number = lambda name: float(row[name]) if row.get(name) else None  # noqa: E731
        return Job(id=job_id, status=row["status"], request=json.loads(row["request"]), done=int(row["done"]),
                   total=int(row["total"]), created_at=float(row["created_at"]), body_digest=row["body_digest"],
                   result=json.loads(row["result"]) if row.get("result") else None, started_at=number("started_at"),
                   finished_at=number("finished_at"), expires_at=number("expires_at"),
                   attempts=int(row.get("attempts") or 0), callback_status=row.get("callback_status") or None)

    def _transition(self, job_id: str, allowed: tuple[str, ...], fields: dict[str, Any], *, expire: bool = False,
                    done_is_total: bool = False) -> tuple[bool, str | None]:
        pairs = [str(item) for pair in fields.items() for item in pair]
        moved, before = self._move(keys=[JOB + job_id], args=[
            "," + ",".join(allowed) + ",", int(self.ttl_s) if expire else 0, "total" if done_is_total else "", *pairs])
        return bool(moved), before.decode() if before else None

    def cancel(self, job_id: str) -> Job | None:
        now = time.time()
        self._transition(job_id, (QUEUED, RUNNING), {"status": CANCELLED, "finished_at": now,
                                                    "expires_at": now + self.ttl_s}, expire=True)
        return self.get(job_id)

    def start(self, job_id: str, owner: str) -> Job | None:
        """Mark a job running for ``owner``: a queued one, or a running one redelivered after its worker
        died; ``None`` when it ended (or expired) meanwhile."""
        moved, _before = self._transition(job_id, (QUEUED, RUNNING), {
            "status": RUNNING, "owner": owner, "started_at": time.time(), "done": 0})
        if moved:
            self.redis.hincrby(JOB + job_id, "attempts", 1)
        return self.get(job_id) if moved else None

    def progress(self, job_id: str, done: int) -> str | None:
        moved, before = self._transition(job_id, (RUNNING,), {"done": done})
        return before

    def save_file(self, job_id: str, index: int, report: dict[str, Any]) -> None:
        # Expires like an ended job: a job whose every worker died keeps nothing forever.
        with self.redis.pipeline() as pipe:
            pipe.hset(FILES + job_id, str(index), json.dumps(report))
            pipe.expire(FILES + job_id, int(self.ttl_s))
            pipe.execute()

    def file_reports(self, job_id: str) -> dict[int, dict[str, Any]]:
        return {int(k): json.loads(v) for k, v in self.redis.hgetall(FILES + job_id).items()}

    def finish(self, job_id: str, status: str, result: dict[str, Any] | None, *,
               callback_status: str | None = None) -> bool:
        now = time.time()
        fields = {"status": status, "result": json.dumps(result) if result is not None else "", "finished_at": now,
                  "expires_at": now + self.ttl_s, "callback_status": callback_status or ""}
        moved, _before = self._transition(job_id, (RUNNING,), fields, expire=True, done_is_total=True)
        if moved:
            self.redis.delete(FILES + job_id)  # the result holds them now
        if moved and callback_status == "pending":
            self.redis.sadd(CALLBACKS_OWED, job_id)
        return moved

    def release(self, job_id: str) -> None:
        self._transition(job_id, (RUNNING,), {"status": QUEUED, "owner": "", "done": 0})

    def set_callback_status(self, job_id: str, status: str) -> None:
        self.redis.hset(JOB + job_id, "callback_status", status)
        if status != "pending":
            self.redis.srem(CALLBACKS_OWED, job_id)

    def pending_callbacks(self) -> list[Job]:
        jobs = []
        for raw in self.redis.smembers(CALLBACKS_OWED):
            job = self.get(raw.decode())
            if job is None:  # expired before it could be delivered
                self.redis.srem(CALLBACKS_OWED, raw)
            else:
                jobs.append(job)
        return jobs
