"""A Kubernetes-compatible API server emulator for hvguard's tests and benchmarks.

Why a standalone server on the standard library instead of a kmock subclass: hvguard's live
code paths depend on exactly the API behaviours kmock 0.8 lacks (pagination with ``continue``,
``resourceVersion`` and ``410 Expired``, bookmarks, PUT with optimistic concurrency, status
subresource isolation, structural-schema pruning driven by real CRDs, and CRDs that register
resources when written through the API). Patching those into kmock would replace most of it,
tie the tests to a pre-1.0 API, and keep its pytest plugin's pytest-asyncio requirement. A
``ThreadingHTTPServer`` in a background thread serves in-process clients and CLI subprocesses
alike (through a generated kubeconfig), with no event loop in the tests.

Usage::

    with KubeAPIServer() as api:
        api.install_crds("shared/upstream/longhorn-v1.6.2")
        api.load_objects(fixtures)
        kubeconfig = api.write_kubeconfig(tmp_path / "kubeconfig")

What is emulated and what is not is listed in ``README.md`` next to this file.
"""

from .errors import APIError
from .faults import Fault, FaultInjector
from .requestlog import RecordedRequest
from .resources import ResourceType, Version
from .server import KubeAPIServer, read_yaml_documents

__all__ = [
    "APIError",
    "Fault",
    "FaultInjector",
    "KubeAPIServer",
    "RecordedRequest",
    "ResourceType",
    "Version",
    "read_yaml_documents",
]
