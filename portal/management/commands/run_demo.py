"""Serve the demo: Django's development server and one Celery worker with an embedded beat.

Both run as child processes; Ctrl-C (or SIGTERM) stops both, waiting for the worker's warm
shutdown and killing whatever has not stopped after a grace period, so nothing is left behind.
"""

import signal
import subprocess
import sys
import time

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

GRACE_SECONDS = 20


class Command(BaseCommand):
    help = "Run the web server on 127.0.0.1:8000 and a Celery worker + beat; Ctrl-C stops both."

    def add_arguments(self, parser):
        parser.add_argument("--addr", default="127.0.0.1:8000")

    def handle(self, *args, addr: str, **options):
        if settings.IS_PRODUCTION:
            raise CommandError("run_demo is for development; run gunicorn and celery separately in production")
        log_path = settings.VAR_DIR / "celery.log"
        with open(log_path, "a") as log:
            worker = subprocess.Popen(  # noqa: S603 - fixed argv, no user input
                [
                    sys.executable,
                    "-m",
                    "celery",
                    "-A",
                    "portal",
                    "worker",
                    "--beat",
                    "--pool=solo",
                    "--loglevel=INFO",
                    f"--schedule={settings.VAR_DIR / 'celerybeat-schedule'}",
                ],
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
            web = subprocess.Popen(  # noqa: S603 - fixed argv, no user input
                [sys.executable, "manage.py", "runserver", addr, "--noreload"], start_new_session=True
            )
            stopping = False

            def request_stop(signum, frame):
                nonlocal stopping
                stopping = True

            signal.signal(signal.SIGINT, request_stop)
            signal.signal(signal.SIGTERM, request_stop)
            try:
                self._say(f"Celery worker + beat running (log: {log_path}).")
                self._say(f"Portal: http://{addr}/  (demo logins are printed above; Ctrl-C stops everything)")
                while not stopping and web.poll() is None and worker.poll() is None:
                    time.sleep(0.3)
                self._say("\nStopping the web server and the Celery worker ...")
            finally:
                # Always, even if the terminal went away and printing failed.
                self._stop(web, worker)
        self._say("Stopped.")

    def _say(self, message: str) -> None:
        try:
            self.stdout.write(message)
            self.stdout.flush()
        except (BrokenPipeError, OSError):
            pass

    def _stop(self, *processes: subprocess.Popen) -> None:
        for process in processes:
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + GRACE_SECONDS
        for process in processes:
            try:
                process.wait(timeout=max(deadline - time.monotonic(), 0.1))
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
