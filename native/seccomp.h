// libseccomp, loaded at run time, for src/seccomp/ (native/seccomp.cc).
#pragma once
#include <napi.h>

void RegisterSeccomp(Napi::Env env, Napi::Object exports);
