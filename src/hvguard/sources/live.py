"""The live source: a running cluster → ClusterState, through GET/LIST only.

One paginated LIST per resource type (per namespace only for types that live in fixed
namespaces), run concurrently on a bounded pool. What the server does not serve is recorded as
absent; what it refuses (401/403) or fails to deliver after retries is recorded as unreadable, so
the verdict says what is unknown instead of failing the run. Only a server that cannot be
reached, or that rejects our credentials outright, stops the run (exit 3).
"""

from __future__ import annotations

import datetime as dt
import json
import re
import threading
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Executor, Future, ThreadPoolExecutor
from typing import Any

from hvguard.errors import ClusterAccessError
from hvguard.kube.client import Kube
from hvguard.kube.errors import KubeError
from hvguard.sources import bulk
from hvguard.state import kinds as k
from hvguard.state.cluster import ClusterState, Coverage, Obj, ReadStatus, SourceInfo
from hvguard.state.trim import trim

PAGE_SIZE = 500
WORKERS = 6
# Types that grow with the number of VMs, biggest first: their LISTs page longest, so they start first and the
# read ends when the longest one does, not after it queued behind the small ones (replicas are 3 per volume).
BIGGEST_FIRST = (k.LH_REPLICAS, k.VMIS, k.VMS, k.LH_VOLUMES, k.PVS, k.PVCS)


def fetch_order(wanted: Iterable[k.Kind]) -> tuple[k.Kind, ...]:
    """``wanted`` in the order the LISTs are started: ``BIGGEST_FIRST``, then the rest in table order."""
    wanted = tuple(wanted)
    return tuple(kind for kind in BIGGEST_FIRST if kind in wanted) + tuple(
        kind for kind in wanted if kind not in BIGGEST_FIRST)


def load_live(kube: Kube, wanted: Iterable[k.Kind] = k.ALL, *, page_size: int = PAGE_SIZE,
              workers: int = WORKERS, context: str | None = None) -> ClusterState:
    """Every wanted type read, before it returns."""
    state, finished = _start(kube, tuple(wanted), page_size, workers, context, None)
    finished.wait()
    state.wait()  # raises what a fetcher raised
    return state


def start_live(kube: Kube, wanted: Iterable[k.Kind] = k.ALL, *, page_size: int = PAGE_SIZE,
               workers: int = WORKERS, context: str | None = None,
               when_read: Callable[[], None] | None = None) -> ClusterState:
    """Start reading every wanted type and return at once: each type arrives in the state as its LIST ends.

    The analysis then works on the first types while the biggest LISTs (replicas, on a large cluster)
    are still paging, instead of after them. Connection failures still raise here, before any LIST.
    ``when_read`` runs once every LIST has ended (e.g. to close the client).
    """
    return _start(kube, tuple(wanted), page_size, workers, context, when_read)[0]


def _start(kube: Kube, wanted: tuple[k.Kind, ...], page_size: int, workers: int, context: str | None,
           when_read: Callable[[], None] | None) -> tuple[ClusterState, threading.Event]:
    """The arriving state, and an event set once every LIST has ended and ``when_read`` has run."""
    version = _probe(kube)
    served = _discover(kube, {kind.group for kind in wanted})
    collector_was_enabled = bulk.pause()
    pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="hvguard-list")
    prefetch = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="hvguard-next-page")
    started = {kind.key: pool.submit(_read_kind, kube, kind, served, page_size, prefetch)
               for kind in fetch_order(wanted)}
    reads = {kind.key: started[kind.key] for kind in wanted}  # the state lists types in table order
    pool.shutdown(wait=False)  # the fetchers finish what was submitted, then end

    finished = threading.Event()

    def all_read() -> None:
        try:
            prefetch.shutdown(wait=False)
            bulk.settle(collector_was_enabled)
            if when_read is not None:
                when_read()
        finally:
            finished.set()

    _after_all(list(reads.values()), all_read)
    details = {"kubernetes_version": str(version.get("gitVersion", "")), "context": context or ""}
    source = SourceInfo("live", kube.server, dt.datetime.now(dt.UTC).isoformat(timespec="seconds"), details)
    return ClusterState.arriving(source, reads), finished


def _after_all(futures: list[Future[Any]], action: Callable[[], None]) -> None:
    """Run ``action`` once, in whichever thread completes the last of ``futures``."""
    pending = [len(futures)]
    lock = threading.Lock()

    def one_done(_: Future[Any]) -> None:
        with lock:
            pending[0] -= 1
            last = pending[0] == 0
        if last:
            action()

    if not futures:
        action()
    for future in futures:
        future.add_done_callback(one_done)


def _probe(kube: Kube) -> dict[str, Any]:
    """Fail fast, with one clear line, when the server is unreachable or rejects us."""
    try:
        version = kube.get_json("/version")
    except KubeError as exc:
        if exc.status in (401, 403):
            raise ClusterAccessError(f"the API server {kube.server} rejected the credentials ({exc})",
                                     hint="check the kubeconfig user/token, or that it has not expired") from exc
        if exc.status is None:
            raise ClusterAccessError(f"cannot reach the API server {kube.server}: {exc.message or exc.reason}") from exc
        raise ClusterAccessError(f"the API server {kube.server} answered /version with {exc}") from exc
    return version if isinstance(version, dict) else {}


def _discover(kube: Kube, groups: set[str]) -> dict[str, set[str] | None]:
    """Group → served versions. ``None`` means discovery itself failed (the LIST will tell)."""
    served: dict[str, set[str] | None] = {"": {"v1"}}
    for group in sorted(groups - {""}):
        try:
            doc = kube.get_json(f"/apis/{group}")
            served[group] = {str(v.get("version")) for v in doc.get("versions", []) if isinstance(v, dict)}
        except KubeError as exc:
            served[group] = set() if exc.not_found else None
    return served


def _read_kind(kube: Kube, kind: k.Kind, served: dict[str, set[str] | None], page_size: int,
               prefetch: Executor) -> tuple[list[Obj], Coverage]:
    versions = served.get(kind.group)
    if versions is None:
        version = kind.versions[0]  # discovery failed; try the preferred version and let the LIST decide
    else:
        version = next((v for v in kind.versions if v in versions), "")
        if not version:
            return [], Coverage(kind.key, ReadStatus.ABSENT, reason=f"the server does not serve {kind.group or 'core'} "
                                                                     f"{'/'.join(kind.versions)}")
    base = f"/apis/{kind.group}/{version}" if kind.group else f"/api/{version}"
    paths = [f"{base}/namespaces/{ns}/{kind.plural}" for ns in kind.namespaces] if kind.namespaces else [f"{base}/{kind.plural}"]
    objs: list[Obj] = []
    try:
        for path in paths:
            objs.extend(_list(kube, path, page_size, kind, version, prefetch))
    except KubeError as exc:
        if exc.not_found:
            return [], Coverage(kind.key, ReadStatus.ABSENT, kind.api_version(version), paths[0], "not served (404)")
        label = "forbidden" if exc.forbidden else "API error"
        return [], Coverage(kind.key, ReadStatus.UNREADABLE, kind.api_version(version), paths[0], f"{label}: {exc}")
    return objs, Coverage(kind.key, ReadStatus.READ, kind.api_version(version), paths[0], count=len(objs))


def _list(kube: Kube, path: str, page_size: int, kind: k.Kind, version: str, prefetch: Executor) -> list[Obj]:
    """Every item of a LIST, page by page, trimmed as it comes; restarts once if the continue token expires (410)."""
    api_version = kind.api_version(version)
    for attempt in range(2):
        items: list[Obj] = []
        try:
            for page in _pages(kube, path, page_size, prefetch):
                for item in page.get("items") or []:
                    # Typed core lists omit apiVersion/kind on items; CR lists carry them.
                    item.setdefault("apiVersion", api_version)
                    item.setdefault("kind", kind.kind)
                    items.append(trim(item, kind))
            return items
        except KubeError as exc:
            if exc.status != 410 or attempt:
                raise
    return []


# The list's continue token, as an API server writes it: in the list metadata, before the items.
_CONTINUE = re.compile(rb'"continue"\s*:\s*"([^"\\]*)"')


def _pages(kube: Kube, path: str, page_size: int, prefetch: Executor) -> Iterator[dict[str, Any]]:
    """The decoded pages of a LIST, each next page already requested while this one is decoded and used.

    The next page's token is read from the head of the raw body (``peek_continue``), so the server
    prepares page n+1 while we decode page n. The decoded token has the last word: a page fetched with a
    token that turns out wrong is dropped and fetched again, so the peek can only cost time, never data.
    """
    def fetch(token: str | None) -> bytes:
        return kube.get_bytes(path, {"limit": page_size, "continue": token})

    body = fetch(None)
    while True:
        peeked = peek_continue(body)
        ahead = prefetch.submit(fetch, peeked) if peeked else None
        page = json.loads(body)
        token = (page.get("metadata") or {}).get("continue") or None
        yield page
        if not token:
            return
        body = ahead.result() if ahead is not None and peeked == token else fetch(token)


def peek_continue(body: bytes) -> str | None:
    """The continue token in the list metadata at the head of ``body``, if it is there before any item."""
    head = body[:4096]
    items_at = head.find(b'"items"')
    match = _CONTINUE.search(head, 0, items_at if items_at >= 0 else len(head))
    return match.group(1).decode("ascii", "replace") if match and match.group(1) else None
