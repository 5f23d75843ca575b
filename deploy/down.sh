#!/usr/bin/env bash
# deploy/down.sh [--purge] — stop what deploy/up.sh (or test/run-all.sh, for dockerd) started, newest first.
# Only processes recorded in $MK8S_HOME/pids/ are touched, and only while their argv still names them.
# --purge also deletes $MK8S_HOME (etcd data, logs, kubeconfig).
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

purge=0
for a in "$@"; do
  case "$a" in
    --purge) purge=1 ;;
    -h|--help) sed -n '2,4p' "$0"; exit 0 ;;
    *) die "unknown argument '$a' (usage: deploy/down.sh [--purge])" ;;
  esac
done

stopped=0
for ((i = ${#MK8S_COMPONENTS[@]} - 1; i >= 0; i--)); do names+=("${MK8S_COMPONENTS[i]}"); done
for name in "${names[@]}" apiserver etcd dockerd; do
  [ -f "$MK8S_HOME/pids/$name.pid" ] || continue
  stop_recorded "$name"; stopped=$((stopped + 1))
done
[ "$stopped" -gt 0 ] || step "nothing to stop (no pid files in $MK8S_HOME/pids)"

if [ "$purge" = 1 ]; then
  [ -n "$MK8S_HOME" ] && [ "$MK8S_HOME" != / ] || die "refusing to purge MK8S_HOME='$MK8S_HOME'"
  rm -rf --one-file-system "$MK8S_HOME"
  step "purged $MK8S_HOME"
fi
