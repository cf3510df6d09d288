"""Translating contract payloads (services.contracts) into the engine's pure domain objects."""

from services.contracts.catalogue import ExpertData, NeedData, OrgData, ProductData, ResultData
from services.matching.domain import Expert, Firm, Need, Posting, Product, Result


def need_from(d: NeedData) -> Need:
    return Need(id=d.id, org_id=d.org_id, version=d.version, title=d.title, description=d.description,
                keywords=tuple(d.keywords), industry_codes=tuple(d.industry_codes), trl_min=d.trl_min,
                trl_max=d.trl_max, budget_min=d.budget_min, budget_max=d.budget_max,
                cooperation_modes=tuple(d.cooperation_modes), region=d.region, status=d.status,
                confidential=d.visibility == "confidential")


def result_from(d: ResultData) -> Result:
    return Result(id=d.id, org_id=d.org_id, version=d.version, title=d.title, abstract=d.abstract,
                  keywords=tuple(d.keywords), discipline=d.discipline, industry_codes=tuple(d.industry_codes),
                  trl=d.trl, patents=tuple((p.number, p.type) for p in d.patents),
                  transfer_modes=tuple(d.transfer_modes), price_min=d.price_min, price_max=d.price_max,
                  region=d.region, status=d.status)


def expert_from(d: ExpertData) -> Expert:
    return Expert(id=d.id, org_id=d.org_id, version=d.version, name=d.name, fields=tuple(d.fields),
                  keywords=tuple(d.keywords), affiliation_org_id=d.affiliation_org_id,
                  is_tech_commissioner=d.is_tech_commissioner, status=d.status)


def product_from(d: ProductData) -> Product:
    return Product(id=d.id, org_id=d.org_id, version=d.version, name=d.name, product_type=d.product_type,
                   amount_min=d.amount_min, amount_max=d.amount_max, rate_min=d.rate_min, rate_max=d.rate_max,
                   term_months=d.term_months, required_qualifications=tuple(d.required_qualifications),
                   min_patents=d.min_patents, min_revenue_band=d.min_revenue_band,
                   min_years_since_founding=d.min_years_since_founding or 0, regions=tuple(d.regions),
                   collateral=d.collateral, status=d.status)


def firm_from(d: OrgData) -> Firm:
    return Firm(id=d.id, kind=d.kind, qualifications=tuple(q.code for q in d.qualifications),
                expiring=tuple((q.code, q.expires_on) for q in d.qualifications if q.expires_on),
                industry_codes=tuple(d.industry_codes), region=d.region, founded_year=d.founded_year,
                revenue_band=d.revenue_band, patents_held=d.patents_held)


POSTING_ADAPTERS = {
    "need": (NeedData, need_from),
    "result": (ResultData, result_from),
    "expert": (ExpertData, expert_from),
    "product": (ProductData, product_from),
}


def posting_from(aggregate: str, data: dict) -> Posting:
    model, adapt = POSTING_ADAPTERS[aggregate]
    return adapt(model.model_validate(data))
