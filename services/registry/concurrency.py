"""Optimistic concurrency: a change names the version it was based on, by `If-Match` or a body `version`."""

import re
from typing import Annotated

from fastapi import Header

from services.registry.errors import Conflict, Invalid

ETAG = re.compile(r'^\s*(?:W/)?"?([0-9]{1,18})"?\s*$')  # ASCII digits, within a stored integer

IfMatch = Annotated[str | None, Header(alias="If-Match", description='The version you read, e.g. `"3"` (its ETag); '
                                       "a change to a newer version is refused with 409", examples=['"1"'])]


def etag(version: int) -> str:
    return f'"{version}"'


def expected_version(if_match: str | None, body_version: int | None) -> int | None:
    """The version the caller based its change on, or None when it named none (last write wins)."""
    header_version: int | None = None
    if if_match is not None and if_match.strip() != "*":
        match = ETAG.match(if_match)
        if not match:
            raise Invalid('must be a version number such as "3"', field="header If-Match")
        header_version = int(match.group(1))
    if header_version is not None and body_version is not None and header_version != body_version:
        raise Invalid(f"If-Match names version {header_version} but the body says {body_version}", field="version")
    return header_version if header_version is not None else body_version


def ensure_current(expected: int | None, current: int, what: str) -> None:
    if expected is not None and expected != current:
        raise Conflict(f"{what} is at version {current}, not {expected}: read it again and reapply your change")
