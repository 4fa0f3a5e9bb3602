#!/usr/bin/env bash
# Installs the Debian packages the test suite needs: tshark (Wireshark's dissectors are the decoding
# oracle), tcpdump (captures of real protocol stacks) and libpcap0.8 (live capture, `plantwarden watch`,
# loads it with ctypes), iptables and nftables (rule sets made by the real tools for the firewall
# analysis tests), chromium (the dashboard's end-to-end tests drive it with Playwright; Playwright's own
# browser download is not used), gnupg (the CSAF feed tests sign and verify their own feed). Needs root, as on the dev machines and CI.
set -euo pipefail
missing=()
command -v tshark >/dev/null 2>&1 || missing+=(tshark)
command -v tcpdump >/dev/null 2>&1 || missing+=(tcpdump)
ldconfig -p 2>/dev/null | grep -q 'libpcap\.so\.0\.8' || missing+=(libpcap0.8)
{ command -v iptables-save || [ -x /usr/sbin/iptables-save ]; } >/dev/null 2>&1 || missing+=(iptables)
{ command -v nft || [ -x /usr/sbin/nft ]; } >/dev/null 2>&1 || missing+=(nftables)
[ -x /usr/bin/chromium ] || missing+=(chromium)
command -v gpg >/dev/null 2>&1 || missing+=(gnupg)
[ ${#missing[@]} -eq 0 ] && exit 0
if [ "$(id -u)" != 0 ]; then
  echo "system-deps: please install ${missing[*]} (Debian packages); tests that need them will skip" >&2
  exit 0
fi
export DEBIAN_FRONTEND=noninteractive
echo "wireshark-common wireshark-common/install-setuid boolean false" | debconf-set-selections
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
