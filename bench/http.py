"""HTTP throughput of the case detail API: gunicorn (2 workers) on loopback, driven by wrk.

The requests rotate over 1,000 cases the token's organisation sees, with one bearer token (a
partner system's integration). Every request is authenticated, authorised through
``case_get_for_user`` and audited, exactly as in production; only the per-token rate limit
is raised (API_RATE), since the benchmark is one token asking far more than 600 times a minute.
"""

import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

from accounts.tokens import api_token_create
from cases.selectors import cases_visible_to
from partners.models import Membership

WRK_SCRIPT = """
local ids = {%(ids)s}
local threads = {}
local counter = 0
local headers = {["Authorization"] = "Bearer %(token)s"}

function setup(thread)
  table.insert(threads, thread)
end

function init(args)
  failures = 0
end

function request()
  counter = counter + 1
  return wrk.format("GET", "/api/v1/cases/" .. ids[(counter %% #ids) + 1] .. "/", headers)
end

function response(status, headers, body)
  if status < 200 or status > 299 then
    failures = failures + 1
  end
end

function done(summary, latency, requests)
  local failed = 0
  for _, thread in ipairs(threads) do
    failed = failed + thread:get("failures")
  end
  local e = summary.errors
  io.write(string.format(
    'BENCH {"requests": %%d, "duration_us": %%d, "non_2xx": %%d, "socket_errors": %%d, '
    .. '"p50_us": %%d, "p90_us": %%d, "p99_us": %%d, "max_us": %%d}\\n',
    summary.requests, summary.duration, failed, e.connect + e.read + e.write + e.timeout,
    latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.max))
end
"""


def _wait_until_up(url: str, token: str, seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    request = urllib.request.Request(url, headers={"Authorization": f"Bearer {token}"})  # noqa: S310 - loopback
    while True:
        try:
            with urllib.request.urlopen(request, timeout=5) as response:  # noqa: S310 - loopback URL we built
                if response.status == 200:
                    return
        except OSError:  # refused, reset or timed out while the workers start
            if time.monotonic() > deadline:
                raise
        time.sleep(0.3)


def _wrk(base: str, script: Path, *, seconds: int, connections: int) -> dict:
    command = ["wrk", "-t2", f"-c{connections}", f"-d{seconds}s", "--timeout", "5s", "-s", str(script), base]
    output = subprocess.run(command, capture_output=True, text=True, check=True).stdout  # noqa: S603
    line = next(line for line in output.splitlines() if line.startswith("BENCH "))
    raw = json.loads(line[len("BENCH ") :])
    return {
        "requests_per_s": round(raw["requests"] / (raw["duration_us"] / 1e6), 1),
        "requests": raw["requests"],
        "non_2xx": raw["non_2xx"],
        "socket_errors": raw["socket_errors"],
        "p50_ms": raw["p50_us"] / 1000,
        "p90_ms": raw["p90_us"] / 1000,
        "p99_ms": raw["p99_us"] / 1000,
        "max_ms": raw["max_us"] / 1000,
        "connections": connections,
        "seconds": seconds,
    }


def measure_http(membership: Membership, *, seconds: int = 20, connections: int = 16, port: int = 8765) -> dict:
    if shutil.which("wrk") is None:
        raise RuntimeError("wrk is not installed (apt-get install -y wrk)")
    _token, secret = api_token_create(by=membership.user, membership=membership, name="bench", scopes=["read"], days=1)
    ids = list(cases_visible_to(membership=membership).order_by("-id").values_list("uuid", flat=True)[:1000])
    environment = os.environ | {
        "DJANGO_SETTINGS_MODULE": os.environ.get("DJANGO_SETTINGS_MODULE", "portal.settings.dev"),
        "DEBUG": "false",
        "API_RATE": "100000000/min",
        "LOG_LEVEL": "WARNING",
    }
    gunicorn = Path(sys.executable).with_name("gunicorn")
    server = subprocess.Popen(  # noqa: S603 - our own virtualenv's gunicorn
        [str(gunicorn), "portal.wsgi:application", "--workers", "2", "--bind", f"127.0.0.1:{port}"]
        + ["--log-level", "warning"],
        env=environment,
        start_new_session=True,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        _wait_until_up(f"{base}/api/v1/cases/{ids[0]}/", secret)
        with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as script:
            script.write(WRK_SCRIPT % {"ids": ", ".join(f'"{i}"' for i in ids), "token": secret})
        path = Path(script.name)
        _wrk(base, path, seconds=5, connections=connections)  # warm both workers and their pools
        result = _wrk(base, path, seconds=seconds, connections=connections)
        path.unlink()
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=30)
    return result | {"server": "gunicorn, 2 sync workers", "load_tool": "wrk 4.1, 2 threads"}
