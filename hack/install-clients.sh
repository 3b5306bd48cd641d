#!/usr/bin/env bash
# install-clients.sh installs the real DHCP clients and relay the demo and
# the e2e tests run in network namespaces: isc-dhcp-client (dhclient),
# dhcpcd-base (dhcpcd, without dhcpcd5's service), busybox (udhcpc) and
# isc-dhcp-relay (dhcrelay), dnsmasq-base (dnsmasq, the rogue server of
# the self-probe test) and kea-dhcp4-server (the server the migration test
# moves a client from); or the Debian packages named as arguments
# (make bench: kea-dhcp4-server kea-admin postgresql). A policy-rc.d that
# exits 101 keeps every package from starting a daemon on this machine's
# own interfaces.
set -euo pipefail

want=(isc-dhcp-client dhcpcd-base busybox isc-dhcp-relay dnsmasq-base kea-dhcp4-server)
[[ $# -gt 0 ]] && want=("$@")
missing=()
for p in "${want[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[[ ${#missing[@]} -eq 0 ]] && exit 0

if [[ $(id -u) -ne 0 ]]; then
  echo "install-clients: need root to install ${missing[*]}" >&2
  exit 1
fi
if [[ ! -x /usr/sbin/policy-rc.d ]]; then
  printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d
  chmod +x /usr/sbin/policy-rc.d
fi
echo "install-clients: installing ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq >&2
apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2
