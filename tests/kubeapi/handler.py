"""HTTP layer: parse a request, apply auth and injected faults, dispatch, frame the response.

HTTP/1.1 with keep-alive (the official client and kubectl pool connections); watches are
chunked ``application/json`` streams of newline-delimited events, which is what both
clients' stream decoders expect.
"""

from __future__ import annotations

import contextlib
import json
import socket
import socketserver
import threading
import time
import traceback
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs, urlsplit

from . import discovery, errors, routing
from .errors import APIError, status_body
from .operations import WriteOptions
from .requestlog import RecordedRequest
from .resources import ResourceType
from .selectors import FieldSelector, LabelSelector, combine
from .watch import WatchLoop, WatchRequest, expired_event

if TYPE_CHECKING:
    from .server import KubeAPIServer


class EmulatorHTTPServer(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False
    # socketserver listens with a backlog of 5: a client opening several connections at once while the
    # server is busy had SYNs dropped and retried a second later. An API server's backlog is the kernel's.
    request_queue_size = 1024

    def __init__(self, address: tuple[str, int], api: KubeAPIServer) -> None:
        self.api = api
        self.connections: set[socket.socket] = set()
        self.connections_lock = threading.Lock()
        super().__init__(address, Handler)

    def server_bind(self) -> None:
        # HTTPServer.server_bind does a reverse DNS lookup (getfqdn), slow in a sandbox.
        socketserver.TCPServer.server_bind(self)
        self.server_name, self.server_port = self.server_address[:2]  # type: ignore[assignment]

    def close_connections(self) -> None:
        with self.connections_lock:
            for conn in list(self.connections):
                with contextlib.suppress(OSError):
                    conn.shutdown(socket.SHUT_RDWR)


def _json(obj: Any) -> bytes:
    return json.dumps(obj, separators=(",", ":")).encode()


def _method_not_allowed() -> APIError:
    return APIError(405, "the server does not allow this method on the requested resource")


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: EmulatorHTTPServer

    def setup(self) -> None:
        super().setup()
        # Headers and body go out in separate writes; without this, Nagle + delayed ACK add ~40 ms each.
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        with self.server.connections_lock:
            self.server.connections.add(self.connection)

    def finish(self) -> None:
        with self.server.connections_lock:
            self.server.connections.discard(self.connection)
        super().finish()

    def log_message(self, format: str, *args: Any) -> None:
        """Requests are recorded in the request log instead of stderr."""

    def do_GET(self) -> None:
        self._handle()

    do_POST = do_PUT = do_PATCH = do_DELETE = do_GET

    # ------------------------------------------------------------ framing

    def _handle(self) -> None:
        url = urlsplit(self.path)
        query = {k: v[-1] for k, v in parse_qs(url.query, keep_blank_values=True).items()}
        raw = self._read_body()
        self.info = routing.parse(self.command, url.path, query)
        self.raw_body = raw
        api = self.server.api
        try:
            delay = api.faults.latency(self.info)
            if delay:
                time.sleep(delay)
            self._authenticate()
            api.faults.check(self.info)
            self._dispatch()
        except APIError as exc:
            self._send_json(exc.code, exc.status(), headers=exc.headers)
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True
        except Exception as exc:  # surfaces emulator bugs as a 500 plus a traceback in the test output
            traceback.print_exc()
            self._send_json(500, status_body(500, "InternalError", f"Internal error occurred: {exc!r}"))

    def _read_body(self) -> bytes:
        if "chunked" in self.headers.get("Transfer-Encoding", ""):
            chunks = []
            while size := int(self.rfile.readline().split(b";")[0].strip() or b"0", 16):
                chunks.append(self.rfile.read(size))
                self.rfile.readline()
            self.rfile.readline()
            return b"".join(chunks)
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length else b""

    def _body(self) -> Any:
        if not self.raw_body:
            return None
        try:
            return json.loads(self.raw_body)
        except ValueError:
            raise errors.bad_request("the request body is not valid JSON") from None

    def _record(self, status: int) -> None:
        info = self.info
        try:
            body = self._body()
        except APIError:
            body = self.raw_body.decode(errors="replace")
        self.server.api.log.record(RecordedRequest(
            method=info.method, path=info.path, query=info.query, verb=info.verb, group=info.group,
            version=info.version, resource=info.resource, subresource=info.subresource,
            namespace=info.namespace, name=info.name, status=status, body=body,
        ))

    def _send(self, code: int, data: bytes, content_type: str,
              headers: dict[str, str] | None = None, warnings: list[str] | None = None) -> None:
        self._record(code)
        self.send_response(code)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(data)))
        for warning in warnings or ():
            escaped = warning.replace("\\", "\\\\").replace('"', '\\"')
            self.send_header("Warning", f'299 - "{escaped}"')
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(data)

    def _send_json(self, code: int, obj: Any, headers: dict[str, str] | None = None,
                   warnings: list[str] | None = None) -> None:
        self._send(code, _json(obj), "application/json", headers, warnings)

    def _chunk(self, data: bytes) -> None:
        self.wfile.write(b"%x\r\n%s\r\n" % (len(data), data))

    # ------------------------------------------------------------ dispatch

    def _authenticate(self) -> None:
        token = self.server.api.token
        if token is not None and self.headers.get("Authorization") != f"Bearer {token}":
            raise APIError(401, "Unauthorized")

    def _dispatch(self) -> None:
        info, api = self.info, self.server.api
        if not info.is_resource:
            return self._non_resource()
        rt = api.registry.lookup(info.group, info.version, info.resource or "")
        if rt is None:
            raise errors.no_route()
        namespace = self._namespace(rt)
        if info.subresource:
            return self._subresource(rt, namespace)
        ops, version, q, name = api.ops, info.version, info.query, info.name or ""
        if info.verb == "get":
            self._send_json(200, ops.get(rt, version, namespace, name))
        elif info.verb == "list":
            label, fields = self._selectors(rt)
            limit = self._int_param("limit") or 0
            listed = ops.list_objects(rt, version, namespace or None, label, fields, limit, q.get("continue"))
            self._send_json(200, listed)
        elif info.verb == "watch":
            self._watch(rt, namespace)
        elif info.verb == "create" and not info.name:
            result = ops.create(rt, version, namespace, self._object_body(), self._write_options())
            self._send_json(201, result.obj, warnings=result.warnings)
        elif info.verb == "update":
            result = ops.update(rt, version, namespace, name, self._object_body(), self._write_options())
            self._send_json(200, result.obj, warnings=result.warnings)
        elif info.verb == "patch":
            result = ops.patch(rt, version, namespace, name, self._body(), self._content_type(),
                               self._write_options())
            self._send_json(200, result.obj, warnings=result.warnings)
        elif info.verb == "delete":
            options = self._body() or {}
            preconditions = options.get("preconditions") if isinstance(options, dict) else None
            self._send_json(200, ops.delete(rt, version, namespace, name, self._write_options(), preconditions))
        elif info.verb == "deletecollection":
            label, fields = self._selectors(rt)
            self._send_json(200, ops.delete_collection(rt, version, namespace or None, label, fields,
                                                       self._write_options()))
        else:
            raise _method_not_allowed()

    def _namespace(self, rt: ResourceType) -> str:
        info = self.info
        if rt.namespaced:
            if info.namespace is None and (info.name is not None or info.verb == "create"):
                raise errors.no_route()
            return info.namespace or ""
        if info.namespace is not None and rt.key != ("", "namespaces"):
            raise errors.no_route()
        return ""

    def _subresource(self, rt: ResourceType, namespace: str) -> None:
        info, ops = self.info, self.server.api.ops
        version, name, sub = info.version, info.name or "", info.subresource
        served = rt.version(version)
        if served is None or sub not in served.subresources or not info.name:
            raise errors.no_route()
        if sub == "log":
            if info.verb != "get":
                raise _method_not_allowed()
            pod = ops.get(rt, version, namespace, name)
            if info.flag("follow") and not info.flag("previous"):
                return self._follow_log(rt, pod)
            text = self.server.api.pod_logs.render(pod, info.query)
            return self._send(200, text.encode(), "text/plain")
        if info.verb == "get":
            return self._send_json(200, ops.get(rt, version, namespace, name))
        if info.verb == "update":
            result = ops.update(rt, version, namespace, name, self._object_body(), self._write_options(), sub)
        elif info.verb == "patch":
            result = ops.patch(rt, version, namespace, name, self._body(), self._content_type(),
                               self._write_options(), sub)
        else:
            raise _method_not_allowed()
        self._send_json(200, result.obj, warnings=result.warnings)

    def _non_resource(self) -> None:
        api, parts = self.server.api, [p for p in self.info.path.split("/") if p]
        if self.command != "GET":
            raise _method_not_allowed()
        if parts in (["healthz"], ["livez"], ["readyz"]):
            return self._send(200, b"ok", "text/plain")
        doc: dict[str, Any] | None = None
        if parts == ["version"]:
            doc = discovery.version_info(api.kubernetes_version)
        elif parts == ["api"]:
            doc = discovery.api_versions(f"{self.server.server_name}:{self.server.server_port}")
        elif parts == ["apis"]:
            doc = discovery.api_group_list(api.registry)
        elif len(parts) == 2 and parts[0] == "api":
            doc = discovery.resource_list(api.registry, "", parts[1])
        elif len(parts) == 2 and parts[0] == "apis":
            doc = discovery.api_group(api.registry, parts[1])
        elif len(parts) == 3 and parts[0] == "apis":
            doc = discovery.resource_list(api.registry, parts[1], parts[2])
        if doc is None:
            raise errors.no_route()
        self._send_json(200, doc)

    # ------------------------------------------------------------ parameters

    def _object_body(self) -> dict[str, Any]:
        body = self._body()
        if not isinstance(body, dict):
            raise errors.bad_request("the request body must be a JSON object")
        return body

    def _content_type(self) -> str:
        return self.headers.get("Content-Type", "").split(";")[0].strip()

    def _int_param(self, name: str) -> int | None:
        value = self.info.query.get(name)
        if value in (None, ""):
            return None
        try:
            return int(value)
        except ValueError:
            raise errors.bad_request(f"{name}: Invalid value: {value!r}: must be an integer") from None

    def _selectors(self, rt: ResourceType) -> tuple[LabelSelector, FieldSelector]:
        q = self.info.query
        return (LabelSelector.parse(q.get("labelSelector")),
                FieldSelector.parse(q.get("fieldSelector"), rt.selectable_fields))

    def _write_options(self) -> WriteOptions:
        q = self.info.query
        dry_run = q.get("dryRun")
        if self.info.verb in ("delete", "deletecollection") and isinstance(body := self._body(), dict):
            dry_run = dry_run or ",".join(body.get("dryRun") or [])
        if dry_run not in (None, "", "All"):
            raise errors.bad_request(f'Invalid dry run value: "{dry_run}"; supported values: All')
        return WriteOptions(validation=q.get("fieldValidation") or "Warn", dry_run=bool(dry_run))

    def _follow_log(self, rt: ResourceType, pod: dict[str, Any]) -> None:
        """``follow=true``: chunked, one chunk per batch of lines added, until the pod is deleted (or
        replaced under its name), the server stops, or ``faults.drop_log_streams()`` cuts the stream."""
        store, meta = self.server.api.store, pod["metadata"]

        def ended() -> bool:
            entry = store.get(rt.key, (meta.get("namespace", ""), meta["name"]))
            return store.closed or entry is None or entry.obj["metadata"].get("uid") != meta.get("uid")

        cut, texts = self.server.api.pod_logs.follow(pod, self.info.query, ended)
        self._record(200)
        self.send_response(200)
        self.send_header("Content-Type", "text/plain")
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()
        self.close_connection = True
        try:
            for text in texts:
                self._chunk(text.encode())
            if cut.is_set():
                self.connection.shutdown(socket.SHUT_RDWR)
            else:
                self.wfile.write(b"0\r\n\r\n")
        except OSError:
            pass  # the client went away
        finally:
            texts.close()

    # ------------------------------------------------------------ watch

    def _watch(self, rt: ResourceType, namespace: str) -> None:
        api, info = self.server.api, self.info
        label, fields = self._selectors(rt)
        rv = info.query.get("resourceVersion") or "0"
        if not rv.isdigit():
            raise errors.bad_request(f'resourceVersion: Invalid value: "{rv}": must be an integer')
        timeout = self._int_param("timeoutSeconds")
        expire = api.faults.take("expire_watch", info)
        drop = api.faults.take("drop_watch", info)
        request = WatchRequest(
            resource=rt.key, version=info.version, namespace=namespace or None,
            matches=combine(label, fields), start=int(rv) or None,
            timeout=float(timeout) if timeout is not None else api.watch_timeout,
            bookmark_interval=api.bookmark_interval if info.flag("allowWatchBookmarks") else None,
            drop_after=drop.after_events if drop else None,
        )
        self._record(200)
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()
        self.close_connection = True
        dropped = threading.Event()
        api.watch_opened(dropped)
        try:
            if expire:
                current = api.store.resource_version
                self._chunk(_json(expired_event(int(rv), current)) + b"\n")
                clean = True
            else:
                loop = WatchLoop(api.ops, api.registry, request,
                                 lambda event: self._chunk(_json(event) + b"\n"), dropped)
                clean = loop.run()
            if clean:
                self.wfile.write(b"0\r\n\r\n")
            else:
                self.connection.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass  # the client went away
        except Exception:  # an emulator bug mid-stream: report it and cut the stream
            traceback.print_exc()
            with contextlib.suppress(OSError):
                self.connection.shutdown(socket.SHUT_RDWR)
        finally:
            api.watch_closed(dropped)
