// The addon's device-cgroup BPF functions (native/bpf.cc).
#pragma once
#include <napi.h>

void RegisterBpf(Napi::Env env, Napi::Object exports);
