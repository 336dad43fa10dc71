"""A small read-only API client: kubeconfig resolution, raw JSON GETs, bounded retries.

Built on the official ``kubernetes`` package for what it does best — kubeconfig parsing with every
auth flavour operators bring (client certs, bearer tokens as Rancher issues them, exec credential
plugins, in-cluster service accounts) — while requests go through ``call_api`` with raw JSON so
objects stay plain dicts, exactly like bundle and snapshot objects.
"""

from __future__ import annotations

import json
import os
import random
import time
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import Any, TypeVar

from hvguard.errors import ClusterAccessError
from hvguard.kube.errors import KubeError, status_message

RETRYABLE = frozenset({429, 500, 502, 503, 504})
T = TypeVar("T")


class Kube:
    """GET-only access to one API server, with per-request timeouts, retries and an overall deadline."""

    def __init__(
        self,
        api_client: Any,
        *,
        request_timeout: float = 20.0,
        deadline: float = 300.0,
        retries: int = 3,
        backoff: float = 0.5,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self._api = api_client
        self.server = str(api_client.configuration.host)
        self.request_timeout = request_timeout
        self.deadline_at = time.monotonic() + deadline
        self.retries = retries
        self.backoff = backoff
        self._sleep = sleep

    def get_json(self, path: str, query: Mapping[str, Any] | None = None) -> Any:
        """GET ``path`` and decode the JSON body, retrying 429/5xx and transport failures."""
        return json.loads(self.get_bytes(path, query))

    def get_bytes(self, path: str, query: Mapping[str, Any] | None = None) -> bytes:
        """GET ``path`` as JSON and return the body undecoded, retrying like ``get_json``."""
        def call(remaining: float) -> bytes:
            return _read(self._open(path, query, "application/json", min(self.request_timeout, remaining)))

        return self._retrying(path, call)

    def stream(self, path: str, query: Mapping[str, Any] | None = None, *, chunk_size: int = 2**16,
               idle_timeout: float | None = None, on_open: Callable[[], None] | None = None) -> Iterator[bytes]:
        """GET ``path`` and yield the body as it arrives, for bodies too big to hold (pod logs).

        Opening is retried like ``get_json``; a stream that breaks after bytes were handed out raises
        ``KubeError`` (status None) instead, since a retry would hand them out again. Each read may take
        up to ``request_timeout``; the whole body as long as it keeps coming.

        A followed log stays open and silent for as long as its container logs nothing, which is no
        failure: with ``idle_timeout`` a read may wait that long, and one that waits longer ends the
        body as if the server had closed it, for the caller to open it again. ``on_open`` is called
        once the response has arrived, so such a caller knows it is connected before any byte comes.
        """
        from urllib3.exceptions import HTTPError, ReadTimeoutError

        read_timeout = self.request_timeout if idle_timeout is None else idle_timeout

        def call(remaining: float) -> Any:
            timeout = (min(self.request_timeout, remaining), read_timeout)  # (connect, each read)
            return self._open(path, query, "text/plain, */*", timeout)

        response = self._retrying(path, call)
        if on_open is not None:
            on_open()
        complete = False
        try:
            yield from response.stream(chunk_size)
            complete = True
        except (HTTPError, OSError) as exc:
            if idle_timeout is None or not isinstance(exc, ReadTimeoutError):
                raise KubeError(None, "stream broken", str(exc).split("\n")[0][:300]) from exc
        finally:
            # Only a body read to its end leaves the connection fit for reuse.
            response.release_conn() if complete else response.close()

    def _retrying(self, path: str, call: Callable[[float], T]) -> T:
        """Run ``call(seconds left)`` until it succeeds, retrying 429/5xx and transport failures."""
        attempt = 0
        while True:
            remaining = self.deadline_at - time.monotonic()
            if remaining <= 0:
                raise KubeError(None, "timed out", f"overall deadline reached before GET {path}")
            try:
                return call(remaining)
            except KubeError as exc:
                if attempt >= self.retries or not (exc.status is None or exc.status in RETRYABLE):
                    raise
                delay = exc.retry_after if exc.retry_after is not None else self.backoff * 2**attempt * (0.5 + random.random())
                if delay >= self.deadline_at - time.monotonic():
                    raise
                self._sleep(delay)
                attempt += 1

    def _open(self, path: str, query: Mapping[str, Any] | None, accept: str,
              timeout: float | tuple[float, float]) -> Any:
        """Send the GET; the urllib3 response of a success comes back unread, an error status is raised."""
        from kubernetes.client.exceptions import ApiException
        from urllib3.exceptions import HTTPError

        params = self._api.param_serialize(
            "GET", path, query_params=[(k, v) for k, v in (query or {}).items() if v is not None],
            header_params={"Accept": accept}, auth_settings=["BearerToken"],
        )
        try:
            response = self._api.call_api(*params, _request_timeout=timeout).response
        except ApiException as exc:  # raised by the REST layer for some transport problems
            raise KubeError(exc.status or None, str(exc.reason or "API error"), status_message(exc.body)) from exc
        except (HTTPError, OSError) as exc:
            raise KubeError(None, "connection failed", str(exc).split("\n")[0][:300]) from exc
        if response.status >= 400:
            body = _read(response)
            header = response.headers.get("Retry-After")
            retry_after = float(header) if header and header.replace(".", "", 1).isdigit() else None
            raise KubeError(response.status, str(response.reason or "error"), status_message(body), retry_after)
        return response

    def close(self) -> None:
        self._api.close()


def connect(kubeconfig: Path | None, context: str | None, *, pool_size: int | None = None, **options: Any) -> Kube:
    """Kubeconfig resolution as kubectl does it: --kubeconfig, $KUBECONFIG, ~/.kube/config, in-cluster.

    ``pool_size`` raises the connection pool for callers that hold many requests open at once (one per
    WATCH stream); the default (cpu count x 5) would discard connections with a logged warning.
    """
    from kubernetes import client, config
    from kubernetes.config.config_exception import ConfigException

    configuration = client.Configuration()
    if kubeconfig is not None:
        path = str(kubeconfig)
    else:
        path = os.environ.get("KUBECONFIG") or str(Path("~/.kube/config").expanduser())
    try:
        if kubeconfig is not None or any(Path(p).expanduser().is_file() for p in path.split(os.pathsep) if p):
            config.load_kube_config(  # type: ignore[no-untyped-call]
                config_file=path, context=context, client_configuration=configuration, persist_config=False)
        elif os.environ.get("KUBERNETES_SERVICE_HOST") and not context:
            config.load_incluster_config(client_configuration=configuration)  # type: ignore[no-untyped-call]
        else:
            raise ClusterAccessError(
                "no kubeconfig found", hint="pass --kubeconfig FILE, set $KUBECONFIG, or use --bundle/--snapshot"
            )
    except (ConfigException, OSError, ValueError, TypeError) as exc:
        raise ClusterAccessError(f"cannot use kubeconfig {path}: {exc}".splitlines()[0]) from exc
    configuration.retries = False  # Kube.get_json owns retries, so Retry-After is honoured once
    if pool_size is not None:
        configuration.connection_pool_maxsize = pool_size
    return Kube(client.ApiClient(configuration), **options)


def _read(response: Any) -> bytes:
    """The whole body of an unread urllib3 response; a transport failure is a retryable KubeError."""
    from urllib3.exceptions import HTTPError

    try:
        return bytes(response.data)
    except (HTTPError, OSError) as exc:
        raise KubeError(None, "connection failed", str(exc).split("\n")[0][:300]) from exc
