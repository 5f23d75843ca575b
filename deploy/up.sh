#!/usr/bin/env bash
# deploy/up.sh — install what is missing and start a one-machine mk8s cluster (run as root on Debian 12).
# Idempotent: a second run reports what is already up. Everything the cluster writes is under $MK8S_HOME.
# Env: MK8S_HOME (~/.mk8s), MK8S_API_PORT (6443), MK8S_GRPC_PORT (6444), MK8S_ETCD_PORT (2379),
#      MK8S_ETCD_PEER_PORT (2380), MK8S_ETCD_SERVERS (use this etcd instead of starting one),
#      MK8S_LOG_FORMAT (text|json), MK8S_NODE_NAME (kubelet node name, default hostname),
#      MK8S_APISERVER_CMD (command run instead of `node apiserver/dist/main.js`; the flags are appended).
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

API_PORT=${MK8S_API_PORT:-6443}
GRPC_PORT=${MK8S_GRPC_PORT:-6444}
ETCD_PORT=${MK8S_ETCD_PORT:-2379}
ETCD_PEER_PORT=${MK8S_ETCD_PEER_PORT:-2380}
LOG_FORMAT=${MK8S_LOG_FORMAT:-text}
KUBECONFIG_FILE=$MK8S_HOME/kubeconfig
API_URL=http://127.0.0.1:$API_PORT
for v in API_PORT GRPC_PORT ETCD_PORT ETCD_PEER_PORT; do
  [[ ${!v} =~ ^[0-9]+$ ]] && [ "${!v}" -ge 1 ] && [ "${!v}" -le 65535 ] || die "MK8S_$v=${!v} is not a port number"
done
case "$LOG_FORMAT" in text|json) ;; *) die "MK8S_LOG_FORMAT=$LOG_FORMAT must be text or json" ;; esac

# wait_until SECONDS NAME CHECK...: poll CHECK every 0.25 s while NAME's recorded process lives.
wait_until() {
  local secs=$1 name=$2 i; shift 2
  for i in $(seq 1 $((secs * 4))); do
    "$@" && return 0
    pid_alive "$name" || break
    sleep 0.25
  done
  tail -n 30 "$MK8S_HOME/logs/$name.log" >&2 || true
  if pid_alive "$name"; then die "$name did not get ready within ${secs}s (log: $MK8S_HOME/logs/$name.log)"; fi
  die "$name exited during start-up (log above: $MK8S_HOME/logs/$name.log)"
}

# --- install and build --------------------------------------------------------------------------------
ensure_apt_packages
ensure_node
ensure_npm_deps
build_typescript
report_kubectl
mkdir -p "$MK8S_HOME/etcd" "$MK8S_HOME/logs" "$MK8S_HOME/pids"
chmod 700 "$MK8S_HOME/etcd"   # etcd refuses a data dir others can read
ensure_dockerd
ensure_images

# --- etcd ---------------------------------------------------------------------------------------------
if [ -n "${MK8S_ETCD_SERVERS:-}" ]; then
  ETCD_SERVERS=$MK8S_ETCD_SERVERS
  http_ok "${ETCD_SERVERS%%,*}/health" '"health":"true"' || die "MK8S_ETCD_SERVERS=$ETCD_SERVERS: no healthy etcd answers at ${ETCD_SERVERS%%,*}/health"
  step "etcd: using MK8S_ETCD_SERVERS=$ETCD_SERVERS (not started here)"
else
  ETCD_SERVERS=http://127.0.0.1:$ETCD_PORT
  if pid_alive etcd; then
    step "etcd: already running (pid $(cat "$MK8S_HOME/pids/etcd.pid"), $ETCD_SERVERS)"
  elif http_ok "$ETCD_SERVERS/health" '"health":"true"'; then
    step "etcd: one already answers at $ETCD_SERVERS; using it (not started by up.sh)"
  else
    step "etcd: starting on $ETCD_SERVERS (data $MK8S_HOME/etcd, log $MK8S_HOME/logs/etcd.log)"
    peer=http://127.0.0.1:$ETCD_PEER_PORT
    start_bg etcd etcd --name=mk8s --data-dir="$MK8S_HOME/etcd" \
      --listen-client-urls="$ETCD_SERVERS" --advertise-client-urls="$ETCD_SERVERS" \
      --listen-peer-urls="$peer" --initial-advertise-peer-urls="$peer" --initial-cluster="mk8s=$peer" \
      --logger=zap --log-outputs=stderr
    wait_until 30 etcd http_ok "$ETCD_SERVERS/health" '"health":"true"'
    step "etcd: ready (pid $(cat "$MK8S_HOME/pids/etcd.pid"))"
  fi
fi

# --- apiserver ----------------------------------------------------------------------------------------
api_ready() { http_ok "$API_URL/readyz" ok; }
if pid_alive apiserver; then
  step "apiserver: already running (pid $(cat "$MK8S_HOME/pids/apiserver.pid"), $API_URL)"
  api_ready || wait_until 30 apiserver api_ready
elif api_ready; then
  step "apiserver: one already answers at $API_URL; using it (not started by up.sh)"
else
  if [ -n "${MK8S_APISERVER_CMD:-}" ]; then
    read -r -a api_cmd <<<"$MK8S_APISERVER_CMD"
  else
    [ -f "$MK8S_REPO/apiserver/dist/main.js" ] || die "apiserver/dist/main.js not built (is apiserver/src/main.ts there?)"
    # A larger young generation: the apiserver allocates a short-lived object graph per request, and fewer
    # scavenges keep create p99 down under load (measured in bench/api).
    api_cmd=(node --max-semi-space-size=32 "$MK8S_REPO/apiserver/dist/main.js")
  fi
  step "apiserver: starting on $API_URL, gRPC 127.0.0.1:$GRPC_PORT (log $MK8S_HOME/logs/apiserver.log)"
  start_bg apiserver "${api_cmd[@]}" --etcd-servers="$ETCD_SERVERS" --bind-address=127.0.0.1 \
    --port="$API_PORT" --grpc-port="$GRPC_PORT" --etcd-prefix=/registry --log-format="$LOG_FORMAT"
  wait_until 60 apiserver api_ready
  step "apiserver: ready (pid $(cat "$MK8S_HOME/pids/apiserver.pid"))"
fi

# --- kubeconfig ---------------------------------------------------------------------------------------
umask_old=$(umask); umask 077
cat >"$KUBECONFIG_FILE.tmp" <<EOF
apiVersion: v1
kind: Config
clusters:
- name: mk8s
  cluster:
    server: $API_URL
    extensions:
    - name: mk8s.io/grpc
      extension:
        server: 127.0.0.1:$GRPC_PORT
users:
- name: admin
  user: {}
contexts:
- name: mk8s
  context:
    cluster: mk8s
    user: admin
current-context: mk8s
EOF
mv "$KUBECONFIG_FILE.tmp" "$KUBECONFIG_FILE"; umask "$umask_old"
step "kubeconfig: $KUBECONFIG_FILE (server $API_URL)"

# --- the other components, as they land ---------------------------------------------------------------
for c in "${MK8S_COMPONENTS[@]}"; do
  main=$MK8S_REPO/$c/dist/main.js
  if [ ! -f "$main" ]; then step "$c: skipped ($c/dist/main.js does not exist yet)"; continue; fi
  if pid_alive "$c"; then step "$c: already running (pid $(cat "$MK8S_HOME/pids/$c.pid"))"; continue; fi
  args=(--kubeconfig="$KUBECONFIG_FILE")
  # A single-node cluster keeps the kubelet on loopback: only loopback and our own namespaces get traffic.
  [ "$c" = kubelet ] && args+=(--node-name="${MK8S_NODE_NAME:-$(hostname)}" --node-ip="${MK8S_NODE_IP:-127.0.0.1}")
  # the kubelet: a small young generation keeps a long-lived per-node daemon's heap near its live data
  # (test/src/harness.ts KUBELET_NODE_FLAGS says the same for the tests' kubelets)
  node_flags=(); [ "$c" = kubelet ] && node_flags=(--max-semi-space-size=2)
  start_bg "$c" node "${node_flags[@]}" "$main" "${args[@]}"
  sleep 1   # these have no readiness endpoint: catch at least an immediate crash
  pid_alive "$c" \
    || { tail -n 30 "$MK8S_HOME/logs/$c.log" >&2; die "$c exited at start-up (log: $MK8S_HOME/logs/$c.log)"; }
  step "$c: started (pid $(cat "$MK8S_HOME/pids/$c.pid"), log $MK8S_HOME/logs/$c.log)"
done

# --- mkctl --------------------------------------------------------------------------------------------
cli=$MK8S_REPO/cli/dist/main.js
if [ ! -f "$cli" ]; then
  step "mkctl: skipped (cli/dist/main.js does not exist yet)"
elif head -n 1 "$cli" | grep -q '^#!.*node'; then
  chmod +x "$cli"; ln -sfn "$cli" /usr/local/bin/mkctl
  step "mkctl: /usr/local/bin/mkctl -> $cli"
else
  die "cli/dist/main.js does not start with a '#!/usr/bin/env node' line, so it cannot be linked as mkctl"
fi

cat <<EOF
==> mk8s is up: apiserver $API_URL, etcd $ETCD_SERVERS, state in $MK8S_HOME
    export KUBECONFIG=$KUBECONFIG_FILE
    kubectl get namespaces
    deploy/down.sh            # stop what up.sh started (--purge also deletes $MK8S_HOME)
EOF
