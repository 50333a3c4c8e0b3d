#!/bin/sh
# npm run test:cgroupv2: the cgroups integration tests (test/integration/cgroups.test.ts) in a
# QEMU guest whose only cgroup hierarchy is a pure cgroup v2 one with every controller enabled
# (../shared/vmtest/vmrun; see its README). The guest runs under software emulation here (TCG),
# so only that one test file runs there, driving the shipped executable (dist/ocirt-exe).
# Must run as root (vmrun needs it). VMRUN=/path/to/vmrun overrides the location;
# OCIRT_TEST_PATTERN=regex runs only the tests whose names match.
set -eu
cd "$(dirname "$0")/.."
VMRUN=${VMRUN:-$(pwd)/../shared/vmtest/vmrun}
if [ ! -x "$VMRUN" ]; then
  echo "test:cgroupv2: $VMRUN not found (the shared vmtest kit; set VMRUN=/path/to/vmrun)" >&2
  exit 1
fi
[ -x dist/ocirt-exe ] || { echo "test:cgroupv2: dist/ocirt-exe missing: npm run build:exe" >&2; exit 1; }
exec "$VMRUN" --timeout 1500 --mem 2G -- sh scripts/cgroupv2-guest.sh
