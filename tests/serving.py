"""A real ``article-qa serve`` process for the slow tests: started on a free
127.0.0.1 port in its own process group, waited for, called and stopped."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request

from conftest import ROOT


def start_serve(*args: str, port: int, log_path, env: dict[str, str] | None = None) -> subprocess.Popen:
    """``article-qa serve`` on 127.0.0.1:port in its own process group (``env`` added to this
    process's environment: e.g. ``{"ARTICLE_QA_READER": "on"}``, which conftest turns off for tests)."""
    command = [sys.executable, "-m", "article_qa.cli", "serve", "--host", "127.0.0.1", "--port", str(port), *args]
    with open(log_path, "w") as log:
        return subprocess.Popen(command, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
                                env={**os.environ, **(env or {})})


def stop(proc: subprocess.Popen) -> None:
    os.killpg(proc.pid, signal.SIGTERM)  # the server and its workers: the group this test started
    try:
        proc.wait(timeout=20)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()


def get_json(url: str, body: dict | None = None, timeout: float = 10) -> tuple[int, dict]:
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(url, data=data, headers={"content-type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return response.status, json.load(response)
    except urllib.error.HTTPError as error:
        return error.code, json.load(error)


def wait_healthy(url: str, proc: subprocess.Popen, log_path, seconds: float = 90) -> dict:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        assert proc.poll() is None, f"serve exited with {proc.returncode}:\n{log_path.read_text()[-3000:]}"
        try:
            status, body = get_json(f"{url}/v1/health", timeout=2)
            if status == 200:
                return body
        except OSError:
            pass
        time.sleep(0.2)
    raise AssertionError(f"no healthy answer within {seconds} s:\n{log_path.read_text()[-3000:]}")


def wait_for_ui(url: str, proc: subprocess.Popen, log_path, seconds: float = 90) -> None:
    """The UI is built after the port opens: /v1/health says when it is ready."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        assert proc.poll() is None, f"serve exited with {proc.returncode}:\n{log_path.read_text()[-3000:]}"
        status, health = get_json(f"{url}/v1/health")
        assert health["ui"] in ("starting", "ready"), health
        if health["ui"] == "ready":
            return
        time.sleep(0.2)
    raise AssertionError(f"the UI was not ready within {seconds} s:\n{log_path.read_text()[-3000:]}")


def gradio_call(url: str, endpoint: str, data: list, timeout: float = 60) -> tuple[str, object]:
    """A raw call of a Gradio endpoint, as curl users of a Space make it: ``POST
    /gradio_api/call/<endpoint> {"data": data}``, then the result's event stream.
    -> (the last event's name, its data parsed): ``("complete", [result])`` or ``("error", {"error": ...})``."""
    request = urllib.request.Request(f"{url}/gradio_api/call/{endpoint}", data=json.dumps({"data": data}).encode(),
                                     headers={"content-type": "application/json"})
    with urllib.request.urlopen(request, timeout=timeout) as response:
        event_id = json.load(response)["event_id"]
    with urllib.request.urlopen(f"{url}/gradio_api/call/{endpoint}/{event_id}", timeout=timeout) as response:
        stream = response.read().decode("utf-8")
    event, last = "", ("none", stream)
    for line in stream.splitlines():
        if line.startswith("event:"):
            event = line[6:].strip()
        elif line.startswith("data:") and event != "heartbeat":
            last = (event, json.loads(line[5:].strip()))
    return last
