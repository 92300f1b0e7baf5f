"""Load benchmark: the Gradio route and the JSON route of one server, same users, same questions.

    python eval/load.py                      # serve on a free 127.0.0.1 port; 20 users x 30 s per route, reader on
    python eval/load.py --reader off         # the engine without the trained reader (the tree models alone)
    python eval/load.py --gradio-client      # the Gradio route through gradio_client instead of raw HTTP
    python eval/load.py --retrieve-share 0.2 # one call in five to retrieve (random k 1-10), the rest to ask
    python eval/load.py --workers 2          # + the JSON route on `serve --workers 2` (gain, RSS per worker)
    python eval/load.py --inline             # + the JSON route with the engine on the event loop, not threads
    python eval/load.py --unique             # every question new: no hits in the engine's query-vector cache
    python eval/load.py --users 5 --duration 10 --rounds 1

It starts ``article-qa serve`` (the UI and the JSON API in one process,
``$ARTICLE_QA_READER`` set from ``--reader``), notes how long after its start
the chat page is served, and runs the same N users twice, one route after the
other:

* ``gradio``: each user holds one keep-alive ``http.client`` connection and
  calls Gradio's queue the way curl users of a Space do, in the oldest shape:
  ``POST /gradio_api/call/ask {"data": [question]}`` (the question alone),
  then reads the result's event stream (``--gradio-client``: a
  ``gradio_client.Client`` per user instead, which costs this process ~10x
  the CPU per call on the two cores it shares with the server);
* ``v1``: each user holds one keep-alive ``http.client`` connection and
  POSTs ``/v1/ask {"question"}`` (and ``/v1/retrieve``).

Each user asks questions from eval/questions*.jsonl and eval/offtopic.jsonl
back to back (all through ask unless ``--retrieve-share``), from its own
seeded random stream, so both routes get the same mix. Prints, per route,
requests, errors, p50/p95/p99 latency and requests/s, the ratio of the two
routes' requests/s, the CPU seconds the client (this process) and the server
used, so a client-bound figure shows, and the server's memory before and
after. Latencies run from the first request. Stops the servers it started.
Exit status 1 unless the targets hold: the Gradio route with no errors and
p95 <= 2 s, /v1 with no errors and >= 1.5x the Gradio route's requests/s.
Not a test (``tests/test_load.py`` runs a shorter load and fails on any error).
"""

from __future__ import annotations

import argparse
import http.client
import json
import math
import os
import random
import resource
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

ROOT = Path(__file__).resolve().parents[1]
TICKS = os.sysconf("SC_CLK_TCK")
FALLBACK_QUESTIONS = [
    "政府上網工程是哪一年啟動的?",
    "在线服务指数排名全球第几?",
    "What are the three aspects of the Chinese model of digital government?",
    "How do I make a sourdough starter?",
]
# The targets for one process under 20 users (exit status 1 unless all hold).
GRADIO_P95_S = 2.0
V1_OVER_GRADIO = 1.5
# Same server in a process of its own, with the engine on the event loop (for --inline).
INLINE_SERVER = r"""
import sys, uvicorn
from article_qa.engines import EngineSlot
from article_qa.server import configure_logging, create_app
configure_logging()
uvicorn.run(create_app(EngineSlot(), ui=False, inline=True), host="127.0.0.1", port=int(sys.argv[1]),
            access_log=False)
"""


def load_questions() -> list[str]:
    questions = []
    for path in sorted((ROOT / "eval").glob("questions*.jsonl")) + [ROOT / "eval" / "offtopic.jsonl"]:
        if path.is_file():
            for line in path.read_text(encoding="utf-8").splitlines():
                if line.strip():
                    questions.append(json.loads(line)["question"])
    return questions or FALLBACK_QUESTIONS


# ---------------------------------------------------------------- servers ---
def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class Server:
    name: str
    proc: subprocess.Popen
    url: str
    page_s: float | None = None  # process start -> first 200 from "/" (the chat page), when it has a UI

    def pids(self) -> list[int]:
        """The server process and its worker processes (uvicorn's children)."""
        children = [int(p) for p in Path(f"/proc/{self.proc.pid}/task/{self.proc.pid}/children")
                    .read_text().split()] if Path(f"/proc/{self.proc.pid}").exists() else []
        return [self.proc.pid, *children]

    def workers(self) -> list[int]:
        """The processes that answer: uvicorn's spawned workers, else the process itself."""
        spawned = [pid for pid in self.pids()[1:]
                   if b"multiprocessing.spawn" in Path(f"/proc/{pid}/cmdline").read_bytes()]
        return spawned or [self.proc.pid]

    def cpu_seconds(self) -> float:
        return sum(_proc_cpu(pid) for pid in self.pids())

    def stop(self) -> None:
        os.killpg(self.proc.pid, signal.SIGTERM)
        try:
            self.proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait()


def _proc_cpu(pid: int) -> float:
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / TICKS  # utime + stime


def rss_mb(pid: int, field: str = "VmRSS") -> float:
    """The process's resident memory (``VmHWM``: its peak so far), MB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(f"{field}:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def start_server(name: str, command: Callable[[int], list[str]], log_path: Path, *, ui: bool,
                 env: dict[str, str] | None = None) -> Server:
    """``command(port)`` in its own process group (``env`` added to this process's environment), once
    /v1/health answers and, if ``ui``, the chat page is served (its time from the start noted)."""
    port = free_port()
    log_path.parent.mkdir(parents=True, exist_ok=True)
    began = time.monotonic()
    with open(log_path, "w") as log:
        proc = subprocess.Popen(command(port), cwd=ROOT, stdout=log, stderr=subprocess.STDOUT,
                                start_new_session=True, env={**os.environ, **(env or {})})
    server = Server(name, proc, f"http://127.0.0.1:{port}")
    deadline = began + 180
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"{name} exited with {proc.returncode}; see {log_path}")
        try:
            if not ui:
                with urllib.request.urlopen(f"{server.url}/v1/health", timeout=2):
                    return server
            with urllib.request.urlopen(f"{server.url}/", timeout=2) as response:
                response.read()
                server.page_s = time.monotonic() - began
                return server
        except (OSError, urllib.error.HTTPError):  # not listening yet, or 503 while the UI starts
            pass
        time.sleep(0.02)
    server.stop()
    raise SystemExit(f"{name} was not ready within 180 s; see {log_path}")


def serve_command(*extra: str) -> Callable[[int], list[str]]:
    return lambda port: [sys.executable, "-m", "article_qa.cli", "serve", "--host", "127.0.0.1", "--port", str(port),
                         *extra]


def inline_command(port: int) -> list[str]:
    return [sys.executable, "-c", INLINE_SERVER, str(port)]


# ------------------------------------------------------------------ users ---
@dataclass
class Results:
    latencies: dict[str, list[float]] = field(default_factory=lambda: {"ask": [], "retrieve": []})
    errors: Counter = field(default_factory=Counter)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, endpoint: str, seconds: float, error: str | None) -> None:
        with self.lock:
            if error is None:
                self.latencies[endpoint].append(seconds)
            else:
                self.errors[f"{endpoint}: {error[:160]}"] += 1

    @property
    def ok(self) -> list[float]:
        return self.latencies["ask"] + self.latencies["retrieve"]


def next_call(rng: random.Random, questions: list[str], unique: str | None,
              retrieve_share: float = 0.0) -> tuple[str, str, int]:
    question = rng.choice(questions) + (f" ({unique})" if unique else "")
    if rng.random() < retrieve_share:
        return "retrieve", question, rng.randint(1, 10)
    return "ask", question, 0


def _connection(url: str) -> http.client.HTTPConnection:
    host, port = url.removeprefix("http://").split(":")
    return http.client.HTTPConnection(host, int(port), timeout=60)


def _answer_error(endpoint: str, result: object, k: int) -> str | None:
    """None when ``result`` is a real answer (a found answer has its short answer field) or passages."""
    if endpoint == "retrieve":
        passages = result.get("passages") if isinstance(result, dict) else None
        return None if isinstance(passages, list) and 0 < len(passages) <= k else f"unexpected {str(result)[:80]}"
    if isinstance(result, dict) and isinstance(result.get("text"), str) and "short_answer" in result \
            and isinstance(result.get("found"), bool):
        return None
    return f"unexpected {str(result)[:80]}"


class GradioHttpUser:
    """Gradio's queue over raw HTTP, as curl users of a Space call it: one keep-alive connection,
    ``POST /gradio_api/call/<endpoint> {"data": [question]}`` (``[question, k]`` for retrieve),
    then ``GET /gradio_api/call/<endpoint>/<event_id>``, read to its end (the result's event)."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.connection = _connection(url)

    def call(self, endpoint: str, question: str, k: int) -> str | None:
        data = [question, k] if endpoint == "retrieve" else [question]
        try:
            self.connection.request("POST", f"/gradio_api/call/{endpoint}", json.dumps({"data": data}).encode(),
                                    {"content-type": "application/json"})
            response = self.connection.getresponse()
            payload = response.read()
            if response.status != 200:
                return f"HTTP {response.status}: {payload[:80]!r}"
            event_id = json.loads(payload)["event_id"]
            self.connection.request("GET", f"/gradio_api/call/{endpoint}/{event_id}")
            response = self.connection.getresponse()
            stream = response.read().decode("utf-8")
        except (OSError, http.client.HTTPException):
            self.connection.close()  # a broken connection is not reused
            self.connection = _connection(self.url)
            raise
        if response.status != 200:
            return f"HTTP {response.status}: {stream[:80]!r}"
        event, data_line = _last_event(stream)
        if event != "complete":
            return f"event {event}: {data_line[:120]}"
        return _answer_error(endpoint, json.loads(data_line)[0], k)


def _last_event(stream: str) -> tuple[str, str]:
    """The last ``event:``/``data:`` pair of a server-sent event stream other than heartbeats."""
    event, data, last = "", "", ("none", stream[:120])
    for line in stream.splitlines():
        if line.startswith("event:"):
            event = line[6:].strip()
        elif line.startswith("data:"):
            data = line[5:].strip()
            if event != "heartbeat":
                last = (event, data)
    return last


class GradioUser:
    """A ``gradio_client.Client`` of its own, through Gradio's queue."""

    def __init__(self, url: str) -> None:
        from gradio_client import Client

        # Over plain http, ssl_verify=False stops gradio_client from loading the CA
        # bundle on every request (~40 ms of this process's CPU each).
        self.client = Client(url, verbose=False, ssl_verify=not url.startswith("http://"))

    def call(self, endpoint: str, question: str, k: int) -> str | None:
        if endpoint == "retrieve":
            return _answer_error(endpoint, self.client.predict(question, k, api_name="/retrieve"), k)
        return _answer_error(endpoint, self.client.predict(question, api_name="/ask"), k)


class JsonUser:
    """One keep-alive HTTP/1.1 connection to the JSON API."""

    def __init__(self, url: str) -> None:
        self.connection = _connection(url)

    def call(self, endpoint: str, question: str, k: int) -> str | None:
        body = {"question": question, "k": k} if endpoint == "retrieve" else {"question": question}
        self.connection.request("POST", f"/v1/{endpoint}", json.dumps(body).encode(),
                                {"content-type": "application/json"})
        response = self.connection.getresponse()
        payload = response.read()
        if response.status != 200:
            return f"HTTP {response.status}: {payload[:80]!r}"
        return _answer_error(endpoint, json.loads(payload), k)


def run_users(make_user, url: str, questions: list[str], args) -> tuple[Results, float, float]:
    """``args.users`` threads calling back to back for ``args.duration`` s: results, wall s, client CPU s."""
    results = Results()
    ready = threading.Barrier(args.users + 1)
    start = threading.Event()
    stop_at = [0.0]

    def user(number: int) -> None:
        rng = random.Random(number)
        try:
            client = make_user(url)
        except Exception as error:  # noqa: BLE001 — a benchmark counts every failure
            results.add("ask", 0.0, f"connect: {type(error).__name__}: {error}")
            ready.wait()
            return
        ready.wait()
        start.wait()
        sent = 0
        while time.monotonic() < stop_at[0]:
            endpoint, question, k = next_call(rng, questions, f"{number}-{sent}" if args.unique else None,
                                              args.retrieve_share)
            sent += 1
            began = time.perf_counter()
            try:
                error = client.call(endpoint, question, k)
            except Exception as failure:  # noqa: BLE001
                error = f"{type(failure).__name__}: {failure}"
                if isinstance(client, JsonUser):
                    client = make_user(url)  # a broken connection is not reused
            results.add(endpoint, time.perf_counter() - began, error)

    threads = [threading.Thread(target=user, args=(n,), daemon=True) for n in range(args.users)]
    for thread in threads:
        thread.start()
    ready.wait()  # every client has connected; the clock starts now
    cpu_before, began = _client_cpu(), time.monotonic()
    stop_at[0] = began + args.duration
    start.set()
    for thread in threads:
        thread.join(timeout=args.duration + 120)
    return results, time.monotonic() - began, _client_cpu() - cpu_before


def _client_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


# ----------------------------------------------------------------- report ---
def percentile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, math.ceil(q / 100 * len(ordered)) - 1))]  # nearest rank


@dataclass
class Phase:
    """One route's figures, summed over its rounds."""

    route: str
    results: Results = field(default_factory=Results)
    wall: float = 0.0
    client_cpu: float = 0.0
    server_cpu: float = 0.0

    @property
    def errors(self) -> int:
        return sum(self.results.errors.values())

    @property
    def requests(self) -> int:
        return len(self.results.ok) + self.errors

    @property
    def rps(self) -> float:
        return self.requests / self.wall

    def p95(self) -> float:
        return percentile(self.results.ok, 95)

    def add_round(self, server: Server, make_user, questions: list[str], args) -> None:
        server_cpu = server.cpu_seconds()
        results, wall, client_cpu = run_users(make_user, server.url, questions, args)
        self.server_cpu += server.cpu_seconds() - server_cpu
        self.client_cpu, self.wall = self.client_cpu + client_cpu, self.wall + wall
        for endpoint, values in results.latencies.items():
            self.results.latencies[endpoint] += values
        self.results.errors.update(results.errors)

    def print(self) -> None:
        ok, per_request = self.results.ok, 1000 / max(self.requests, 1)
        print(f"  {self.route:<26} requests={self.requests:<6} errors={self.errors:<3} "
              f"p50={percentile(ok, 50) * 1000:7.1f}  p95={self.p95() * 1000:7.1f}  "
              f"p99={percentile(ok, 99) * 1000:7.1f}  max={max(ok, default=float('nan')) * 1000:7.1f} ms  "
              f"{self.rps:6.1f} req/s | CPU ms/request: server {self.server_cpu * per_request:5.1f} "
              f"client {self.client_cpu * per_request:4.1f}"
              f" | cores busy: server {self.server_cpu / self.wall:4.2f} client {self.client_cpu / self.wall:4.2f}")
        for message, count in self.results.errors.most_common(3):
            print(f"      error x{count}: {message}")


def measure(routes: list[tuple[str, Server, object]], questions: list[str], args) -> list[Phase]:
    """The routes in turn, ``args.rounds`` times (A B A B ...): a box whose other load
    drifts during the run then weighs on every route alike."""
    phases = [Phase(route) for route, _, _ in routes]
    for _ in range(args.rounds):
        for phase, (_, server, make_user) in zip(phases, routes):
            phase.add_round(server, make_user, questions, args)
    for phase in phases:
        phase.print()
    return phases


def engine_cost(questions: list[str], *, reader: bool, retrieve_share: float, calls: int = 2000,
                seconds: float = 10.0) -> tuple[float, int]:
    """CPU ms per call of the engine alone, in this process, on the users' mix (warm, as in the runs),
    and the calls it was measured on (up to ``calls``, stopping after ``seconds`` of CPU: the reader costs
    ~0.3 s a question): what a route costs the server beyond it is the route's own overhead."""
    from article_qa import ArticleQA

    qa = ArticleQA.load(reader=reader)
    rng = random.Random(0)
    mix = [next_call(rng, questions, None, retrieve_share) for _ in range(calls)]

    def call(endpoint: str, question: str, k: int) -> object:
        if endpoint == "retrieve":
            return [passage.to_dict() for passage in qa.retrieve(question, k=k)]
        return qa.ask(question).to_dict()

    def run(budget: float) -> tuple[float, int]:
        began = time.process_time()
        for done, arguments in enumerate(mix, 1):
            call(*arguments)
            if time.process_time() - began >= budget:
                break
        return time.process_time() - began, done

    _, warmed = run(seconds)  # warm: the runs repeat questions too
    del mix[warmed:]
    spent, done = run(float("inf"))
    return spent / done * 1000, done


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--users", type=int, default=20)
    parser.add_argument("--duration", type=float, default=30.0, help="seconds of load per route")
    parser.add_argument("--rounds", type=int, default=3, help="alternate the routes this many times")
    parser.add_argument("--reader", choices=("on", "off"), default="on",
                        help="the server's $ARTICLE_QA_READER (default on, as shipped)")
    parser.add_argument("--retrieve-share", type=float, default=0.0,
                        help="share of calls to retrieve (random k 1-10); the rest ask (default 0: ask only)")
    parser.add_argument("--gradio-client", action="store_true",
                        help="the Gradio route through gradio_client rather than raw HTTP with the question alone")
    parser.add_argument("--unique", action="store_true", help="append a counter to every question (no cache hits)")
    parser.add_argument("--workers", type=int, default=1, help="also measure /v1 on `serve --workers N` (N > 1)")
    parser.add_argument("--inline", action="store_true", help="also measure /v1 with the engine on the event loop")
    parser.add_argument("--logs", type=Path, default=ROOT / "tests" / "artifacts")
    args = parser.parse_args(argv)

    questions = load_questions()
    slice_s = args.duration / args.rounds
    args.duration = slice_s  # run_users runs one slice
    env = {"ARTICLE_QA_READER": args.reader}
    mix = "ask only" if not args.retrieve_share else f"ask, retrieve {args.retrieve_share:.0%}"
    print(f"users={args.users} duration={slice_s * args.rounds:.0f}s per route in {args.rounds} alternating rounds "
          f"reader={args.reader} mix={mix} unique={args.unique} questions={len(questions)} cores={os.cpu_count()} "
          "(client and server share them)")
    if not args.unique:
        cost, calls = engine_cost(questions, reader=args.reader == "on", retrieve_share=args.retrieve_share)
        print(f"engine alone, this process, same mix, warm: {cost:.1f} CPU ms per call ({calls} calls)")
    server = start_server("serve", serve_command(), args.logs / "load-serve.log", ui=True, env=env)
    try:
        pid = server.proc.pid
        print(f"article-qa serve (1 process, UI + JSON API): chat page served {server.page_s:.2f} s after the "
              f"process started; RSS {rss_mb(pid):.0f} MB before load:")
        gradio_route = ("gradio_client /ask", GradioUser) if args.gradio_client else \
            ("gradio /call/ask [q]", GradioHttpUser)
        gradio, v1 = measure([(gradio_route[0], server, gradio_route[1]), ("/v1/ask (threadpool)", server, JsonUser)],
                             questions, args)
        rss_after, rss_peak = rss_mb(pid), rss_mb(pid, "VmHWM")
    finally:
        server.stop()
    ratio = v1.rps / gradio.rps if gradio.rps else float("inf")
    print(f"  ratio /v1 / gradio: {ratio:.2f}x requests/s, p95 {gradio.p95() / v1.p95():.2f}x lower")
    print(f"  server RSS after load {rss_after:.0f} MB (peak {rss_peak:.0f} MB)")

    if args.inline:
        threaded = start_server("api-only", serve_command("--api-only"), args.logs / "load-api1.log", ui=False,
                                env=env)
        inline_server = start_server("inline", inline_command, args.logs / "load-inline.log", ui=False, env=env)
        try:
            print("API only, one process each: engine in FastAPI's threadpool vs on the event loop:")
            pooled, inline = measure([("/v1 threadpool", threaded, JsonUser),
                                      ("/v1 inline", inline_server, JsonUser)], questions, args)
        finally:
            threaded.stop()
            inline_server.stop()
        print(f"  ratio inline / threadpool: {inline.rps / pooled.rps:.2f}x requests/s")
    if args.workers > 1:
        one = start_server("api-only", serve_command("--api-only"), args.logs / "load-api1.log", ui=False, env=env)
        many = start_server("workers", serve_command("--workers", str(args.workers)), args.logs / "load-workers.log",
                            ui=False, env=env)
        try:
            print(f"API only: 1 process vs --workers {args.workers}:")
            single, scaled = measure([("/v1 --workers 1", one, JsonUser),
                                      (f"/v1 --workers {args.workers}", many, JsonUser)], questions, args)
            single_rss, rss = rss_mb(one.proc.pid), [rss_mb(pid) for pid in many.workers()]
        finally:
            one.stop()
            many.stop()
        print(f"  gain --workers {args.workers} / 1: {scaled.rps / single.rps:.2f}x requests/s; RSS per worker "
              f"{', '.join(f'{r:.0f}' for r in rss)} MB (the single process: {single_rss:.0f} MB)")

    checks = {"gradio 0 errors": gradio.errors == 0, f"gradio p95 <= {GRADIO_P95_S:g} s": gradio.p95() <= GRADIO_P95_S,
              "/v1 0 errors": v1.errors == 0, f"/v1 >= {V1_OVER_GRADIO:g}x gradio req/s": ratio >= V1_OVER_GRADIO}
    verdict = all(checks.values())
    print("targets: " + ", ".join(f"{name} {'ok' if held else 'MISSED'}" for name, held in checks.items())
          + f": {'PASS' if verdict else 'FAIL'}")
    return 0 if verdict else 1


if __name__ == "__main__":
    sys.exit(main())
