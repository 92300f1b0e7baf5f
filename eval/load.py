"""Load benchmark for the Gradio app: N concurrent gradio_client users for T seconds.

    python eval/load.py                      # starts app.py on a free 127.0.0.1 port, 20 users x 30 s
    python eval/load.py --users 50 --duration 60
    python eval/load.py --url http://127.0.0.1:7860
    python eval/load.py --unique             # make every question new (defeats the engine's query cache)

Each user is a thread with its own ``gradio_client.Client``; it asks questions
from eval/questions*.jsonl and eval/offtopic.jsonl (a built-in list if those
are missing) through ``/ask`` and, one call in five, ``/retrieve`` with a
random k. Prints requests/s, latency percentiles and errors, then stops the
server it started. Exit status 1 if any request failed. Not a test.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import random
import socket
import statistics
import subprocess
import sys
import threading
import time
import urllib.request
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
FALLBACK_QUESTIONS = [
    "政府上網工程是哪一年啟動的?",
    "在线服务指数排名全球第几?",
    "What are the three aspects of the Chinese model of digital government?",
    "我國數字政府建設歷經哪四個發展時期?",
    "2020年我国电子政务发展指数是多少?",
    "Who wrote this article?",
    "How do I make a sourdough starter?",
    "月球距離地球有多遠?",
]


def load_questions() -> list[str]:
    questions = []
    for path in sorted((ROOT / "eval").glob("questions*.jsonl")) + [ROOT / "eval" / "offtopic.jsonl"]:
        if path.is_file():
            for line in path.read_text(encoding="utf-8").splitlines():
                if line.strip():
                    questions.append(json.loads(line)["question"])
    return questions or FALLBACK_QUESTIONS


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_server(log_path: Path) -> tuple[subprocess.Popen, str]:
    port = free_port()
    env = {**os.environ, "GRADIO_SERVER_NAME": "127.0.0.1", "GRADIO_SERVER_PORT": str(port),
           "GRADIO_ANALYTICS_ENABLED": "False"}
    with open(log_path, "w") as log:
        proc = subprocess.Popen([sys.executable, str(ROOT / "app.py")], cwd=ROOT, env=env, stdout=log,
                                stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 180
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"app.py exited with {proc.returncode}; see {log_path}")
        try:
            with urllib.request.urlopen(f"{url}/gradio_api/info", timeout=2):
                return proc, url
        except OSError:
            time.sleep(0.3)
    stop_server(proc)
    raise SystemExit(f"app.py did not answer on {url} within 180 s; see {log_path}")


def stop_server(proc: subprocess.Popen) -> None:
    proc.terminate()
    try:
        proc.wait(timeout=15)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


class Results:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.latencies: dict[str, list[float]] = {"/ask": [], "/retrieve": []}
        self.errors: Counter[str] = Counter()

    def add(self, endpoint: str, seconds: float, error: str | None) -> None:
        with self.lock:
            if error is None:
                self.latencies[endpoint].append(seconds)
            else:
                self.errors[f"{endpoint}: {error[:160]}"] += 1


def percentile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, math.ceil(q / 100 * len(ordered)) - 1))]  # nearest rank


def report(results: Results, elapsed: float, args) -> int:
    everything = results.latencies["/ask"] + results.latencies["/retrieve"]
    errors = sum(results.errors.values())
    total = len(everything) + errors
    print(f"users={args.users} duration={elapsed:.1f}s unique={args.unique} url={args.url or '(started app.py)'}")
    print(f"requests={total} ok={len(everything)} errors={errors} throughput={total / elapsed:.1f} req/s")
    for name, values in [("all", everything)] + list(results.latencies.items()):
        if values:
            print(f"  {name:<10} n={len(values):<6} p50={percentile(values, 50) * 1000:7.1f} ms  "
                  f"p95={percentile(values, 95) * 1000:7.1f} ms  p99={percentile(values, 99) * 1000:7.1f} ms  "
                  f"max={max(values) * 1000:7.1f} ms  mean={statistics.fmean(values) * 1000:7.1f} ms")
    for message, count in results.errors.most_common(5):
        print(f"  error x{count}: {message}")
    p95 = percentile(everything, 95)
    verdict = errors == 0 and p95 < 1.0
    print(f"bar (zero errors, p95 < 1 s): {'PASS' if verdict else 'FAIL'}")
    return 0 if verdict else 1


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--url", help="an app that is already running (default: start app.py on a free port)")
    parser.add_argument("--users", type=int, default=20)
    parser.add_argument("--duration", type=float, default=30.0, help="seconds of load")
    parser.add_argument("--unique", action="store_true", help="append a counter to every question (no cache hits)")
    parser.add_argument("--server-log", type=Path, default=ROOT / "tests" / "artifacts" / "load-server.log")
    args = parser.parse_args(argv)

    questions = load_questions()
    proc = None
    url = args.url
    if url is None:
        args.server_log.parent.mkdir(parents=True, exist_ok=True)
        proc, url = start_server(args.server_log)
    try:
        results = Results()
        ready = threading.Barrier(args.users + 1)
        deadline = Deadline()
        threads = [threading.Thread(target=user, args=(n, url, questions, deadline, args.unique, results, ready),
                                    daemon=True) for n in range(args.users)]
        for thread in threads:
            thread.start()
        ready.wait()  # every client has connected; the clock starts now
        began = time.monotonic()
        deadline.set(began + args.duration)
        for thread in threads:
            thread.join(timeout=args.duration + 120)
        return report(results, time.monotonic() - began, args)
    finally:
        if proc is not None:
            stop_server(proc)


class Deadline:
    """When the users stop; set once every client has connected."""

    def __init__(self) -> None:
        self._at = float("inf")
        self._set = threading.Event()

    def set(self, at: float) -> None:
        self._at = at
        self._set.set()

    def wait(self) -> float:
        self._set.wait()
        return self._at


def user(number: int, url: str, questions: list[str], deadline: Deadline, unique: bool, results: Results,
         ready: threading.Barrier) -> None:
    """One simulated user: its own client, questions back to back until the deadline."""
    from gradio_client import Client

    rng = random.Random(number)
    try:
        # Over plain http there is no TLS; ssl_verify=False stops gradio_client from
        # loading the CA bundle for every request (~40 ms of CPU each, in this
        # process, which would otherwise be what the benchmark measures).
        client = Client(url, verbose=False, ssl_verify=not url.startswith("http://"))
    except Exception as error:  # noqa: BLE001 — a benchmark counts every failure
        results.add("/ask", 0.0, f"connect: {type(error).__name__}: {error}")
        ready.wait()
        return
    ready.wait()
    stop_at = deadline.wait()
    sent = 0
    while time.monotonic() < stop_at:
        question = rng.choice(questions)
        if unique:
            question = f"{question} ({number}-{sent})"
        sent += 1
        endpoint = "/retrieve" if rng.random() < 0.2 else "/ask"
        call = (question, rng.randint(1, 10)) if endpoint == "/retrieve" else (question,)
        began = time.perf_counter()
        try:
            result = client.predict(*call, api_name=endpoint)
            ok = isinstance(result, list) if endpoint == "/retrieve" else isinstance(result, dict) and "text" in result
            error = None if ok else f"unexpected result {str(result)[:80]}"
        except Exception as failure:  # noqa: BLE001
            error = f"{type(failure).__name__}: {failure}"
        results.add(endpoint, time.perf_counter() - began, error)


if __name__ == "__main__":
    sys.exit(main())
