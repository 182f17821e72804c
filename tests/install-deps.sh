#!/usr/bin/env bash
# Install what nrb needs to build, test and run its lab on Debian 12 (as root).
# Idempotent: packages already present are left alone, apt-get runs only when one is missing.
set -euo pipefail

pkgs=(
  build-essential cmake pkg-config
  liblua5.4-dev libyaml-dev libpcap-dev libjson-c-dev libcmocka-dev
  iproute2 iptables nftables tcpdump traceroute mtr-tiny netcat-openbsd
  iputils-ping iputils-tracepath procps python3 dnsmasq-base jq
)
# Optional tooling, not needed by the tests: --bench adds tshark (the reference of
# tests/bench/capture_bench.sh), --fuzz adds clang and libFuzzer (tests/fuzzcap), --ansible
# adds ansible-core (the example playbook's tests in tests/vantage; skipped without it).
for opt in "$@"; do
  case $opt in
    --bench) pkgs+=(tshark) ;;
    --fuzz) pkgs+=(clang libclang-rt-14-dev) ;;
    --ansible) pkgs+=(ansible-core) ;;
  esac
done
missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" -ne 0 ]; then
    echo "install-deps: missing packages (${missing[*]}); run as root to install them" >&2
    exit 3
  fi
  echo "install-deps: installing ${missing[*]}" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
