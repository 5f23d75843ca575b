#!/usr/bin/env bash
# deploy/images/build.sh — the container images mk8s pods use, built offline (no registry is reachable here).
#   busybox: FROM-scratch rootfs of the static /bin/busybox (Debian busybox-static) with its applet symlinks
#   pause:   FROM-scratch image of the static /usr/bin/catatonit (Debian catatonit), ENTRYPOINT catatonit -P
# Both are made by `docker import` of a rootfs tar, which needs no image builder (this docker CLI has no buildx).
# Each image gets every tag that pod specs here name (the seed notes say `busybox`, `busybox:1.28`,
# `k8s.gcr.io/busybox`). Nothing is done when all tags exist; FORCE=1 rebuilds.
# Usage: deploy/images/build.sh   (DOCKER_HOST is honoured)
set -euo pipefail
die() { echo "deploy/images/build.sh: $*" >&2; exit 1; }
BUSYBOX=${BUSYBOX:-/bin/busybox}
CATATONIT=${CATATONIT:-/usr/bin/catatonit}
BUSYBOX_TAGS=(mk8s/busybox:1.35 busybox:latest busybox:1.35 busybox:1.28 k8s.gcr.io/busybox:latest)
PAUSE_TAGS=(mk8s/pause:3.9 registry.k8s.io/pause:3.9)

command -v docker >/dev/null || die "docker CLI not found (apt-get install docker.io)"
timeout 10 docker version --format '{{.Server.Version}}' >/dev/null 2>&1 \
  || die "no Docker daemon answers at ${DOCKER_HOST:-unix:///var/run/docker.sock}"

missing=()
for t in "${BUSYBOX_TAGS[@]}" "${PAUSE_TAGS[@]}"; do docker image inspect "$t" >/dev/null 2>&1 || missing+=("$t"); done
if [ ${#missing[@]} -eq 0 ] && [ "${FORCE:-0}" != 1 ]; then
  echo "==> images: present (${BUSYBOX_TAGS[*]} ${PAUSE_TAGS[*]})"; exit 0
fi
echo "==> images: building busybox and pause (missing: ${missing[*]:-none, FORCE=1})"

for f in "$BUSYBOX" "$CATATONIT"; do
  [ -x "$f" ] || die "$f missing (apt-get install busybox-static catatonit)"
  # A FROM-scratch image has no libc: the binary must be static (ldd fails on static binaries).
  ! ldd "$f" >/dev/null 2>&1 || die "$f is dynamically linked; a FROM-scratch image needs a static binary"
done

tmp=$(mktemp -d /tmp/mk8s-images.XXXXXX); trap 'rm -rf "$tmp"' EXIT
old=$(docker image inspect -f '{{.Id}}' "${BUSYBOX_TAGS[0]}" "${PAUSE_TAGS[0]}" 2>/dev/null || true)

rootfs_tar() { tar -C "$1" --numeric-owner --owner=0 --group=0 -c .; }

bb="$tmp/busybox"; mkdir -p "$bb"/{bin,sbin,usr/bin,usr/sbin,etc,root,tmp,proc,sys,dev}
chmod 1777 "$bb/tmp"; chmod 700 "$bb/root"
cp "$BUSYBOX" "$bb/bin/busybox"
# The same absolute links `busybox --install -s` makes (/bin/sh -> /bin/busybox, ...).
"$BUSYBOX" --list-full | while read -r p; do [ -e "$bb/$p" ] || ln -s /bin/busybox "$bb/$p"; done
printf 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n' >"$bb/etc/passwd"
printf 'root:x:0:\nnogroup:x:65534:\n' >"$bb/etc/group"
rootfs_tar "$bb" | docker import -c 'CMD ["sh"]' - "${BUSYBOX_TAGS[0]}" >/dev/null || die "docker import of busybox failed"

pz="$tmp/pause"; mkdir -p "$pz"; cp "$CATATONIT" "$pz/catatonit"
rootfs_tar "$pz" | docker import -c 'ENTRYPOINT ["/catatonit", "-P"]' - "${PAUSE_TAGS[0]}" >/dev/null \
  || die "docker import of pause failed"

for t in "${BUSYBOX_TAGS[@]:1}"; do docker tag "${BUSYBOX_TAGS[0]}" "$t"; done
for t in "${PAUSE_TAGS[@]:1}"; do docker tag "${PAUSE_TAGS[0]}" "$t"; done
for id in $old; do   # a replaced image, now untagged, unless a container still uses it
  [ -n "$(docker image inspect -f '{{.RepoTags}}' "$id" 2>/dev/null | tr -d '[]')" ] || docker rmi "$id" >/dev/null 2>&1 || true
done

# Self-check: busybox runs a shell; pause starts and stops at once on SIGTERM (catatonit -P exits 0).
out=$(docker run --rm --network none "${BUSYBOX_TAGS[0]}" sh -c 'echo hello') || die "the busybox image does not run"
[ "$out" = hello ] || die "the busybox image printed '$out' instead of 'hello'"
c=mk8s-imgcheck-$$
docker run -d --network none --name "$c" "${PAUSE_TAGS[0]}" >/dev/null || die "the pause image does not start"
docker stop -t 5 "$c" >/dev/null; docker rm "$c" >/dev/null
echo "==> images: built and checked ${BUSYBOX_TAGS[*]} ${PAUSE_TAGS[*]}"
