"""Errors as HTTP answers: a gRPC status becomes the HTTP code an HTTP/JSON gateway gives it
(Google's mapping, as grpc-gateway and Temporal's HTTP API use), the message unchanged."""
from __future__ import annotations

import grpc
from fastapi.responses import JSONResponse

HTTP_STATUS = {
    grpc.StatusCode.INVALID_ARGUMENT: 400,
    grpc.StatusCode.FAILED_PRECONDITION: 400,
    grpc.StatusCode.OUT_OF_RANGE: 400,
    grpc.StatusCode.UNAUTHENTICATED: 401,
    grpc.StatusCode.PERMISSION_DENIED: 403,
    grpc.StatusCode.NOT_FOUND: 404,
    grpc.StatusCode.ALREADY_EXISTS: 409,
    grpc.StatusCode.ABORTED: 409,
    grpc.StatusCode.RESOURCE_EXHAUSTED: 429,
    grpc.StatusCode.CANCELLED: 499,
    grpc.StatusCode.UNKNOWN: 500,
    grpc.StatusCode.INTERNAL: 500,
    grpc.StatusCode.DATA_LOSS: 500,
    grpc.StatusCode.UNIMPLEMENTED: 501,
    grpc.StatusCode.UNAVAILABLE: 503,
    grpc.StatusCode.DEADLINE_EXCEEDED: 504,
}
CODE_OF_HTTP = {400: "INVALID_ARGUMENT", 401: "UNAUTHENTICATED", 403: "PERMISSION_DENIED", 404: "NOT_FOUND", 405: "UNIMPLEMENTED",
                409: "ALREADY_EXISTS", 415: "INVALID_ARGUMENT", 421: "PERMISSION_DENIED", 422: "INVALID_ARGUMENT"}


def error_response(status: int, code: str, message: str, field: str | None = None, headers: dict | None = None) -> JSONResponse:
    body = {"code": code, "message": message}
    if field:
        body["field"] = field
    return JSONResponse(body, status_code=status, headers=headers)


def upstream_response(exc) -> JSONResponse:
    """An UpstreamError (webui.cluster) as the API's answer."""
    headers = {"Retry-After": str(max(1, round(exc.retry_after)))} if exc.retry_after else None
    return error_response(HTTP_STATUS.get(exc.code, 500), exc.code.name, exc.message, headers=headers)


def validation_message(errors: list[dict]) -> tuple[str, str]:
    """FastAPI's validation errors as one message that names the field, and that field."""
    first = errors[0]
    loc = [str(part) for part in first.get("loc", ())]
    if first.get("type") == "json_invalid":
        return f"the request body is not valid JSON: {first.get('ctx', {}).get('error', first.get('msg'))}", "body"
    where = ".".join(loc[1:]) if loc and loc[0] in ("body", "query", "path") and len(loc) > 1 else ".".join(loc)
    field = where or "body"
    messages = [f"{'.'.join(str(p) for p in e.get('loc', ())[1:]) or 'body'}: {e.get('msg')}" for e in errors[:5]]
    return "bad request: " + "; ".join(messages), field
