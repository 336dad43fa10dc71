"""The physical limit of a live read: hvguard's requests and JSON decoding, nothing else.

``python bench/limit_live.py SERVER_URL --containers a,b --log-since SECONDS`` issues exactly the
requests ``hvguard preflight`` issues for its data: the paginated LISTs of ``hvguard.sources.live``
(the same paths from the kinds table, started in the same order, the same page size, the same number
of worker threads) and, beside them as hvguard sends them, the default log scan's: the LISTs of the
log kinds again and one ``pods/{name}/log`` GET per wanted container with the same query. It
decodes every LIST page with ``json.loads``, keeping all items in memory as hvguard must before it
can analyse them, with the cyclic garbage collector off (the fastest way to hold them: see
``hvguard.sources.bulk``). No discovery, no kubeconfig, no
retries, no log scanning, no analysis, no report. It prints one JSON line: the bytes received and
the number of items listed.

Stack: ``http.client`` from the standard library with one keep-alive connection per worker, rather
than hvguard's ``kubernetes``/urllib3 client. That is the leanest HTTP path Python has, so the gap
to hvguard includes the client library's own per-request cost: the limit stays a limit.
"""

from __future__ import annotations

import argparse
import gc
import http.client
import json
import os
import sys
import threading
from concurrent.futures import ThreadPoolExecutor
from typing import Any, NoReturn
from urllib.parse import quote, urlsplit

from hvguard.sources.live import PAGE_SIZE, WORKERS, fetch_order
from hvguard.state import kinds as k

_local = threading.local()


def list_paths(kinds: tuple[k.Kind, ...] = k.ALL) -> list[list[str]]:
    """Per kind, the LIST paths hvguard reads (one per fixed namespace, else one cluster-wide), in the order
    hvguard starts them."""
    paths = []
    for kind in fetch_order(kinds):
        version = kind.versions[0]
        base = f"/apis/{kind.group}/{version}" if kind.group else f"/api/{version}"
        if kind.namespaces:
            paths.append([f"{base}/namespaces/{ns}/{kind.plural}" for ns in kind.namespaces])
        else:
            paths.append([f"{base}/{kind.plural}"])
    return paths


def _connection(server: str) -> http.client.HTTPConnection:
    if not hasattr(_local, "conn"):
        parts = urlsplit(server)
        _local.conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=60)
    conn: http.client.HTTPConnection = _local.conn
    return conn


def read_kind(server: str, paths: list[str]) -> tuple[int, list[dict[str, Any]]]:
    """Every page of every path: (bytes received, items)."""
    received, items = 0, []
    conn = _connection(server)
    for path in paths:
        token = ""
        while True:
            query = f"?limit={PAGE_SIZE}" + (f"&continue={quote(token)}" if token else "")
            conn.request("GET", path + query, headers={"Accept": "application/json"})
            response = conn.getresponse()
            body = response.read()
            received += len(body)
            if response.status == 404:
                break
            page = json.loads(body)
            items.extend(page.get("items") or [])
            token = (page.get("metadata") or {}).get("continue") or ""
            if not token:
                break
    return received, items


def read_logs(server: str, pods: list[dict[str, Any]], containers: set[str], since: int) -> int:
    """One log GET per wanted container of each pod, as the log scan makes them (``READERS`` at a time);
    the bytes received."""
    from hvguard.logs.live_logs import READERS  # imported where hvguard's log scan imports it: beside the LISTs

    def read(path: str) -> int:
        conn = _connection(server)
        conn.request("GET", path)
        return len(conn.getresponse().read())

    paths = []
    for pod in sorted(pods, key=lambda p: p["metadata"]["name"]):
        meta = pod["metadata"]
        for container in (c["name"] for c in pod["spec"]["containers"] if c["name"] in containers):
            query = f"?timestamps=true&sinceSeconds={since}&container={quote(container)}"
            paths.append(f"/api/v1/namespaces/{meta['namespace']}/pods/{meta['name']}/log{query}")
    with ThreadPoolExecutor(max_workers=READERS) as pool:
        return sum(pool.map(read, paths))


def read_log_scan(server: str, containers: set[str], since: int) -> int:
    """The log scan's requests: the log kinds' LISTs (on a pool of its own, as hvguard's scan has), then the
    container logs; the bytes received."""
    with ThreadPoolExecutor(max_workers=WORKERS) as pool:
        lists = list(pool.map(lambda paths: read_kind(server, paths), list_paths(k.LOG_KINDS)))
    pods = lists[k.LOG_KINDS.index(k.PODS)][1]
    return sum(size for size, _ in lists) + read_logs(server, pods, containers, since)


def main() -> NoReturn:
    gc.disable()
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("server")
    parser.add_argument("--containers", default="", help="containers whose logs the log scan reads")
    parser.add_argument("--log-since", type=int, default=0, help="the log scan's window, in seconds")
    args = parser.parse_args()
    # As in hvguard, the log scan's requests go out beside the LISTs: preflight starts analysing (and
    # scanning logs) while the biggest LISTs are still paging.
    with ThreadPoolExecutor(max_workers=WORKERS) as pool, ThreadPoolExecutor(max_workers=1) as side:
        logs = side.submit(read_log_scan, args.server, set(args.containers.split(",")), args.log_since) \
            if args.containers else None
        results = list(pool.map(lambda paths: read_kind(args.server, paths), list_paths()))
        received = sum(size for size, _ in results) + (logs.result() if logs else 0)
    print(json.dumps({"bytes": received, "items": sum(len(items) for _, items in results)}))
    sys.stdout.flush()
    os._exit(0)  # still holding every item, as hvguard holds its state to the end (cli/boundary.py)


if __name__ == "__main__":
    main()
