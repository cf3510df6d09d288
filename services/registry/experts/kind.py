from services.contracts import topics
from services.contracts.catalogue import ExpertData
from services.registry.experts.schemas import ExpertCreate, ExpertPublic
from services.registry.postings.kinds import PostingKind
from services.registry.postings.partial import update_model

STATUSES = ("open",)

EXPERT = PostingKind(
    name="expert", collection="experts", topic=topics.EXPERTS, data_model=ExpertData, create=ExpertCreate,
    public=ExpertPublic, created_event="expert.registered", updated_event="expert.updated",
    closed_event="expert.deleted", deleted_event="expert.deleted",
    update=update_model(ExpertCreate, STATUSES, [{"version": 1, "keywords": ["育种", "耐高温"]}]),
    statuses=STATUSES, closed_statuses=(), text_fields=("name", "fields", "keywords"), region_field=None,
    industry_field=None, owner_fields=("affiliation_org_id",),
)
