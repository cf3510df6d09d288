from services.contracts import topics
from services.contracts.catalogue import ResultData
from services.registry.postings.kinds import PostingKind
from services.registry.results.schemas import ResultCreate, ResultPublic

RESULT = PostingKind(
    name="result", collection="results", topic=topics.RESULTS, data_model=ResultData, create=ResultCreate,
    public=ResultPublic, created_event="result.published", updated_event="result.updated",
    closed_event="result.withdrawn", deleted_event="result.deleted", closed_statuses=("withdrawn",),
    allowed_org_kinds=("university", "institute", "firm"),
)
