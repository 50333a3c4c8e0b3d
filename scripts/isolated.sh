#!/bin/sh
# Runs a command (default: npm test) in its own pid and mount namespaces, under a pid 1 that reaps
# every orphan. For running several test suites on one machine at once (a developer's worktrees):
# the integration tests' "nothing left behind" checks look at every container process in /proc and
# at the mount table, which another suite's containers would otherwise disturb. The host's pid 1
# here does not reap orphans either: detached container inits end as zombies without this.
#
#   scripts/isolated.sh                 # npm test
#   scripts/isolated.sh npm run test:exe
[ "$#" -gt 0 ] || set -- npm test
exec unshare --pid --fork --mount-proc --propagation private -- python3 -c '
import ctypes, os, signal, sys
pid = os.fork()
if pid == 0:
    os.execvp(sys.argv[1], sys.argv[1:])
status = 1
while True:
    try:
        p, st = os.wait()
    except ChildProcessError:
        break
    if p == pid:
        status = os.waitstatus_to_exitcode(st)
sys.exit(status if status >= 0 else 128 - status)
' "$@"
