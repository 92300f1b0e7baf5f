"""The app under load, as shipped (the reader on), one server process on
127.0.0.1: 20 users back to back for 10 s on the Gradio ``ask`` route (raw
HTTP with the question alone, as curl users of a Space call it) and then on
``/v1/ask``. Any error fails. ``eval/load.py`` is the longer measurement
(20 users x 30 s per route, the targets, CPU and memory); this test uses its
users and report.
"""

from __future__ import annotations

import argparse
import sys

import pytest

from conftest import ROOT

sys.path.insert(0, str(ROOT / "eval"))
import load  # noqa: E402

pytestmark = pytest.mark.slow

USERS, SECONDS = 20, 10
# eval/load.py's target is p95 <= 2 s (met there: ~0.6 s at 20 users on 2 cores); a shared test
# box is busier, so this only catches a stall: an answer that waits on a lock or a full queue.
STALL_S = 10.0
PAGE_TARGET_S = 3.0
PAGE_STALL_S = 20.0


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    started = load.start_server("serve", load.serve_command(), tmp_path_factory.mktemp("load") / "serve.log",
                                ui=True, env={"ARTICLE_QA_READER": "on"})
    try:
        yield started
    finally:
        started.stop()


def run(server, make_user) -> load.Phase:
    args = argparse.Namespace(users=USERS, duration=SECONDS, unique=False, retrieve_share=0.0)
    phase = load.Phase(make_user.__name__)
    phase.add_round(server, make_user, load.load_questions(), args)
    phase.print()
    return phase


@pytest.mark.parametrize("make_user", [load.GradioHttpUser, load.JsonUser], ids=["gradio-ask", "v1-ask"])
def test_20_users_get_answers_and_no_errors(server, make_user):
    phase = run(server, make_user)
    assert phase.errors == 0, dict(phase.results.errors)
    assert len(phase.results.latencies["ask"]) >= USERS  # every user was answered, more than once on the whole
    assert phase.p95() <= STALL_S, f"p95 {phase.p95():.1f} s"


def test_the_chat_page_is_served_soon_after_the_start(server):
    """Process start -> first 200 from "/". The target is 3 s; on the 2-core box it is ~4 s with the
    reader (the Python start, the engine and reader loads, and Gradio's import run one after the
    other under the GIL: eval/startup.py), so past 3 s this is an expected failure, past 20 s a failure."""
    print(f"chat page served {server.page_s:.2f} s after the process started")
    assert server.page_s <= PAGE_STALL_S
    if server.page_s > PAGE_TARGET_S:
        pytest.xfail(f"the chat page came {server.page_s:.1f} s after the start (target {PAGE_TARGET_S:g} s)")
