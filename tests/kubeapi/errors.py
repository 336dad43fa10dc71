"""``kind: Status`` error bodies, shaped like the real API server's.

Clients branch on ``code`` and ``reason`` (the official client raises ``ApiException(status=...)``,
kubectl prints ``message``), so every failure path goes through :class:`APIError`.
"""

from __future__ import annotations

from typing import Any

REASONS: dict[int, str] = {
    400: "BadRequest",
    401: "Unauthorized",
    403: "Forbidden",
    404: "NotFound",
    405: "MethodNotAllowed",
    409: "Conflict",
    410: "Expired",
    415: "UnsupportedMediaType",
    422: "Invalid",
    429: "TooManyRequests",
    500: "InternalError",
    503: "ServiceUnavailable",
    504: "Timeout",
}


class APIError(Exception):
    """A request failure that the HTTP layer renders as a ``Status`` body."""

    def __init__(
        self,
        code: int,
        message: str,
        reason: str | None = None,
        details: dict[str, Any] | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.reason = reason if reason is not None else REASONS.get(code, "")
        self.details = details
        self.headers = headers or {}

    def status(self) -> dict[str, Any]:
        return status_body(self.code, self.reason, self.message, self.details)


def status_body(
    code: int, reason: str, message: str, details: dict[str, Any] | None = None
) -> dict[str, Any]:
    body: dict[str, Any] = {
        "kind": "Status",
        "apiVersion": "v1",
        "metadata": {},
        "status": "Failure",
        "message": message,
        "reason": reason,
        "code": code,
    }
    if details:
        body["details"] = details
    return body


def _details(group: str, plural: str, name: str | None) -> dict[str, Any]:
    details: dict[str, Any] = {"kind": plural}
    if name:
        details["name"] = name
    if group:
        details["group"] = group
    return details


def qualified(group: str, plural: str) -> str:
    """``backingimages.longhorn.io`` or ``pods``: how the server names a resource in messages."""
    return f"{plural}.{group}" if group else plural


def not_found(group: str, plural: str, name: str) -> APIError:
    return APIError(
        404, f'{qualified(group, plural)} "{name}" not found', details=_details(group, plural, name)
    )


def no_route() -> APIError:
    return APIError(404, "the server could not find the requested resource")


def already_exists(group: str, plural: str, name: str) -> APIError:
    return APIError(
        409,
        f'{qualified(group, plural)} "{name}" already exists',
        reason="AlreadyExists",
        details=_details(group, plural, name),
    )


def conflict(group: str, plural: str, name: str, why: str) -> APIError:
    return APIError(
        409,
        f'Operation cannot be fulfilled on {qualified(group, plural)} "{name}": {why}',
        details=_details(group, plural, name),
    )


def invalid(group: str, plural: str, kind: str, name: str, causes: list[str]) -> APIError:
    what = f"{kind}.{group}" if group else kind
    joined = causes[0] if len(causes) == 1 else f"[{', '.join(causes)}]"
    return APIError(
        422,
        f'{what} "{name}" is invalid: {joined}',
        details={**_details(group, plural, name), "causes": [{"message": c} for c in causes]},
    )


def bad_request(message: str) -> APIError:
    return APIError(400, message)


def gone(message: str) -> APIError:
    return APIError(410, message)
