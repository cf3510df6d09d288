"""Every validation error is a 422 that names the field path and says what is wrong in plain words.

Shape: `{"error": "invalid", "message": "trl_min: must be at most 9", "detail": [{"loc": [...], "field":
"trl_min", "msg": "must be at most 9", "type": "less_than_equal"}]}` — `detail` keeps FastAPI's `loc` so
clients written against the default shape keep working.
"""

import re
from collections.abc import Iterable, Sequence
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ValidationError

SOURCES = {"body": "", "query": "query parameter ", "header": "header ", "path": "path parameter ",
           "cookie": "cookie "}
PLAIN = [
    (re.compile(r"^Value error, "), ""),
    (re.compile(r"^Assertion failed, "), ""),
    (re.compile(r"^Field required$"), "is required"),
    (re.compile(r"^Extra inputs are not permitted$"), "is not a known field (check its spelling)"),
    (re.compile(r"^Input should be less than or equal to (.+)$"), r"must be at most \1"),
    (re.compile(r"^Input should be greater than or equal to (.+)$"), r"must be at least \1"),
    (re.compile(r"^Input should be less than (.+)$"), r"must be less than \1"),
    (re.compile(r"^Input should be greater than (.+)$"), r"must be greater than \1"),
    (re.compile(r"^Input should be (.+)$"), r"must be \1"),
    (re.compile(r"^String should have at most (\d+) characters?$"), r"must be at most \1 characters long"),
    (re.compile(r"^String should have at least (\d+) characters?$"), r"must be at least \1 characters long"),
    (re.compile(r"^List should have at most (\d+) items?.*$"), r"must have at most \1 items"),
    (re.compile(r"^List should have at least (\d+) items?.*$"), r"must have at least \1 items"),
]


def field_path(loc: Sequence[Any]) -> str:
    """`("body", "patents", 0, "number")` → `patents[0].number`; query/header sources are named."""
    parts = list(loc)
    prefix = ""
    if parts and parts[0] in SOURCES:
        prefix = SOURCES[parts.pop(0)]
    out = ""
    for part in parts:
        if isinstance(part, int):
            out += f"[{part}]"
        elif str(part).startswith("function-") or str(part) in ("json-or-python[json=...]",):
            continue
        else:
            out += f".{part}" if out else str(part)
    return prefix + (out or "request body")


def plain(message: str) -> str:
    for pattern, replacement in PLAIN:
        if pattern.search(message):
            return pattern.sub(replacement, message)
    return message


def describe(errors: Iterable[dict[str, Any]], prefix: Sequence[Any] = ()) -> list[dict[str, Any]]:
    out = []
    for error in errors:
        loc = [*prefix, *error.get("loc", ())]
        out.append({"loc": loc, "field": field_path(loc), "msg": plain(str(error.get("msg", ""))),
                    "type": error.get("type", "invalid")})
    return out


def invalid_response(details: list[dict[str, Any]]) -> JSONResponse:
    message = "; ".join(f"{d['field']}: {d['msg']}" for d in details) or "the request is invalid"
    return JSONResponse({"error": "invalid", "message": message, "detail": details}, status_code=422)


async def handle_request_validation(_: Request, error: Exception) -> JSONResponse:
    assert isinstance(error, RequestValidationError)
    return invalid_response(describe(error.errors()))


class BodyInvalid(Exception):
    """Raised by a service that validates a body it assembled itself (a PATCH merged onto the current state)."""

    def __init__(self, error: ValidationError) -> None:
        super().__init__(str(error))
        self.details = describe(error.errors(include_url=False), prefix=("body",))


def check[M: BaseModel](model: type[M], data: dict[str, Any]) -> M:
    """Validate `data` as `model`; failures become a 422 naming the body's fields."""
    try:
        return model.model_validate(data)
    except ValidationError as error:
        raise BodyInvalid(error) from error


async def handle_body_invalid(_: Request, error: Exception) -> JSONResponse:
    assert isinstance(error, BodyInvalid)
    return invalid_response(error.details)


def install(app: FastAPI) -> None:
    app.add_exception_handler(RequestValidationError, handle_request_validation)
    app.add_exception_handler(BodyInvalid, handle_body_invalid)
