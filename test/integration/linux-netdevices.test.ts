// linux.netDevices: a host interface (one end of a veth pair made by the test) moved into the
// container's network namespace under its new name, with its permanent addresses and up, as the
// container sees it (busybox ip); a missing device, a name taken in the container, and a rootless
// runtime are clear errors that leave nothing behind.
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import {
  BUSYBOX,
  IS_ROOT,
  PROBE,
  RUN_TOKEN,
  hostSnapshot,
  makeBundle,
  newId,
  runner,
  stateDirs,
  testUser,
  type Bundle,
  type Config,
  type Runner,
} from '../helpers/containers.ts';

const hasIp = spawnSync('ip', ['-V']).status === 0;
const skip = !IS_ROOT
  ? 'integration tests need root (CI runs them as root)'
  : !existsSync(PROBE) || !BUSYBOX
    ? 'probe or busybox-static missing'
    : !hasIp
      ? 'ip(8) not installed (apt-get install iproute2): the test makes a veth pair with it'
      : false;

/** Interface names of this run: at most 15 characters, unique among suites running at once. */
let seq = 0;
const ifname = (): string => `oc${RUN_TOKEN.slice(-8)}${++seq}`.slice(0, 15);
const linkExists = (name: string): boolean => spawnSync('ip', ['link', 'show', name], { stdio: 'ignore' }).status === 0;

describe('netDevices', { skip }, () => {
  let r: Runner;
  const bundles: Bundle[] = [];
  const links: string[] = [];
  before(() => {
    r = runner();
  });
  after(() => {
    r.cleanup();
    for (const b of bundles) b.cleanup();
    for (const l of links) if (linkExists(l)) spawnSync('ip', ['link', 'del', l]);
  });
  const bundle = (mutate: (c: Config) => void, owner?: ReturnType<typeof testUser>): Bundle => {
    const b = makeBundle(mutate, owner);
    bundles.push(b);
    return b;
  };
  /** a veth pair: `a` to move, its peer stays on the host */
  const veth = (): { a: string; peer: string } => {
    const a = ifname();
    const peer = ifname();
    execFileSync('ip', ['link', 'add', a, 'type', 'veth', 'peer', 'name', peer]);
    links.push(a, peer);
    return { a, peer };
  };

  test('a host device moves in with its new name, its permanent addresses, and up', () => {
    const { a, peer } = veth();
    execFileSync('ip', ['addr', 'add', '10.213.7.9/24', 'dev', a]);
    execFileSync('ip', ['addr', 'add', 'fd00:213::9/64', 'dev', a, 'nodad']);
    const b = bundle((c) => {
      c.linux.netDevices = { [a]: { name: 'ctr0' } };
      c.process.args = ['/bin/busybox', 'ip', 'addr', 'show', 'dev', 'ctr0'];
    });
    const res = r.run(['run', '-b', b.dir, newId('netdev')]);
    assert.equal(res.status, 0, res.stderr);
    assert.match(res.stdout, /^\d+: ctr0@\S+: <[^>]*\bUP\b[^>]*>/m, `up, under its new name:\n${res.stdout}`);
    assert.match(res.stdout, /inet 10\.213\.7\.9\/24 scope global ctr0/);
    assert.match(res.stdout, /inet6 fd00:213::9\/64 scope global/);
    assert.ok(!linkExists(a), 'gone from the host');
    // runtime-spec: nothing moves it back; a veth dies with the namespace (the kernel frees a
    // namespace asynchronously), and so does its peer
    for (let i = 0; i < 200 && linkExists(peer); i++) spawnSync('sleep', ['0.05']);
    assert.ok(!linkExists(peer), "the pair was destroyed with the container's network namespace");
  });

  test('without "name" the device keeps its host name', () => {
    const { a } = veth();
    const b = bundle((c) => {
      c.linux.netDevices = { [a]: {} };
      c.process.args = ['/bin/busybox', 'ip', '-o', 'link', 'show', a];
    });
    const res = r.run(['run', '-b', b.dir, newId('netdev')]);
    assert.equal(res.status, 0, res.stderr);
    assert.match(res.stdout, new RegExp(`: ${a}@`));
  });

  test('a missing device, a name taken in the container: errors naming the field; nothing left', () => {
    const before = hostSnapshot();
    const missing = bundle((c) => (c.linux.netDevices = { nosuchdev0: {} }));
    const m = r.run(['create', '-b', missing.dir, newId('netdev')]);
    assert.equal(m.status, 1);
    assert.match(m.stderr, /config\.json \/linux\/netDevices\/nosuchdev0: nosuchdev0: no such network device on the host/);
    const { a } = veth();
    const taken = bundle((c) => (c.linux.netDevices = { [a]: { name: 'lo' } }));
    const t = r.run(['create', '-b', taken.dir, newId('netdev')]);
    assert.equal(t.status, 1);
    assert.match(t.stderr, new RegExp(`/linux/netDevices/${a}: move ${a} into the container as lo: EEXIST.*already has a device named lo`));
    assert.deepEqual(stateDirs(r), []);
    const after = hostSnapshot();
    assert.deepEqual(after.probes, before.probes);
    assert.deepEqual(after.cgroups, before.cgroups);
  });

  test('rootless: moving a host device is refused with the reason', () => {
    const user = testUser();
    const rl = runner(user);
    try {
      const { a } = veth();
      const b = bundle((c) => {
        c.linux.namespaces.push({ type: 'network' });
        c.linux.netDevices = { [a]: {} };
      }, user);
      const res = rl.run(['run', '-b', b.dir, newId('netdev')]);
      assert.equal(res.status, 1);
      assert.match(res.stderr, new RegExp(`/linux/netDevices/${a}: move ${a} .*EPERM.*CAP_NET_ADMIN in the host network namespace`));
      assert.ok(linkExists(a), 'still on the host');
      assert.deepEqual(stateDirs(rl), []);
    } finally {
      rl.cleanup();
    }
  });
});
