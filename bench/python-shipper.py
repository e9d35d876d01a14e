"""The Python side of bench/python-shipper.ts (run by `npm run bench -- python-shipper`, which
measures, compares and reports): the processes it measures, each writing its own peak RSS (VmHWM)
and CPU time to the file named by BENCH_USAGE_FILE when it exits.

    python bench/python-shipper.py probe -m joblogs run …        # `python -m joblogs …`, measured
    python bench/python-shipper.py loop alone|capture STEPS WORK  # the training loop, without or with joblogs.capture()
    python bench/python-shipper.py calibrate                      # WORK that takes ~1 ms here

The loop prints one ~1 KiB line per step after WORK iterations of arithmetic (~1 ms), i.e.
~1 MiB/s, as a training loop logging every step; it reports when its first and last step ran
(BENCH_PRINTER_REPORT) so the driver can tell the loop's own time from the process's.
"""

from __future__ import annotations

import atexit
import json
import os
import resource
import runpy
import sys
import time

LINE = "step {:06d} loss={:.6f} lr=0.000300 grad_norm=1.234567 throughput=1234.5 samples/s " + "x" * 900


def peak_rss_kib() -> int:
    """VmHWM: getrusage's ru_maxrss would keep the spawning process's peak across the exec (getrusage(2))."""
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


def report_usage_at_exit() -> None:
    target = os.environ.get("BENCH_USAGE_FILE")
    if not target:
        return

    def write() -> None:
        usage = resource.getrusage(resource.RUSAGE_SELF)
        with open(target, "w", encoding="utf-8") as out:
            json.dump({"maxRssKb": peak_rss_kib(), "userUs": int(usage.ru_utime * 1e6), "systemUs": int(usage.ru_stime * 1e6)}, out)

    # Registered first, so it runs last: after capture()'s own exit hook has shipped the final chunk.
    atexit.register(write)


def compute(n: int) -> int:
    acc = 0
    for i in range(n):
        acc += i * i
    return acc


def loop(mode: str, steps: int, work: int) -> None:
    report_usage_at_exit()
    if mode == "capture":
        import joblogs

        joblogs.capture(print_summary=False)
    started = time.time()
    for step in range(steps):
        compute(work)
        print(LINE.format(step, 1.0 / (step + 1)))
    sys.stdout.flush()
    target = os.environ.get("BENCH_PRINTER_REPORT")
    if target:
        with open(target, "w", encoding="utf-8") as out:
            json.dump({"startedAt": started * 1000, "endedAt": time.time() * 1000, "lines": steps}, out)


def calibrate() -> None:
    compute(200_000)  # warm the interpreter up first
    samples = []
    for _ in range(15):
        started = time.perf_counter()
        compute(20_000)
        samples.append(time.perf_counter() - started)
    print(int(20_000 * 0.001 / sorted(samples)[len(samples) // 2]))


def main(argv: list[str]) -> None:
    if argv[:2] == ["probe", "-m"] and len(argv) >= 3:
        report_usage_at_exit()
        sys.argv = [argv[2], *argv[3:]]
        runpy.run_module(argv[2], run_name="__main__", alter_sys=True)
    elif argv[:1] == ["loop"] and len(argv) == 4:
        loop(argv[1], int(argv[2]), int(argv[3]))
    elif argv == ["calibrate"]:
        calibrate()
    else:
        raise SystemExit(__doc__)


if __name__ == "__main__":
    main(sys.argv[1:])
