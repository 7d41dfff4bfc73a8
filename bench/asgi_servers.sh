#!/usr/bin/env bash
# uvicorn against granian for the same app and lake, same run (issue 12): single series over rotating URLs, c=1 and
# c=32, 2 workers. Needs wrk, the peers' store built by `python -m bench.run` (/tmp/bench-yardstick-lake) and
# `pip install granian` (not a dependency: it did not raise the ceiling, see docs/benchmarks.md).
#   bash bench/asgi_servers.sh            DUR=10s bash bench/asgi_servers.sh
set -u
cd "$(dirname "$0")/.."
PY=${PY:-python}
LAKE=${LAKE:-/tmp/bench-yardstick-lake}
export YARDSTICK_DATA_DIR=$LAKE YARDSTICK_LOAD_SEED=false YARDSTICK_RATE_LIMIT_PER_MINUTE=0
URLS=$(mktemp)
awk '{print "/v1/series/"$1"/"$2}' /tmp/bench-peers-data/pairs.txt | shuf --random-source=<(yes) > "$URLS"
run() {
  name=$1; shift
  setsid "$@" >/dev/null 2>&1 & pid=$!
  for _ in $(seq 300); do curl -sf http://127.0.0.1:8106/healthz >/dev/null && break; sleep 0.1; done
  for c in 1 32; do
    t=$([ "$c" = 1 ] && echo 1 || echo 2)
    echo "$name c=$c $(URLS=$URLS wrk -t"$t" -c"$c" -d"${DUR:-8s}" --latency -s bench/rotate_urls.lua \
      http://127.0.0.1:8106 | grep -E 'Requests/sec|^ +50%|^ +99%' | tr -s ' ' | tr '\n' ' ')"
  done
  kill -TERM -- -"$pid"; wait "$pid" 2>/dev/null; sleep 1
}
run uvicorn "$PY" -m service --data-dir "$LAKE" serve --port 8106 --workers 2
run granian "$PY" -m granian --interface asgi --workers 2 --host 127.0.0.1 --port 8106 --no-ws --factory \
  --log-level error --no-access-log service.api:app_from_env
rm -f "$URLS"
