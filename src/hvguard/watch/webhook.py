"""``--webhook URL``: POST every alert as JSON, from a background thread, with retries.

A chat or paging endpoint that is slow or down must never delay the next alert on screen (the one
that says "copy the files off now"), so the loop only drops the alert into a bounded queue; one
worker thread delivers in order and retries with backoff. When the queue is full the alert is
dropped for the webhook (never for the other outputs) and the drop is reported on stderr.
"""

from __future__ import annotations

import contextlib
import json
import queue
import sys
import threading
import time
import urllib.error
import urllib.request
from typing import Any

from hvguard import __version__
from hvguard.watch.alerts import Alert
from hvguard.watch.outputs import Output

_STOP = object()
# 4xx answers that may succeed when retried; any other 4xx means the request itself is wrong.
_RETRYABLE_CLIENT_ERRORS = frozenset({408, 425, 429})


class Webhook(Output):
    """Queues each alert's JSON document for one worker thread that POSTs it (``delivered``/``dropped`` count)."""

    def __init__(self, url: str, *, timeout: float = 5.0, attempts: int = 5, backoff: float = 1.0,
                 capacity: int = 256) -> None:
        self.url, self.timeout, self.attempts, self.backoff = url, timeout, attempts, backoff
        self.delivered = 0
        self.dropped = 0
        self._queue: queue.Queue[Any] = queue.Queue(maxsize=capacity)
        self._give_up_at = float("inf")  # closing: stop retrying after this monotonic time
        self._thread = threading.Thread(target=self._run, name="watch-webhook", daemon=True)
        self._thread.start()

    def alert(self, alert: Alert) -> None:
        try:
            self._queue.put_nowait(alert.as_dict())
        except queue.Full:
            self.dropped += 1
            _notice(f"webhook queue full ({self._queue.maxsize}); not sending {alert.id}")

    def close(self, interrupted: bool) -> None:
        """Deliver what is queued for a few seconds at most (half a second after Ctrl-C), then say what was not."""
        grace = 0.5 if interrupted else 5.0
        self._give_up_at = time.monotonic() + grace
        with contextlib.suppress(queue.Full):  # a full queue means the worker is busy, not waiting to be woken
            self._queue.put_nowait(_STOP)
        self._thread.join(grace)
        with self._queue.mutex:
            unsent = sum(1 for item in self._queue.queue if item is not _STOP)
        if unsent:
            _notice(f"{unsent} alert(s) not sent to the webhook before exit")

    def _run(self) -> None:
        while (payload := self._queue.get()) is not _STOP:
            if time.monotonic() < self._give_up_at:  # once closing time is up, the rest is dropped
                self._deliver(payload)

    def _deliver(self, payload: dict[str, Any]) -> None:
        body = json.dumps(payload).encode()
        for attempt in range(self.attempts):
            error = self._post(body)
            if error is None:
                self.delivered += 1
                return
            retry, reason = error
            delay = self.backoff * 2**attempt
            if not retry or attempt + 1 == self.attempts or time.monotonic() + delay > self._give_up_at:
                _notice(f"webhook gave up on {payload.get('id')} after {attempt + 1} attempt(s): {reason}")
                return
            time.sleep(delay)

    def _post(self, body: bytes) -> tuple[bool, str] | None:
        """None on success, else (worth retrying, why)."""
        request = urllib.request.Request(self.url, data=body, method="POST", headers={
            "Content-Type": "application/json", "User-Agent": f"hvguard/{__version__}"})
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:
                response.read()
            return None
        except urllib.error.HTTPError as exc:
            return exc.code >= 500 or exc.code in _RETRYABLE_CLIENT_ERRORS, f"HTTP {exc.code} {exc.reason}"
        except (urllib.error.URLError, OSError) as exc:  # refused, DNS, timeout
            return True, str(getattr(exc, "reason", exc))


def _notice(text: str) -> None:
    print(f"hvguard watch: {text}", file=sys.stderr, flush=True)
