"""Object semantics of the API server, shared by the HTTP layer and the Python test helpers.

Everything a client can observe about a write lives here, in one place, so that HTTP requests
and ``api.apply(...)`` from a test behave alike and both reach watchers: metadata stamping,
optimistic concurrency, status-subresource isolation, finalizers, pruning + defaulting with
``fieldValidation``, and CRD objects that (re)register the resource they define.

Custom resources are stored in their storage version, the way etcd holds them, and are pruned
again on read when their CRD changed since they were written (as the real storage decoder does),
so narrowing and then widening a schema makes stored fields reappear, as on a real cluster.
Version conversion is the ``None`` strategy: only ``apiVersion`` changes.
"""

from __future__ import annotations

import base64
import binascii
import copy
import itertools
import json
import random
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from . import errors
from .errors import APIError
from .patch import json_patch, merge_patch
from .resources import Registry, ResourceType, crd_problems, from_crd
from .schema import apply_defaults, coerce_object_meta, prune
from .selectors import FieldSelector, LabelSelector
from .store import Entry, Expired, ObjKey, Store, obj_key

CRD_KEY = ("apiextensions.k8s.io", "customresourcedefinitions")
VALIDATION_MODES = ("Ignore", "Warn", "Strict")
PATCH_TYPES = {
    "application/merge-patch+json": merge_patch,
    "application/strategic-merge-patch+json": merge_patch,
    "application/json-patch+json": json_patch,
}
_GENERATE_ALPHABET = "bcdfghjklmnpqrstvwxz2456789"


def now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass
class WriteResult:
    obj: dict[str, Any]
    warnings: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class WriteOptions:
    """Per-request knobs of a write.

    ``privileged`` marks Python-side writes (fixtures, test scripting, a "controller"): status is
    taken from the body, and resourceVersion in the body is ignored instead of checked.
    """

    validation: str = "Warn"
    dry_run: bool = False
    privileged: bool = False


class Operations:
    def __init__(self, registry: Registry, store: Store) -> None:
        self.registry = registry
        self.store = store
        self._epochs = itertools.count(1)

    # ------------------------------------------------------------------ reads

    def _decoded(self, rt: ResourceType, entry: Entry) -> dict[str, Any]:
        """The stored object as the storage decoder returns it: re-pruned if its CRD changed since."""
        if not rt.is_custom or entry.epoch == rt.epoch:
            return entry.obj
        obj = copy.deepcopy(entry.obj)
        self._coerce(rt, rt.storage_version, obj)
        return obj

    def view(self, rt: ResourceType, version: str, entry: Entry) -> dict[str, Any]:
        """The stored object as a client of ``version`` sees it."""
        obj = self._decoded(rt, entry)
        if rt.is_custom and version != rt.storage_version:
            obj = copy.deepcopy(obj) if obj is entry.obj else obj
            self._coerce(rt, version, obj)
        api_version = rt.api_version(version)
        return obj if obj.get("apiVersion") == api_version else {**obj, "apiVersion": api_version}

    def get(self, rt: ResourceType, version: str, namespace: str, name: str) -> dict[str, Any]:
        return self.view(rt, version, self._existing(rt, namespace, name))

    def list_objects(
        self,
        rt: ResourceType,
        version: str,
        namespace: str | None,
        label: LabelSelector,
        fields: FieldSelector,
        limit: int = 0,
        continue_token: str | None = None,
    ) -> dict[str, Any]:
        start: ObjKey | None = None
        as_of: int | None = None
        with self.store.lock:
            if continue_token:
                as_of, start = _decode_continue(continue_token)
            try:
                keys, bucket = self.store.ordered(rt.key, namespace, start, as_of)
            except Expired:
                raise errors.gone(
                    "The provided continue parameter is too old to display a consistent list "
                    "result. You can start a new list without the continue parameter."
                ) from None
            rv = self.store.resource_version if as_of is None else as_of
            page, more = _page(keys, bucket, label, fields, limit)
        meta: dict[str, Any] = {"resourceVersion": str(rv)}
        if more:
            meta["continue"] = _encode_continue(rv, obj_key(page[-1].obj))
            if not label and not fields:
                meta["remainingItemCount"] = len(keys) - len(page)
        return {
            "kind": rt.list_kind_name(),
            "apiVersion": rt.api_version(version),
            "metadata": meta,
            "items": [self.view(rt, version, e) for e in page],
        }

    # ----------------------------------------------------------------- writes

    def create(
        self, rt: ResourceType, version: str, namespace: str, body: dict[str, Any], opts: WriteOptions
    ) -> WriteResult:
        obj = self._decode(rt, version, body)
        meta = obj["metadata"]
        self._check_namespace(rt, meta, namespace)
        if not meta.get("name"):
            if not meta.get("generateName"):
                raise errors.invalid(rt.group, rt.plural, rt.kind, "",
                                     ["metadata.name: Required value: name or generateName is required"])
            meta["name"] = meta["generateName"] + "".join(random.choices(_GENERATE_ALPHABET, k=5))
        warnings = self._admit(rt, version, obj, opts.validation)
        with self.store.lock:
            if self.store.get(rt.key, obj_key(obj)) is not None:
                raise errors.already_exists(rt.group, rt.plural, meta["name"])
            if meta.pop("resourceVersion", None) and not opts.privileged:
                raise APIError(500, "resourceVersion should not be set on objects to be created")
            if not opts.privileged:
                for server_owned in ("uid", "creationTimestamp", "generation", "deletionTimestamp",
                                     "deletionGracePeriodSeconds"):
                    meta.pop(server_owned, None)
                if rt.is_custom and rt.has_status(version):
                    obj.pop("status", None)
            for owned, value in (("uid", str(uuid.uuid4())), ("creationTimestamp", now()), ("generation", 1)):
                if not meta.get(owned):  # CRD files carry ``creationTimestamp: null``
                    meta[owned] = value
            if rt.key == ("", "namespaces"):
                obj.setdefault("status", {"phase": "Active"})
            on_commit = self._crd_hook(obj, None) if rt.key == CRD_KEY else None
            stored = self._commit(rt, obj, opts, on_commit)
        return WriteResult(self.view(rt, version, Entry(stored, rt.epoch)), warnings)

    def update(
        self,
        rt: ResourceType,
        version: str,
        namespace: str,
        name: str,
        body: dict[str, Any],
        opts: WriteOptions,
        subresource: str | None = None,
        require_rv: bool = True,
    ) -> WriteResult:
        obj = self._decode(rt, version, body)
        meta = obj["metadata"]
        if meta.get("name", name) != name:
            raise errors.bad_request(
                f"the name of the object ({meta['name']}) does not match the name on the URL ({name})"
            )
        meta["name"] = name
        self._check_namespace(rt, meta, namespace)
        warnings = self._admit(rt, version, obj, opts.validation)
        with self.store.lock:
            entry = self._existing(rt, namespace, name)
            old = self._decoded(rt, entry)
            self._check_precondition(rt, old, meta.get("resourceVersion"), opts, require_rv)
            new = self._merge_update(rt, version, old, obj, opts, subresource)
            if new["metadata"].get("deletionTimestamp") and not new["metadata"].get("finalizers"):
                return WriteResult(self._remove(rt, version, old, opts), warnings)
            if new == entry.obj:  # byte-identical to what is stored: no write, as etcd3's GuaranteedUpdate
                return WriteResult(self.view(rt, version, entry), warnings)
            on_commit = self._crd_hook(new, old) if rt.key == CRD_KEY and subresource is None else None
            stored = self._commit(rt, new, opts, on_commit)
        return WriteResult(self.view(rt, version, Entry(stored, rt.epoch)), warnings)

    def patch(
        self,
        rt: ResourceType,
        version: str,
        namespace: str,
        name: str,
        patch: Any,
        content_type: str,
        opts: WriteOptions,
        subresource: str | None = None,
    ) -> WriteResult:
        apply = PATCH_TYPES.get(content_type)
        if apply is None:
            raise APIError(
                415,
                f"the body of the request was in an unknown format - accepted media types include: "
                f"{', '.join(PATCH_TYPES)}",
            )
        with self.store.lock:
            current = self.get(rt, version, namespace, name)
            patched = apply(current, patch)
            if not isinstance(patched, dict):
                raise errors.bad_request("the patch did not produce an object")
            return self.update(rt, version, namespace, name, patched, opts, subresource, require_rv=False)

    def delete(
        self,
        rt: ResourceType,
        version: str,
        namespace: str,
        name: str,
        opts: WriteOptions,
        preconditions: dict[str, Any] | None = None,
    ) -> dict[str, Any]:
        with self.store.lock:
            old = self._decoded(rt, self._existing(rt, namespace, name))
            for key in ("uid", "resourceVersion"):
                wanted = (preconditions or {}).get(key)
                if wanted and wanted != old["metadata"].get(key):
                    raise errors.conflict(
                        rt.group, rt.plural, name,
                        f"Precondition failed: {key} in precondition: {wanted}, "
                        f"{key} in object meta: {old['metadata'].get(key)}",
                    )
            if old["metadata"].get("finalizers"):
                if old["metadata"].get("deletionTimestamp"):
                    return self.view(rt, version, Entry(old, rt.epoch))
                terminating = copy.deepcopy(old)
                terminating["metadata"].update(deletionTimestamp=now(), deletionGracePeriodSeconds=0)
                stored = self._commit(rt, terminating, opts, None)
                return self.view(rt, version, Entry(stored, rt.epoch))
            return self._remove(rt, version, old, opts)

    def delete_collection(
        self, rt: ResourceType, version: str, namespace: str | None,
        label: LabelSelector, fields: FieldSelector, opts: WriteOptions,
    ) -> dict[str, Any]:
        with self.store.lock:
            listed = self.list_objects(rt, version, namespace, label, fields)
            items = [
                self.delete(rt, version, o["metadata"].get("namespace", ""), o["metadata"]["name"], opts)
                for o in listed["items"]
            ]
        return {**listed, "items": items}

    # ---------------------------------------------------------------- helpers

    def _existing(self, rt: ResourceType, namespace: str, name: str) -> Entry:
        entry = self.store.get(rt.key, (namespace if rt.namespaced else "", name))
        if entry is None:
            raise errors.not_found(rt.group, rt.plural, name)
        return entry

    def _decode(self, rt: ResourceType, version: str, body: Any) -> dict[str, Any]:
        if not isinstance(body, dict):
            raise errors.bad_request("the request body must be a JSON object")
        obj = copy.deepcopy(body)
        api_version = rt.api_version(version)
        if obj.setdefault("apiVersion", api_version) != api_version:
            raise errors.bad_request(
                f"the API version in the data ({obj['apiVersion']}) does not match the expected "
                f"API version ({api_version})"
            )
        if obj.setdefault("kind", rt.kind) != rt.kind:
            raise errors.bad_request(
                f"the kind in the data ({obj['kind']}) does not match the expected kind ({rt.kind})"
            )
        if not isinstance(obj.setdefault("metadata", {}), dict):
            raise errors.bad_request("metadata must be an object")
        return obj

    def _check_namespace(self, rt: ResourceType, meta: dict[str, Any], namespace: str) -> None:
        if not rt.namespaced:
            meta.pop("namespace", None)
            return
        if meta.get("namespace") and namespace and meta["namespace"] != namespace:
            raise errors.bad_request(
                "the namespace of the provided object does not match the namespace sent on the request"
            )
        meta["namespace"] = meta.get("namespace") or namespace or "default"

    def _coerce(self, rt: ResourceType, version: str, obj: dict[str, Any]) -> list[str]:
        """Prune and default ``obj`` in place for ``version``; return pruned field paths."""
        served = rt.version(version)
        schema = served.schema if served is not None else None
        if schema is None:
            return coerce_object_meta(obj)
        unknown = prune(obj, schema)
        apply_defaults(obj, schema)
        return unknown

    def _admit(self, rt: ResourceType, version: str, obj: dict[str, Any], validation: str) -> list[str]:
        """Decode-time pruning as the server does it; returns the warnings to send."""
        if validation not in VALIDATION_MODES:
            raise errors.bad_request(f"fieldValidation parameter unsupported: {validation}")
        unknown = self._coerce(rt, version, obj)
        if rt.is_custom and version != rt.storage_version:
            self._coerce(rt, rt.storage_version, obj)  # conversion to the storage version prunes silently
        obj["apiVersion"] = rt.api_version(rt.storage_version)
        messages = [f'unknown field "{path}"' for path in unknown]
        if messages and validation == "Strict":
            raise errors.bad_request(
                f'{rt.kind} in version "{version}" cannot be handled as a {rt.kind}: '
                f"strict decoding error: {', '.join(messages)}"
            )
        return messages if validation == "Warn" else []

    def _check_precondition(
        self, rt: ResourceType, old: dict[str, Any], rv: str | None, opts: WriteOptions, require_rv: bool
    ) -> None:
        if opts.privileged:
            return
        name = old["metadata"]["name"]
        if not rv:
            if require_rv and rt.is_custom:
                raise errors.invalid(rt.group, rt.plural, rt.kind, name, [
                    "metadata.resourceVersion: Invalid value: 0x0: must be specified for an update"
                ])
        elif rv != old["metadata"]["resourceVersion"]:
            raise errors.conflict(
                rt.group, rt.plural, name,
                "the object has been modified; please apply your changes to the latest version and try again",
            )

    def _merge_update(
        self, rt: ResourceType, version: str, old: dict[str, Any], obj: dict[str, Any],
        opts: WriteOptions, subresource: str | None,
    ) -> dict[str, Any]:
        if subresource == "status":
            new = copy.deepcopy(old)
            if "status" in obj:
                new["status"] = obj["status"]
            else:
                new.pop("status", None)
            return new
        new = obj
        meta, old_meta = new["metadata"], old["metadata"]
        for owned in ("uid", "creationTimestamp", "deletionTimestamp", "deletionGracePeriodSeconds", "generation"):
            if owned in old_meta:
                meta[owned] = old_meta[owned]
            else:
                meta.pop(owned, None)
        meta["resourceVersion"] = old_meta["resourceVersion"]
        has_status = rt.has_status(version)
        if has_status and not opts.privileged:
            if "status" in old:
                new["status"] = old["status"]
            else:
                new.pop("status", None)
        ignored = {"metadata", "status"} if has_status else {"metadata"}
        if {k: v for k, v in new.items() if k not in ignored} != {k: v for k, v in old.items() if k not in ignored}:
            meta["generation"] = old_meta.get("generation", 0) + 1
        return new

    def _commit(
        self, rt: ResourceType, obj: dict[str, Any], opts: WriteOptions,
        on_commit: Callable[[], None] | None,
    ) -> dict[str, Any]:
        if opts.dry_run:
            return obj
        stored = self.store.write(rt.key, obj, rt.epoch)
        if on_commit is not None:
            on_commit()
        return stored

    def _remove(self, rt: ResourceType, version: str, old: dict[str, Any], opts: WriteOptions) -> dict[str, Any]:
        if opts.dry_run:
            return self.view(rt, version, Entry(old, rt.epoch))
        if rt.key == CRD_KEY:
            self._drop_custom_resources(old)
        last = self.store.remove(rt.key, obj_key(old))
        return self.view(rt, version, Entry(last, rt.epoch))

    # ------------------------------------------------------------------- CRDs

    def _crd_hook(self, crd: dict[str, Any], old: dict[str, Any] | None) -> Callable[[], None]:
        """Validate a CRD write, fill its status, and return the registration to run on commit."""
        problems = crd_problems(crd)
        if problems:
            raise errors.invalid(*CRD_KEY, "CustomResourceDefinition", crd["metadata"].get("name", ""), problems)
        rt = from_crd(crd, epoch=next(self._epochs))
        stored_versions = set((old or {}).get("status", {}).get("storedVersions") or ()) | {rt.storage_version}
        accepted = {
            "plural": rt.plural, "singular": rt.singular, "kind": rt.kind,
            "listKind": rt.list_kind_name(),
            **({"shortNames": list(rt.short_names)} if rt.short_names else {}),
            **({"categories": list(rt.categories)} if rt.categories else {}),
        }
        since = now()
        crd["status"] = {
            "acceptedNames": accepted,
            "conditions": [
                {"type": "NamesAccepted", "status": "True", "reason": "NoConflicts",
                 "message": "no conflicts found", "lastTransitionTime": since},
                {"type": "Established", "status": "True", "reason": "InitialNamesAccepted",
                 "message": "the initial names have been accepted", "lastTransitionTime": since},
            ],
            "storedVersions": sorted(stored_versions),
        }
        return lambda: self.registry.add(rt)

    def _drop_custom_resources(self, crd: dict[str, Any]) -> None:
        """Deleting a CRD deletes its objects (with DELETED events), then stops serving it."""
        rt = self.registry.get(crd["spec"]["group"], crd["spec"]["names"]["plural"])
        if rt is None:
            return
        for entry in self.store.entries(rt.key):
            self.store.remove(rt.key, obj_key(entry.obj))
        self.registry.remove(*rt.key)


def _page(keys: list[ObjKey], bucket: Mapping[ObjKey, Entry], label: LabelSelector, fields: FieldSelector,
          limit: int) -> tuple[list[Entry], bool]:
    """The first ``limit`` (0: all) entries the selectors match, and whether more match after them.

    Looks at no more entries than the page needs, so paging through a resource stays linear.
    """
    if not label and not fields:
        page = [bucket[key] for key in (keys[:limit] if limit > 0 else keys)]
        return page, len(page) < len(keys)
    page = []
    for key in keys:
        entry = bucket[key]
        if label.matches(entry.obj) and fields.matches(entry.obj):
            if 0 < limit == len(page):
                return page, True
            page.append(entry)
    return page, False


def _encode_continue(rv: int, after: ObjKey) -> str:
    raw = json.dumps({"rv": rv, "ns": after[0], "name": after[1]}).encode()
    return base64.urlsafe_b64encode(raw).decode()


def _decode_continue(token: str) -> tuple[int, ObjKey]:
    try:
        data = json.loads(base64.urlsafe_b64decode(token.encode()))
        return int(data["rv"]), (str(data["ns"]), str(data["name"]))
    except (ValueError, KeyError, TypeError, binascii.Error):
        raise errors.bad_request(f"continue key is not valid: {token}") from None
