# deploy/lib.sh — shared steps of deploy/up.sh, deploy/down.sh and test/run-all.sh (sourced, not run).
# Every step is idempotent: it checks first and only acts on what is missing, printing one line either way.
# Nothing here reaches the internet except apt-get and npm (the only registries these machines can reach).

MK8S_REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
MK8S_HOME=${MK8S_HOME:-$HOME/.mk8s}
MK8S_APT_PACKAGES=(etcd-server docker.io iptables iproute2 catatonit busybox-static)
MK8S_NODE_MIN=20.19

step() { printf '==> %s\n' "$*"; }
die() { printf 'mk8s: FAILED: %s\n' "$*" >&2; exit 1; }

# http_ok URL [EXPECTED_BODY_SUBSTRING]: 0 when URL answers 2xx (and the body contains the substring).
# Uses node, which every mk8s machine has; curl may be absent on a minimal Debian.
http_ok() {
  node -e '
    const [url, want] = process.argv.slice(1);
    fetch(url, { signal: AbortSignal.timeout(2000) })
      .then(async (r) => { const body = await r.text(); process.exit(r.ok && (!want || body.includes(want)) ? 0 : 1); })
      .catch(() => process.exit(1));' "$1" "${2:-}"
}

# --- installs ----------------------------------------------------------------------------------------
ensure_apt_packages() {
  local missing=() p
  for p in "${MK8S_APT_PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
  done
  if [ ${#missing[@]} -eq 0 ]; then step "apt packages: all present (${MK8S_APT_PACKAGES[*]})"; return; fi
  [ "$(id -u)" = 0 ] || die "apt packages missing (${missing[*]}) and not root: run as root or apt-get install them"
  step "apt packages: installing ${missing[*]}"
  # DPkg::Lock::Timeout waits for another apt run instead of failing on its lock.
  DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=300 update -q >/dev/null \
    || die "apt-get update failed"
  DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=300 install -y -q --no-install-recommends \
    "${missing[@]}" >/dev/null || die "apt-get install ${missing[*]} failed"
}

ensure_node() {
  command -v node >/dev/null || die "node not found: mk8s needs Node.js >= $MK8S_NODE_MIN (Debian 12's nodejs is 18; install Node 20)"
  command -v npm >/dev/null || die "npm not found (it ships with Node.js 20)"
  node -e 'const [a,b]=process.versions.node.split(".").map(Number),[x,y]=process.argv[1].split(".").map(Number);
    process.exit(a>x||(a===x&&b>=y)?0:1)' "$MK8S_NODE_MIN" \
    || die "node $(node --version) is too old: mk8s needs >= $MK8S_NODE_MIN"
}

ensure_npm_deps() {
  local stamp="$MK8S_REPO/node_modules/.package-lock.json"   # npm rewrites it on every install
  if [ -f "$stamp" ] && ! [ "$MK8S_REPO/package-lock.json" -nt "$stamp" ]; then
    step "npm dependencies: up to date"; return
  fi
  step "npm dependencies: npm ci"
  (cd "$MK8S_REPO" && flock /tmp/mk8s-npm.lock npm ci --no-audit --no-fund --loglevel=error) || die "npm ci failed"
}

build_typescript() {
  step "build: npm run build (tsc -b)"
  (cd "$MK8S_REPO" && npm run --silent build) || die "npm run build failed (TypeScript errors above)"
}

# kubectl is not in Debian's archive; mk8s expects the real one at /usr/bin/kubectl and only reports it here.
report_kubectl() {
  if [ -x /usr/bin/kubectl ]; then
    step "kubectl: $(/usr/bin/kubectl version --client 2>/dev/null | head -n 1)"
  else
    step "kubectl: WARNING: /usr/bin/kubectl not found (not in Debian's archive; install kubectl 1.32 to drive mk8s)"
  fi
}

# --- docker ------------------------------------------------------------------------------------------
docker_answers() { timeout 10 docker version --format '{{.Server.Version}}' >/dev/null 2>&1; }

# Starts the host dockerd (RECIPE §0) when none answers; its pid goes to $MK8S_HOME/pids/dockerd.pid so
# deploy/down.sh stops it again. A DOCKER_HOST set by the user is used as is, never started.
ensure_dockerd() {
  command -v dockerd >/dev/null || die "dockerd not found (apt-get install docker.io)"
  if docker_answers; then step "dockerd: answers at ${DOCKER_HOST:-unix:///var/run/docker.sock}"; return; fi
  [ -z "${DOCKER_HOST:-}" ] || die "no Docker daemon answers at DOCKER_HOST=$DOCKER_HOST"
  mkdir -p "$MK8S_HOME/logs" "$MK8S_HOME/pids"
  (
    flock 9   # two scripts starting at once must not both launch a daemon
    docker_answers && exit 0
    step "dockerd: none answers at /var/run/docker.sock; starting it (log $MK8S_HOME/logs/dockerd.log)"
    setsid nohup dockerd </dev/null >>"$MK8S_HOME/logs/dockerd.log" 2>&1 &
    echo $! >"$MK8S_HOME/pids/dockerd.pid"
    for _ in $(seq 1 60); do
      docker_answers && { step "dockerd: ready (pid $(cat "$MK8S_HOME/pids/dockerd.pid"))"; exit 0; }
      kill -0 "$(cat "$MK8S_HOME/pids/dockerd.pid")" 2>/dev/null || break
      sleep 0.5
    done
    tail -n 20 "$MK8S_HOME/logs/dockerd.log" >&2
    die "dockerd did not come up (log: $MK8S_HOME/logs/dockerd.log)"
  ) 9>/tmp/mk8s-dockerd.lock || exit 1
}

ensure_images() {
  "$MK8S_REPO/deploy/images/build.sh" || die "building the local images failed (deploy/images/build.sh)"
}

# --- processes started by the scripts ----------------------------------------------------------------
# pid_alive NAME: the pid in $MK8S_HOME/pids/NAME.pid runs and its argv contains NAME's marker
# (so a pid reused by another program is never taken for ours).
pid_alive() {
  local f="$MK8S_HOME/pids/$1.pid" pid
  [ -f "$f" ] || return 1
  pid=$(cat "$f")
  [ -n "$pid" ] && [ -r "/proc/$pid/cmdline" ] || return 1
  tr '\0' ' ' <"/proc/$pid/cmdline" | grep -qF -- "$(marker_for "$1")"
}

# stop_recorded NAME: SIGTERM the recorded pid (if still ours), SIGKILL after 20 s, drop the pid file.
stop_recorded() {
  local name=$1 f="$MK8S_HOME/pids/$1.pid" pid i
  [ -f "$f" ] || return 0
  pid=$(cat "$f")
  if pid_alive "$name"; then
    kill -TERM "$pid" 2>/dev/null || true
    for i in $(seq 1 80); do [ -d "/proc/$pid" ] || break; sleep 0.25; done
    if [ -d "/proc/$pid" ]; then kill -KILL "$pid" 2>/dev/null || true; step "$name: killed (pid $pid, SIGTERM ignored for 20 s)"
    else step "$name: stopped (pid $pid)"; fi
  else
    step "$name: not running (pid $pid is gone or is another program now; pid file removed)"
  fi
  rm -f "$f"
}

# --- leftovers of crashed test runs ------------------------------------------------------------------
# The test harness gives each of its sessions a dir /tmp/mk8s-test-* (or one nested in a test/run-all.sh
# run root, itself a /tmp/mk8s-test-run-* dir) holding owner.pid (the process that made it), and puts
# MK8S_TEST_SESSION=<that dir> into the environment of every process it starts. A dir whose owner is gone
# belongs to a crashed run: kill its processes (found by that variable), then remove it.
_owner_alive() { local pid; pid=$(cat "$1/owner.pid" 2>/dev/null) && [ -n "$pid" ] && [ -d "/proc/$pid" ]; }

kill_session_processes() {   # kill_session_processes DIR: SIGKILL every process started for DIR (or below it)
  local dir=$1 p e s
  local -a vars
  for p in /proc/[0-9]*; do   # bash builtins only: a fork per process would take seconds on a busy host
    { mapfile -d '' -t vars <"$p/environ"; } 2>/dev/null || continue
    s=
    for e in "${vars[@]}"; do case $e in MK8S_TEST_SESSION=*) s=${e#MK8S_TEST_SESSION=}; break ;; esac; done
    [ -n "$s" ] || continue
    if [ "$s" = "$dir" ] || [ "${s#"$dir"/}" != "$s" ]; then kill -KILL "${p#/proc/}" 2>/dev/null || true; fi
  done
}

# _clean_session_dir DIR: removes DIR when its owner and every session inside it are gone (0), else keeps it (1).
_clean_session_dir() {
  local d=$1 sub keep=0
  for sub in "$d"/mk8s-test-*; do [ -d "$sub" ] || continue; _clean_session_dir "$sub" || keep=1; done
  if [ "$keep" = 1 ] || _owner_alive "$d"; then return 1; fi
  kill_session_processes "$d"; rm -rf --one-file-system "$d"; _cleaned=$((_cleaned + 1))
}

clean_test_leftovers() {
  local d live=0 ids
  _cleaned=0
  for d in /tmp/mk8s-test-*; do [ -d "$d" ] || continue; _clean_session_dir "$d" || live=$((live + 1)); done
  step "test leftovers: removed $_cleaned dead session dir(s) under /tmp/mk8s-test-*"
  # Test containers carry no owner, so they are only removed when no other test run is alive.
  docker_answers || return 0
  ids=$(docker ps -aq --filter name=^/mk8s-test- 2>/dev/null)
  [ -n "$ids" ] || return 0
  if [ "$live" -eq 0 ]; then
    docker rm -f $ids >/dev/null 2>&1 || true; step "test leftovers: removed $(echo "$ids" | wc -l) mk8s-test-* container(s)"
  else
    step "test leftovers: $(echo "$ids" | wc -l) mk8s-test-* container(s) kept: another test run is alive"
  fi
}

# A network-namespace lab (deploy/lab/netns-lab.sh) whose owner (a test process) is gone: take it down.
clean_lab_leftovers() {
  local lab="$MK8S_REPO/deploy/lab/netns-lab.sh"
  [ "$(id -u)" = 0 ] && [ -x "$lab" ] || return 0
  if "$lab" leftovers; then step "lab leftovers: a lab whose owner is gone; $lab down"; "$lab" down >/dev/null || die "$lab down failed"; fi
}

# --- the cluster's own processes ---------------------------------------------------------------------
MK8S_COMPONENTS=(scheduler controller-manager kubelet proxy)   # started after the apiserver, in this order

# marker_for NAME: a string the argv of the process up.sh started as NAME always contains.
marker_for() {
  case "$1" in
    dockerd) echo dockerd ;;
    etcd) echo "--data-dir=$MK8S_HOME/etcd" ;;
    apiserver) echo "--etcd-prefix=" ;;
    *) echo "--kubeconfig=$MK8S_HOME/kubeconfig" ;;
  esac
}

# start_bg NAME CMD...: start CMD detached from this shell (setsid + nohup, so it outlives the script),
# output appended to $MK8S_HOME/logs/NAME.log, pid to $MK8S_HOME/pids/NAME.pid.
start_bg() {
  local name=$1; shift
  mkdir -p "$MK8S_HOME/logs" "$MK8S_HOME/pids"
  # Not a process-group leader here, so setsid execs in place and $! is the final process.
  setsid nohup "$@" </dev/null >>"$MK8S_HOME/logs/$name.log" 2>&1 &
  echo $! >"$MK8S_HOME/pids/$name.pid"
}
