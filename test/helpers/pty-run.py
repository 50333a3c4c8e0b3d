#!/usr/bin/env python3
"""Runs a command on a fresh pseudo-terminal, as a person at a terminal would, for the terminal
tests: the command's stdin, stdout and stderr are the pty's slave, which is its controlling
terminal. Prints one JSON line: {"status": exit status (128+n for a signal), "output": the bytes
read from the master, base64}.

  pty-run.py [--rows R --cols C] [--input TEXT] [--resize R C AFTER_MARKER] [--timeout S] -- argv...

--input is written once the command has printed its first byte; --resize changes the window size
once the output contains AFTER_MARKER, which also sends SIGWINCH to the command's process group.
"""
import base64, fcntl, json, os, pty, select, signal, struct, sys, termios, time

args = sys.argv[1:]
opts = {"rows": 24, "cols": 80, "input": None, "resize": None, "timeout": 30.0}
while args and args[0] != "--":
    a = args.pop(0)
    if a == "--rows": opts["rows"] = int(args.pop(0))
    elif a == "--cols": opts["cols"] = int(args.pop(0))
    elif a == "--input": opts["input"] = args.pop(0).encode()
    elif a == "--resize": opts["resize"] = (int(args.pop(0)), int(args.pop(0)), args.pop(0).encode())
    elif a == "--timeout": opts["timeout"] = float(args.pop(0))
    else: sys.exit("pty-run: unknown option " + a)
argv = args[1:]

def set_size(fd, rows, cols):
    fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack("HHHH", rows, cols, 0, 0))

pid, master = pty.fork()
if pid == 0:
    os.execvp(argv[0], argv)
set_size(master, opts["rows"], opts["cols"])
out = b""
deadline = time.time() + opts["timeout"]
sent_input = opts["input"] is None
resized = opts["resize"] is None
status = None
while time.time() < deadline:
    r, _, _ = select.select([master], [], [], 0.1)
    if r:
        try:
            data = os.read(master, 65536)
        except OSError:
            data = b""
        if not data:
            break
        out += data
        if not sent_input:
            os.write(master, opts["input"])
            sent_input = True
        if not resized and opts["resize"][2] in out:
            set_size(master, opts["resize"][0], opts["resize"][1])
            os.killpg(os.getpgid(pid), signal.SIGWINCH)
            resized = True
    if status is None:
        p, st = os.waitpid(pid, os.WNOHANG)
        if p == pid:
            status = st
else:
    os.kill(pid, signal.SIGKILL)
if status is None:
    _, status = os.waitpid(pid, 0)
code = os.waitstatus_to_exitcode(status)
print(json.dumps({"status": code if code >= 0 else 128 - code, "output": base64.b64encode(out).decode()}))
