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
    closed_event: str              # emitted when the status enters one of closed_statuses
    deleted_event: str
    update: type[BaseModel]        # built from `create` by postings.partial.update_model
    open_status: str = "open"
    statuses: tuple[str, ...] = ("draft", "open", "closed")
    closed_statuses: tuple[str, ...] = ("closed",)
    allowed_org_kinds: tuple[str, ...] | None = None
    text_fields: tuple[str, ...] = ("title", "keywords")
    kind_field: str = "org_kind"            # what `?kind=` filters on
    region_field: str | None = "region"
    industry_field: str | None = "industry_codes"
    owner_fields: tuple[str, ...] = ()       # fields that default to the posting organisation's id

    @property
    def id_prefix(self) -> str:
        return self.name

    def transition_allowed(self, old: str, new: str) -> bool:
        """draft → open → closed/withdrawn; a closed posting is final; draft may also close directly."""
        if old == new:
            return True
        if old in self.closed_statuses:
            return False
        return not (old == self.open_status and new == "draft")
