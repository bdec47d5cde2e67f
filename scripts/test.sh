#!/usr/bin/env bash
# Install what the tests need, start the services that are down, and run every
# test: lints, cargo's unit tests and the pytest suite (differential tests
# against apscheduler 3.11.3 included). Exits non-zero on any failure.
set -euo pipefail
source "$(dirname "$0")/_env.sh"

# Services the store tests use; each is started with the machine's own command
# when its port does not answer.
port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
ensure_service() {
    local name=$1 port=$2; shift 2
    if ! port_open "$port"; then
        echo "== starting $name"
        "$@" >/dev/null 2>&1 || echo "   could not start $name"
        for _ in $(seq 1 30); do port_open "$port" && break; sleep 1; done
    fi
}
ensure_service postgresql 5432 bash -c \
    'pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | head -n1)" main start'
ensure_service redis 6379 redis-server --daemonize yes --bind 127.0.0.1 -::1 --port 6379 \
    --save "" --appendonly no --dir /var/lib/redis --logfile /var/log/redis/ci.log
ensure_service mariadb 3306 start-stop-daemon --start --oknodo --background \
    --exec /usr/sbin/mariadbd

echo "== build and install (debug) with test extras"
"$VENV/bin/maturin" develop --quiet --extras test

echo "== lint"
cargo fmt --all -- --check
cargo clippy --quiet --all-targets --all-features -- -D warnings
"$VENV/bin/ruff" check python tests benches examples
"$VENV/bin/ruff" format --check python
"$PY" -m mypy  # the package (files and options in pyproject.toml)
"$PY" -m mypy.stubtest apscheduler_rs._core

echo "== cargo test"
cargo test --quiet

echo "== pytest"
"$PY" -m pytest -q -p no:cacheprovider "$@"
