#!/usr/bin/env bash
# Serve the demo: Django on 127.0.0.1:8000 and one Celery worker with an embedded beat.
# Ctrl-C stops both.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=.venv/bin/python
mkdir -p var

.venv/bin/celery -A portal worker --beat --pool=solo --loglevel=WARNING \
    --schedule=var/celerybeat-schedule >var/celery.log 2>&1 &
WORKER=$!

stop() {
    trap - INT TERM EXIT
    echo
    echo "Stopping the Celery worker ..."
    kill -TERM "$WORKER" 2>/dev/null || true
    wait "$WORKER" 2>/dev/null || true
}
trap stop INT TERM EXIT

echo "Celery worker + beat running (log: var/celery.log)."
echo "Portal: http://127.0.0.1:8000/  (demo logins are printed above; Ctrl-C stops everything)"
$PY manage.py runserver 127.0.0.1:8000 --noreload
