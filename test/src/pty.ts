// A real terminal for `kubectl exec -it` tests: a Python program (run as `python3 -c <program> <argv...>`) that
// starts argv on a pty of the given size, types `input` after 1.5 s, prints everything the terminal showed and
// exits with the child's exit code.
export function ptyProgram(rows: number, cols: number, input: string): string {
  return `
import os, pty, sys, fcntl, termios, struct, time
pid, fd = pty.fork()
if pid == 0:
    fcntl.ioctl(0, termios.TIOCSWINSZ, struct.pack('HHHH', ${rows}, ${cols}, 0, 0))
    os.execv(sys.argv[1], sys.argv[1:])
time.sleep(1.5)
os.write(fd, ${JSON.stringify(input + '\n')}.encode())
out = b''
while True:
    try:
        d = os.read(fd, 4096)
    except OSError:
        break
    if not d:
        break
    out += d
_, st = os.waitpid(pid, 0)
sys.stdout.buffer.write(out)
sys.exit(os.waitstatus_to_exitcode(st))
`;
}
