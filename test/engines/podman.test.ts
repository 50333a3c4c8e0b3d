// podman 4.3 (through conmon) driving dist/ocirt-exe, as root and rootless (the test user, its
// /etc/subuid range, podman's own user namespace). Every scenario checks what a podman user sees:
// output, exit status, the container's state, what it can and cannot do.
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { chownSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { IMAGE, Podman, RUNTIME, CGROUP2_ONLY, cannotRun, imageTar, needsMountOption, waitFor, type Result } from './engines.ts';

const skip = cannotRun('podman', 'conmon', 'script', 'newuidmap');

function ok(r: Result, what: string): string {
  assert.equal(r.status, 0, `${what}: exit ${r.status}\n${r.stderr}`);
  return r.stdout;
}

for (const mode of ['root', 'rootless'] as const) {
  describe(`podman ${mode} with ${RUNTIME}`, { skip }, () => {
    let p: Podman;
    let work: string;

    before(() => {
      p = new Podman(mode);
      work = mkdtempSync('/tmp/ocirt-engine-work-');
      if (p.user) chownSync(work, p.user.uid, p.user.gid);
      p.importImage(imageTar(work));
    });
    after(() => {
      const left = p.leftovers();
      p.teardown();
      rmSync(work, { recursive: true, force: true });
      assert.deepEqual(left.conmons, [], 'no conmon left running');
    });

    const podman = (args: string[], opts?: Parameters<Podman['run']>[1]) => p.run(args, opts);
    const inspect = (id: string, format: string) => podman(['inspect', '-f', format, id]).stdout.trim();
    /** a detached container; resolves once it printed "ready" */
    /**
     * Rootless podman on a pure cgroup v2 host with the cgroupfs manager (no systemd user session)
     * passes the limit to the runtime, and nobody delegated a cgroup: the container must not run
     * without it. (On a v1 or hybrid host podman drops the limit itself, with a warning.)
     */
    const refusedLimit = (flags: string[], field: string) => {
      const r = podman(['run', '--rm', ...flags, IMAGE, 'true']);
      assert.notEqual(r.status, 0, 'the container did not run unconfined');
      if (RUNTIME === 'ocirt')
        assert.match(r.stderr, new RegExp(`/linux/resources/${field}.*permission denied \\(a rootless container needs a cgroup delegated`));
    };
    const detached = async (script: string, extra: string[] = []) => {
      const id = ok(podman(['run', '-d', ...extra, IMAGE, 'sh', '-c', script]), 'run -d').trim();
      await waitFor(`${id} to be ready`, () => podman(['logs', id]).stdout.includes('ready'));
      return id;
    };

    test('run: output and exit status', () => {
      assert.equal(ok(podman(['run', '--rm', IMAGE, 'echo', 'hello from ocirt']), 'run'), 'hello from ocirt\n');
      assert.equal(podman(['run', '--rm', IMAGE, 'sh', '-c', 'exit 42']).status, 42);
      assert.equal(
        ok(podman(['run', '--rm', '-e', 'GREETING=hi', '-w', '/tmp', IMAGE, 'sh', '-c', 'echo $GREETING $(pwd)']), 'env, workdir'),
        'hi /tmp\n',
      );
    });

    test('exit codes for a program that is missing (127) or not executable (126), with the reason', () => {
      const missing = podman(['run', '--rm', IMAGE, '/no/such/program']);
      assert.equal(missing.status, 127, missing.stderr);
      assert.match(missing.stderr, /no such file or directory/i);
      const notOnPath = podman(['run', '--rm', IMAGE, 'no-such-program']);
      assert.equal(notOnPath.status, 127, notOnPath.stderr);
      const notExec = podman(['run', '--rm', IMAGE, '/etc/passwd']);
      assert.equal(notExec.status, 126, notExec.stderr);
      assert.match(notExec.stderr, /permission denied/i);
    });

    test('stdin (-i) reaches the program', () => {
      assert.equal(ok(podman(['run', '--rm', '-i', IMAGE, 'cat'], { input: 'line one\nline two\n' }), 'run -i'), 'line one\nline two\n');
      assert.equal(ok(podman(['run', '--rm', '-i', IMAGE, 'wc', '-c'], { input: 'x'.repeat(100_000) }), 'run -i, 100 kB').trim(), '100000');
    });

    test("a tty (-t): the program's stdio is a terminal", () => {
      const r = podman(['run', '--rm', '-t', IMAGE, 'sh', '-c', 'tty; [ -t 0 ] && [ -t 1 ] && echo both-ttys'], { tty: true });
      assert.equal(r.status, 0, r.stderr + r.stdout);
      assert.match(r.stdout, /\/dev\/pts\/\d+/);
      assert.match(r.stdout, /both-ttys/);
    });

    test('run -d, logs, ps, inspect, then rm -f of the running container', async () => {
      const id = await detached('echo ready; echo to-stderr >&2; sleep 1000');
      const logs = podman(['logs', id]);
      assert.match(logs.stdout, /ready/);
      assert.match(logs.stderr, /to-stderr/);
      assert.equal(inspect(id, '{{.State.Status}}'), 'running');
      assert.ok(Number(inspect(id, '{{.State.Pid}}')) > 0);
      assert.match(podman(['ps', '--format', '{{.ID}} {{.Status}}']).stdout, new RegExp(`^${id.slice(0, 12)} Up`, 'm'));
      ok(podman(['rm', '-f', id]), 'rm -f');
      assert.doesNotMatch(podman(['ps', '-a', '-q', '--no-trunc']).stdout, new RegExp(id));
    });

    test('stop: SIGTERM, which the program handles, exits 0', async () => {
      const id = await detached('trap "echo got-term; exit 0" TERM; echo ready; while :; do sleep 0.1; done');
      ok(podman(['stop', '-t', '30', id]), 'stop');
      assert.equal(inspect(id, '{{.State.Status}}'), 'exited');
      assert.equal(inspect(id, '{{.State.ExitCode}}'), '0');
      assert.match(podman(['logs', id]).stdout, /got-term/);
      ok(podman(['rm', id]), 'rm');
    });

    test('stop: a program that ignores SIGTERM is killed after the timeout (137)', async () => {
      const id = await detached('trap "" TERM; echo ready; while :; do sleep 0.1; done');
      const r = podman(['stop', '-t', '1', id]);
      assert.equal(r.status, 0, r.stderr);
      assert.match(r.stderr, /resorting to SIGKILL/);
      assert.equal(inspect(id, '{{.State.ExitCode}}'), '137');
      ok(podman(['rm', id]), 'rm');
    });

    test('kill -s: the signal reaches the program, which keeps running', async () => {
      const id = await detached('trap "echo got-usr1" USR1; echo ready; while :; do sleep 0.1; done');
      ok(podman(['kill', '-s', 'USR1', id]), 'kill -s USR1');
      await waitFor('USR1 in the container', () => podman(['logs', id]).stdout.includes('got-usr1'));
      assert.equal(inspect(id, '{{.State.Status}}'), 'running');
      ok(podman(['kill', '-s', 'KILL', id]), 'kill -s KILL');
      // rootless podman says "stopped" until its cleanup process ran, then "exited"
      await waitFor('the container to exit', () => /^(exited|stopped) 137$/.test(inspect(id, '{{.State.Status}} {{.State.ExitCode}}')));
      ok(podman(['rm', id]), 'rm');
    });

    test("top lists the container's processes", async () => {
      const id = await detached('echo ready; exec sleep 1000');
      const top = ok(podman(['top', id, 'pid', 'args']), 'top');
      assert.match(top, /sleep 1000/);
      ok(podman(['rm', '-f', '-t', '0', id]), 'rm -f');
    });

    test('pause and unpause: the processes stop and go on', async () => {
      const dir = mkdtempSync(join(work, 'count-'));
      if (p.user) chownSync(dir, p.user.uid, p.user.gid);
      const count = () => Number(readFileSync(join(dir, 'count'), 'utf8') || '0');
      const id = await detached('echo ready; i=0; while :; do i=$((i+1)); echo $i > /out/count; sleep 0.05; done', ['-v', `${dir}:/out`]);
      if (mode === 'rootless' && CGROUP2_ONLY) {
        // pure v2, cgroupfs manager: podman asks the runtime, whose container has no cgroup to freeze
        const refused = podman(['pause', id]);
        assert.notEqual(refused.status, 0);
        if (RUNTIME === 'ocirt') assert.match(refused.stderr, /no freezer: it runs without a cgroup of its own/);
        assert.equal(inspect(id, '{{.State.Status}}'), 'running');
        ok(podman(['rm', '-f', '-t', '0', id]), 'rm -f');
        return;
      }
      if (mode === 'rootless') {
        // v1 or hybrid: podman refuses before asking the runtime (a rootless container has no cgroup)
        const refused = podman(['pause', id]);
        assert.equal(refused.status, 125);
        assert.match(refused.stderr, /can not pause containers on rootless containers with cgroup V1/);
        ok(podman(['rm', '-f', '-t', '0', id]), 'rm -f');
        return;
      }
      ok(podman(['pause', id]), 'pause');
      assert.equal(inspect(id, '{{.State.Status}}'), 'paused');
      const frozen = count();
      await new Promise((r) => setTimeout(r, 500));
      assert.equal(count(), frozen, 'nothing runs while paused');
      ok(podman(['unpause', id]), 'unpause');
      assert.equal(inspect(id, '{{.State.Status}}'), 'running');
      await waitFor('the count to go on', () => count() > frozen);
      ok(podman(['rm', '-f', '-t', '0', id]), 'rm -f');
    });

    test('exec: output, exit status, environment, user', async () => {
      const id = await detached('echo ready; sleep 1000');
      assert.equal(ok(podman(['exec', id, 'echo', 'from exec']), 'exec'), 'from exec\n');
      assert.equal(podman(['exec', id, 'sh', '-c', 'exit 3']).status, 3);
      assert.equal(ok(podman(['exec', '-e', 'X=1', '-u', '1000:1000', id, 'sh', '-c', 'echo $X $(id -u)']), 'exec -e -u'), '1 1000\n');
      assert.equal(podman(['exec', id, '/no/such/program']).status, 127);
      ok(podman(['rm', '-f', '-t', '0', id]), 'rm -f');
    });

    test("exec -it: a terminal for the exec'd process", async () => {
      const id = await detached('echo ready; sleep 1000');
      const r = podman(['exec', '-it', id, 'sh', '-c', 'tty; [ -t 0 ] && echo is-a-tty'], { tty: true });
      assert.equal(r.status, 0, r.stderr + r.stdout);
      assert.match(r.stdout, /\/dev\/pts\/\d+/);
      assert.match(r.stdout, /is-a-tty/);
      ok(podman(['rm', '-f', '-t', '0', id]), 'rm -f');
    });

    test('exec -d: the process runs on after podman returns', async () => {
      const id = await detached('echo ready; sleep 1000');
      ok(podman(['exec', '-d', id, 'sh', '-c', 'sleep 1; echo done > /tmp/exec-d']), 'exec -d');
      await waitFor('the detached exec to finish', () => podman(['exec', id, 'cat', '/tmp/exec-d']).stdout === 'done\n');
      ok(podman(['rm', '-f', '-t', '0', id]), 'rm -f');
    });

    test('volumes: a read-only volume can be read, not written; a read-write one can', () => {
      const dir = mkdtempSync(join(work, 'vol-'));
      writeFileSync(join(dir, 'file'), 'volume content\n');
      if (p.user) chownSync(dir, p.user.uid, p.user.gid);
      const r = podman(['run', '--rm', '-v', `${dir}:/vol:ro`, IMAGE, 'sh', '-c', 'cat /vol/file; touch /vol/new 2>&1; echo "touch $?"']);
      assert.equal(r.status, 0, r.stderr);
      assert.match(r.stdout, /volume content/);
      assert.match(r.stdout, /Read-only file system/);
      assert.match(r.stdout, /touch 1/);
      ok(podman(['run', '--rm', '-v', `${dir}:/vol`, IMAGE, 'sh', '-c', 'echo written > /vol/new']), 'rw volume');
      assert.equal(ok(podman(['run', '--rm', '-v', `${dir}:/vol:ro`, IMAGE, 'cat', '/vol/new']), 'read back'), 'written\n');
    });

    test('--read-only: the root filesystem refuses writes, /tmp and /run still work', {
      skip: needsMountOption('tmpcopyup', 'linux'),
    }, () => {
      const r = podman([
        'run',
        '--rm',
        '--read-only',
        IMAGE,
        'sh',
        '-c',
        'touch /x 2>&1; echo "root $?"; touch /tmp/x && echo tmp-ok; touch /run/x && echo run-ok',
      ]);
      assert.equal(r.status, 0, r.stderr);
      assert.match(r.stdout, /Read-only file system/);
      assert.match(r.stdout, /root 1/);
      assert.match(r.stdout, /tmp-ok/);
      assert.match(r.stdout, /run-ok/);
    });

    test('--user: the program runs as that uid and gid', () => {
      assert.equal(
        ok(podman(['run', '--rm', '--user', '1000:1000', IMAGE, 'sh', '-c', 'echo $(id -u) $(id -g)']), '--user'),
        '1000 1000\n',
      );
      assert.equal(ok(podman(['run', '--rm', '--user', 'nobody', IMAGE, 'id', '-u']), '--user name'), '65534\n');
    });

    test('--cap-drop: the capability is gone', () => {
      assert.match(
        ok(podman(['run', '--rm', '--cap-drop', 'all', IMAGE, 'grep', 'CapEff', '/proc/self/status']), 'cap-drop all'),
        /CapEff:\s+0000000000000000/,
      );
      const r = podman(['run', '--rm', '--cap-drop', 'CHOWN', IMAGE, 'sh', '-c', 'touch /tmp/f; chown 1 /tmp/f 2>&1; echo "chown $?"']);
      assert.match(r.stdout, /Operation not permitted/);
      assert.match(r.stdout, /chown 1/);
      assert.match(
        ok(podman(['run', '--rm', IMAGE, 'sh', '-c', 'touch /tmp/f; chown 1 /tmp/f; echo "chown $?"']), 'default caps'),
        /chown 0/,
      );
    });

    test("--init: podman's init is pid 1, from its bind mount", () => {
      const r = ok(podman(['run', '--rm', '--init', IMAGE, 'sh', '-c', 'cat /proc/1/cmdline | tr "\\0" " "']), '--init');
      assert.match(r, /^\/run\/podman-init -- sh -c/);
    });

    test("--privileged: the host's devices are there, every capability is held", () => {
      const r = ok(
        podman([
          'run',
          '--rm',
          '--privileged',
          IMAGE,
          'sh',
          '-c',
          'ls /dev/kmsg /dev/loop0 /dev/null && grep -E "CapEff|CapBnd" /proc/self/status',
        ]),
        '--privileged',
      );
      assert.match(r, /\/dev\/kmsg/);
      const caps = Object.fromEntries([...r.matchAll(/(Cap\w+):\s+([0-9a-f]+)/g)].map((m) => [m[1], BigInt('0x' + m[2])]));
      assert.equal(caps.CapEff, caps.CapBnd, 'every capability of the bounding set is effective');
      assert.ok(caps.CapEff & (1n << 21n), 'CAP_SYS_ADMIN');
    });

    test('--pids-limit: forks beyond the limit fail', () => {
      if (mode === 'rootless' && CGROUP2_ONLY) return refusedLimit(['--pids-limit', '10'], 'pids/limit');
      // each child counts itself in a file; counting with builtins only (no fork) once at the limit
      const script = [
        'for i in $(seq 1 40); do (echo x >> /tmp/forks; exec sleep 30) & done 2>&1',
        'sleep 3',
        'n=0; while read l; do n=$((n+1)); done < /tmp/forks; echo spawned $n',
      ].join('; ');
      const limited = podman(['run', '--rm', '--pids-limit', '10', IMAGE, 'sh', '-c', script]);
      const roomy = podman(['run', '--rm', '--pids-limit', '100', IMAGE, 'sh', '-c', script]);
      assert.match(roomy.stdout, /spawned 40/, roomy.stdout + roomy.stderr);
      if (mode === 'rootless') {
        // podman on a cgroup v1 host applies no limits to rootless containers (it warns)
        assert.match(limited.stdout, /spawned 40/);
        return;
      }
      assert.match(limited.stdout + limited.stderr, /can't fork|Resource temporarily unavailable/);
      assert.doesNotMatch(limited.stdout, /spawned 40/);
    });

    test('--memory: a program past the limit is killed', () => {
      if (mode === 'rootless' && CGROUP2_ONLY) return refusedLimit(['--memory', '32m', '--memory-swap', '32m'], 'memory/');
      const script = 'head -c 200m /dev/zero | tail > /dev/null; echo "tail $?"';
      const r = podman(['run', '--rm', '--memory', '32m', '--memory-swap', '32m', IMAGE, 'sh', '-c', script]);
      assert.equal(r.status, 0, r.stderr);
      if (mode === 'rootless') {
        assert.match(r.stdout, /tail 0/, 'podman applies no limits to rootless containers on cgroup v1');
        return;
      }
      assert.match(r.stdout, /tail 137/, 'tail, holding 200 MB, was killed by the OOM killer');
      assert.match(ok(podman(['run', '--rm', '--memory', '512m', IMAGE, 'sh', '-c', script]), 'roomy'), /tail 0/);
    });
  });
}
