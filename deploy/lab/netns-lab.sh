#!/usr/bin/env bash
# deploy/lab/netns-lab.sh up [N] | down | status | check | leftovers — an N-node mk8s lab on one Linux host, built
# from network namespaces (adapted from /work/shared/lab/netns-lab.sh, RECIPE.md part c; same names and addresses):
#   netns mk8s-lab      bridge br0 (no IP); the host joins it as mk8s-lab0 = 10.200.0.1/24 (apiserver address)
#   netns mk8s-nodeI    eth0 = 10.200.0.(10+I)/24 on br0; its own dockerd (socket /run/mk8s-nodeI/docker.sock),
#                       docker0 = 10.244.I.1/24 (pod CIDR), host-gw routes to the other nodes' pod CIDRs,
#                       service CIDR 10.96.0.0/12 routed to lo. No default route in any lab namespace.
#   host                routes 10.244.I.0/24 via 10.200.0.(10+I), so the apiserver reaches pods without NAT.
# `up` first tears down any previous lab, so it is idempotent and removes a crashed run's leftovers; it refuses
# while the lab belongs to another live process (MK8S_LAB_OWNER=<pid> names the owner; tests pass their own pid).
# It does not run `check` unless CHECK=1 (the check takes ~6.5 s: cross-node traffic + a ClusterIP demo).
# `down` stops whatever runs in the node namespaces (kubelets first, then containers and dockerds) and removes
# everything by name and by pidfile; it too refuses (exit 3) while another live process owns the lab, unless FORCE=1.
# Every up/down/check is appended to /run/mk8s-lab.history (who, when), for runs that find their lab gone. `leftovers` exits 0 when something of a lab exists whose owner is gone.
# Needs root, iproute2, util-linux nsenter, docker.io, iptables, and the images mk8s/busybox:1.35 and
# mk8s/pause:3.9 on the host daemon (deploy/images/build.sh).
set -Eeuo pipefail; shopt -s inherit_errexit
trap 'echo "netns-lab.sh: failed at line $LINENO (clean up with: $0 down)" >&2' ERR
P=mk8s; LAB=$P-lab; IMAGES="mk8s/busybox:1.35 mk8s/pause:3.9"
OWNER_FILE=/run/$P-lab.owner; LOCK_FILE=/run/$P-lab.lock
die() { echo "netns-lab.sh: $*" >&2; exit 1; }
say() { printf '%s  %s\n' "$(date +%T.%3N)" "$*"; }
since() { awk -v a="$1" -v b="$(date +%s.%N)" 'BEGIN{printf "%.2f", b - a}'; }   # seconds since a date +%s.%N
ip4() { echo "10.200.0.$((10 + $1))"; }                       # node I's address on the lab bridge
dk() { local i=$1; shift; docker -H "unix:///run/$P-node$i/docker.sock" "$@"; }
inns() { local i=$1; shift; nsenter --net="/run/netns/$P-node$i" "$@"; }
nodes() { ls /run/netns 2>/dev/null | sed -n "s/^$P-node\([0-9]\+\)$/\1/p" | sort -n || true; }   # lab nodes (by netns)
all_nodes() {  # ... or by /run/mk8s-nodeI, its cgroup, or a live dockerd whose argv names /run/mk8s-nodeI/docker.sock
  { nodes; for f in /run/$P-node* /sys/fs/cgroup/memory/$P-node* /sys/fs/cgroup/$P-node*; do echo "${f##*/$P-node}"; done
    grep -saohE "unix:///run/$P-node[0-9]+/docker.sock" /proc/[0-9]*/cmdline | grep -oE '[0-9]+/docker.sock' | cut -d/ -f1 || true
  } | sed -n '/^[0-9]\+$/p' | sort -un
}

prereqs() {
  [ "$(id -u)" = 0 ] || die "run as root"
  for c in ip nsenter setsid dockerd docker iptables iptables-restore busybox; do
    command -v $c >/dev/null || die "$c not found (apt-get install iproute2 util-linux docker.io iptables busybox-static)"; done
  # ip netns exec would remount /sys and hide /sys/fs/cgroup from dockerd; nsenter --net keeps the host mounts.
  [ -d /sys/fs/cgroup/devices ] || [ -f /sys/fs/cgroup/cgroup.controllers ] || die "no cgroup mounts under /sys/fs/cgroup"
  [ -e /proc/sys/net/bridge/bridge-nf-call-iptables ] || modprobe br_netfilter 2>/dev/null \
    || die "br_netfilter missing: pod->ClusterIP->pod on one bridge needs bridge-nf-call-iptables (modprobe br_netfilter)"
  docker image inspect $IMAGES >/dev/null 2>&1 || die "host daemon lacks $IMAGES: start dockerd and run ./build-images.sh"
  ! ip link show mk8s-dind0 >/dev/null 2>&1 || die "the compose lab is up (same pod CIDRs): compose/compose-lab.sh down first"
}

ours() {  # ours PID STRING COMM: PID is alive, named COMM*, and its argv contains STRING (guards against reused pids)
  local cmd comm; [ -n "$1" ] && [ -r "/proc/$1/cmdline" ] && cmd=$(tr '\0' ' ' 2>/dev/null <"/proc/$1/cmdline") \
    && comm=$(cat "/proc/$1/comm" 2>/dev/null) || return 1
  [[ $cmd == *"$2"* && $comm == "$3"* ]]
}
cg_procs() { find /sys/fs/cgroup/*/$P-node$1 /sys/fs/cgroup/$P-node$1 -name cgroup.procs -exec cat {} + 2>/dev/null | sort -u || true; }
stop_pids() {  # stop_pids PID...: SIGTERM all, wait up to 20 s, then SIGKILL what is left
  [ $# -gt 0 ] || return 0; kill "$@" 2>/dev/null || true
  for _ in $(seq 200); do local alive=0 p; for p; do [ -e /proc/$p ] && alive=1; done; [ $alive = 1 ] || return 0; sleep 0.1; done
  kill -9 "$@" 2>/dev/null || true
}

node_agents() {  # node_agents I: pids in node I's netns that are not its dockerd, containerd, shims or containers
  local pid comm cg=" $(cg_procs $1 | tr '\n' ' ') "
  for pid in $(ip netns pids $P-node$1 2>/dev/null || true); do
    comm=$(cat /proc/$pid/comm 2>/dev/null) || continue
    case $comm in dockerd|containerd*|docker-proxy|runc) continue ;; esac
    [[ $cg == *" $pid "* ]] || echo "$pid"
  done
}

starttime() { awk '{sub(/^.*\) /, ""); print $20}' /proc/$1/stat 2>/dev/null; }   # field 22: tells a reused pid apart
owner() { cut -d' ' -f1 $OWNER_FILE 2>/dev/null || true; }
owner_running() {  # the lab's owner (pid + start time in $OWNER_FILE) still runs
  local o t; read -r o t 2>/dev/null <$OWNER_FILE || return 1
  [[ $o =~ ^[0-9]+$ ]] && [ -n "$t" ] && [ "$(starttime $o)" = "$t" ]
}
owner_alive() { owner_running && [ "$(owner)" != "${MK8S_LAB_OWNER:-$PPID}" ]; }   # ... and is someone else

leftovers() {  # exit 0 when any piece of a lab exists and no live process owns it
  [ -n "$(all_nodes)" ] || ip netns list 2>/dev/null | grep -qx "$LAB\( .*\)\?" || ip link show $P-lab0 >/dev/null 2>&1 || return 1
  ! owner_alive
}

down() {
  local i d pid pids=()
  for i in $(nodes); do pids+=($(node_agents $i)); done   # kubelets etc. first: they would restart removed containers
  stop_pids "${pids[@]}"; pids=()
  for i in $(all_nodes); do   # by netns name and by /run/mk8s-nodeI, whichever is left
    d=/run/$P-node$i
    if [ -S $d/docker.sock ]; then  # remove containers first: shims outlive a killed dockerd
      dk $i ps -aq 2>/dev/null | xargs -r docker -H unix://$d/docker.sock rm -f >/dev/null 2>&1 || true; fi
    for pid in $(cat $d/dockerd.pid 2>/dev/null || true) $(cat $d/launch.pid 2>/dev/null || true) \
      $(grep -lsF "unix://$d/docker.sock" /proc/[0-9]*/cmdline | cut -d/ -f3 || true); do   # pidfiles, then argv
      ours "$pid" "unix://$d/docker.sock" dockerd && pids+=("$pid"); done
  done
  stop_pids "${pids[@]}"; pids=()   # all dockerds at once: each takes ~3 s to exit
  for i in $(all_nodes); do
    d=/run/$P-node$i
    for pid in $(grep -lsF "$d/exec/containerd/" /proc/[0-9]*/cmdline | cut -d/ -f3 || true); do
      ours "$pid" "$d/exec/containerd/" containerd && pids+=("$pid"); done   # leftover containerd / shims of this node only
    stop_pids "${pids[@]}"; pids=()
    # container processes orphaned by a crashed dockerd/shim: whatever is left in this node's cgroup subtree
    pids=($(cg_procs $i)); [ ${#pids[@]} = 0 ] || kill -9 "${pids[@]}" 2>/dev/null || true; pids=()
    for _ in $(seq 50); do [ -z "$(cg_procs $i)" ] && break; sleep 0.1; done
    awk -v a="$d" -v b="/var/lib/$P-node$i" '$2==a || $2==b || index($2,a"/")==1 || index($2,b"/")==1 {print $2}' /proc/mounts \
      | sort -r | xargs -r -n1 umount -l
    rm -rf --one-file-system "$d" "/var/lib/$P-node$i" || die "cannot remove $d or /var/lib/$P-node$i (see grep $P /proc/mounts)"
    find /sys/fs/cgroup/*/$P-node$i /sys/fs/cgroup/$P-node$i -depth -type d -exec rmdir {} + 2>/dev/null || true
    ip netns del $P-node$i 2>/dev/null || true
  done
  ip link del $P-lab0 2>/dev/null || true
  ip netns del $LAB 2>/dev/null || true
  rm -f $OWNER_FILE
  say "down: no $P lab namespaces, dockerds or directories left"
}

up() {
  local n=${1:-2} i j d t0; [[ $n =~ ^[0-9]+$ ]] && [ "$n" -ge 1 ] && [ "$n" -le 20 ] || die "N must be 1..20"
  prereqs
  if owner_alive; then   # exit 3 = busy, so a test harness can wait for the other run instead of failing
    echo "netns-lab.sh: the lab belongs to live process $(owner) ($(tr '\0' ' ' </proc/$(owner)/cmdline 2>/dev/null | cut -c1-80)); FORCE=1 $0 down takes it away" >&2
    exit 3; fi
  down >/dev/null; t0=$(date +%s.%N)
  local me=${MK8S_LAB_OWNER:-$PPID}; echo "$me $(starttime $me)" >$OWNER_FILE
  ip netns add $LAB; ip -n $LAB link set lo up
  ip -n $LAB link add br0 type bridge; ip -n $LAB link set br0 up
  ip link add $P-lab0 type veth peer name host netns $LAB            # host side of the lab: 10.200.0.1
  ip -n $LAB link set host master br0 up; ip addr add 10.200.0.1/24 dev $P-lab0; ip link set $P-lab0 up
  for i in $(seq "$n"); do
    ip netns add $P-node$i; ip -n $P-node$i link set lo up
    ip link add n$i netns $LAB type veth peer name eth0 netns $P-node$i
    ip -n $LAB link set n$i master br0 up
    ip -n $P-node$i addr add "$(ip4 $i)/24" dev eth0; ip -n $P-node$i link set eth0 up
    inns $i sh -c 'echo 1 >/proc/sys/net/ipv4/ip_forward'
    ip -n $P-node$i route add 10.96.0.0/12 dev lo src "$(ip4 $i)"    # ClusterIPs must route (not unreachable)
    ip route add 10.244.$i.0/24 via "$(ip4 $i)"                       # host -> pods (apiserver -> pod traffic)
    for j in $(seq "$n"); do [ "$j" = "$i" ] || ip -n $P-node$i route add 10.244.$j.0/24 via "$(ip4 $j)"; done
    d=/run/$P-node$i; mkdir -p $d /var/lib/$P-node$i; echo '{}' >$d/daemon.json
    setsid nsenter --net=/run/netns/$P-node$i dockerd --config-file $d/daemon.json \
      --data-root /var/lib/$P-node$i --exec-root $d/exec --pidfile $d/dockerd.pid -H unix://$d/docker.sock \
      --containerd-namespace $P-node$i --containerd-plugins-namespace $P-node$i-plugins \
      --bip 10.244.$i.1/24 --cgroup-parent /$P-node$i --dns 10.96.0.10 \
      --iptables=false --ip-masq=false --userland-proxy=false </dev/null >$d/dockerd.log 2>&1 9>&- &
    echo $! >$d/launch.pid   # 9>&-: the daemon must not keep the lab lock
  done
  docker save $IMAGES >/run/$P-images.tar
  for i in $(seq "$n"); do
    for _ in $(seq 300); do dk $i version >/dev/null 2>&1 && break; sleep 0.1; done
    dk $i version >/dev/null 2>&1 || die "dockerd of node$i did not start: see /run/$P-node$i/dockerd.log"
    dk $i load -q -i /run/$P-images.tar >/dev/null
    for t in busybox:latest busybox:1.35 busybox:1.28; do dk $i tag mk8s/busybox:1.35 $t; done; dk $i tag mk8s/pause:3.9 registry.k8s.io/pause:3.9
  done
  rm -f /run/$P-images.tar
  say "up: $n nodes with dockerd + images in $(since "$t0")s"
  [ "${CHECK:-0}" != 1 ] || check
}

pod() {  # pod NODE NAME CMD...: pause sandbox (docker0 network, shareable IPC) + one app joined to it; prints pod IP
  local i=$1 n=$2; shift 2
  dk $i run -d --name $n-pause --ipc shareable --label mk8s.demo=1 mk8s/pause:3.9 >/dev/null
  dk $i run -d --name $n --network container:$n-pause --ipc container:$n-pause --pid container:$n-pause \
    --label mk8s.demo=1 mk8s/busybox:1.35 "$@" >/dev/null
  dk $i inspect -f '{{.NetworkSettings.IPAddress}}' $n-pause
}

svc_rules() {  # kube-proxy-style payload for iptables-restore --noflush: ClusterIP 10.96.0.50:80 -> $@ :8080
  local n=$# k=0 ep                                       # and 10.96.0.60:80 with no endpoints -> REJECT
  printf '*nat\n'; printf ':MK8S-DEMO-%s - [0:0]\n' SERVICES SVC-WEB MARK-MASQ POSTROUTING
  for ep; do k=$((k + 1)); printf ':MK8S-DEMO-SEP-%s - [0:0]\n' $k; done
  echo "-A MK8S-DEMO-SERVICES -d 10.96.0.50/32 -p tcp --dport 80 -j MK8S-DEMO-SVC-WEB"
  echo "-A MK8S-DEMO-SVC-WEB ! -s 10.244.0.0/16 -d 10.96.0.50/32 -p tcp --dport 80 -j MK8S-DEMO-MARK-MASQ"
  k=0; for ep; do k=$((k + 1))                            # probability ladder 1/(n-i), the last rule unconditional
    if [ $k -lt $n ]; then
      echo "-A MK8S-DEMO-SVC-WEB -m statistic --mode random --probability $(awk "BEGIN{printf \"%.10f\", 1/($n-$k+1)}")" \
        "-j MK8S-DEMO-SEP-$k"
    else echo "-A MK8S-DEMO-SVC-WEB -j MK8S-DEMO-SEP-$k"; fi
    echo "-A MK8S-DEMO-SEP-$k -s $ep/32 -j MK8S-DEMO-MARK-MASQ"          # hairpin: a pod reaching itself
    echo "-A MK8S-DEMO-SEP-$k -p tcp -j DNAT --to-destination $ep:8080"; done
  echo "-A MK8S-DEMO-MARK-MASQ -j MARK --or-mark 0x4000"
  echo "-A MK8S-DEMO-POSTROUTING -m mark ! --mark 0x4000/0x4000 -j RETURN"
  echo "-A MK8S-DEMO-POSTROUTING -j MARK --xor-mark 0x4000"
  echo "-A MK8S-DEMO-POSTROUTING -j MASQUERADE"
  printf 'COMMIT\n*filter\n:MK8S-DEMO-SERVICES - [0:0]\n'
  echo "-A MK8S-DEMO-SERVICES -d 10.96.0.60/32 -p tcp --dport 80 -j REJECT --reject-with tcp-reset"
  echo COMMIT
}
JUMPS=("nat PREROUTING -j MK8S-DEMO-SERVICES" "nat OUTPUT -j MK8S-DEMO-SERVICES" "nat POSTROUTING -j MK8S-DEMO-POSTROUTING"
  "filter INPUT -m conntrack --ctstate NEW -j MK8S-DEMO-SERVICES" "filter FORWARD -m conntrack --ctstate NEW -j MK8S-DEMO-SERVICES"
  "filter OUTPUT -m conntrack --ctstate NEW -j MK8S-DEMO-SERVICES")

check() {  # needs the images' busybox: httpd, wget, ping; uses only lab addresses
  local ns=($(nodes)) i k j ip a b out t0 eps=() fail=0
  [ ${#ns[@]} -ge 1 ] || die "no lab: run '$0 up N' first"
  ok() { say "ok   $*"; }; bad() { say "FAIL $*"; fail=1; }
  for i in "${ns[@]}"; do dk $i rm -f $(dk $i ps -aq --filter label=mk8s.demo=1) >/dev/null 2>&1 || true
    [ "$(inns $i ip route show default)" = "" ] && ok "node$i has no default route" || bad "node$i has a default route"
    eps+=("$(pod $i mk8s-demo-web sh -c "mkdir -p /www && echo node$i >/www/index.html && exec httpd -f -p 8080 -h /www")")
  done
  pod ${ns[0]} mk8s-demo-client sleep 3600 >/dev/null
  mkdir -p /run/$P-www; echo host >/run/$P-www/index.html   # stands in for an apiserver on the host's lab address
  busybox httpd -f -p 10.200.0.1:16443 -h /run/$P-www & local hp=$!
  sleep 0.5
  out=$(dk ${ns[0]} exec mk8s-demo-client timeout 5 wget -qO- http://10.200.0.1:16443/ 2>&1 || true)
  [ "$out" = host ] && ok "pod -> host 10.200.0.1 (apiserver address)" || bad "pod -> host: $out"
  out=$(inns ${ns[0]} timeout 5 busybox wget -qO- http://10.200.0.1:16443/ 2>&1 || true)
  [ "$out" = host ] && ok "node -> host 10.200.0.1" || bad "node -> host: $out"
  kill $hp; wait $hp 2>/dev/null || true; rm -rf /run/$P-www
  for k in "${!ns[@]}"; do i=${ns[$k]}; ip=${eps[$k]}   # pod -> pod on every node (same node and cross-node via host-gw)
    out=$(dk ${ns[0]} exec mk8s-demo-client timeout 5 wget -qO- http://$ip:8080/ 2>&1) && [ "$out" = node$i ] \
      && ok "node${ns[0]} pod -> node$i pod $ip:8080 ($out)" || bad "node${ns[0]} pod -> node$i pod $ip: $out"
    dk ${ns[0]} exec mk8s-demo-client ping -c1 -W2 $ip >/dev/null && ok "ping $ip" || bad "ping $ip"
  done
  for i in "${ns[@]}"; do   # kube-proxy-style rules in every node netns (jumps ensured with -C || -I, like kube-proxy)
    svc_rules "${eps[@]}" | inns $i iptables-restore --noflush
    for j in "${JUMPS[@]}"; do set -- $j; local tb=$1 ch=$2; shift 2
      inns $i iptables -t $tb -C $ch "$@" 2>/dev/null || inns $i iptables -t $tb -I $ch 1 "$@"; done
  done
  local r=$((${#ns[@]} > 2 ? 10 * ${#ns[@]} : 20))   # requests: enough that every endpoint gets some
  out=$(for _ in $(seq $r); do dk ${ns[0]} exec mk8s-demo-client timeout 5 wget -qO- http://10.96.0.50/ 2>&1 || true; done)
  a=$(echo "$out" | grep -c '^node[0-9]*$' || true); b=$(echo "$out" | grep '^node[0-9]*$' | sort -u | wc -l)
  out=$(echo "$out" | sort | uniq -c | tr -s ' \n' ' ')
  [ "$a" = $r ] && [ "$b" = ${#ns[@]} ] && ok "pod -> ClusterIP 10.96.0.50 x$r spread over all endpoints:$out" \
    || bad "ClusterIP spread:$out"
  out=$(inns ${ns[0]} timeout 5 busybox wget -qO- http://10.96.0.50/ 2>&1) \
    && ok "node${ns[0]} host process -> ClusterIP ($out)" || bad "node -> ClusterIP: $out"
  out=$(for _ in $(seq 10); do dk ${ns[0]} exec mk8s-demo-web timeout 5 wget -qO- http://10.96.0.50/ 2>&1 || true; done)
  a=$(echo "$out" | grep -c '^node[0-9]*$' || true); b=$(echo "$out" | grep -c "^node${ns[0]}\$" || true)
  [ "$a" = 10 ] && ok "hairpin: endpoint pod -> ClusterIP x10, $b answered by itself" || bad "hairpin: $out"
  t0=$(date +%s.%N); out=$(dk ${ns[0]} exec mk8s-demo-client timeout 5 wget -qO- http://10.96.0.60/ 2>&1 || true)
  echo "$out" | grep -q refused && ok "pod -> ClusterIP without endpoints refused in $(since $t0)s" \
    || bad "no-endpoint service: $out"
  out=$(inns ${ns[0]} timeout 5 busybox wget -qO- http://10.96.0.60/ 2>&1 || true)
  echo "$out" | grep -q refused && ok "node process -> ClusterIP without endpoints refused" || bad "node no-endpoint: $out"
  if [ "${KEEP:-0}" != 1 ]; then   # leave the nodes empty for mk8s itself
    for i in "${ns[@]}"; do dk $i rm -f $(dk $i ps -aq --filter label=mk8s.demo=1) >/dev/null
      for j in "${JUMPS[@]}"; do set -- $j; local tb=$1 ch=$2; shift 2; inns $i iptables -t $tb -D $ch "$@"; done
      for tb in nat filter; do   # stale chains go the kube-proxy way: declare (= flush) + -X in one --noflush restore
        inns $i iptables-save -t $tb | awk -v t=$tb '/^:MK8S-DEMO-/{c[++n]=substr($1,2)} END{print "*" t;
          for(k=1;k<=n;k++) print ":" c[k] " - [0:0]"; for(k=1;k<=n;k++) print "-X " c[k]; print "COMMIT"}' \
          | inns $i iptables-restore --noflush; done
    done; fi
  [ $fail = 0 ] && say "check: all passed" || die "check: some steps failed (KEEP=1 $0 check keeps the demo pods)"
}

status() {
  local o; o=$(owner); o=${o:--}
  [ -n "$(all_nodes)" ] || { echo "no lab"; return 0; }
  echo "lab owner pid $o ($(owner_running && echo alive || echo gone))"
  for i in $(nodes); do printf 'node%s %s dockerd pid %s, %s containers, %s other processes\n' $i "$(ip4 $i)" \
    "$(cat /run/$P-node$i/dockerd.pid 2>/dev/null || echo -)" "$(dk $i ps -q 2>/dev/null | wc -l || true)" "$(node_agents $i | wc -l)"; done
}

[ "$(id -u)" = 0 ] || die "run as root"
case "${1:-}" in   # one lab operation at a time (two test runs or a test and a person)
  up|down|check) exec 9>$LOCK_FILE; flock -w 120 9 || die "another netns-lab.sh holds $LOCK_FILE for 120 s"
    # who changed the lab, for when a run finds its lab gone (kept short: the last 200 operations)
    printf '%s %s %s by pid %s (%s)\n' "$(date +%T.%3N)" "$*" "owner=${MK8S_LAB_OWNER:-$PPID}" $PPID \
      "$(tr '\0' ' ' </proc/$PPID/cmdline 2>/dev/null | cut -c1-120)" >>/run/$P-lab.history
    tail -n 200 /run/$P-lab.history >/run/$P-lab.history.new && mv /run/$P-lab.history.new /run/$P-lab.history ;;
esac
case "${1:-}" in
  up) up "${2:-2}" ;;
  down) if owner_alive && [ "${FORCE:-0}" != 1 ]; then   # never pull the lab from under a live test run
      echo "netns-lab.sh: the lab belongs to live process $(owner); FORCE=1 $0 down takes it anyway" >&2; exit 3; fi
    down ;; check) check ;; status) status ;; leftovers) if leftovers; then exit 0; else exit 1; fi ;;
  *) echo "usage: $0 up [N] | down | status | check | leftovers" >&2; exit 2 ;;
esac
