"""A real Celery worker process for tests marked ``worker``.

It runs ``celery -A portal worker`` against the broker in CELERY_BROKER_URL and the test
database (the test must use ``transactional_db`` so the worker sees committed rows). The solo
pool is the default (one process, quick to start); ``pool="prefork"`` runs one pool child under
a parent, as production does: there the parent acknowledges an early-ack task as soon as it
receives it, and notices a child that dies mid-task, so the reliability settings (acks late,
reject on worker lost) only show their effect with it. The worker leads a process group of its
own, so a test can kill the parent and its child together (``kill_worker``).
"""

import os
import signal
import subprocess
import sys
import time
from contextlib import contextmanager
from pathlib import Path

from django.conf import settings
from django.db import connection

from portal.celery import app


def _database_url() -> str:
    db = connection.settings_dict
    host = db.get("HOST") or "127.0.0.1"
    port = db.get("PORT") or 5432
    user = db.get("USER") or "postgres"
    return f"postgres://{user}@{host}:{port}/{db['NAME']}"


@contextmanager
def celery_worker(
    *, visibility_timeout: int = 10, log: Path | None = None, env: dict | None = None, pool: str = "solo"
):
    app.control.purge()
    environment = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "portal.settings.test",
        "DATABASE_URL": _database_url(),
        "DATABASE_POOL": "false",
        "CELERY_TASK_ALWAYS_EAGER": "false",
        "CELERY_VISIBILITY_TIMEOUT": str(visibility_timeout),
        **(env or {}),
    }
    log_file = open(log or Path(settings.VAR_DIR) / "test-worker.log", "w")  # noqa: SIM115 - closed below
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "portal",
            "worker",
            "-P",
            pool,
            *(["-c", "1"] if pool == "prefork" else []),
            "-l",
            "info",
            "--without-heartbeat",
            "--without-mingle",
            "--without-gossip",
        ],
        env=environment,
        cwd=settings.BASE_DIR,
        stdout=log_file,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        yield process
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        log_file.close()


def kill_worker(process: subprocess.Popen) -> None:
    """SIGKILL the worker and its pool children at once, as a crashed machine would."""
    os.killpg(process.pid, signal.SIGKILL)
    process.wait(timeout=10)


def pool_child_pid(process: subprocess.Popen) -> int:
    """The one pool child of a prefork worker (Linux: /proc lists a process's children)."""
    children = Path(f"/proc/{process.pid}/task/{process.pid}/children").read_text().split()
    assert len(children) == 1, children
    return int(children[0])


def wait_for(predicate, *, timeout: float = 60.0, interval: float = 0.2):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        result = predicate()
        if result:
            return result
        time.sleep(interval)
    raise AssertionError(f"condition not met within {timeout} s")
