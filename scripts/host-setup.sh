#!/usr/bin/env bash
# Sets this host up for Puck's Podman + CRIU backend, as root, idempotently:
#   Podman >= 5 with runc, CRIU that passes `criu check`, iptables (CRIU locks the network
#   with it), Caddy >= 2.7, mmdebstrap (to build the base image without a registry), a
#   containers.conf drop-in, and a rootful `podman system service` on a unix socket (0600).
# It probes first: on a machine already set up it changes nothing and returns in a moment.
# Where the distribution's own packages are good enough (Debian 13, recent Ubuntu) it uses
# them; only where they are not (Debian 12 on a new kernel) does it add Debian 13 (trixie)
# and sid at low pin priority and install from there, which upgrades libc6 and ~100 other
# packages. On a terminal it asks first; `--yes`, PUCK_SETUP_YES=1, CI=true or no terminal
# give consent. See scripts/README.md.
set -euo pipefail

export PODMAN_IGNORE_CGROUPSV1_WARNING=1 DEBIAN_FRONTEND=noninteractive
SOCKET="${PUCK_PODMAN_SOCKET:-/run/podman/podman.sock}"
PIDFILE=/run/puck-podman-service.pid
LOG=/var/log/puck-podman-service.log
CONF_DIR=/etc/containers/containers.conf.d
CONF="$CONF_DIR/50-puck.conf"

say() { printf 'puck-setup: %s\n' "$*"; }
die() { printf 'puck-setup: error: %s\n' "$*" >&2; exit 1; }

yes_given=0
for arg in "$@"; do
  case "$arg" in
    -y|--yes) yes_given=1 ;;
    -h|--help) sed -n '2,12p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) die "unknown argument '$arg' (use --yes or --help)" ;;
  esac
done
[ "${CI:-}" = true ] || [ "${PUCK_SETUP_YES:-}" = 1 ] && yes_given=1

[ "$(id -u)" = 0 ] || die "run it as root (sudo $0): CRIU checkpoints only rootful Podman containers."
command -v apt-get >/dev/null || die "this script knows Debian and Ubuntu (apt); install Podman >= 5, CRIU and Caddy >= 2.7 by hand elsewhere."

version_ge() { dpkg --compare-versions "$1" ge "$2"; }
podman_version() { podman version --format '{{.Client.Version}}' 2>/dev/null || echo 0; }
caddy_version() { caddy version 2>/dev/null | awk '{print $1}' | tr -d v || echo 0; }

podman_ok() { command -v podman >/dev/null && version_ge "$(podman_version)" 5.0 && command -v runc >/dev/null; }
criu_ok() { command -v criu >/dev/null && criu check 2>&1 | grep -q 'Looks good'; }
tools_ok() { command -v iptables-restore >/dev/null && command -v mmdebstrap >/dev/null && command -v curl >/dev/null; }
caddy_ok() { command -v caddy >/dev/null && version_ge "$(caddy_version)" 2.7; }
service_ok() { curl -sf --max-time 2 --unix-socket "$SOCKET" http://d/_ping >/dev/null 2>&1; }

wanted_conf() {
  cat <<'CONF'
# Written by Puck's scripts/host-setup.sh.
[containers]
# Below the hard nofile limit of these hosts; Podman's default exceeds it.
default_ulimits = ["nofile=1024:1024", "nproc=4096:4096"]
[engine]
# runc checkpoints reliably with CRIU on cgroup v1 (crun refuses hybrid cgroups here).
runtime = "runc"
CONF
}
conf_ok() { [ -f "$CONF" ] && [ "$(cat "$CONF")" = "$(wanted_conf)" ]; }

if podman_ok && criu_ok && tools_ok && caddy_ok && conf_ok && service_ok; then
  say "already set up: podman $(podman_version), $(criu --version | head -1), caddy $(caddy_version), service on $SOCKET"
  exit 0
fi

# ---- packages ----
codename=$(. /etc/os-release && echo "${VERSION_CODENAME:-}")
apt_updated=0
apt_update() { [ "$apt_updated" = 1 ] || { say "apt-get update"; apt-get update -qq; apt_updated=1; }; }
candidate() { apt-cache policy "$1" 2>/dev/null | awk '/Candidate:/ {print $2}'; }
install() { apt-get install -y -qq -o Dpkg::Options::=--force-confold "$@" >/dev/null; }

# The mirror this machine already uses, so no host is named here.
mirror() {
  local uri
  uri=$(grep -hs '^URIs:' /etc/apt/sources.list.d/*.sources | awk '{print $2}' | grep -v security | head -1)
  [ -n "$uri" ] || uri=$(grep -hs '^deb ' /etc/apt/sources.list | awk '{print $2}' | grep -v security | head -1)
  [ -n "$uri" ] || die "cannot find the Debian mirror in /etc/apt/sources.list(.d); add trixie and sid sources by hand."
  printf '%s' "$uri"
}

add_suites() {
  local uri
  uri=$(mirror)
  for suite in trixie sid; do
    cat > "/etc/apt/sources.list.d/puck-$suite.sources" <<SRC
# Added by Puck's scripts/host-setup.sh: Podman 5 (trixie) and CRIU >= 4.2 (sid), pinned low.
Types: deb
URIs: $uri
Suites: $suite
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
SRC
  done
  cat > /etc/apt/preferences.d/puck <<'PIN'
# Added by Puck's scripts/host-setup.sh: nothing comes from these suites unless asked for.
Package: *
Pin: release n=trixie
Pin-Priority: 100

Package: *
Pin: release n=sid
Pin-Priority: 50
PIN
  apt_updated=0
  apt_update
}

consent() {
  [ "$yes_given" = 1 ] && return 0
  if [ ! -t 0 ]; then return 0; fi
  cat <<'TXT'
Puck needs Podman >= 5 and CRIU >= 4.2, which this distribution does not ship in a working
version for this kernel. This script will add Debian 13 (trixie) and sid package sources
with a low pin priority and install Podman, runc, conmon, netavark, aardvark-dns from
trixie and CRIU from sid. As dependencies, libc6 and about 100 other packages are upgraded
to their Debian 13 versions (systemd, python3, openssl among them).
TXT
  read -r -p "Proceed? [y/N] " answer
  case "$answer" in y|Y|yes|YES) return 0 ;; *) die "nothing was changed. Rerun with --yes to accept." ;; esac
}

if ! podman_ok || ! criu_ok || ! tools_ok; then
  apt_update
  podman_candidate=$(candidate podman)
  if [ -n "$podman_candidate" ] && [ "$podman_candidate" != "(none)" ] && version_ge "$podman_candidate" 5.0; then
    say "installing podman $podman_candidate and CRIU from $codename"
    install podman runc conmon netavark aardvark-dns criu iptables mmdebstrap curl uidmap
  else
    say "$codename's podman is ${podman_candidate:-absent}; Podman 5 comes from Debian 13 (trixie), CRIU from sid"
    consent
    add_suites
    install -t trixie podman runc conmon netavark aardvark-dns
    install -t sid criu
    install iptables mmdebstrap curl
  fi
  if ! criu_ok; then
    say "criu $(criu --version 2>/dev/null | head -1) fails 'criu check'; trying CRIU from sid"
    [ -f /etc/apt/sources.list.d/puck-sid.sources ] || { consent; add_suites; }
    install -t sid criu
  fi
  podman_ok || die "podman $(podman_version) is still not >= 5 with runc; see $0 --help."
  criu_ok || die "'criu check' still fails: $(criu check 2>&1 | tail -3 | tr '\n' ' ')"
  tools_ok || die "iptables-restore, mmdebstrap or curl is missing after the install."
fi

if ! caddy_ok; then
  apt_update
  caddy_candidate=$(candidate caddy)
  if [ -n "$caddy_candidate" ] && [ "$caddy_candidate" != "(none)" ] && version_ge "$caddy_candidate" 2.7; then
    say "installing caddy $caddy_candidate"
    install caddy
  else
    say "caddy ${caddy_candidate:-absent} is older than 2.7; installing Caddy from sid"
    [ -f /etc/apt/sources.list.d/puck-sid.sources ] || { consent; add_suites; }
    install -t sid caddy
  fi
  caddy_ok || die "caddy $(caddy_version) is still older than 2.7."
fi

# ---- configuration ----
if ! conf_ok; then
  mkdir -p "$CONF_DIR"
  wanted_conf > "$CONF"
  say "wrote $CONF (runtime runc, ulimits below the hard limit)"
fi

# ---- the rootful Podman service ----
if ! service_ok; then
  if [ -f "$PIDFILE" ] && kill -0 "$(cat "$PIDFILE")" 2>/dev/null; then
    say "the Podman service (pid $(cat "$PIDFILE")) does not answer; restarting it"
    kill "$(cat "$PIDFILE")" || true
    sleep 1
  fi
  mkdir -p "$(dirname "$SOCKET")"
  rm -f "$SOCKET"
  say "starting podman system service on unix://$SOCKET (log: $LOG)"
  setsid nohup podman system service --time=0 "unix://$SOCKET" >>"$LOG" 2>&1 </dev/null &
  echo $! > "$PIDFILE"
  for _ in $(seq 1 100); do
    service_ok && break
    sleep 0.1
  done
  service_ok || die "the Podman service did not answer on $SOCKET within 10 s; see $LOG."
fi
chmod 0600 "$SOCKET"

say "ready: podman $(podman_version), $(criu --version | head -1), caddy $(caddy_version), service on $SOCKET"
