#!/usr/bin/env bash
# Build and test entry point for anvil-pyodide.
#
#   ./build.sh setup              Chromium + chromedriver and redis-server (apt, only if missing), .venv (dev.txt + project
#                                 editable), .venv-uplink, node_modules (npm ci), the runtime wheel in
#                                 build/wheels/, the self-contained Pyodide dists: build/dist/ (production:
#                                 core + runtime wheel) and build/dist-test/ (+ micropip, pytest closure).
#   ./build.sh test [pytest args] setup, then tests/host + tests/conformance (CPython), tests/pyodide
#                                 (node + chrome), tests/js (the JS bridge, `node --test`) and tests/e2e
#                                 (real pages in headless Chromium against the real server); junit XML in
#                                 build/test-results/, a summary per category at the end.
#   ./build.sh demo               setup, then `anvil-pyodide serve demo` on http://127.0.0.1:8000/ (PORT= to change;
#                                 uplinks connect with UPLINK_KEY, default demo-uplink-key)
#   ./build.sh bench              setup, then bench/run_all.py
#   ./build.sh dist               setup, then the server's wheel and sdist in dist/, each holding the built
#                                 runtime (the Pyodide dist in $DIST_DIR, the runtime wheel, the JS bridge)
#   ./build.sh soak [--short]     setup, then bench/soak.py: restart, fuzz, attacks and a mixed soak against real
#                                 servers and Chromium pages, as a PASS/MISS table (./build.sh test runs --short)
#
# Every setup step is skipped when a stamp in build/stamps/ matches the hash of that step's inputs,
# so a second run takes a few seconds.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")"

export SE_OFFLINE=true            # selenium-manager must never download a driver or a browser
export PIP_DISABLE_PIP_VERSION_CHECK=1
PY=.venv/bin/python
STAMPS=build/stamps
# The Pyodide distribution that `./build.sh dist` packages into the server's wheel (see setup.py).
DIST_DIR=build/dist

log() { printf '\033[1m[build.sh]\033[0m %s\n' "$*" >&2; }

# Hash of the given files (names and contents), stable across runs.
hash_files() { sha256sum "$@" | sha256sum | cut -c1-16; }

# Hash of every source file under client/ (ignores build leftovers and caches).
hash_client() {
    find client \( -name build -o -name '*.egg-info' -o -name __pycache__ \) -prune \
        -o -type f ! -name '*.pyc' -print0 | LC_ALL=C sort -z | xargs -0 -r sha256sum | sha256sum | cut -c1-16
}

# stamp_ok NAME KEY: true when the stamp NAME holds KEY.
stamp_ok() { [[ -f "$STAMPS/$1" && "$(cat "$STAMPS/$1")" == "$2" ]]; }
stamp_set() { mkdir -p "$STAMPS"; printf '%s' "$2" > "$STAMPS/$1"; }

setup_chromium() {
    if [[ -x /usr/bin/chromium && -x /usr/bin/chromedriver ]]; then return; fi
    log "installing chromium + chromium-driver (apt)"
    local sudo=()
    if [[ $EUID -ne 0 ]]; then sudo=(sudo); fi
    "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update
    "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends chromium chromium-driver
}

# Redis for the Redis store's tests (they start their own redis-server on a free port).
setup_redis() {
    if [[ -x /usr/bin/redis-server ]]; then return; fi
    log "installing redis-server (apt)"
    local sudo=()
    if [[ $EUID -ne 0 ]]; then sudo=(sudo); fi
    "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update
    "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends redis-server
}

setup_venv() {
    local key
    key="$(hash_files requirements/dev.txt pyproject.toml)-$(python3 -V 2>&1 | tr -d ' ')"
    if [[ -x $PY ]] && stamp_ok venv "$key"; then return; fi
    log "creating .venv (requirements/dev.txt + project editable)"
    [[ -x $PY ]] || python3 -m venv .venv
    $PY -m pip install -q -r requirements/dev.txt
    $PY -m pip install -q --no-deps -e .
    rm -rf ./*.egg-info client/*.egg-info server/*.egg-info
    stamp_set venv "$key"
}

setup_venv_uplink() {
    local key
    key="$(hash_files requirements/uplink.txt)-$(python3 -V 2>&1 | tr -d ' ')"
    if [[ -x .venv-uplink/bin/python ]] && stamp_ok venv-uplink "$key"; then return; fi
    log "creating .venv-uplink (requirements/uplink.txt)"
    [[ -x .venv-uplink/bin/python ]] || python3 -m venv .venv-uplink
    .venv-uplink/bin/python -m pip install -q -r requirements/uplink.txt
    stamp_set venv-uplink "$key"
}

setup_node() {
    local key
    key="$(hash_files package.json package-lock.json)"
    if [[ -f node_modules/pyodide/pyodide.js ]] && stamp_ok node "$key"; then return; fi
    log "npm ci"
    npm ci --ignore-scripts --no-audit --no-fund
    stamp_set node "$key"
}

setup_wheel() {
    local key
    key="$(hash_client)"
    if compgen -G 'build/wheels/*.whl' >/dev/null && stamp_ok wheel "$key"; then return; fi
    log "building the runtime wheel from client/ into build/wheels/"
    rm -rf build/wheels client/build client/*.egg-info
    mkdir -p build
    $PY -m build --wheel client -o build/wheels > build/wheel-build.log 2>&1 \
        || { cat build/wheel-build.log >&2; log "wheel build failed"; exit 1; }
    log "built $(cd build/wheels && ls ./*.whl)"
    rm -rf client/build client/*.egg-info
    stamp_set wheel "$key"
}

setup_dist() {
    local key
    key="$(hash_files scripts/build_pyodide_dist.py package-lock.json build/wheels/*.whl scripts/precompile_skulpt.mjs \
        js_bridge/skulpt_precompiled.mjs js_bridge/skulpt_runtime.mjs client/anvil/_error_list.py client/anvil/_user_errors.py \
        $(find js_bridge/skulpt_lib -name '*.py' | sort))"
    if [[ -f build/dist/pyodide-lock.json && -f build/dist-test/pyodide-lock.json ]] && stamp_ok dist "$key"; then return; fi
    log "assembling build/dist/ (production) and build/dist-test/ (tests inside Pyodide)"
    $PY scripts/build_pyodide_dist.py --profile production
    $PY scripts/build_pyodide_dist.py --profile test
    stamp_set dist "$key"
}

cmd_setup() {
    setup_chromium
    setup_redis
    setup_venv
    setup_venv_uplink
    setup_node
    setup_wheel
    setup_dist
}

# run_pytest NAME ARGS...: one pytest run with its own junit XML; records the exit code, never aborts.
declare -a RCS=()
run_pytest() {
    local name=$1; shift
    log "pytest: $name"
    local rc=0
    $PY -m pytest --junitxml="build/test-results/$name.xml" "$@" || rc=$?
    RCS+=("--rc" "$name=$rc")
}

# run_node_tests: the JS bridge unit tests (Node's built-in runner), junit XML like the pytest runs.
run_node_tests() {
    log "node --test: js-bridge"
    local rc=0
    node --test --test-reporter=spec --test-reporter-destination=stdout \
        --test-reporter=junit --test-reporter-destination=build/test-results/js-bridge.xml tests/js/ || rc=$?
    RCS+=("--rc" "js-bridge=$rc")
}

cmd_test() {
    cmd_setup
    rm -rf build/test-results
    mkdir -p build/test-results
    run_pytest host tests/host --timeout=300 "$@"
    run_pytest conformance tests/conformance --timeout=300 "$@"
    run_pytest pyodide tests/pyodide --dist-dir=build/dist-test --runtime=node,chrome --timeout=600 "$@"
    run_node_tests
    run_pytest e2e tests/e2e --timeout=600 "$@"
    $PY scripts/test_summary.py build/test-results "${RCS[@]}"
}

cmd_demo() {
    cmd_setup
    log "serving the demo app at http://127.0.0.1:${PORT:-8000}/  (Ctrl-C to stop)"
    exec $PY -m anvil_pyodide serve demo --host 127.0.0.1 --port "${PORT:-8000}" \
        --uplink-key "${UPLINK_KEY:-demo-uplink-key}" "$@"
}

cmd_dist() {
    cmd_setup
    log "building the server's wheel and sdist into dist/ (runtime from $DIST_DIR)"
    rm -rf dist/anvil_pyodide-* server/anvil_pyodide/runtime-dist
    ANVIL_PYODIDE_DIST_DIR="$PWD/$DIST_DIR" $PY -m build -o dist . > build/dist-build.log 2>&1 \
        || { cat build/dist-build.log >&2; log "dist build failed"; exit 1; }
    rm -rf server/anvil_pyodide/runtime-dist ./*.egg-info server/*.egg-info
    log "built $(cd dist && ls anvil_pyodide-*)"
}

cmd_bench() {
    cmd_setup
    exec $PY bench/run_all.py "$@"
}

cmd_soak() {
    cmd_setup
    exec $PY bench/soak.py "$@"
}

usage() { sed -n '2,18p' "$0" | sed 's/^# \{0,1\}//'; }

case "${1:-}" in
    setup) shift; cmd_setup "$@" ;;
    test) shift; cmd_test "$@" ;;
    demo) shift; cmd_demo "$@" ;;
    bench) shift; cmd_bench "$@" ;;
    dist) shift; cmd_dist "$@" ;;
    soak) shift; cmd_soak "$@" ;;
    -h|--help|help) usage ;;
    *) usage >&2; exit 2 ;;
esac
