// Host-side operations of a launch, done by the runtime (not the container's init): detached
// mounts of bind sources (id-mapped or not), user namespaces made for an id mapping, namespace
// file checks, network device moves, CPU affinity. src/container/launch-prep.ts drives them.
#pragma once
#include <napi.h>

void RegisterLaunchOps(Napi::Env env, Napi::Object exports);
void RegisterNetdevOps(Napi::Env env, Napi::Object exports);
