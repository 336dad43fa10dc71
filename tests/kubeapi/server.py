"""``KubeAPIServer``: start/stop, fixtures, test scripting, fault injection and the request log.

Python-side writes (``apply``, ``patch``, ``delete``, ``load_objects``, ``install_crd``) go through
the same code path as HTTP writes, so they are pruned the same way and reach open watches.
They act like a controller: status in the body is honoured and resourceVersion is not checked.
Objects returned to Python are deep copies.
"""

from __future__ import annotations

import builtins
import copy
import threading
from collections.abc import Collection, Iterable, Mapping
from datetime import datetime
from pathlib import Path
from typing import Any

import yaml

from .faults import USER, FaultInjector
from .handler import EmulatorHTTPServer
from .logs import PodLogs
from .operations import CRD_KEY, Operations, WriteOptions
from .requestlog import RecordedRequest, RequestLog
from .resources import BUILTINS, Registry, ResourceType
from .selectors import FieldSelector, LabelSelector
from .store import Store

_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def read_yaml_documents(source: str | Path) -> list[dict[str, Any]]:
    """All mapping documents of a YAML file, or of every ``*.yaml``/``*.yml`` in a directory."""
    path = Path(source)
    files = sorted(p for p in path.iterdir() if p.suffix in (".yaml", ".yml")) if path.is_dir() else [path]
    docs: list[dict[str, Any]] = []
    for file in files:
        docs.extend(d for d in yaml.load_all(file.read_text(), Loader=_LOADER) if isinstance(d, dict))
    return docs


class KubeAPIServer:
    """A Kubernetes API server emulator on 127.0.0.1 (see the package docstring).

    (``builtins.list`` in annotations: the :meth:`list` helper shadows it in the class body.)
    """

    def __init__(
        self,
        *,
        token: str | None = None,
        port: int = 0,
        watch_history: int = 1000,
        bookmark_interval: float = 60.0,
        watch_timeout: float = 1800.0,
        kubernetes_version: str = "v1.29.9+rke2r1",
    ) -> None:
        self.token = token
        self.bookmark_interval = bookmark_interval
        self.watch_timeout = watch_timeout
        self.kubernetes_version = kubernetes_version
        self.registry = Registry()
        for rt in BUILTINS:
            self.registry.add(rt)
        self.store = Store(history=watch_history)
        self.ops = Operations(self.registry, self.store)
        self.log = RequestLog()
        self.pod_logs = PodLogs()
        self.faults = FaultInjector(self._drop_open_watches, self.pod_logs.cut)
        self._port = port
        self._httpd: EmulatorHTTPServer | None = None
        self._thread: threading.Thread | None = None
        self._watches: set[threading.Event] = set()
        self._watches_changed = threading.Condition()

    # ------------------------------------------------------------ lifecycle

    def start(self) -> KubeAPIServer:
        self._httpd = EmulatorHTTPServer(("127.0.0.1", self._port), self)
        self._thread = threading.Thread(
            target=self._httpd.serve_forever, kwargs={"poll_interval": 0.05},
            name="kubeapi-emulator", daemon=True,
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._httpd is None:
            return
        self.store.close()
        self._httpd.shutdown()
        self._httpd.close_connections()
        self._httpd.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
        self._httpd = None

    def __enter__(self) -> KubeAPIServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def url(self) -> str:
        if self._httpd is None:
            raise RuntimeError("the server is not running")
        return f"http://127.0.0.1:{self._httpd.server_port}"

    def write_kubeconfig(self, path: str | Path, token: str | None = None,
                         namespace: str | None = None) -> Path:
        """Write a kubeconfig for this server; ``token=None`` uses the server's own token."""
        token = self.token if token is None else token
        context: dict[str, Any] = {"cluster": "kubeapi-emulator", "user": USER}
        if namespace:
            context["namespace"] = namespace
        config = {
            "apiVersion": "v1",
            "kind": "Config",
            "clusters": [{"name": "kubeapi-emulator", "cluster": {"server": self.url}}],
            "users": [{"name": USER, "user": {"token": token} if token else {}}],
            "contexts": [{"name": "kubeapi-emulator", "context": context}],
            "current-context": "kubeapi-emulator",
        }
        path = Path(path)
        path.write_text(yaml.safe_dump(config, sort_keys=False))
        return path

    # ------------------------------------------------------------ resources and fixtures

    def register(self, rt: ResourceType) -> None:
        """Serve an extra built-in kind (CRDs should go through :meth:`install_crd`)."""
        self.registry.add(rt)

    def install_crd(self, crd: Mapping[str, Any]) -> dict[str, Any]:
        """Create or replace a CRD, exactly as a client applying it would."""
        return self.apply(crd)

    def install_crds(self, source: str | Path) -> builtins.list[dict[str, Any]]:
        """Install every CRD document of a (multi-document) YAML file or a directory of them."""
        return [self.install_crd(d) for d in read_yaml_documents(source)
                if d.get("kind") == "CustomResourceDefinition"]

    def load_objects(self, objects: Iterable[Mapping[str, Any]],
                     field_validation: str = "Ignore") -> builtins.list[dict[str, Any]]:
        """Store fixture objects (``*List`` documents are expanded), pruned like a create.

        Metadata such as uid, creationTimestamp and deletionTimestamp is kept; resourceVersion is
        reassigned. Namespaces are not created implicitly. ``field_validation="Strict"`` raises
        :class:`~kubeapi.errors.APIError` for fixtures carrying fields their CRD would drop.
        """
        stored = []
        for obj in objects:
            if str(obj.get("kind", "")).endswith("List") and "items" in obj:
                item_kind = obj["kind"][: -len("List")]
                items = [{"apiVersion": obj.get("apiVersion"), "kind": item_kind, **i} for i in obj["items"] or ()]
                stored.extend(self.load_objects(items, field_validation))
            else:
                stored.append(self.apply(obj, field_validation))
        return stored

    # ------------------------------------------------------------ test scripting

    def _resolve(self, resource: str) -> tuple[ResourceType, str]:
        rt = self.registry.resolve(resource)
        return rt, rt.preferred_version

    @staticmethod
    def _namespace(rt: ResourceType, namespace: str | None) -> str:
        return (namespace or "default") if rt.namespaced else ""

    def apply(self, obj: Mapping[str, Any], field_validation: str = "Ignore") -> dict[str, Any]:
        """Create ``obj`` or replace the stored object with it (status included)."""
        api_version, kind = obj.get("apiVersion", ""), obj.get("kind", "")
        rt = self.registry.by_kind(api_version, kind)
        if rt is None:
            raise KeyError(f"no served resource for apiVersion={api_version!r} kind={kind!r}; install its CRD first")
        version = api_version.rpartition("/")[2]
        meta = obj.get("metadata") or {}
        namespace = self._namespace(rt, meta.get("namespace"))
        opts = WriteOptions(validation=field_validation, privileged=True)
        with self.store.lock:
            if self.store.get(rt.key, (namespace, meta.get("name", ""))) is not None:
                result = self.ops.update(rt, version, namespace, meta["name"], dict(obj), opts)
            else:
                result = self.ops.create(rt, version, namespace, dict(obj), opts)
        return copy.deepcopy(result.obj)

    def get(self, resource: str, name: str, namespace: str | None = None) -> dict[str, Any]:
        """``resource`` is anything kubectl accepts: ``lhbi``, ``backingimages.longhorn.io``, ``Pod``."""
        rt, version = self._resolve(resource)
        return copy.deepcopy(self.ops.get(rt, version, self._namespace(rt, namespace), name))

    def list(self, resource: str, namespace: str | None = None) -> builtins.list[dict[str, Any]]:
        """Objects of a resource, in one namespace or (``None``) across all of them."""
        rt, version = self._resolve(resource)
        listed = self.ops.list_objects(rt, version, namespace if rt.namespaced else None,
                               LabelSelector(), FieldSelector())
        return copy.deepcopy(listed["items"])

    def patch(self, resource: str, name: str, patch: Mapping[str, Any] | builtins.list[Any],
              namespace: str | None = None) -> dict[str, Any]:
        """Merge patch (a dict) or JSON patch (a list); may change spec and status alike."""
        rt, version = self._resolve(resource)
        content_type = "application/json-patch+json" if isinstance(patch, list) else "application/merge-patch+json"
        result = self.ops.patch(rt, version, self._namespace(rt, namespace), name, patch, content_type,
                                WriteOptions(validation="Ignore", privileged=True))
        return copy.deepcopy(result.obj)

    def delete(self, resource: str, name: str, namespace: str | None = None) -> dict[str, Any]:
        """Delete like the API does: with finalizers, only deletionTimestamp is set."""
        rt, version = self._resolve(resource)
        deleted = self.ops.delete(rt, version, self._namespace(rt, namespace), name, WriteOptions(privileged=True))
        return copy.deepcopy(deleted)

    def add_pod_log(self, namespace: str, pod: str, lines: str | Iterable[str], *, container: str = "",
                    previous: bool = False, at: datetime | None = None) -> None:
        """Append log lines (timestamped ``at``, default now) for a pod's container.

        ``container=""`` means "the pod's only container" and is used when the pod spec has one.
        """
        self.pod_logs.add(namespace, pod, lines, container=container, previous=previous, at=at)

    @property
    def resource_version(self) -> str:
        return str(self.store.resource_version)

    @property
    def crds(self) -> builtins.list[str]:
        """Names of the CRDs currently stored."""
        return [e.obj["metadata"]["name"] for e in self.store.entries(CRD_KEY)]

    # ------------------------------------------------------------ observation

    def requests(self, verb: str | Collection[str] | None = None, resource: str | None = None,
                 **filters: Any) -> builtins.list[RecordedRequest]:
        """Recorded requests; filters: group, namespace, name, subresource, status."""
        return self.log.select(verb, resource, **filters)

    def writes(self) -> builtins.list[RecordedRequest]:
        """Write attempts (create/update/patch/delete, whatever their status), excluding dry runs."""
        return [r for r in self.log.select() if r.is_write]

    def clear_requests(self) -> None:
        self.log.clear()

    @property
    def open_watches(self) -> int:
        with self._watches_changed:
            return len(self._watches)

    def wait_for_watches(self, count: int = 1, timeout: float = 5.0) -> None:
        """Block until at least ``count`` watch streams are open (to script changes after a watch starts)."""
        with self._watches_changed:
            if not self._watches_changed.wait_for(lambda: len(self._watches) >= count, timeout):
                raise TimeoutError(f"{len(self._watches)} watches open, expected {count}")

    @property
    def log_streams(self) -> builtins.list[str]:
        """The pod of each open ``follow=true`` log stream, sorted."""
        return self.pod_logs.followed

    def wait_for_log_streams(self, count: int = 1, timeout: float = 5.0) -> None:
        """Block until at least ``count`` followed log streams are open."""
        if not self.pod_logs.wait_followed(count, timeout):
            raise TimeoutError(f"{len(self.log_streams)} log streams open, expected {count}")

    # ------------------------------------------------------------ used by the HTTP layer

    def watch_opened(self, dropped: threading.Event) -> None:
        with self._watches_changed:
            self._watches.add(dropped)
            self._watches_changed.notify_all()

    def watch_closed(self, dropped: threading.Event) -> None:
        with self._watches_changed:
            self._watches.discard(dropped)
            self._watches_changed.notify_all()

    def _drop_open_watches(self) -> int:
        with self._watches_changed:
            open_now = list(self._watches)
        for dropped in open_now:
            dropped.set()
        self.store.wake()
        return len(open_now)
