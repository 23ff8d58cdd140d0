"""Benchmark `evalboard ingest s3://…`: N Inspect logs read from a local S3 server vs the same files on local disk.

    python bench/s3_ingest.py                              # 200 logs x 250 samples = 50,000 samples
    python bench/s3_ingest.py --logs 50 --samples 100 --parallel 1 4 8

The logs are real `.eval` files written by Inspect's own recorder (`EvalRecorder`): the spec, plan and one sample
come from a real mock-model run (tests/ingest/inspect_logs.py), each log gets its own eval id and the sample is
logged again under new ids. A moto S3 server runs on 127.0.0.1 (nothing leaves loopback) and the logs are uploaded
to it. Measured, each in its own child process: `evalboard ingest DIR` (local disk, the baseline) and
`evalboard ingest s3://bucket/logs/` into fresh datasets, their records/s and the ratio; then the fetch alone
(`remote.fetch`, the part S3 adds) at each --parallel setting, and discovery plus Inspect's header status read of
every fetched log (the still-being-written check). The two ingests must report the same counts.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import subprocess
import sys
import tempfile
import time
import warnings
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

FETCH = """
import sys, time
from evalboard.ingest import remote
from evalboard.ingest.detect import discover
t = time.perf_counter()
fetched = remote.fetch([sys.argv[1]], parallel=int(sys.argv[2]))
fetch_s = time.perf_counter() - t
t = time.perf_counter()
fetched.settled(discover(fetched.paths).sources)
hwm = next(line for line in open("/proc/self/status") if line.startswith("VmHWM")).split()[1]
print(fetch_s, fetched.objects, fetched.bytes, time.perf_counter() - t, int(hwm) // 1024)
fetched.close()
"""


def build_logs(work: Path, logs: int, samples: int) -> Path:
    """`logs` finished .eval logs of `samples` samples each under work/logs (one eval id each)."""
    warnings.filterwarnings("ignore")
    from inspect_ai.log import read_eval_log
    from inspect_ai.log._recorders.eval import EvalRecorder

    from tests.ingest.inspect_logs import make_log

    base = make_log(work / "base", [{"id": "s0", "metadata": {"verdict": "C", "scenario": "blackmail"}}], tools=True)
    header = read_eval_log(str(base))
    assert header.samples
    template = header.samples[0]
    folder = work / "logs"
    folder.mkdir(parents=True, exist_ok=True)

    async def write(index: int) -> None:
        spec = header.eval.model_copy(deep=True)
        spec.eval_id = f"bench-eval-{index:05d}"
        spec.dataset.sample_ids = [f"s{i}" for i in range(samples)]
        spec.dataset.samples = samples
        out = folder / f"2026-12-07T00-00-00_bench_{index:05d}.eval"
        recorder = EvalRecorder(str(folder))
        await recorder.log_init(spec, str(out), clean=True)
        await recorder.log_start(spec, header.plan)
        for i in range(samples):
            sample = template.model_copy()
            sample.id = f"s{i}"
            sample.metadata = {**template.metadata, "verdict": "C" if i % 3 == 0 else "I"}
            await recorder.log_sample(spec, sample)
            if i % 100 == 99:
                await recorder.flush(spec)
        await recorder.log_finish(spec, "success", header.stats, None, None)

    for index in range(logs):
        asyncio.run(write(index))
    return folder


def child(env: dict[str, str], *args: str) -> tuple[float, subprocess.CompletedProcess]:
    started = time.perf_counter()
    done = subprocess.run([sys.executable, *args], capture_output=True, text=True, env=env, check=False)
    elapsed = time.perf_counter() - started
    if done.returncode != 0:
        sys.exit(f"failed ({done.returncode}): {' '.join(args)}\n{done.stdout}\n{done.stderr}")
    return elapsed, done


def records_line(stdout: str) -> str:
    return next(line for line in stdout.splitlines() if line.startswith("records:"))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--logs", type=int, default=200)
    parser.add_argument("--samples", type=int, default=250, help="samples per log")
    parser.add_argument("--parallel", type=int, nargs="*", default=[1, 4, 8], help="fetch settings to time")
    parser.add_argument("--repeat", type=int, default=2, help="alternating local/S3 runs (best of each reported)")
    parser.add_argument("--work", type=Path, help="work folder (default: a temp dir, removed)")
    args = parser.parse_args()

    import boto3
    from moto.server import ThreadedMotoServer

    work = args.work or Path(tempfile.mkdtemp(prefix="bench-s3-"))
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    try:
        host, port = server.get_host_and_port()
        env = {
            **os.environ,
            "PYTHONPATH": str(ROOT),
            "AWS_ENDPOINT_URL": f"http://{host}:{port}",
            "AWS_ACCESS_KEY_ID": "bench",
            "AWS_SECRET_ACCESS_KEY": "bench-secret",
            "AWS_REGION": "us-east-1",
        }
        os.environ.update({k: v for k, v in env.items() if k.startswith("AWS_")})
        t0 = time.perf_counter()
        folder = build_logs(work, args.logs, args.samples)
        files = sorted(folder.glob("*.eval"))
        size = sum(f.stat().st_size for f in files)
        print(
            f"{len(files)} logs, {args.logs * args.samples:,} samples, {size / 2**20:,.1f} MiB, built in "
            f"{time.perf_counter() - t0:.0f}s"
        )
        client = boto3.client("s3")
        client.create_bucket(Bucket="bench-logs")
        for f in files:
            client.upload_file(str(f), "bench-logs", f"logs/{f.name}")
        uri = "s3://bench-logs/logs/"
        cli = ["-m", "evalboard", "ingest"]

        local_times, s3_times = [], []
        for attempt in range(args.repeat):  # alternated, fresh datasets each time; the best of each is reported
            shutil.rmtree(work / "ds-local", ignore_errors=True)
            shutil.rmtree(work / "ds-s3", ignore_errors=True)
            local_s, local = child(env, *cli, str(folder), "--out", str(work / "ds-local"), "-q")
            s3_s, s3 = child(env, *cli, uri, "--out", str(work / "ds-s3"), "-q")
            local_times.append(local_s)
            s3_times.append(s3_s)
            print(f"run {attempt + 1}: local {local_s:.1f} s, S3 {s3_s:.1f} s")
        local_s, s3_s = min(local_times), min(s3_times)
        same = records_line(local.stdout) == records_line(s3.stdout)
        n = args.logs * args.samples
        print(f"local disk, best: {local_s:6.1f} s  {n / local_s:8,.0f} samples/s   {records_line(local.stdout)}")
        print(f"S3 (moto), best : {s3_s:6.1f} s  {n / s3_s:8,.0f} samples/s   {records_line(s3.stdout)}")
        print(f"ratio S3 / local time: {s3_s / local_s:.2f}x   same counts: {same}")
        for parallel in args.parallel:
            _, fetch = child(env, "-c", FETCH, uri, str(parallel))
            seconds, objects, nbytes, check, rss = fetch.stdout.split()
            print(
                f"fetch alone, {parallel} at a time: {float(seconds):5.1f} s for {objects} objects "
                f"({int(nbytes) / 2**20:,.1f} MiB, {int(nbytes) / 2**20 / float(seconds):,.1f} MiB/s); "
                f"peak RSS {rss} MiB; then discovery + the still-being-written check: {float(check):.1f} s"
            )
    finally:
        server.stop()
        if args.work is None:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
