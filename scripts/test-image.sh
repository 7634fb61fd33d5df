#!/usr/bin/env bash
# Builds docker/Dockerfile with podman and checks the image serves the demo,
# on a machine with no container engine to run it and no image registry:
#   1. a debian:bookworm base image is made with debootstrap from Debian's
#      registry and `podman import` (once; kept in podman's storage);
#   2. `podman build --isolation=chroot --cgroup-manager=cgroupfs` builds the image;
#   (docker/compose.yaml is validated by docker-compose, which is not run);
#   3. the image is inspected (user, entrypoint, size, no compiler in it);
#   4. `podman image mount` exposes its file system, and its own recd starts
#      under chroot as the image's user, with a fresh /var/lib/recd (the
#      image's volume) bound in; the image's recd-cli asks it for a
#      recommendation and its health, then recd is stopped with SIGTERM and
#      must exit 0.
# Needs root (podman's storage, chroot, bind mounts). Not part of CI: the
# build compiles recd from scratch inside the image (~15 min on 2 cores).
#
#   scripts/test-image.sh [--no-build] [IMAGE_TAG]      (default recd:test)
#
# --no-build checks an image already built under IMAGE_TAG (steps 3 and 4).
set -euo pipefail
cd "$(dirname "$0")/.."
build=1
if [ "${1:-}" = --no-build ]; then build=0; shift; fi
tag=${1:-recd:test}
base=debian:bookworm
port=${RECD_IMAGE_TEST_PORT:-50151}

[ "$(id -u)" -eq 0 ] || { echo "test-image: needs root (podman storage, chroot, mounts)" >&2; exit 2; }
bash scripts/install-deps.sh image

work=$(mktemp -d /tmp/recd-image-test.XXXXXX)
mnt=""
cleanup() {
  set +e
  [ -n "${recd_pid:-}" ] && kill -9 "$recd_pid" 2>/dev/null
  if [ -n "$mnt" ]; then
    umount "$mnt/var/lib/recd" "$mnt/proc" "$mnt/dev" 2>/dev/null
    podman image unmount "$tag" >/dev/null
  fi
  rm -rf "$work"
}
trap cleanup EXIT

step() { echo "test-image: $*"; }
fail() { echo "test-image: FAIL: $*" >&2; exit 1; }

# 1. Base image.
if [ "$build" -eq 1 ] && ! podman image exists "$base"; then
  step "making $base with debootstrap (minbase) from Debian's registry"
  debootstrap --variant=minbase bookworm "$work/rootfs" http://deb.debian.org/debian >"$work/debootstrap.log" 2>&1 ||
    { tail -n 20 "$work/debootstrap.log" >&2; fail "debootstrap failed"; }
  # The image's apt reads the same registry.
  echo "deb http://deb.debian.org/debian bookworm main" >"$work/rootfs/etc/apt/sources.list"
  tar -C "$work/rootfs" -c . | podman import --change 'CMD ["bash"]' - "$base" >/dev/null
  rm -rf "$work/rootfs"
fi

# The compose file, through Compose's own parser (nothing is started).
docker-compose -f docker/compose.yaml config -q || fail "docker-compose rejects docker/compose.yaml"
step "docker/compose.yaml: valid for docker-compose $(docker-compose version --short)"

# 2. Build. The docker format keeps the Dockerfile's HEALTHCHECK (OCI drops it).
if [ "$build" -eq 1 ]; then
  step "building $tag from docker/Dockerfile"
  start=$(date +%s)
  podman build --isolation=chroot --cgroup-manager=cgroupfs --format docker \
    --build-arg BASE="$base" -f docker/Dockerfile -t "$tag" . >"$work/build.log" 2>&1 ||
    { tail -n 40 "$work/build.log" >&2; fail "podman build failed (log above)"; }
  step "built in $(( $(date +%s) - start )) s"
fi
podman image exists "$tag" || fail "no image $tag"

# 3. Inspect.
user=$(podman image inspect --format '{{.Config.User}}' "$tag")
entrypoint=$(podman image inspect --format '{{json .Config.Entrypoint}}' "$tag")
health=$(podman image inspect --format '{{json .Config.Healthcheck}}' "$tag")
size=$(podman image inspect --format '{{.Size}}' "$tag")
step "user=$user entrypoint=$entrypoint size=$(( size / 1000000 )) MB"
[ "$user" = recd ] || fail "the image runs as '$user', not recd"
[ "$entrypoint" = '["recd","--config","/etc/recd/recd.yaml"]' ] || fail "unexpected entrypoint $entrypoint"
[ "$health" != null ] || fail "the image has no HEALTHCHECK"

mnt=$(podman image mount "$tag")
for f in usr/local/bin/recd usr/local/bin/recd-cli etc/recd/recd.yaml opt/recd/models/demo opt/recd/data/demo/events.csv; do
  [ -e "$mnt/$f" ] || fail "/$f missing from the image"
done
for f in usr/bin/g++ usr/bin/cmake usr/include/grpcpp; do
  [ ! -e "$mnt/$f" ] || fail "/$f (a build tool or header) is in the runtime image"
done
uid=$(awk -F: '$1 == "recd" {print $3}' "$mnt/etc/passwd")
gid=$(awk -F: '$1 == "recd" {print $4}' "$mnt/etc/passwd")
[ -n "$uid" ] && [ "$uid" -ne 0 ] || fail "no unprivileged recd user in the image's /etc/passwd"

# 4. Run the image's recd under chroot as its user. The image is read only:
# its volume gets a fresh directory, /proc and /dev come from the host.
mkdir -p "$work/volume"
chown "$uid:$gid" "$work/volume"
mount --bind "$work/volume" "$mnt/var/lib/recd"
mount -t proc proc "$mnt/proc"
mount --bind /dev "$mnt/dev"
in_image() { chroot --userspec="$uid:$gid" "$mnt" env -i PATH=/usr/local/bin:/usr/bin:/bin HOME=/var/lib/recd "$@"; }

# Nothing else may answer on the port: a stale recd would pass the check.
if in_image recd-cli --target "127.0.0.1:$port" --timeout 1 recommend --user u42 -k 1 >/dev/null 2>&1; then
  fail "something already answers on 127.0.0.1:$port (RECD_IMAGE_TEST_PORT picks another)"
fi
step "starting the image's recd as uid $uid on 127.0.0.1:$port"
# Not through in_image: a function run in the background is a subshell, and
# $! would be its pid, not recd's (chroot and env exec in place).
chroot --userspec="$uid:$gid" "$mnt" env -i PATH=/usr/local/bin:/usr/bin:/bin HOME=/var/lib/recd \
  recd --config /etc/recd/recd.yaml --listen "127.0.0.1:$port" >"$work/recd.log" 2>&1 &
recd_pid=$!
deadline=$(( $(date +%s) + 120 ))
until in_image recd-cli --target "127.0.0.1:$port" --timeout 2 recommend --user u42 -k 5 >"$work/answer.txt" 2>&1; do
  kill -0 "$recd_pid" 2>/dev/null || { tail -n 30 "$work/recd.log" >&2; fail "recd exited during start"; }
  [ "$(date +%s)" -lt "$deadline" ] || { tail -n 30 "$work/recd.log" >&2; fail "recd did not answer within 120 s"; }
  sleep 1
done
items=$(grep -c '^ *[0-9]\+\.' "$work/answer.txt" || true)
step "recommend --user u42 -k 5 through the image's recd-cli:"
sed 's/^/    /' "$work/answer.txt"
[ "$items" -eq 5 ] || fail "expected 5 ranked items, got $items"
[ "$(stat -c %u "/proc/$recd_pid")" -eq "$uid" ] || fail "recd does not run as the image's user"
step "recd runs as uid $uid; resident $(awk '/VmRSS/ {printf "%.0f MB", $2 / 1024}' "/proc/$recd_pid/status")"
# The image's HEALTHCHECK command, run as Docker would (ops listener on 9464).
in_image bash -c "$(podman image inspect --format '{{index .Config.Healthcheck.Test 3}}' "$tag")" ||
  fail "the image's HEALTHCHECK command failed against the running recd"
step "HEALTHCHECK passes (ops /readyz answered 200)"
[ -n "$(ls -A "$work/volume")" ] || fail "recd wrote nothing to its volume (/var/lib/recd)"
[ "$(stat -c %u "$work/volume/store")" -eq "$uid" ] || fail "the store is not owned by the image's user"

kill -TERM "$recd_pid"
rc=0; wait "$recd_pid" || rc=$?
recd_pid=""
[ "$rc" -eq 0 ] || { tail -n 30 "$work/recd.log" >&2; fail "recd exited $rc after SIGTERM"; }
step "recd drained and exited 0 on SIGTERM"
step "PASS ($tag: $(( size / 1000000 )) MB, runs as $user)"
