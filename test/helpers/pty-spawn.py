#!/usr/bin/env python3
# Runs a command on a new pseudo-terminal, as a login shell would: the command leads a new
# session whose controlling terminal is the pty, with stdin, stdout and stderr on it.
# Node has no pty module, hence this helper (python3's standard pty module).
#
#   python3 pty-spawn.py COMMAND ARGS...
#
# Prints "pid N" first, then relays what the command writes to the terminal. A line "close"
# on its stdin closes the terminal's master side: the kernel hangs the terminal up (SIGHUP to
# the session) and every later write to it fails with EIO. It then waits for the command and
# prints "exit STATUS" (the raw wait status).
import os
import pty
import select
import sys

pid, master = pty.fork()
if pid == 0:
    os.execvp(sys.argv[1], sys.argv[1:])

out = sys.stdout.buffer
out.write(b"pid %d\n" % pid)
out.flush()
stdin = sys.stdin.buffer
while True:
    ready, _, _ = select.select([master, stdin], [], [])
    if master in ready:
        try:
            data = os.read(master, 65536)
        except OSError:
            data = b""
        if data:
            out.write(data)
            out.flush()
    if stdin in ready:
        line = stdin.readline()
        if line.strip() == b"close" or line == b"":
            break
os.close(master)
out.write(b"\nclosed\n")
out.flush()
_, status = os.waitpid(pid, 0)
out.write(b"exit %d\n" % status)
out.flush()
