from services.contracts import topics
from services.contracts.catalogue import NeedData
from services.registry.needs.schemas import NeedCreate, NeedPublic
from services.registry.postings.kinds import PostingKind
from services.registry.postings.partial import update_model

STATUSES = ("draft", "open", "closed")

NEED = PostingKind(
    name="need", collection="needs", topic=topics.NEEDS, data_model=NeedData, create=NeedCreate, public=NeedPublic,
    created_event="need.posted", updated_event="need.updated", closed_event="need.closed",
    deleted_event="need.deleted",
    update=update_model(NeedCreate, STATUSES, [{"version": 1, "budget_max": 3000000}, {"status": "closed"}]),
    statuses=STATUSES, closed_statuses=("closed",), text_fields=("title", "keywords", "description"),
)
