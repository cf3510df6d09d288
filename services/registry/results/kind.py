from services.contracts import topics
from services.contracts.catalogue import ResultData
from services.registry.postings.kinds import PostingKind
from services.registry.postings.partial import update_model
from services.registry.results.schemas import ResultCreate, ResultPublic

STATUSES = ("draft", "open", "withdrawn")

RESULT = PostingKind(
    name="result", collection="results", topic=topics.RESULTS, data_model=ResultData, create=ResultCreate,
    public=ResultPublic, created_event="result.published", updated_event="result.updated",
    closed_event="result.withdrawn", deleted_event="result.deleted",
    update=update_model(ResultCreate, STATUSES, [{"version": 1, "trl": 7}, {"status": "withdrawn"}]),
    statuses=STATUSES, closed_statuses=("withdrawn",), allowed_org_kinds=("university", "institute", "firm"),
    text_fields=("title", "keywords", "abstract"),
)
