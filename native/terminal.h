// The runtime's side of terminals (terminal.cc): console sockets, termios, the relay.
#pragma once
#include <napi.h>

void RegisterTerminal(Napi::Env env, Napi::Object exports);
