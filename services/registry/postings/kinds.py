"""What differs between needs, results, products and experts; everything else about postings is shared."""

from dataclasses import dataclass

from pydantic import BaseModel


@dataclass(frozen=True)
class PostingKind:
    name: str                      # "need"
    collection: str                # "needs"
    topic: str                     # registry.needs.v1
    data_model: type[BaseModel]    # the contract model of its events
    create: type[BaseModel]
    public: type[BaseModel]
    created_event: str             # "need.posted"
    updated_event: str
    closed_event: str
    deleted_event: str
    open_status: str = "open"
    closed_statuses: tuple[str, ...] = ("closed",)
    allowed_org_kinds: tuple[str, ...] | None = None

    @property
    def id_prefix(self) -> str:
        return self.name
