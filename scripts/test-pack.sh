#!/bin/sh
# The package as a user gets it (npm run test:pack; CI runs it): `npm pack`, then `npm install
# ./ocirt-*.tgz` into an empty project with no compiler on PATH (no cc, gcc, make, python3: the
# prebuilt addon must be what runs), then `npx ocirt` runs a container and the README's API
# example runs verbatim against the installed package; as root, then (when the test user exists
# or can be made) rootless. Nothing of the checkout is used after the pack.
set -eu
here=$(cd "$(dirname "$0")/.." && pwd)
work=$(mktemp -d /tmp/ocirt-pack-XXXXXX)
user=ocirt-test
cleanup() {
  for r in "$work/state" "/tmp/ocirt-api-example-0"; do
    [ -d "$r" ] && for id in $(ls "$r"); do "$work/proj/node_modules/.bin/ocirt" --root "$r" delete -f "$id" >/dev/null 2>&1 || true; done
  done
  rm -rf "$work" /tmp/ocirt-api-example-0
  if id -u "$user" >/dev/null 2>&1; then rm -rf "/tmp/ocirt-api-example-$(id -u "$user")"; fi
}
trap cleanup EXIT

echo "== npm pack"
(cd "$here" && npm pack --silent --pack-destination "$work" >/dev/null)
tgz=$(ls "$work"/ocirt-*.tgz)
echo "$(basename "$tgz"): $(du -k "$tgz" | cut -f1) kB"
tar -tzf "$tgz" > "$work/files"
grep -q "package/prebuilds/linux-$(uname -m | sed 's/x86_64/x64/; s/aarch64/arm64/')/ocirt.node" "$work/files" || { echo "no prebuilt addon in the package" >&2; exit 1; }
grep -q 'package/types/src/api/index.d.ts' "$work/files" || { echo "no .d.ts in the package" >&2; exit 1; }
if grep -qE 'package/(src|test|build)/|ocirt-core|ocirt-exe' "$work/files"; then echo "sources, tests or executables in the package" >&2; exit 1; fi

# A PATH with every tool but a compiler: node, npm and the usual commands only.
bin="$work/bin"
mkdir -p "$bin"
for d in $(echo "$PATH" | tr ':' ' '); do
  [ -d "$d" ] || continue
  for f in "$d"/*; do
    n=$(basename "$f")
    case "$n" in
      cc | c++ | gcc* | g++* | *-gcc* | *-g++* | clang* | musl-gcc | make | gmake | cmake | ld | ld.* | as | python* | node-gyp) continue ;;
    esac
    [ -e "$bin/$n" ] || ln -s "$f" "$bin/$n"
  done
done
nocc="$bin"
! PATH="$nocc" command -v cc >/dev/null 2>&1 || { echo "cc still on PATH" >&2; exit 1; }

echo "== npm install into an empty project (no compiler on PATH)"
mkdir -p "$work/proj"
cd "$work/proj"
PATH="$nocc" npm init -y >/dev/null
PATH="$nocc" npm install --no-audit --no-fund "$tgz"
[ ! -e node_modules/ocirt/build ] || { echo "the install built the addon: the prebuilt one should have been used" >&2; exit 1; }
# npm 11 leaves a dependency's install script until it is approved (above, it did not run); where it
# runs, it takes the prebuilt addon too, with no compiler
PATH="$nocc" sh -c 'cd node_modules/ocirt && node scripts/install.mjs' | grep -q 'using the prebuilt addon' || { echo "scripts/install.mjs did not take the prebuilt addon" >&2; exit 1; }
chmod 755 "$work" "$work/proj"

echo "== npx ocirt run"
mkdir -p bundle/rootfs/bin
cp "$(command -v busybox)" bundle/rootfs/bin/busybox
ln -s busybox bundle/rootfs/bin/sh
(cd bundle && PATH="$nocc" npx ocirt spec)
sed -i 's/"terminal": true/"terminal": false/; s/"sh"$/"sh", "-c", "echo hello from the package; exit 3"/' bundle/config.json
set +e
out=$(PATH="$nocc" npx ocirt --root "$work/state" run -b bundle "pack-$$")
status=$?
set -e
echo "$out"
[ "$status" = 3 ] && [ "$out" = "hello from the package" ] || { echo "npx ocirt run: status $status, expected 3" >&2; exit 1; }

echo "== the README's API example (as root)"
mkdir -p example/rootfs
cp "$(command -v busybox)" example/rootfs/busybox
awk '/^## API/ { api = 1 } api && /^```js$/ { on = 1; next } on && /^```$/ { exit } on { print }' "$here/README.md" > example/example.mjs
check_example() {
  echo "$1"
  echo "$1" | grep -q '^exit status 3: hello from pid 1$' &&
    echo "$1" | grep -q '^init: {"code":null,"signal":9,"status":137}$' &&
    echo "$1" | grep -q '^invalid-bundle /process/cwd: ' || { echo "the API example's output is not the expected one" >&2; exit 1; }
}
check_example "$(cd example && PATH="$nocc" node example.mjs)"

if [ "$(id -u)" = 0 ]; then
  id -u "$user" >/dev/null 2>&1 || useradd --create-home --shell /bin/sh "$user"
  uid=$(id -u "$user")
  gid=$(id -g "$user")
  echo "== the README's API example and npx ocirt, rootless (as $user)"
  chown -R "$uid:$gid" example
  as_user() { setpriv --reuid="$uid" --regid="$gid" --init-groups --inh-caps=-all --bounding-set=-all env -i PATH="$nocc" HOME="/home/$user" "$@"; }
  check_example "$(cd example && as_user node example.mjs)"
  mkdir -p rl/rootfs/bin && cp bundle/rootfs/bin/busybox rl/rootfs/bin/ && ln -s busybox rl/rootfs/bin/sh
  chown -R "$uid:$gid" rl
  (cd rl && as_user npx ocirt spec --rootless)
  sed -i 's/"terminal": true/"terminal": false/; s/"sh"$/"sh", "-c", "echo rootless; exit 4"/' rl/config.json
  set +e
  out=$(cd rl && as_user npx ocirt --root "$work/proj/rl/state" run "pack-rl-$$")
  status=$?
  set -e
  echo "$out"
  [ "$status" = 4 ] && [ "$out" = "rootless" ] || { echo "rootless npx ocirt run: status $status, expected 4" >&2; exit 1; }
fi
echo "== the package works"
