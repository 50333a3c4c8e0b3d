#!/bin/sh
# Inside the vmrun guest (scripts/test-cgroupv2.sh): a pure cgroup v2 host. The loop driver
# backs the io.max test; the guest's root is a throw-away overlay, so the test user can be made.
set -eu
grep -q ' /sys/fs/cgroup cgroup2 ' /proc/mounts || { echo "cgroupv2-guest: /sys/fs/cgroup is not a cgroup2 mount" >&2; exit 1; }
modprobe loop 2>/dev/null || echo "cgroupv2-guest: no loop driver: the io.max test will fail" >&2
echo "guest: $(uname -r), controllers: $(cat /sys/fs/cgroup/cgroup.subtree_control)"
# OCIRT_TEST_PATTERN (from the caller's environment): only the tests whose names match
OCIRT_BIN=dist/ocirt-exe exec node --test --test-concurrency=1 ${OCIRT_TEST_PATTERN:+--test-name-pattern="$OCIRT_TEST_PATTERN"} build/test/integration/cgroups.test.mjs
