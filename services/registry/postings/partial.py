"""A kind's update model, derived from its create model: every field optional, plus `version` and `status`."""

import copy
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, create_model


def update_model(create: type[BaseModel], statuses: tuple[str, ...], examples: list[dict[str, Any]]) -> type[BaseModel]:
    fields: dict[str, Any] = {}
    for name, info in create.model_fields.items():
        if name == "status":
            continue
        optional = copy.copy(info)
        optional.default = None
        optional.default_factory = None
        fields[name] = (info.annotation | None, optional)
    fields["status"] = (Literal[statuses] | None, Field(default=None, description="Move the posting on: "  # type: ignore[valid-type]
                                                        f"{' → '.join(statuses)}; a closed posting is final"))
    fields["version"] = (int | None, Field(default=None, ge=1, description="The version you read; 409 if stale "
                                           "(or send `If-Match`)"))
    name = create.__name__.removesuffix("Create") + "Update"
    config = ConfigDict(extra="forbid", json_schema_extra={"examples": examples})
    model = create_model(name, __config__=config, __doc__="Only the fields you send change.", **fields)
    return model
