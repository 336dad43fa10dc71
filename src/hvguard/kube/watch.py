"""LIST + WATCH of one resource type, kept going for as long as the caller wants (client-go's reflector).

``hvguard watch`` must see the first backing-image disk map emptied within seconds and must never go
blind quietly, so this is the whole informer contract done by hand rather than with
``kubernetes.watch.Watch`` (which hides bookmarks, turns an expired resourceVersion into an
exception and knows nothing of relisting):

* LIST (paginated, one consistent snapshot), then WATCH from the list's resourceVersion with
  ``allowWatchBookmarks`` so an idle stream still advances the resourceVersion it resumes from;
* a stream the server ends (``timeoutSeconds``) is reopened at once from the last resourceVersion;
* a stream that breaks (connection cut, read timeout, 5xx) is reopened from the last
  resourceVersion after a backoff, so no event is lost while the server's history still has it;
* ``410 Gone`` (as an ERROR event or an HTTP status) means that history is gone: LIST again. The
  consumer gets the full list and works out what changed meanwhile, so nothing is lost then either;
* every API error is retried with capped exponential backoff; the reflector only stops when asked.

Events go to one ``emit`` callable as plain data (``Listed``, ``Changed``, ``StreamState``).
"""

from __future__ import annotations

import contextlib
import json
import random
import socket
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from urllib3.exceptions import HTTPError

from hvguard.kube.client import Kube
from hvguard.kube.errors import KubeError, status_message

Obj = dict[str, Any]
PAGE_SIZE = 500
# The server ends each watch after a random timeout in this range, as client-go asks for, so that many
# watchers do not reconnect in lockstep.
WATCH_TIMEOUT = (300, 600)
# A stream that ends this fast without a single event is treated as a failure (backoff), so a server
# that closes watches at once cannot make us spin.
SHORT_WATCH = 1.0
_TRANSPORT_ERRORS = (HTTPError, OSError)


@dataclass(frozen=True, slots=True)
class WatchTarget:
    """One collection to follow: ``path`` is its LIST URL (namespaced or not)."""

    key: str
    path: str
    api_version: str
    kind: str
    label_selector: str = ""
    field_selector: str = ""

    def query(self) -> dict[str, str]:
        selectors = {"labelSelector": self.label_selector, "fieldSelector": self.field_selector}
        return {name: value for name, value in selectors.items() if value}


@dataclass(frozen=True, slots=True)
class Listed:
    """The complete current list (first sync, or a relist after 410): the consumer diffs it."""

    key: str
    objects: tuple[Obj, ...]


@dataclass(frozen=True, slots=True)
class Changed:
    key: str
    type: str  # ADDED | MODIFIED | DELETED
    obj: Obj


@dataclass(frozen=True, slots=True)
class StreamState:
    """The stream came up (``up``) or went down (``reason`` says why; the reflector is already retrying)."""

    key: str
    up: bool
    reason: str = ""


StreamEvent = Listed | Changed | StreamState


@dataclass(frozen=True, slots=True)
class Backoff:
    """Capped exponential backoff with jitter (between 50% and 100% of the nominal delay)."""

    initial: float = 0.5
    maximum: float = 30.0

    def delay(self, failures: int) -> float:
        nominal = min(self.maximum, self.initial * 2.0 ** min(failures, 32))
        return nominal * (0.5 + random.random() / 2)


DEFAULT_BACKOFF = Backoff()


class Expired(Exception):
    """The resourceVersion we resume from is older than the server's history (410 Gone)."""


def list_objects(kube: Kube, target: WatchTarget, page_size: int = PAGE_SIZE) -> tuple[list[Obj], str]:
    """Every object of a LIST, page by page, and the snapshot's resourceVersion to watch from.

    A continue token that expires mid-list (410) fails the list like any error; the reflector lists again.
    """
    items: list[Obj] = []
    token: str | None = None
    while True:
        page = kube.get_json(target.path, {**target.query(), "limit": page_size, "continue": token})
        items.extend(_typed(item, target) for item in page.get("items") or [])
        meta = page.get("metadata") or {}
        token = meta.get("continue") or None
        if not token:
            return items, str(meta.get("resourceVersion") or "")


class Reflector:
    """Follows one ``WatchTarget`` until ``stop()``; run it on its own thread."""

    def __init__(
        self,
        kube: Kube,
        target: WatchTarget,
        emit: Callable[[StreamEvent], None],
        *,
        backoff: Backoff = DEFAULT_BACKOFF,
    ) -> None:
        self.kube, self.target, self.emit = kube, target, emit
        self.backoff = backoff
        self.resource_version: str | None = None  # where the next WATCH resumes; None: LIST first
        self._stopped = threading.Event()
        self._response: Any = None
        self._lock = threading.Lock()

    def stop(self) -> None:
        """Ask the loop to end and cut the open stream, so a blocked read returns now."""
        self._stopped.set()
        with self._lock:
            response = self._response
        if response is not None:
            # Shut the socket down rather than close the response: close() can wait on the lock the
            # reading thread holds inside recv (what kubernetes.watch.Watch.stop does too).
            sock = getattr(getattr(response, "connection", None), "sock", None)
            if sock is not None:
                with contextlib.suppress(OSError):
                    sock.shutdown(socket.SHUT_RDWR)

    def run(self) -> None:
        failures = 0
        while not self._stopped.is_set():
            try:
                if self.resource_version is None:
                    objects, self.resource_version = list_objects(self.kube, self.target)
                    self.emit(Listed(self.target.key, tuple(objects)))
                self._watch()
                failures = 0
            except Expired:
                self.resource_version = None
                self.emit(StreamState(self.target.key, False, "resourceVersion expired (410 Gone); listing again"))
            except KubeError as exc:
                if self._stopped.is_set():
                    return
                delay = self.backoff.delay(failures)
                failures += 1
                self.emit(StreamState(self.target.key, False, f"{exc}; retrying in {delay:.1f}s"))
                self._stopped.wait(delay)

    # -- one WATCH request -----------------------------------------------------------------------

    def _watch(self) -> None:
        """Follow one stream from ``resource_version``, moving it past every event and bookmark seen,
        so that whatever ends the stream, the next one resumes exactly after the last event delivered."""
        timeout = random.randint(*WATCH_TIMEOUT)
        query = {**self.target.query(), "watch": "true", "resourceVersion": str(self.resource_version),
                 "allowWatchBookmarks": "true", "timeoutSeconds": str(timeout)}
        opened = time.monotonic()
        received = 0
        complete = False
        response = self._open(query, read_timeout=timeout + 30)
        try:
            self.emit(StreamState(self.target.key, True))
            for line in _lines(response):
                self._handle(json.loads(line))
                received += 1
            complete = True
        except ValueError as exc:  # a line that is not JSON: the stream is unusable
            raise KubeError(None, "bad watch stream", str(exc)[:200]) from exc
        except _TRANSPORT_ERRORS as exc:
            raise KubeError(None, "watch stream broken", str(exc).split("\n")[0][:300]) from exc
        finally:
            with self._lock:
                self._response = None
            if complete:  # only a stream read to its end leaves the connection fit for reuse
                response.release_conn()
            else:
                response.close()
        if not received and time.monotonic() - opened < SHORT_WATCH and not self._stopped.is_set():
            raise KubeError(None, "watch ended at once", "the server closed the stream without an event")

    def _handle(self, event: Any) -> None:
        kind = str(event.get("type", "")) if isinstance(event, dict) else ""
        obj = event.get("object") if isinstance(event, dict) else None
        if not isinstance(obj, dict):
            raise KubeError(None, "bad watch event", f"event without an object: {str(event)[:200]}")
        if kind == "ERROR":
            if obj.get("code") == 410:
                raise Expired()
            raise KubeError(obj.get("code"), str(obj.get("reason") or "watch error"), str(obj.get("message") or ""))
        if kind in ("ADDED", "MODIFIED", "DELETED"):
            self.emit(Changed(self.target.key, kind, _typed(obj, self.target)))
        # A BOOKMARK only moves the resourceVersion; events move it too, after they are delivered.
        self.resource_version = str((obj.get("metadata") or {}).get("resourceVersion") or self.resource_version)

    def _open(self, query: dict[str, str], read_timeout: float) -> Any:
        """Start the streaming GET; the urllib3 response is left unread for ``_lines``."""
        from kubernetes.client.exceptions import ApiException

        api = self.kube._api  # the same package owns the client; streaming needs the raw response
        params = api.param_serialize("GET", self.target.path, query_params=list(query.items()),
                                     header_params={"Accept": "application/json"}, auth_settings=["BearerToken"])
        try:
            rest = api.call_api(*params, _request_timeout=(self.kube.request_timeout, read_timeout))
        except ApiException as exc:
            raise KubeError(exc.status or None, str(exc.reason or "API error"), status_message(exc.body)) from exc
        except _TRANSPORT_ERRORS as exc:
            raise KubeError(None, "connection failed", str(exc).split("\n")[0][:300]) from exc
        response = rest.response
        if response.status >= 400:
            body = response.data
            response.release_conn()
            if response.status == 410:
                raise Expired()
            raise KubeError(response.status, str(response.reason or "error"), status_message(body))
        with self._lock:
            self._response = response
        if self._stopped.is_set():  # stop() ran while we were connecting
            self.stop()
        return response


def _lines(response: Any) -> Iterator[bytes]:
    """JSON lines of a chunked watch body; a chunk may hold several lines or part of one."""
    buffer = b""
    for chunk in response.stream(amt=None, decode_content=False):
        buffer += chunk
        *lines, buffer = buffer.split(b"\n")
        yield from (line for line in lines if line.strip())
    if buffer.strip():
        yield buffer


def _typed(obj: Obj, target: WatchTarget) -> Obj:
    """Typed core LIST items omit apiVersion/kind; custom resources carry them."""
    obj.setdefault("apiVersion", target.api_version)
    obj.setdefault("kind", target.kind)
    return obj
