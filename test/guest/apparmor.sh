#!/bin/bash
# AppArmor applied for real. Runs inside the VM guest of ../shared/vmtest (its Debian kernel has
# AppArmor enabled, securityfs mounted; apparmor_parser comes from the host's apparmor package):
#
#   npm run test:apparmor          (builds dist/ocirt-exe, then vmrun -- test/guest/apparmor.sh)
#
# Loads a profile that denies reading one file, runs containers under it as root and rootless,
# and checks from inside, for the container's process and an exec'd one: the denial,
# /proc/self/attr/current, and that a /proc the container controls cannot take the label (the
# attribute is written through the init's own procfs handle, not the container's /proc: runc
# CVE-2025-52881). TAP on stdout; exit status 1 if any check failed.
set -u
REPO=$(cd "$(dirname "$0")/../.." && pwd)
OCIRT=${OCIRT_BIN:-$REPO/dist/ocirt-exe}
BUSYBOX=$(command -v busybox)
PROFILE=ocirt-test-deny
TEST_USER=ocirt-test

n=0
failed=0
ok() { n=$((n + 1)); echo "ok $n - $1"; }
not_ok() {
  n=$((n + 1)); failed=$((failed + 1)); echo "not ok $n - $1"; shift
  for l in "$@"; do printf '#   %s\n' "$l"; done
}
# check NAME EXPECTED ACTUAL [details...]
check() { if [ "$2" = "$3" ]; then ok "$1"; else not_ok "$1" "expected: $2" "actual:   $3" "${@:4}"; fi; }

if [ "$(cat /sys/module/apparmor/parameters/enabled 2>/dev/null)" != Y ] || [ ! -d /sys/kernel/security/apparmor ]; then
  echo "1..0 # SKIP AppArmor is not enabled on this kernel"
  exit 0
fi
if [ ! -x "$OCIRT" ]; then echo "Bail out! $OCIRT is not built (npm run build:exe)"; exit 1; fi
work=$(mktemp -d /tmp/ocirt-apparmor.XXXXXX)
chmod 755 "$work"
trap 'rm -rf "$work"' EXIT

cat > "$work/profile" <<EOF
abi <abi/3.0>,
profile $PROFILE flags=(attach_disconnected,mediate_deleted) {
  file,
  capability,
  network,
  signal,
  ptrace,
  unix,
  mount,
  umount,
  pivot_root,
  deny /etc/secret rw,
}
EOF
if ! apparmor_parser -r -W "$work/profile"; then echo "Bail out! apparmor_parser could not load the test profile"; exit 1; fi
id "$TEST_USER" >/dev/null 2>&1 || useradd --create-home --shell /bin/sh "$TEST_USER"
uid=$(id -u "$TEST_USER")
gid=$(id -g "$TEST_USER")

# A /proc the container controls, shaped like the real one where the label is written.
fake_proc() {
  local d=$1
  mkdir -p "$d/t/attr/apparmor"
  : > "$d/t/attr/apparmor/exec"; : > "$d/t/attr/exec"
  echo unconfined > "$d/t/attr/current"
  chmod 666 "$d/t/attr/apparmor/exec" "$d/t/attr/exec"
  ln -s t "$d/thread-self"; ln -s t "$d/self"
}

# bundle DIR MODE APPARMOR_PROFILE PROC(real|hostile) COMMAND
bundle() {
  local dir=$1 mode=$2 profile=$3 proc=$4 cmd=$5
  mkdir -p "$dir/rootfs/bin" "$dir/rootfs/proc" "$dir/rootfs/dev" "$dir/rootfs/etc" "$dir/rootfs/tmp"
  cp "$BUSYBOX" "$dir/rootfs/bin/busybox"
  for a in sh cat echo wc sleep; do ln -sf busybox "$dir/rootfs/bin/$a"; done
  echo secret > "$dir/rootfs/etc/secret"
  echo public > "$dir/rootfs/etc/public"
  local procmount='{"destination": "/proc", "type": "proc", "source": "proc"}'
  if [ "$proc" = hostile ]; then
    fake_proc "$dir/fakeproc"
    procmount="{\"destination\": \"/proc\", \"type\": \"bind\", \"source\": \"$dir/fakeproc\", \"options\": [\"rbind\"]}"
  fi
  local userns='' maps=''
  if [ "$mode" = rootless ]; then
    userns=', {"type": "user"}'
    maps=", \"uidMappings\": [{\"containerID\": 0, \"hostID\": $uid, \"size\": 1}], \"gidMappings\": [{\"containerID\": 0, \"hostID\": $gid, \"size\": 1}]"
  fi
  local caps='["CAP_KILL", "CAP_DAC_OVERRIDE"]'
  cat > "$dir/config.json" <<EOF
{
  "ociVersion": "1.3.0",
  "process": {
    "terminal": false, "user": {"uid": 0, "gid": 0}, "cwd": "/",
    "args": ["/bin/sh", "-c", "$cmd"],
    "env": ["PATH=/bin"],
    "capabilities": {"bounding": $caps, "effective": $caps, "permitted": $caps},
    "noNewPrivileges": true,
    "apparmorProfile": "$profile"
  },
  "root": {"path": "rootfs"},
  "hostname": "apparmor",
  "mounts": [$procmount, {"destination": "/dev", "type": "tmpfs", "source": "tmpfs", "options": ["nosuid", "mode=755"]}],
  "linux": {"namespaces": [{"type": "pid"}, {"type": "mount"}, {"type": "ipc"}, {"type": "uts"}$userns]$maps}
}
EOF
  [ "$mode" = rootless ] && chown -R "$uid:$gid" "$dir"
}

# run MODE BUNDLE ID: ocirt run as root or as the test user; stdout+stderr of the container and
# ocirt's errors, without its warnings (rootless without a delegated cgroup warns, as it should)
run() {
  run_all "$@" | grep -v '^ocirt: warning:'
}
run_all() {
  local mode=$1 dir=$2 id=$3
  if [ "$mode" = rootless ]; then
    local root="$work/root-$uid"
    mkdir -p "$root" && chown "$uid:$gid" "$root"
    setpriv --reuid="$uid" --regid="$gid" --init-groups --inh-caps=-all --bounding-set=-all \
      env -u XDG_RUNTIME_DIR HOME="/home/$TEST_USER" "$OCIRT" --root "$root" run -b "$dir" "$id" 2>&1
  else
    "$OCIRT" --root "$work/root" run -b "$dir" "$id" 2>&1
  fi
}

echo "# $(uname -r), ocirt $("$OCIRT" --version | head -1)"
check 'features: apparmor is enabled here' true "$("$OCIRT" features | tr -d ' \n' | grep -o '"apparmor":{"enabled":[a-z]*}' | grep -o 'true\|false')"

SHOW='cat /proc/self/attr/current; cat /etc/secret 2>/dev/null || echo DENIED; cat /etc/public'
for mode in root rootless; do
  bundle "$work/none-$mode" "$mode" '' real "$SHOW"
  check "$mode: without a profile the file is readable (control)" "$(printf 'unconfined\nsecret\npublic')" "$(run "$mode" "$work/none-$mode" "none-$mode")"

  bundle "$work/deny-$mode" "$mode" "$PROFILE" real "$SHOW"
  check "$mode: under $PROFILE, attr/current names it and the denied file cannot be read" \
    "$(printf '%s (enforce)\nDENIED\npublic' "$PROFILE")" "$(run "$mode" "$work/deny-$mode" "deny-$mode")"

  bundle "$work/hostile-$mode" "$mode" "$PROFILE" hostile 'cat /etc/secret 2>/dev/null || echo DENIED; wc -c < /proc/thread-self/attr/apparmor/exec'
  check "$mode: a /proc the container controls takes nothing: still confined, its attr file untouched" \
    "$(printf 'DENIED\n0')" "$(run "$mode" "$work/hostile-$mode" "hostile-$mode")"
  check "$mode: the fake attribute file is still empty on the host side" 0 "$(wc -c < "$work/hostile-$mode/fakeproc/t/attr/apparmor/exec")"
done

# ocirt_as MODE ARGS...: ocirt with the state root of MODE, as root or as the test user
ocirt_as() {
  local mode=$1; shift
  if [ "$mode" = rootless ]; then
    setpriv --reuid="$uid" --regid="$gid" --init-groups --inh-caps=-all --bounding-set=-all \
      env -u XDG_RUNTIME_DIR HOME="/home/$TEST_USER" "$OCIRT" --root "$work/root-$uid" "$@"
  else
    "$OCIRT" --root "$work/root" "$@"
  fi
}

# exec: the process joins a running container and gets its profile through the init's procfs
# handle too (made before it joins), also when the container's /proc is the container's fake
for mode in root rootless; do
  for kind in real hostile; do
    id="exec-$kind-$mode"
    bundle "$work/$id" "$mode" "$PROFILE" "$kind" 'sleep 600'
    ocirt_as "$mode" run -d -b "$work/$id" "$id" >/dev/null 2>&1 </dev/null
    if [ "$kind" = real ]; then
      check "$mode: exec under $PROFILE: attr/current names it and the denied file cannot be read" \
        "$(printf '%s (enforce)\nDENIED\npublic' "$PROFILE")" "$(ocirt_as "$mode" exec "$id" sh -c "$SHOW" 2>&1 | grep -v '^ocirt: warning:')"
    else
      check "$mode: exec with a /proc the container controls: still confined, its attr file untouched" \
        "$(printf 'DENIED\n0')" "$(ocirt_as "$mode" exec "$id" sh -c 'cat /etc/secret 2>/dev/null || echo DENIED; wc -c < /proc/thread-self/attr/apparmor/exec' 2>&1 | grep -v '^ocirt: warning:')"
      check "$mode: exec: the fake attribute file is still empty on the host side" 0 "$(wc -c < "$work/$id/fakeproc/t/attr/apparmor/exec")"
    fi
    ocirt_as "$mode" delete --force "$id" >/dev/null 2>&1
  done
done

bundle "$work/unconfined" root unconfined real 'cat /proc/self/attr/current'
check 'profile "unconfined" runs unconfined' unconfined "$(run root "$work/unconfined" unconfined)"

# seccomp and AppArmor together, on this (other) kernel: both hold
bundle "$work/both" root "$PROFILE" real 'cat /etc/secret 2>/dev/null || echo DENIED; grep ^Seccomp: /proc/self/status'
sed -i 's|"linux": {|"linux": {"seccomp": {"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"names": ["kcmp"], "action": "SCMP_ACT_ERRNO"}]}, |' "$work/both/config.json"
check 'a seccomp filter and the profile together' "$(printf 'DENIED\nSeccomp:\t2')" "$(run root "$work/both" both)"

bundle "$work/missing" root ocirt-no-such-profile real 'echo ran'
out=$(run root "$work/missing" missing)
case "$out" in
  *'config.json:'*'/process/apparmorProfile: AppArmor profile "ocirt-no-such-profile" is not loaded'*) ok 'a profile that is not loaded: create fails on /process/apparmorProfile' ;;
  *) not_ok 'a profile that is not loaded: create fails on /process/apparmorProfile' "output: $out" ;;
esac
# unprivileged, the profile list cannot be read: the init's write fails right before execve, and
# the container does not run
bundle "$work/missing-rootless" rootless ocirt-no-such-profile real 'echo ran'
out=$(run rootless "$work/missing-rootless" missing-rootless)
case "$out" in
  *'echo ran'* | ran*) not_ok 'rootless, a profile that is not loaded: the program does not run' "output: $out" ;;
  *'attr/apparmor/exec'*) ok 'rootless, a profile that is not loaded: the program does not run' ;;
  *) not_ok 'rootless, a profile that is not loaded: the program does not run' "output: $out" ;;
esac
check 'nothing left under the state root' '' "$(ls "$work/root" 2>/dev/null | grep -v '^\.')"

echo "1..$n"
[ "$failed" -eq 0 ]
