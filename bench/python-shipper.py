"""Benchmarks of the Python client, each as ratios against baselines measured in the same run
(2 shared cores: only same-run ratios mean anything). Interleaved rounds; median (min–max).

1. Throughput of ``python -m joblogs run`` on the same output (default 200 MiB of synthetic log
   lines, ``cat`` of a file) against bare ``gzip -6`` of it and against the Node CLI.
2. In-process capture overhead: a training loop printing ~1 MiB/s, with ``joblogs.capture()``
   against the loop alone; and the peak RSS that capture adds to the job.

One command (from the repository root, after ``npm ci`` and the client's venv):

    clients/python/.venv/bin/python bench/python-shipper.py [--mib 200] [--rounds 3]

It starts its own moto server (port 5380–5389) and removes everything it wrote.
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Callable

REPO = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent

TRAINING_LOOP = r"""
import sys, time
if sys.argv[1] == "capture":
    import joblogs
    joblogs.capture(job_id=sys.argv[2], print_summary=False)

def compute(n):
    acc = 0
    for i in range(n):          # the "training" between two prints
        acc += i * i
    return acc

def main(steps, work):
    line = "step {:06d} loss={:.6f} lr=0.000300 grad_norm=1.234567 throughput=1234.5 samples/s " + "x" * 900
    for step in range(steps):
        compute(work)
        print(line.format(step, 1.0 / (step + 1)))

if sys.argv[1] == "calibrate":
    compute(200000)  # warm up the specialising interpreter first
    samples = []
    for _ in range(15):
        started = time.perf_counter()
        compute(20000)
        samples.append(time.perf_counter() - started)
    print(int(20000 * 0.001 / sorted(samples)[len(samples) // 2]))
else:
    main(int(sys.argv[-2]), int(sys.argv[-1]))
"""


def free_port() -> int:
    for port in range(5380, 5390):
        with socket.socket() as probe:
            try:
                probe.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    raise SystemExit("no free port in 5380-5389")


def make_output(path: Path, mib: int) -> int:
    """Synthetic log lines (mixed lengths, some JSON, some progress bars), ``mib`` MiB."""
    rng = random.Random(7)
    words = "epoch step loss accuracy warmup checkpoint gradient shard rank node tensor batch".split()
    target = mib * 1024 * 1024
    written = 0
    with path.open("wb") as out:
        while written < target:
            block = []
            for n in range(2000):
                kind = rng.random()
                if kind < 0.1:
                    text = '{"level":30,"time":1795600000123,"msg":"checkpoint saved","step":%d}\n' % n
                elif kind < 0.15:
                    text = "progress %d%%\r" % (n % 100)
                else:
                    text = " ".join(rng.choice(words) for _ in range(rng.randint(4, 30))) + f" value={rng.random():.6f}\n"
                block.append(text)
            data = "".join(block).encode()
            out.write(data)
            written += len(data)
    return written


def tree(pid: int) -> list[int]:
    pids = [pid]
    for task in Path(f"/proc/{pid}/task").glob("*/children"):
        try:
            for child in task.read_text().split():
                pids += tree(int(child))
        except OSError:
            pass
    return pids


def vm_hwm_kib(pid: int) -> tuple[str, int]:
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return "", 0
    fields = dict(line.split(":", 1) for line in status.splitlines() if ":" in line)
    return fields.get("Name", "").strip(), int(fields.get("VmHWM", "0 kB").split()[0])


def timed(command: list[str], env: dict[str, str]) -> tuple[float, int]:
    """Wall seconds, and the peak RSS (VmHWM, KiB) of the largest process of the run other than
    `cat` (the shipper; gzip for the baseline), sampled every 20 ms. VmHWM starts afresh at exec,
    so the benchmark's own memory (copied at fork) is not counted, as ru_maxrss would."""
    started = time.monotonic()
    process = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    peaks: dict[int, tuple[str, int]] = {}
    while process.poll() is None:
        for pid in tree(process.pid):
            name, hwm = vm_hwm_kib(pid)
            if name and hwm > peaks.get(pid, ("", 0))[1]:
                peaks[pid] = (name, hwm)
        time.sleep(0.02)
    elapsed = time.monotonic() - started
    if process.returncode != 0:
        raise SystemExit(f"{command[:4]}… exited {process.returncode}")
    return elapsed, max((hwm for name, hwm in peaks.values() if name not in ("cat", "sh")), default=0)


def summary(values: list[float], fmt: str = "{:.2f}") -> str:
    return f"{fmt.format(statistics.median(values))} ({fmt.format(min(values))}–{fmt.format(max(values))})"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--mib", type=int, default=200)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--steps", type=int, default=10000, help="training-loop prints (~1 KiB each, ~1 ms apart)")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="joblogs-python-bench-"))
    port = free_port()
    moto = subprocess.Popen([str(BIN / "moto_server"), "-H", "127.0.0.1", "-p", str(port)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        run_benchmarks(args, work, port)
    finally:
        moto.terminate()
        moto.wait()
        shutil.rmtree(work, ignore_errors=True)


def run_benchmarks(args: argparse.Namespace, work: Path, port: int) -> None:
    import boto3

    for _ in range(100):
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            break
        except OSError:
            time.sleep(0.1)
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("JOBLOGS_", "AWS_", "TRACEPARENT"))},
        "AWS_ENDPOINT_URL": f"http://127.0.0.1:{port}",
        "AWS_REGION": "us-east-1",
        "AWS_ACCESS_KEY_ID": "bench",
        "AWS_SECRET_ACCESS_KEY": "bench",
        "JOBLOGS_BUCKET": "joblogs-bench",
        "PATH": f"{REPO / 'node_modules' / '.bin'}{os.pathsep}{os.environ.get('PATH', '')}",
    }
    boto3.client("s3", endpoint_url=env["AWS_ENDPOINT_URL"], region_name="us-east-1", aws_access_key_id="bench", aws_secret_access_key="bench").create_bucket(
        Bucket="joblogs-bench"
    )
    data = work / "output.log"
    size = make_output(data, args.mib)
    spool = work / "spool"
    spool.mkdir(mode=0o700)
    tsx = REPO / "node_modules" / ".bin" / "tsx"
    has_node = tsx.exists()
    bundle = work / "joblogs.mjs"
    if has_node:
        # The Node CLI as it ships: the esbuild bundle (cli/build.ts), run by Node 24.
        build = f"import('{REPO / 'cli' / 'build.ts'}').then((m) => m.buildCli('{bundle}'))"
        subprocess.run([str(tsx), "-e", build], env=env, check=True, cwd=REPO, stdout=subprocess.DEVNULL)
    print(f"output: {size / 2**20:.0f} MiB, {sum(1 for _ in data.open('rb'))} lines; {args.rounds} interleaved rounds; median (min–max)")

    variants: dict[str, Callable[[int], list[str]]] = {
        "gzip": lambda r: ["sh", "-c", f"cat {data} | gzip -6 > /dev/null"],
        "python": lambda r: [sys.executable, "-m", "joblogs", "run", "--job-id", f"bench-py-{r}", "--spool-dir", str(spool), "--", "cat", str(data)],
    }
    if has_node:
        variants["node"] = lambda r: [str(REPO / "node_modules" / ".bin" / "node"), str(bundle), "run", "--job-id", f"bench-node-{r}", "--spool-dir", str(spool / "node"), "--", "cat", str(data)]
    times: dict[str, list[float]] = {name: [] for name in variants}
    rss: dict[str, list[float]] = {name: [] for name in variants}
    for r in range(args.rounds):
        for name, command in variants.items():
            elapsed, peak = timed(command(r), env)
            times[name].append(elapsed)
            rss[name].append(peak / 1024)
        print(f"  round {r + 1}: " + ", ".join(f"{n} {times[n][-1]:.1f} s" for n in variants), flush=True)
    mib = size / 2**20
    print("\n1. throughput of python -m joblogs run (same output, same run)")
    for name in variants:
        print(f"   {name:7s} {summary([mib / t for t in times[name]], '{:.1f}')} MiB/s, peak RSS {summary(rss[name], '{:.0f}')} MiB")
    print(f"   python vs bare gzip: {summary([g / p for g, p in zip(times['gzip'], times['python'])])}×")
    if has_node:
        print(f"   python vs Node CLI:  {summary([n / p for n, p in zip(times['node'], times['python'])])}×")
    else:
        print("   Node CLI: not measured (run `npm ci` in the repository root)")

    loop = work / "loop.py"
    loop.write_text(TRAINING_LOOP)
    # Inner-loop iterations that take ~1 ms here: one ~1 KiB line per ms is ~1 MiB/s.
    work_per_step = int(subprocess.run([sys.executable, str(loop), "calibrate"], capture_output=True, text=True, check=True).stdout)
    env_capture = {**env, "JOBLOGS_SPOOL_DIR": str(spool)}
    alone: list[float] = []
    captured: list[float] = []
    rss_alone: list[float] = []
    rss_captured: list[float] = []
    for r in range(args.rounds):
        t, m = timed([sys.executable, str(loop), "alone", str(args.steps), str(work_per_step)], env_capture)
        alone.append(t)
        rss_alone.append(m / 1024)
        t, m = timed([sys.executable, str(loop), "capture", f"bench-loop-{r}", str(args.steps), str(work_per_step)], env_capture)
        captured.append(t)
        rss_captured.append(m / 1024)
    rate = args.steps * 1024 / statistics.median(alone) / 2**20
    print(f"\n2. in-process capture: a loop printing {rate:.2f} MiB/s for {statistics.median(alone):.1f} s")
    print(f"   slowdown with capture: {summary([(c / a - 1) * 100 for a, c in zip(alone, captured)], '{:+.1f}')} % (aim ≤ 5 %)")
    print(f"   peak RSS: loop alone {summary(rss_alone, '{:.0f}')} MiB, with capture {summary(rss_captured, '{:.0f}')} MiB")
    print(f"   RSS added: {summary([c - a for a, c in zip(rss_alone, rss_captured)], '{:.0f}')} MiB (aim ≤ 40 MiB)")


if __name__ == "__main__":
    main()
