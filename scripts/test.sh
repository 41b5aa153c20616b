#!/usr/bin/env bash
# Runs every test: unit, property, simulator, and the interop tests that need root, network
# namespaces and the Linux kernel's MPTCP. Installs the Debian packages those need when missing.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"

# The packages the tests need (scripts/packages.txt); installed when root, named otherwise.
"$root/scripts/install-deps.sh" || true

if [ "$(id -u)" != 0 ]; then
  cat >&2 <<'MSG'
!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!
!! Not root: the interop tests (network namespaces, TUN, the Linux kernel peer) cannot run.
!! They will FAIL. To run only the rest, set JMPTCP_SKIP_NETNS=1 (they are then reported
!! as skipped, not passed).
!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!
MSG
fi

exec mvn -B verify "$@"
