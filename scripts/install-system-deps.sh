#!/usr/bin/env bash
# Installs the system packages that hafen's system tests drive for real (docs/testing.md,
# "Real components"). Idempotent: packages already installed are skipped, and apt is not
# touched at all when everything is present. Needs root (or sudo) and Debian's archive.
set -euo pipefail

PACKAGES=(
  docker.io docker-compose busybox-static   # compose driver, test images without a registry
  restic tzdata                             # backups (snapshot times in several time zones)
  nftables iproute2 iputils-ping            # firewalls, network namespaces (ping: ICMP rules)
  haproxy nginx wrk                         # proxy engines and load generation
  postgresql                                # the PostgreSQL store
  openssh-server                            # rsync/ssh migrations
  knot bind9-dnsutils                       # a DNS server for dynamic updates (TSIG); nsupdate and dig
  chromium                                  # dashboard tests (playwright-core drives it)
  rsync curl ca-certificates openssl procps
)

SUDO=""
if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null 2>&1; then SUDO="sudo"; else
    echo "install-system-deps: must run as root (or with sudo available)" >&2; exit 1
  fi
fi

missing=()
for p in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done

if [ ${#missing[@]} -eq 0 ]; then
  echo "install-system-deps: all ${#PACKAGES[@]} packages already installed"
  exit 0
fi

echo "install-system-deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
# Services must not start from the package scripts (no systemd here; start-services.sh does it).
if [ ! -e /usr/sbin/policy-rc.d ]; then
  printf '#!/bin/sh\nexit 101\n' | $SUDO tee /usr/sbin/policy-rc.d >/dev/null
  $SUDO chmod +x /usr/sbin/policy-rc.d
  remove_policy=1
fi
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
[ "${remove_policy:-0}" = 1 ] && $SUDO rm -f /usr/sbin/policy-rc.d
echo "install-system-deps: done"
