"""Run a gen firmware ELF in qemu-system-arm, deterministically.

Used by the gen QEMU platform's ``upload`` target and importable on its own
(``python boards/platform-qemu/builder/qemu.py MACHINE firmware.elf``).

- ``-icount shift=0``: virtual time advances exactly 1 ns per executed instruction, so
  the firmware's SysTick readings convert to instruction counts (ticks * 1e9 / f_cpu);
- ``-semihosting-config enable=on,target=native``: printf (newlib rdimon) goes to our
  stdout, the exit status comes back through SYS_EXIT_EXTENDED;
- ``-nographic`` with stdin from /dev/null, and a timeout (exit status 124 on expiry).
"""

import os
import subprocess
import sys

QEMU = os.environ.get("GEN_QEMU", "qemu-system-arm")
TIMEOUT_STATUS = 124


def command(machine, elf, qemu=QEMU):
    return [
        qemu,
        "-M", machine,
        "-nographic",
        "-monitor", "none",
        "-icount", "shift=0",
        "-semihosting-config", "enable=on,target=native",
        "-kernel", elf,
    ]


def run(machine, elf, timeout=600.0, log_path=None, echo=True, qemu=QEMU):
    """Run ``elf`` on ``machine``; return the firmware's exit status (124 = timeout)."""
    cmd = command(machine, elf, qemu)
    try:
        proc = subprocess.run(
            cmd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT, timeout=timeout, check=False,
        )
        out, status = proc.stdout, proc.returncode
    except subprocess.TimeoutExpired as exc:
        out = (exc.stdout or b"") + b"\nqemu: timeout after %.0f s\n" % timeout
        status = TIMEOUT_STATUS
    text = out.decode("utf-8", "replace")
    if echo:
        sys.stdout.write(text)
        sys.stdout.flush()
    if log_path:
        with open(log_path, "w", encoding="utf-8") as fp:
            fp.write(text)
    return status


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit("usage: qemu.py MACHINE firmware.elf")
    sys.exit(run(sys.argv[1], sys.argv[2]))
