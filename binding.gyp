{
  "variables": {
    # the init stub, one file per stage of the child's order of operations (native/init/init.h)
    "init_sources": [
      "native/init/main.c",
      "native/init/report.c",
      "native/init/plan.c",
      "native/init/fsutil.c",
      "native/init/namespaces.c",
      "native/init/join.c",
      "native/init/timens.c",
      "native/init/netdev.c",
      "native/init/rootfs.c",
      "native/init/mounts.c",
      "native/init/copyup.c",
      "native/init/process.c",
      "native/init/sched.c",
      "native/init/personality.c",
      "native/init/mempolicy.c",
      "native/init/console.c",
      "native/init/creds.c",
      "native/init/hooks.c",
      "native/init/lsm.c",
      "native/init/seccomp.c",
      "native/init/exec.c",
      "native/init/hostrefs.c",
      "native/init/ordinary-dirs.c",
      "native/init/procfs.c"
    ],
    # The test programs are built in a checkout only: the npm package ships no test/ (package.json
    # "files"), and an install that builds the addon (scripts/install.mjs) needs none of them.
    "with_test_fixtures%": "<!(node -p \"require('fs').existsSync('test/fixtures/probe.c')\")"
  },
  "targets": [
    {
      # Static init stub: exec'd from a sealed memfd by the cloned child (native/init/, main.c first).
      # Built by scripts/static-cc.mjs: with musl when musl-gcc is installed (55 kB instead of
      # glibc's 700 kB: it is copied on every create), else glibc -static.
      "target_name": "ocirt-init",
      "type": "none",
      "actions": [
        {
          "action_name": "build_init_stub",
          "inputs": ["scripts/static-cc.mjs", "<@(init_sources)", "native/init/init.h", "native/plan_format.h", "native/scm_rights.h"],
          "outputs": ["<(PRODUCT_DIR)/ocirt-init"],
          "action": ["node", "scripts/static-cc.mjs", "<(PRODUCT_DIR)/ocirt-init", "<@(init_sources)"]
        }
      ]
    },
    {
      "target_name": "ocirt",
      "dependencies": ["ocirt-init"],
      "sources": ["native/addon.cc", "native/sys.cc", "native/seccomp.cc", "native/terminal.cc", "native/bpf.cc", "native/wait.cc", "native/launch_ops.cc", "native/netdev_ops.cc", "<(INTERMEDIATE_DIR)/init_blob.S"],
      "include_dirs": ["<!(node -p \"require('node-addon-api').include_dir\")", "native"],
      "defines": ["NAPI_VERSION=8", "NAPI_DISABLE_CPP_EXCEPTIONS", "_GNU_SOURCE"],
      "cflags": ["-Wall", "-Wextra", "-Werror"],
      "cflags_cc": ["-Wall", "-Wextra", "-Werror", "-std=gnu++17", "-ffunction-sections", "-fdata-sections"],
      # libstdc++ linked in (the few pieces used), not loaded: under Bun, which does not load it
      # itself, a dlopen of the shared one costs about a millisecond on every start.
      "ldflags": ["-static-libstdc++", "-static-libgcc", "-Wl,--gc-sections"],
      "actions": [
        {
          "action_name": "embed_init_stub",
          "inputs": ["native/gen_blob.mjs", "<(PRODUCT_DIR)/ocirt-init"],
          "outputs": ["<(INTERMEDIATE_DIR)/init_blob.S"],
          "action": ["node", "native/gen_blob.mjs", "<(PRODUCT_DIR)/ocirt-init", "<(INTERMEDIATE_DIR)/init_blob.S"]
        }
      ]
    }
  ],
  "conditions": [
    ["with_test_fixtures=='true'", {
      "targets": [
        {
          # Test program for the integration tests, run inside containers.
          "target_name": "ocirt-probe",
          "type": "executable",
          "sources": ["test/fixtures/probe.c", "test/fixtures/probe_sys.c"],
          "cflags": ["-Wall", "-Wextra", "-Werror", "-O2", "-std=gnu11"],
          "cflags!": ["-O3", "-pthread"],
          "ldflags": ["-static"],
          "ldflags!": ["-rdynamic", "-pthread"]
        },
        {
          # What hostile containers and helpers do in the security suite (test/security/).
          "target_name": "ocirt-attack",
          "type": "executable",
          "sources": ["test/fixtures/attack.c"],
          "cflags": ["-Wall", "-Wextra", "-Werror", "-O2", "-std=gnu11"],
          "cflags!": ["-O3", "-pthread"],
          "ldflags": ["-static"],
          "ldflags!": ["-rdynamic", "-pthread"]
        },
        {
          # The seccomp agent of the notify tests: receives the listener fd, answers notifications.
          "target_name": "ocirt-seccomp-agent",
          "type": "executable",
          "sources": ["test/fixtures/seccomp_agent.c"],
          "cflags": ["-Wall", "-Wextra", "-Werror", "-O2", "-std=gnu11"],
          "cflags!": ["-O3", "-pthread"],
          "ldflags!": ["-rdynamic", "-pthread"]
        }
      ]
    }]
  ]
}
