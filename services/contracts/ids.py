"""Ids that grow with time: a derived id whose first digits are the creation second of the newest registry id it
names, so that ids made one after another are stored next to each other in a database's indexes instead of at
random places (the embedded database and MongoDB's B-trees alike write fewer pages for them)."""

import re

from services.contracts.envelope import deterministic_id

REGISTRY_ID = re.compile(r"^[a-z]+_([0-9a-f]{8})[0-9a-f]{16}$")  # kind + ObjectId, e.g. `need_6752a3b1…`


def created_second(*ids: object) -> str:
    """The creation second (the 8 hex digits an ObjectId starts with) of the newest of the registry ids among `ids`,
    or "" when none is one."""
    return max((m.group(1) for value in ids if isinstance(value, str) and (m := REGISTRY_ID.match(value))),
               default="")


def time_ordered_id(when: str, *parts: object) -> str:
    """`deterministic_id(*parts)` with its first digits replaced by `when` (`created_second`): as long, derived
    again the same from the same parts and `when`."""
    return when + deterministic_id(*parts)[len(when):]
