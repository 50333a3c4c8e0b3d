// The system calls behind the Bun executable's node:fs and node:os stand-ins (src/sys/).
#pragma once
#include <napi.h>

void RegisterSys(Napi::Env env, Napi::Object exports);
