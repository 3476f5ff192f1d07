#!/usr/bin/env bash
# Sets this host up for Puck's Podman + CRIU backend, as root, idempotently:
#   Podman >= 5 with runc, CRIU that passes `criu check` (and is >= 4.2 on Linux >= 6.16),
#   iptables (CRIU locks a container's network with iptables-restore), nftables and iproute2
#   (the Caddy ingress switches routes with nft, ip and ss -K), Caddy >= 2.7,
#   mmdebstrap (builds the base image without a registry), /etc/containers/containers.conf
#   (runtime runc, ulimits below the hard limits), and a rootful `podman system service` on a
#   unix socket, mode 0600.
# It probes first: on a host already set up it changes nothing and returns in well under 2 s.
# The distribution's own packages are used where they are good enough (Debian 13, recent
# Ubuntu). On Debian 12 they are not (Podman 4.3 and CRIU 3.17 fail on new kernels): then it
# adds Debian 13 (trixie, pin 100) and sid (pin 50) from this host's own mirror and installs
# Podman from trixie, CRIU and Caddy from sid, which upgrades libc6 and ~100 other packages.
#
# Usage: sudo scripts/host-setup.sh [--yes] [--check]
#   --yes, -y   consent to adding trixie/sid without asking (also PUCK_SETUP_YES=1, CI=true,
#               or no terminal on stdin)
#   --check     only probe: exit 0 if set up, 1 if not (names what is missing); changes nothing
# Environment: PUCK_PODMAN_SOCKET (default /run/podman/podman.sock), PUCK_DEBIAN_MIRROR (the
#   Debian mirror URI to use for trixie/sid when it cannot be read from this host's sources).
# See scripts/README.md.
set -Eeuo pipefail

export PODMAN_IGNORE_CGROUPSV1_WARNING=1 DEBIAN_FRONTEND=noninteractive
SOCKET="${PUCK_PODMAN_SOCKET:-/run/podman/podman.sock}"
PIDFILE=/run/puck-podman-service.pid
SERVICE_LOG=/var/log/puck-podman-service.log
APT_LOG=/var/log/puck-host-setup.log
LOCK=/run/lock/puck-host-setup.lock
CONF=/etc/containers/containers.conf
DROPIN=/etc/containers/containers.conf.d/50-puck.conf
MARK="# Written by Puck's scripts/host-setup.sh"
PUCK_SOURCES=(/etc/apt/sources.list.d/puck-trixie.sources /etc/apt/sources.list.d/puck-sid.sources)
PUCK_PIN=/etc/apt/preferences.d/puck

started=$(date +%s)
step="start"
changed=()
say() { printf 'puck-setup: %s\n' "$*"; }
joined() { local out="" x; for x in "$@"; do out="${out:+$out, }$x"; done; printf '%s' "$out"; }
die() {
  trap - ERR
  printf 'puck-setup: FAILED (%s): %s\n' "$step" "$*" >&2
  exit 1
}
trap 'die "command failed at line $LINENO (exit $?); rerun with bash -x for details, apt output is in $APT_LOG"' ERR

yes_given=0 check_only=0
for arg in "$@"; do
  case "$arg" in
    -y|--yes) yes_given=1 ;;
    --check) check_only=1 ;;
    -h|--help) awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "$0"; exit 0 ;;
    *) die "unknown argument '$arg' (use --yes, --check or --help)" ;;
  esac
done
if [ "${PUCK_SETUP_YES:-}" = 1 ]; then yes_given=1; fi
case "${CI:-}" in ""|0|false|FALSE|no) ;; *) yes_given=1 ;; esac

# ---------------------------------------------------------------- probes (fast, read-only)
version_ge() {
  if command -v dpkg >/dev/null; then dpkg --compare-versions "${1:-0}" ge "$2" 2>/dev/null
  else [ "$(printf '%s\n%s\n' "$2" "${1:-0}" | sort -V | head -n 1)" = "$2" ]; fi
}
podman_version() { podman version --format '{{.Client.Version}}' 2>/dev/null || echo 0; }
criu_version() { criu --version 2>/dev/null | awk '/Version/ {print $2}'; }
caddy_version() { caddy version 2>/dev/null | awk '{sub(/^v/, "", $1); print $1}'; }
iptables_version() { iptables --version 2>/dev/null | awk '{sub(/^v/, "", $2); print $2}'; }

# The effective limits a container may ask for: Podman's default nofile exceeds these hosts'
# hard limit (20000), and a container then fails to start.
limit() { local v; v=$(ulimit -H "$1"); if [ "$v" = unlimited ] || [ "$v" -ge "$2" ]; then echo "$2"; else echo "$v"; fi; }
wanted_conf() {
  local nofile nproc
  nofile=$(limit -n 1024)
  nproc=$(limit -u 4096)
  cat <<CONF
$MARK: runc, and ulimits below the host's hard limits.
# runc checkpoints with CRIU on cgroup v1 (crun refuses hybrid cgroups on some hosts).
[containers]
default_ulimits = ["nofile=$nofile:$nofile", "nproc=$nproc:$nproc"]

[engine]
runtime = "runc"
CONF
}
# Our settings go into containers.conf; a containers.conf that someone else wrote is left
# alone and ours goes into a drop-in, which Podman reads after it.
conf_target() {
  if [ -f "$CONF" ] && ! head -n 1 "$CONF" | grep -qF "$MARK"; then echo "$DROPIN"; else echo "$CONF"; fi
}

podman_ok() { command -v podman >/dev/null && command -v runc >/dev/null && command -v conmon >/dev/null && version_ge "$(podman_version)" 5.0; }
# CRIU < 4.2 passes `criu check` on Linux >= 6.16 but cannot dump a process that holds a TCP
# socket there ("sockets: Can't get 1:16 opt"), so the version counts too.
kernel_ge() { version_ge "$(uname -r | sed 's/[^0-9.].*//')" "$1"; }
criu_ok() {
  local out
  command -v criu >/dev/null && out=$(criu check 2>&1) && [[ "$out" == *"Looks good"* ]] \
    && { ! kernel_ge 6.16 || version_ge "$(criu_version)" 4.2; }
}
tools_ok() { command -v iptables-restore >/dev/null && command -v nft >/dev/null && command -v ss >/dev/null && command -v mmdebstrap >/dev/null && command -v curl >/dev/null && [ -f /usr/share/keyrings/debian-archive-keyring.gpg ]; }
caddy_ok() { command -v caddy >/dev/null && version_ge "$(caddy_version)" 2.7; }
conf_ok() { local t; t=$(conf_target); [ -f "$t" ] && [ "$(cat "$t")" = "$(wanted_conf)" ]; }
# Prints the service's libpod version if a service answers on the socket.
service_version() {
  command -v curl >/dev/null || return 1
  local out
  out=$(curl -s -i --max-time 3 --unix-socket "$SOCKET" http://d/_ping 2>/dev/null) || return 1
  printf '%s' "$out" | tail -n 1 | grep -q '^OK' || return 1
  printf '%s\n' "$out" | tr -d '\r' | awk -F': ' 'tolower($1) == "libpod-api-version" {print $2}'
}
service_ok() { local v; v=$(service_version) && version_ge "$v" 5.0 && ! service_cwd_gone; }
# Our service started from a directory deleted since answers pings but cannot start a
# container (conmon: "Failed to get working directory"); it counts as not running.
service_cwd_gone() {
  local pid
  pid=$(cat "$PIDFILE" 2>/dev/null) || return 1
  [ -n "$pid" ] && readlink "/proc/$pid/cwd" 2>/dev/null | grep -q '(deleted)'
}

missing() {
  local m=()
  podman_ok || m+=("podman>=5/runc/conmon")
  criu_ok || m+=("criu (criu check passing; >= 4.2 on Linux >= 6.16)")
  tools_ok || m+=("iptables/nftables/iproute2/mmdebstrap/curl/debian-archive-keyring")
  caddy_ok || m+=("caddy>=2.7")
  conf_ok || m+=("$(conf_target)")
  service_ok || m+=("podman service on $SOCKET")
  printf '%s\n' "${m[@]+"${m[@]}"}"
}

summary() {
  say "ready in $(( $(date +%s) - started )) s: podman $(podman_version) (runc $(runc --version 2>/dev/null | awk 'NR==1 {print $3}')), criu $(criu_version), caddy $(caddy_version), iptables $(iptables_version); service on unix://$SOCKET${1:+; $1}"
}

[ "$(id -u)" = 0 ] || die "run it as root (sudo $0): CRIU checkpoints only rootful Podman containers."

todo=$(missing)
if [ -z "$todo" ]; then
  summary "nothing to do"
  exit 0
fi
if [ "$check_only" = 1 ]; then
  say "not set up; missing: $(mapfile -t t <<<"$todo"; joined "${t[@]}")"
  exit 1
fi

# One run at a time (Maven modules may start it in parallel); the loser re-probes.
mkdir -p "$(dirname "$LOCK")"
exec 9>"$LOCK"
flock 9
todo=$(missing)
if [ -z "$todo" ]; then summary "set up meanwhile by another run"; exit 0; fi
say "to do: $(mapfile -t t <<<"$todo"; joined "${t[@]}")"

# ---------------------------------------------------------------- packages
step="packages"
command -v apt-get >/dev/null || die "this script knows Debian and Ubuntu (apt). Install Podman >= 5 with runc, CRIU that passes 'criu check', iptables, Caddy >= 2.7 and mmdebstrap yourself, then rerun."
# shellcheck source=/dev/null
os_id=$(. /etc/os-release && echo "${ID:-}")
# shellcheck source=/dev/null
os_version=$(. /etc/os-release && echo "${VERSION_ID:-}")

# apt-get with its output in $APT_LOG; on failure shows the tail and returns non-zero.
apt_try() {
  local out rc=0
  out=$(mktemp)
  apt-get -y -q -o DPkg::Lock::Timeout=300 -o Dpkg::Options::=--force-confdef \
    -o Dpkg::Options::=--force-confold "$@" >"$out" 2>&1 || rc=$?
  { printf '\n=== %s apt-get %s (exit %s)\n' "$(date -Is)" "$*" "$rc"; cat "$out"; } >>"$APT_LOG"
  if [ "$rc" != 0 ]; then
    { grep -E '^(E|W): ' "$out" || tail -n 5 "$out"; } | tail -n 5 | sed 's/^/  | /' >&2 || true
  fi
  rm -f "$out"
  return "$rc"
}
apt_get() { apt_try "$@" || die "apt-get $* failed (full output in $APT_LOG). Fix the apt error above and rerun."; }
apt_update() {
  say "apt-get update"
  apt_try update && return 0
  # A broken trixie/sid source that an earlier run added must not block the run that fixes it.
  if have_suites; then
    say "apt-get update failed; removing the trixie/sid sources this script added and retrying"
    remove_suites
    apt_try update && return 0
  fi
  die "apt-get update failed (full output in $APT_LOG). Fix the apt error above and rerun."
}
candidate() { apt-cache policy "$1" 2>/dev/null | awk '/Candidate:/ {print $2}' | grep -v '(none)' || true; }

# The Debian mirror this host already uses, so that no host is named here.
# shellcheck source=lib/debian-mirror.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib/debian-mirror.sh"

add_suites() {
  local uri suite
  uri=$(debian_mirror main) || die "cannot find this host's Debian mirror in /etc/apt/sources.list(.d). Set PUCK_DEBIAN_MIRROR to a Debian mirror URI and rerun."
  for suite in trixie sid; do
    cat > "/etc/apt/sources.list.d/puck-$suite.sources" <<SRC
$MARK: Podman 5 (trixie), CRIU >= 4.2 and Caddy >= 2.7 (sid), pinned low.
Types: deb
URIs: $uri
Suites: $suite
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
SRC
  done
  cat > "$PUCK_PIN" <<'PIN'
# Written by Puck's scripts/host-setup.sh: nothing comes from these suites unless asked for
# (apt-get install -t trixie|sid).
Package: *
Pin: release n=trixie
Pin-Priority: 100

Package: *
Pin: release n=sid
Pin-Priority: 50
PIN
  say "added trixie (pin 100) and sid (pin 50) from $uri: ${PUCK_SOURCES[*]}, $PUCK_PIN"
  say "apt-get update"
  if ! apt_try update; then
    remove_suites
    die "apt-get update failed with trixie and sid added, so they were removed again (output in $APT_LOG). Fix the apt error above (or set PUCK_DEBIAN_MIRROR) and rerun."
  fi
  changed+=("apt sources trixie+sid")
}
remove_suites() { rm -f "${PUCK_SOURCES[@]}" "$PUCK_PIN"; }
have_suites() { [ -f "${PUCK_SOURCES[0]}" ] && [ -f "${PUCK_SOURCES[1]}" ] && [ -f "$PUCK_PIN" ]; }

# On a terminal, says what the install will change and asks; otherwise consent is given.
# $1: what, for the log line; $2: what it installs, for the question; the rest: apt arguments.
consent() {
  local what="$1" plan="$2"; shift 2
  local sim counts removed libc
  sim=$(apt-get -s -o Dpkg::Options::=--force-confold install "$@" 2>&1 || true)
  counts=$(printf '%s\n' "$sim" | grep -E '^[0-9]+ upgraded' | head -n 1 || true)
  removed=$(printf '%s\n' "$sim" | awk '/^Remv / {print $2}' | paste -sd' ' - || true)
  libc=$(printf '%s\n' "$sim" | awk '/^Inst libc6 / {gsub(/[()]/, "", $4); print $4}' || true)
  say "$what: apt plans ${counts:-nothing it could say}"
  if [ "$yes_given" = 1 ] || [ ! -t 0 ]; then return 0; fi
  cat <<TXT

Puck needs Podman >= 5, CRIU >= 4.2 and Caddy >= 2.7, which this distribution does not ship
in versions that work on this kernel. This script has added Debian 13 (trixie) and sid package
sources with a low pin priority (nothing comes from them unless asked for) and will install
$plan.
apt's plan for the first step: ${counts:-unknown}${libc:+ (libc6 becomes $libc)}
${removed:+Removed (renamed libraries): $removed
}Dependencies come along: on Debian 12 that upgrades libc6 and about 100 other packages
(systemd, python3, openssl among them) to Debian 13's versions. Existing configuration files
are kept.
TXT
  local answer=""
  read -r -p "Proceed? [y/N] " answer || true
  case "$answer" in
    y|Y|yes|YES|Yes) return 0 ;;
    *) remove_suites; die "declined; the trixie/sid sources were removed again and nothing was installed. Rerun with --yes to accept." ;;
  esac
}

install_from_debian_13() {
  have_suites || add_suites
  consent "Podman 5 from trixie" "podman runc conmon netavark aardvark-dns from trixie, then criu and caddy from sid" -t trixie podman runc conmon netavark aardvark-dns
  say "installing podman runc conmon netavark aardvark-dns from trixie (takes a minute or two)"
  apt_get install -t trixie podman runc conmon netavark aardvark-dns
  changed+=("podman from trixie")
}

install_criu_from_sid() {
  have_suites || { add_suites; consent "CRIU from sid" "criu from sid" -t sid criu; }
  say "installing criu from sid"
  apt_get install -t sid criu
  changed+=("criu from sid")
}

if ! podman_ok || ! criu_ok || ! tools_ok || ! caddy_ok; then
  apt_update
  podman_candidate=$(candidate podman)
  if ! podman_ok; then
    if version_ge "$podman_candidate" 5.0; then
      say "installing podman $podman_candidate from this distribution"
      apt_get install podman runc conmon netavark aardvark-dns
      changed+=("podman")
    elif [ "$os_id" = debian ] && { [ "$os_version" = 12 ] || [ "$os_version" = 13 ]; }; then
      say "Debian 12's podman is ${podman_candidate:-absent} (< 5, fails on this kernel): Podman 5 comes from Debian 13 (trixie), CRIU and Caddy from sid"
      install_from_debian_13
    else
      die "podman ${podman_candidate:-is not available} here, and Puck needs Podman >= 5 with runc. Use Debian 12/13 or Ubuntu >= 24.10, or install Podman >= 5 yourself, then rerun."
    fi
  fi
  if ! criu_ok; then
    criu_candidate=$(candidate criu)
    if [ -n "$criu_candidate" ] && ! have_suites; then
      say "installing criu $criu_candidate from this distribution"
      apt_get install criu
      changed+=("criu")
    fi
    if ! criu_ok; then
      [ "$os_id" = debian ] || die "'criu check' fails with criu ${criu_candidate:-absent}: $(criu check 2>&1 | tail -n 2 | tr '\n' ' '). Install CRIU >= 4.2 yourself (needed on Linux >= 6.16 for TCP sockets), then rerun."
      install_criu_from_sid
    fi
  fi
  if ! tools_ok; then
    say "installing iptables nftables iproute2 mmdebstrap curl debian-archive-keyring uidmap"
    apt_get install iptables nftables iproute2 mmdebstrap curl debian-archive-keyring uidmap
    changed+=("iptables nftables mmdebstrap")
  fi
  if ! caddy_ok; then
    caddy_candidate=$(candidate caddy)
    if version_ge "$caddy_candidate" 2.7 && ! have_suites; then
      say "installing caddy $caddy_candidate from this distribution"
      apt_get install caddy
    elif [ "$os_id" = debian ]; then
      have_suites || { add_suites; consent "Caddy from sid" "caddy from sid" -t sid caddy; }
      say "caddy in the default suites is ${caddy_candidate:-absent} (< 2.7); installing caddy from sid"
      apt_get install -t sid caddy
    else
      die "caddy ${caddy_candidate:-is not available} here, and Puck needs Caddy >= 2.7 (2.6 drops websockets on every config change). Install Caddy >= 2.7 yourself, then rerun."
    fi
    changed+=("caddy")
  fi
  step="package check"
  podman_ok || die "podman $(podman_version) with runc and conmon is still not there after the install; see $APT_LOG."
  criu_ok || die "criu $(criu_version) is not usable: 'criu check' says: $(criu check 2>&1 | tail -n 3 | tr '\n' ' ')(Linux >= 6.16 needs CRIU >= 4.2)."
  tools_ok || die "iptables-restore, nft, ss, mmdebstrap, curl or the Debian archive keyring is still missing; see $APT_LOG."
  caddy_ok || die "caddy $(caddy_version) is still older than 2.7; see $APT_LOG."
  say "packages: podman $(podman_version), criu $(criu_version), caddy $(caddy_version), iptables $(iptables_version)"
fi

# ---------------------------------------------------------------- containers.conf
step="containers.conf"
if ! conf_ok; then
  target=$(conf_target)
  mkdir -p "$(dirname "$target")"
  wanted_conf > "$target.tmp"
  mv "$target.tmp" "$target"
  # An older run of this script wrote the drop-in; containers.conf now holds the settings.
  if [ "$target" = "$CONF" ] && [ -f "$DROPIN" ] && head -n 1 "$DROPIN" | grep -qF "# Written by Puck"; then rm -f "$DROPIN"; fi
  say "wrote $target (runtime runc, default ulimits below the hard limits)"
  changed+=("$target")
fi

# ---------------------------------------------------------------- the rootful Podman service
step="podman service"
ours_running() {
  local pid
  [ -f "$PIDFILE" ] || return 1
  pid=$(cat "$PIDFILE" 2>/dev/null) || return 1
  [ -n "$pid" ] && { tr '\0' ' ' < "/proc/$pid/cmdline"; } 2>/dev/null | grep -q 'podman system service'
}
stop_ours() {
  local pid _
  pid=$(cat "$PIDFILE")
  kill "$pid" 2>/dev/null || true
  for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  if kill -0 "$pid" 2>/dev/null; then kill -9 "$pid" 2>/dev/null || true; fi
  rm -f "$PIDFILE"
}
wait_for_service() {
  local _
  for _ in $(seq 1 150); do
    [ -S "$SOCKET" ] && chmod 0600 "$SOCKET" && service_ok && return 0
    sleep 0.1
  done
  return 1
}
start_service() {
  mkdir -p "$(dirname "$SOCKET")"
  # Where systemd runs the host (not on these VMs), its podman.socket is the proper service.
  if [ -d /run/systemd/system ] && [ "$SOCKET" = /run/podman/podman.sock ] \
     && systemctl cat podman.socket >/dev/null 2>&1 && ! ours_running; then
    say "enabling systemd's podman.socket"
    if systemctl enable --now podman.socket >/dev/null 2>&1 && wait_for_service; then
      changed+=("systemd podman.socket")
      return 0
    fi
    say "podman.socket did not answer; starting the service by hand instead"
    systemctl disable --now podman.socket >/dev/null 2>&1 || true
  fi
  rm -f "$SOCKET"
  say "starting podman system service on unix://$SOCKET (log $SERVICE_LOG, pid file $PIDFILE)"
  # No systemd: a session of its own so that it outlives this script and its caller (Maven),
  # a clean environment (not the caller's TMPDIR or XDG_RUNTIME_DIR), and no inherited lock.
  # The inner shell writes its own pid, which exec hands on to podman. It runs from /: conmon
  # inherits the service's working directory, and if that is later deleted (a build's
  # directory, say) every container start fails with "Failed to get working directory".
  # shellcheck disable=SC2016
  env -i PATH="$PATH" HOME="${HOME:-/root}" LANG=C.UTF-8 PODMAN_IGNORE_CGROUPSV1_WARNING=1 \
    ${http_proxy:+http_proxy="$http_proxy"} ${https_proxy:+https_proxy="$https_proxy"} ${no_proxy:+no_proxy="$no_proxy"} \
    setsid nohup sh -c 'cd / && echo $$ > "$1" && exec podman system service --time=0 "unix://$2"' \
    puck-podman-service "$PIDFILE" "$SOCKET" >>"$SERVICE_LOG" 2>&1 </dev/null 9>&- &
  wait_for_service || die "the Podman service did not answer on $SOCKET within 15 s. Its log: $SERVICE_LOG (last lines: $(tail -n 3 "$SERVICE_LOG" 2>/dev/null | tr '\n' ' '))"
  changed+=("podman service (pid $(cat "$PIDFILE"))")
}
# The runtime the running service uses (a service started before containers.conf was
# written still runs crun).
service_runtime() {
  curl -s --max-time 5 --unix-socket "$SOCKET" http://d/v5.0.0/libpod/info 2>/dev/null \
    | tr ',{' '\n' | grep -A3 '"ociRuntime"' | sed -n 's/.*"name":"\([^"]*\)".*/\1/p' | head -n 1 || true
}

if service_ok; then
  rt=$(service_runtime)
  if [ -n "$rt" ] && [ "$rt" != runc ]; then
    if ours_running; then
      say "the running service uses $rt, not runc; restarting it"
      stop_ours
      start_service
    else
      die "a Podman service not started by this script answers on $SOCKET and uses $rt, not runc. Restart it so that it reads $(conf_target), then rerun."
    fi
  fi
else
  v=$(service_version || true)
  if ours_running; then
    say "the Podman service (pid $(cat "$PIDFILE")) $(if service_cwd_gone; then echo "runs in a deleted directory, where conmon cannot start containers"; elif [ -n "$v" ]; then echo "is version $v"; else echo "does not answer"; fi); restarting it"
    stop_ours
  elif [ -n "$v" ]; then
    die "a Podman $v service not started by this script answers on $SOCKET; Puck needs >= 5. Stop it (or set PUCK_PODMAN_SOCKET to another path) and rerun."
  fi
  start_service
fi
if ours_running && [ "$(stat -c %a "$SOCKET")" != 600 ]; then chmod 0600 "$SOCKET"; fi

step="final check"
todo=$(missing)
[ -z "$todo" ] || die "still not set up: $(mapfile -t t <<<"$todo"; joined "${t[@]}")"
summary "changed: $(joined "${changed[@]:-nothing}")"
