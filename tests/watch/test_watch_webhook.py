"""--webhook: a POST per alert from a background thread, retried with backoff, never blocking the watch."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from kubeapi import KubeAPIServer
from watch_support import AT, Running, migrate_backing_image

from hvguard.analysis.findings import Severity
from hvguard.watch.alerts import Alert
from hvguard.watch.webhook import Webhook

LATENCY = 2.0


class Hook:
    """A webhook receiver on 127.0.0.1 that can be slow, or answer with errors first."""

    def __init__(self, *, delay: float = 0.0, statuses: tuple[int, ...] = ()) -> None:
        self.bodies: list[dict[str, Any]] = []
        self.delay, self.statuses = delay, list(statuses)
        hook = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                hook.bodies.append(body)
                time.sleep(hook.delay)
                self.send_response(hook.statuses.pop(0) if hook.statuses else 200)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.server.handle_error = lambda request, address: None  # a client that gave up is expected here
        threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
        self.url = f"http://127.0.0.1:{self.server.server_port}/hook"


@pytest.fixture
def hook() -> Iterator[Callable[..., Hook]]:
    started: list[Hook] = []

    def start(**options: Any) -> Hook:
        started.append(Hook(**options))
        return started[-1]

    yield start
    for server in started:
        server.server.shutdown()
        server.server.server_close()


def _alert(n: int = 0) -> Alert:
    return Alert("watch/disk-map-emptied", Severity.BLOCK, f"alert {n}", (), {"before": 2, "after": 0}, AT)


def _eventually(check: Callable[[], bool], timeout: float = 3.0) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline
        time.sleep(0.02)


def test_a_webhook_that_times_out_does_not_stall_alerts(
        api: KubeAPIServer, hook: Callable[..., Hook], start_watcher: Callable[..., Running]) -> None:
    slow = hook(delay=3.0)
    webhook = Webhook(slow.url, timeout=0.3, attempts=2, backoff=0.05)
    rec = start_watcher(webhook).recorder
    images = [bi["metadata"]["name"] for bi in api.list("lhbi", "longhorn-system")
              if any(s.get("state") == "ready" for s in (bi["status"].get("diskFileStatusMap") or {}).values())]
    started = time.monotonic()
    for image in images:
        migrate_backing_image(api, image)
    rec.wait_for(lambda r: len(r.of("watch/disk-map-emptied")) == len(images))
    assert max(at for at, _ in rec.of("watch/disk-map-emptied")) - started < LATENCY
    _eventually(lambda: bool(slow.bodies))  # the webhook is being tried meanwhile
    assert slow.bodies[0]["type"] == "alert" and slow.bodies[0]["id"]
    assert webhook.delivered == 0


def test_a_failing_webhook_is_retried_with_backoff(hook: Callable[..., Hook]) -> None:
    flaky = hook(statuses=(503, 500))
    webhook = Webhook(flaky.url, backoff=0.05)
    webhook.alert(_alert())
    _eventually(lambda: webhook.delivered == 1)
    assert len(flaky.bodies) == 3 and flaky.bodies[-1]["message"] == "alert 0"
    assert flaky.bodies[0]["severity"] == "critical" and flaky.bodies[0]["whatToDo"]
    webhook.close(interrupted=False)


def test_a_rejected_request_is_not_retried(hook: Callable[..., Hook], capsys: pytest.CaptureFixture[str]) -> None:
    rejecting = hook(statuses=(400,))
    webhook = Webhook(rejecting.url, backoff=0.05)
    webhook.alert(_alert())
    webhook.close(interrupted=False)
    assert len(rejecting.bodies) == 1 and webhook.delivered == 0
    assert "gave up on watch/disk-map-emptied after 1 attempt(s): HTTP 400" in capsys.readouterr().err


def test_the_queue_is_bounded_and_never_blocks(hook: Callable[..., Hook], capsys: pytest.CaptureFixture[str]) -> None:
    slow = hook(delay=1.0)
    webhook = Webhook(slow.url, timeout=2.0, capacity=2)
    started = time.monotonic()
    for n in range(10):
        webhook.alert(_alert(n))
    assert time.monotonic() - started < 0.2
    assert webhook.dropped >= 7  # two wait in the queue, at most one is in flight
    assert "webhook queue full" in capsys.readouterr().err
    webhook.close(interrupted=True)
