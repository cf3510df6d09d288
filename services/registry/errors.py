"""Domain errors that carry their HTTP status; one handler turns them into JSON responses."""

from fastapi import Request
from fastapi.responses import JSONResponse


class DomainError(Exception):
    status_code = 400
    code = "bad_request"

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field


class Unauthorized(DomainError):
    status_code = 401
    code = "unauthorized"


class Forbidden(DomainError):
    status_code = 403
    code = "forbidden"


class NotFound(DomainError):
    status_code = 404
    code = "not_found"


class Conflict(DomainError):
    status_code = 409
    code = "conflict"


class Invalid(DomainError):
    status_code = 422
    code = "invalid"


async def handle_domain_error(_: Request, error: Exception) -> JSONResponse:
    assert isinstance(error, DomainError)
    body: dict = {"error": error.code, "detail": error.message}
    if error.field:
        body["field"] = error.field
    if isinstance(error, Invalid):  # the same shape as a request that fails schema validation
        field = error.field or "request body"
        body = {"error": error.code, "message": f"{field}: {error.message}", "field": field,
                "detail": [{"loc": ["body", *field.split(".")], "field": field, "msg": error.message,
                            "type": "invalid"}]}
    headers = {"WWW-Authenticate": "Bearer"} if isinstance(error, Unauthorized) else None
    return JSONResponse(body, status_code=error.status_code, headers=headers)
