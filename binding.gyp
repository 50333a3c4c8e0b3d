{
  "targets": [
    {
      # Static init stub: exec'd from a sealed memfd by the cloned child (native/init/init.c).
      "target_name": "ocirt-init",
      "type": "executable",
      "sources": ["native/init/init.c"],
      "cflags": ["-Wall", "-Wextra", "-Werror", "-Os", "-std=gnu11"],
      "cflags!": ["-O3", "-pthread", "-fno-omit-frame-pointer"],
      "ldflags": ["-static", "-s"],
      "ldflags!": ["-rdynamic", "-pthread"]
    },
    {
      # Test program for the integration tests, run inside containers.
      "target_name": "ocirt-probe",
      "type": "executable",
      "sources": ["test/fixtures/probe.c"],
      "cflags": ["-Wall", "-Wextra", "-Werror", "-O2", "-std=gnu11"],
      "cflags!": ["-O3", "-pthread"],
      "ldflags": ["-static"],
      "ldflags!": ["-rdynamic", "-pthread"]
    },
    {
      "target_name": "ocirt",
      "dependencies": ["ocirt-init"],
      "sources": ["native/addon.cc", "<(INTERMEDIATE_DIR)/init_blob.S"],
      "include_dirs": ["<!(node -p \"require('node-addon-api').include_dir\")", "native"],
      "defines": ["NAPI_VERSION=8", "NAPI_DISABLE_CPP_EXCEPTIONS", "_GNU_SOURCE"],
      "cflags": ["-Wall", "-Wextra", "-Werror"],
      "cflags_cc": ["-Wall", "-Wextra", "-Werror", "-std=gnu++17"],
      "actions": [
        {
          "action_name": "embed_init_stub",
          "inputs": ["native/gen_blob.mjs", "<(PRODUCT_DIR)/ocirt-init"],
          "outputs": ["<(INTERMEDIATE_DIR)/init_blob.S"],
          "action": ["node", "native/gen_blob.mjs", "<(PRODUCT_DIR)/ocirt-init", "<(INTERMEDIATE_DIR)/init_blob.S"]
        }
      ]
    }
  ]
}
