#!/usr/bin/env bash
# Builds Puck's sprite base image from Debian packages, with no registry:
# `mmdebstrap --variant=minbase` of the packages in base-image/recipe, then `podman import`
# with tini as the entrypoint. Cached: the image carries a label with a hash of the recipe and
# this script, and a run whose hash matches the existing image's does nothing.
# Run as root, after scripts/host-setup.sh (the image goes into rootful Podman's storage).
#
# Usage: sudo scripts/base-image.sh [--force] [--check]
#   --force   rebuild even if the image is up to date
#   --check   only say whether the image is up to date: exit 0 if so, 1 if not
# Environment: PUCK_DEBIAN_MIRROR, PUCK_DEBIAN_SECURITY_MIRROR (Debian mirror URIs, when
#   they cannot be read from this host's apt sources, e.g. on Ubuntu).
set -Eeuo pipefail
export PODMAN_IGNORE_CGROUPSV1_WARNING=1

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
recipe="$here/base-image/recipe"
self="$here/$(basename "${BASH_SOURCE[0]}")"
LOCK=/run/lock/puck-base-image.lock
started=$(date +%s)

say() { printf 'puck-image: %s\n' "$*"; }
die() { trap - ERR; printf 'puck-image: FAILED: %s\n' "$*" >&2; exit 1; }
trap 'die "command failed at line $LINENO (exit $?); rerun with bash -x for details"' ERR

force=0 check_only=0
for arg in "$@"; do
  case "$arg" in
    --force) force=1 ;;
    --check) check_only=1 ;;
    -h|--help) awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "$0"; exit 0 ;;
    *) die "unknown argument '$arg' (use --force, --check or --help)" ;;
  esac
done

[ -f "$recipe" ] || die "the recipe $recipe is missing."
# All values of a key, in order.
get() { sed -n "s/^$1=//p" "$recipe"; }
one() { local v; v=$(get "$1" | tail -n 1); [ -n "$v" ] || die "the recipe has no $1=."; printf '%s' "$v"; }

suite=$(one suite)
tag=$(one tag)
hash=$(cat "$recipe" "$self" | sha256sum | cut -c1-16)
current() { podman image inspect --format '{{ index .Labels "puck.recipe" }}' "$tag" 2>/dev/null || true; }

[ "$(id -u)" = 0 ] || die "run it as root: the image goes into rootful Podman's storage, where sprites run."
command -v podman >/dev/null || die "podman is missing; run scripts/host-setup.sh first."

if [ "$force" = 0 ] && [ "$(current)" = "$hash" ]; then
  say "$tag is up to date (recipe $hash)"
  exit 0
fi
if [ "$check_only" = 1 ]; then
  say "$tag is not up to date (has recipe '$(current)', wants $hash)"
  exit 1
fi
command -v mmdebstrap >/dev/null || die "mmdebstrap is missing; run scripts/host-setup.sh first."

# One build at a time; a run that waited finds the image built.
mkdir -p "$(dirname "$LOCK")"
exec 9>"$LOCK"
flock 9
if [ "$force" = 0 ] && [ "$(current)" = "$hash" ]; then
  say "$tag was built meanwhile by another run (recipe $hash)"
  exit 0
fi

# shellcheck source=lib/debian-mirror.sh
. "$here/lib/debian-mirror.sh"
mirror=$(debian_mirror main) || die "cannot find a Debian mirror in this host's apt sources; set PUCK_DEBIAN_MIRROR to a Debian mirror URI."
security=$(debian_mirror security || true)
sources=("deb $mirror $suite main" "deb $mirror $suite-updates main")
[ -z "$security" ] || sources+=("deb $security $suite-security main")

packages=$(get packages | paste -sd, -)
dpkgopts=()
while IFS= read -r p; do [ -n "$p" ] && dpkgopts+=("--dpkgopt=path-exclude=$p"); done < <(get exclude)
while IFS= read -r p; do [ -n "$p" ] && dpkgopts+=("--dpkgopt=path-include=$p"); done < <(get include)
changes=(--change "ENTRYPOINT $(one entrypoint)" --change "CMD $(one cmd)")
while IFS= read -r e; do [ -n "$e" ] && changes+=(--change "ENV $e"); done < <(get env)
changes+=(--change "LABEL puck.recipe=$hash" --change "LABEL puck.suite=$suite"
  --change "LABEL org.opencontainers.image.title=puck-base"
  --change "LABEL org.opencontainers.image.created=$(date -u +%Y-%m-%dT%H:%M:%SZ)")

work=$(mktemp -d /var/tmp/puck-base-image.XXXXXX)
trap 'rm -rf "$work"' EXIT
old=$(podman image inspect --format '{{.Id}}' "$tag" 2>/dev/null || true)

say "building $tag from Debian $suite (recipe $hash, mirror $mirror); about a minute"
# shellcheck disable=SC2016
if ! mmdebstrap --quiet --variant=minbase --include="$packages" "${dpkgopts[@]}" \
    --aptopt='Acquire::Retries "3"' \
    --customize-hook='rm -f "$1"/etc/ssh/ssh_host_*; mkdir -p "$1"/run/sshd; : > "$1"/etc/machine-id' \
    "$suite" "$work/rootfs.tar" "${sources[@]}" >"$work/mmdebstrap.log" 2>&1; then
  tail -n 20 "$work/mmdebstrap.log" | sed 's/^/  | /' >&2
  die "mmdebstrap failed (above). Check that the Debian mirror $mirror answers, then rerun."
fi
say "importing into podman ($(du -h "$work/rootfs.tar" | cut -f1) tarball)"
podman import --quiet "${changes[@]}" "$work/rootfs.tar" "$tag" >/dev/null || die "podman import failed."
rm -rf "$work"

new=$(podman image inspect --format '{{.Id}}' "$tag")
if [ -n "$old" ] && [ "$old" != "$new" ]; then
  if podman rmi "$old" >/dev/null 2>&1; then say "removed the previous image ${old:0:12}"
  else say "kept the previous image ${old:0:12}: containers still use it"; fi
fi
[ "$(current)" = "$hash" ] || die "the image $tag does not carry the label puck.recipe=$hash after the import."
say "built $tag (${new:0:12}, $(podman image inspect --format '{{.Size}}' "$tag" | numfmt --to=iec)B, recipe $hash) in $(( $(date +%s) - started )) s"
