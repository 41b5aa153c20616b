#!/usr/bin/env bash
# Installs the Debian packages of every program in scripts/packages.txt that is not on the PATH
# (as root; otherwise it names them and exits 1). The one place that turns that list into an
# apt-get call: .ci/run, test.sh, demo.sh and bench.sh all use it.
#   scripts/install-deps.sh [--check] [PROG:PACKAGE ...]
#     --check: only report, never install. PROG:PACKAGE: also a program that is not in the list
#     (one that only an optional tool needs, which CI should not install: bench.sh all's gnuplot).
set -euo pipefail
list="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/packages.txt"
check_only=0
[[ ${1:-} == --check ]] && { check_only=1; shift; }

missing=()
while read -r prog pkg _; do
  [[ -z $prog || $prog == \#* ]] && continue
  command -v "$prog" >/dev/null 2>&1 || missing+=("$pkg")
done <"$list"
for extra in "$@"; do
  [[ $extra == ?*:?* ]] || { echo "install-deps: expected PROG:PACKAGE, got '$extra'" >&2; exit 2; }
  command -v "${extra%%:*}" >/dev/null 2>&1 || missing+=("${extra#*:}")
done
((${#missing[@]})) || exit 0
mapfile -t missing < <(printf '%s\n' "${missing[@]}" | sort -u)

if ((check_only)) || [[ $(id -u) != 0 ]]; then
  echo "install-deps: missing Debian packages: ${missing[*]} (run scripts/install-deps.sh as root)" >&2
  exit 1
fi
echo "install-deps: installing ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}" </dev/null >/dev/null
