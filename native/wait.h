// waitExit: the exit of processes, waited for by one watcher thread (wait.cc).
#pragma once
#include <napi.h>

void RegisterWait(Napi::Env env, Napi::Object exports);
