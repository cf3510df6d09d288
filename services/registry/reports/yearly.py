"""The bureau's yearly report from the ledgers' read models: pure functions, no I/O.

KPIs in the report's words: 技术合同交易额 (registered technology contracts signed in the year), 新增高新技术企业
(high-tech enterprise certificates issued in the year), 专利申请量/授权量 (patents from results, applied for by the
application number's year, granted by grant date), 科技型中小企业 (firms holding the tech-SME qualification that
year). Firms' qualifications are as the registry knows them now.
"""

from typing import Any

from services.registry.ledgers import tables

YEARS_SHOWN = 5


def _growth(value: float, previous: float) -> float | None:
    return round((value - previous) / previous * 100, 1) if previous else None


def _figure(label: str, unit: str, value: float, previous: float) -> dict[str, Any]:
    return {"label": label, "unit": unit, "value": value, "previous": previous, "growth_percent": _growth(value,
                                                                                                         previous)}


def turnover(contracts: list[dict], year: int) -> tuple[float, int]:
    hits = [c for c in contracts if c["category"] == "technology" and c["status"] in tables.REGISTERED
            and c["signed_on"][:4] == str(year)]
    return round(sum(c["amount"] for c in hits), 2), len(hits)


def turnover_by_month(contracts: list[dict], year: int) -> list[float]:
    months = [0.0] * 12
    for c in contracts:
        if c["category"] == "technology" and c["status"] in tables.REGISTERED and c["signed_on"][:4] == str(year):
            months[int(c["signed_on"][5:7]) - 1] += c["amount"]
    return [round(m, 2) for m in months]


def _holding(firms: list[dict], code: str) -> list[dict]:
    return [q for f in firms for q in f.get("qualifications", []) if q["code"] == code]


def new_high_tech(firms: list[dict], year: int) -> int:
    return sum(1 for q in _holding(firms, "high_tech_enterprise") if tables.qualified_year(q) == year)


def tech_smes(firms: list[dict], year: int) -> int:
    return sum(1 for q in _holding(firms, "tech_sme") if tables.qualified_year(q) <= year
               and (q.get("expires_on") is None or int(q["expires_on"][:4]) >= year))


def patents_applied(patents: list[dict], year: int) -> int:
    return sum(1 for p in patents if p.get("applied_year") == year)


def patents_granted(patents: list[dict], year: int) -> int:
    return sum(1 for p in patents if (p.get("granted_on") or "")[:4] == str(year))


def financing(contracts: list[dict], year: int) -> tuple[float, float]:
    hits = [c for c in contracts if c["category"] == "financing" and c["status"] in tables.SIGNED
            and c["signed_on"][:4] == str(year)]
    return (round(sum(c["amount"] for c in hits), 2),
            round(sum(c["amount"] for c in hits if c.get("product_type") == "ip_pledge_loan"), 2))


def yearly(year: int, contracts: list[dict], firms: list[dict], patents: list[dict]) -> dict[str, Any]:
    years = list(range(year - YEARS_SHOWN + 1, year + 1))
    amount, count = turnover(contracts, year)
    previous_amount, previous_count = turnover(contracts, year - 1)
    funds, ip_pledge = financing(contracts, year)
    previous_funds, previous_ip = financing(contracts, year - 1)
    kpis = [
        {"key": "technology_contract_turnover", "name": "技术合同交易额",
         "figures": [_figure("技术合同交易额", "元", amount, previous_amount),
                     _figure("登记技术合同数", "项", count, previous_count)],
         "chart": {"title": f"{year}年技术合同交易额（按月，元）", "labels": [f"{m}月" for m in range(1, 13)],
                   "series": [{"name": "技术合同交易额", "values": turnover_by_month(contracts, year)}]}},
        {"key": "new_high_tech_enterprises", "name": "新增高新技术企业",
         "figures": [_figure("新增高新技术企业", "家", new_high_tech(firms, year), new_high_tech(firms, year - 1))],
         "chart": {"title": "新增高新技术企业（家）", "labels": [str(y) for y in years],
                   "series": [{"name": "新增高新技术企业", "values": [new_high_tech(firms, y) for y in years]}]}},
        {"key": "patents", "name": "专利申请量/授权量",
         "figures": [_figure("专利申请量", "件", patents_applied(patents, year), patents_applied(patents, year - 1)),
                     _figure("专利授权量", "件", patents_granted(patents, year), patents_granted(patents, year - 1))],
         "chart": {"title": "专利申请量/授权量（件）", "labels": [str(y) for y in years],
                   "series": [{"name": "专利申请量", "values": [patents_applied(patents, y) for y in years]},
                              {"name": "专利授权量", "values": [patents_granted(patents, y) for y in years]}]}},
        {"key": "tech_smes", "name": "科技型中小企业",
         "figures": [_figure("科技型中小企业", "家", tech_smes(firms, year), tech_smes(firms, year - 1))],
         "chart": {"title": "科技型中小企业（家）", "labels": [str(y) for y in years],
                   "series": [{"name": "科技型中小企业", "values": [tech_smes(firms, y) for y in years]}]}},
        {"key": "technology_finance", "name": "科技金融",
         "figures": [_figure("融资金额", "元", funds, previous_funds),
                     _figure("其中知识产权质押贷款", "元", ip_pledge, previous_ip)],
         "chart": {"title": "科技金融融资金额（元）", "labels": [str(y) for y in years],
                   "series": [{"name": "融资金额", "values": [financing(contracts, y)[0] for y in years]},
                              {"name": "知识产权质押贷款", "values": [financing(contracts, y)[1] for y in years]}]}},
    ]
    return {"year": year, "title": f"{year}年度科技创新工作统计报告", "kpis": kpis}
