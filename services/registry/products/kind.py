from services.contracts import topics
from services.contracts.catalogue import ProductData
from services.registry.postings.kinds import PostingKind
from services.registry.postings.partial import update_model
from services.registry.products.schemas import ProductCreate, ProductPublic

STATUSES = ("draft", "open", "withdrawn")

PRODUCT = PostingKind(
    name="product", collection="products", topic=topics.PRODUCTS, data_model=ProductData, create=ProductCreate,
    public=ProductPublic, created_event="product.listed", updated_event="product.updated",
    closed_event="product.withdrawn", deleted_event="product.deleted",
    update=update_model(ProductCreate, STATUSES, [{"version": 1, "rate_min": 3.0}, {"status": "withdrawn"}]),
    statuses=STATUSES, closed_statuses=("withdrawn",), allowed_org_kinds=("financier",),
    text_fields=("name", "collateral"), kind_field="product_type", region_field="regions", industry_field=None,
)
