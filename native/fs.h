// File system calls for the Bun executable's node:fs stand-in (src/sys/fs-addon.ts).
#pragma once
#include <napi.h>

void RegisterFs(Napi::Env env, Napi::Object exports);
