from services.contracts import topics
from services.contracts.catalogue import NeedData
from services.registry.needs.schemas import NeedCreate, NeedPublic
from services.registry.postings.kinds import PostingKind

NEED = PostingKind(
    name="need", collection="needs", topic=topics.NEEDS, data_model=NeedData, create=NeedCreate, public=NeedPublic,
    created_event="need.posted", updated_event="need.updated", closed_event="need.closed",
    deleted_event="need.deleted", closed_statuses=("closed",),
)
