"""The live source: a running cluster → ClusterState, through GET/LIST only.

One paginated LIST per resource type (per namespace only for types that live in fixed
namespaces), run concurrently on a bounded pool. What the server does not serve is recorded as
absent; what it refuses (401/403) or fails to deliver after retries is recorded as unreadable, so
the verdict says what is unknown instead of failing the run. Only a server that cannot be
reached, or that rejects our credentials outright, stops the run (exit 3).
"""

from __future__ import annotations

import datetime as dt
import queue
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from functools import partial
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


def load_live(kube: Kube, wanted: Iterable[k.Kind] = k.ALL, *, page_size: int = PAGE_SIZE,
              workers: int = WORKERS, context: str | None = None) -> ClusterState:
    wanted = tuple(wanted)
    version = _probe(kube)
    served = _discover(kube, {kind.group for kind in wanted})
    # Fetchers decode pages; this thread trims them. Trimming in the fetchers would lengthen the page-to-page
    # chain of the biggest types (which decides how long the read takes); here it runs while this thread
    # would otherwise only wait.
    pages: queue.SimpleQueue[tuple[k.Kind, list[Obj]] | None] = queue.SimpleQueue()
    with bulk.decoding(), ThreadPoolExecutor(max_workers=workers, thread_name_prefix="hvguard-list") as pool:
        futures = [pool.submit(_read_kind, kube, kind, served, page_size, partial(_put_page, pages, kind))
                   for kind in wanted]
        for future in futures:
            future.add_done_callback(lambda _: pages.put(None))  # after the last page that fetcher put
        _trim_pages(pages, fetchers=len(futures))
        results = [future.result() for future in futures]
    objects = {kind.key: objs for kind, (objs, _) in zip(wanted, results, strict=True)}
    coverage = {kind.key: cov for kind, (_, cov) in zip(wanted, results, strict=True)}
    details = {"kubernetes_version": str(version.get("gitVersion", "")), "context": context or ""}
    return ClusterState(
        SourceInfo("live", kube.server, dt.datetime.now(dt.UTC).isoformat(timespec="seconds"), details),
        objects, coverage,
    )


def _put_page(pages: queue.SimpleQueue[tuple[k.Kind, list[Obj]] | None], kind: k.Kind, items: list[Obj]) -> None:
    pages.put((kind, items))


def _trim_pages(pages: queue.SimpleQueue[tuple[k.Kind, list[Obj]] | None], fetchers: int) -> None:
    """Trim every page the fetchers put, until each has said it is done (``None``)."""
    while fetchers:
        page = pages.get()
        if page is None:
            fetchers -= 1
            continue
        kind, items = page
        for item in items:
            trim(item, kind)


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
               on_page: Callable[[list[Obj]], None]) -> tuple[list[Obj], Coverage]:
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
            objs.extend(_list(kube, path, page_size, kind, version, on_page))
    except KubeError as exc:
        if exc.not_found:
            return [], Coverage(kind.key, ReadStatus.ABSENT, kind.api_version(version), paths[0], "not served (404)")
        label = "forbidden" if exc.forbidden else "API error"
        return [], Coverage(kind.key, ReadStatus.UNREADABLE, kind.api_version(version), paths[0], f"{label}: {exc}")
    return objs, Coverage(kind.key, ReadStatus.READ, kind.api_version(version), paths[0], count=len(objs))


def _list(kube: Kube, path: str, page_size: int, kind: k.Kind, version: str,
          on_page: Callable[[list[Obj]], None]) -> list[Obj]:
    """Every item of a LIST, page by page, each page handed to ``on_page`` as it comes; restarts once if the
    continue token expires (410)."""
    api_version = kind.api_version(version)
    for attempt in range(2):
        items: list[Obj] = []
        token: str | None = None
        try:
            while True:
                page = kube.get_json(path, {"limit": page_size, "continue": token})
                page_items = page.get("items") or []
                for item in page_items:
                    # Typed core lists omit apiVersion/kind on items; CR lists carry them.
                    item.setdefault("apiVersion", api_version)
                    item.setdefault("kind", kind.kind)
                items.extend(page_items)
                on_page(page_items)
                token = (page.get("metadata") or {}).get("continue") or None
                if not token:
                    return items
        except KubeError as exc:
            if exc.status != 410 or attempt:
                raise
    return []
