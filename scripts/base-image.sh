#!/usr/bin/env bash
# Builds Puck's sprite base image from Debian packages (mmdebstrap + podman import), with no
# registry. Cached: the image carries a hash of its recipe and this script, and is rebuilt
# only when they change. Run scripts/host-setup.sh first.
set -euo pipefail
export PODMAN_IGNORE_CGROUPSV1_WARNING=1

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
recipe="$here/base-image/recipe"
say() { printf 'puck-image: %s\n' "$*"; }
die() { printf 'puck-image: error: %s\n' "$*" >&2; exit 1; }
get() { sed -n "s/^$1=//p" "$recipe"; }

[ "$(id -u)" = 0 ] || die "run it as root: the image goes into rootful Podman's storage, where sprites run."
command -v podman >/dev/null && command -v mmdebstrap >/dev/null || die "podman or mmdebstrap is missing; run scripts/host-setup.sh first."

suite=$(get suite)
tag=$(get tag)
hash=$(cat "$recipe" "$0" | sha256sum | cut -c1-16)

current=$(podman image inspect --format '{{ index .Labels "puck.recipe" }}' "$tag" 2>/dev/null || true)
if [ "$current" = "$hash" ]; then
  say "$tag is up to date (recipe $hash)"
  exit 0
fi

# The mirror this machine already uses, so no host is named here.
uri=$(grep -hs '^URIs:' /etc/apt/sources.list.d/*.sources | awk '{print $2}' | grep -v security | head -1)
[ -n "$uri" ] || uri=$(grep -hs '^deb ' /etc/apt/sources.list | awk '{print $2}' | grep -v security | head -1)
[ -n "$uri" ] || die "cannot find the Debian mirror in /etc/apt/sources.list(.d)."

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
say "building $tag from $suite packages (recipe $hash); this takes a minute or two"
mmdebstrap --quiet --variant=minbase --include="$(get packages)" \
  --customize-hook='chroot "$1" sh -c "rm -f /etc/ssh/ssh_host_*; mkdir -p /run/sshd"' \
  "$suite" "$work/rootfs.tar" "deb $uri $suite main" "deb $uri $suite-updates main" \
  || die "mmdebstrap failed; see the messages above."
podman import --quiet \
  --change "ENTRYPOINT $(get entrypoint)" \
  --change "CMD $(get cmd)" \
  --change "LABEL puck.recipe=$hash" \
  "$work/rootfs.tar" "$tag" >/dev/null || die "podman import failed."
say "built $tag ($(podman image inspect --format '{{.Size}}' "$tag" | numfmt --to=iec) bytes)"
