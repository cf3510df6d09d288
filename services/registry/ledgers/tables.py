"""The ledgers as tables, computed from read-model rows: pure functions, no I/O.

A table has Chinese column headers, its rows and a totals row; JSON, CSV and XLSX all render the same table.
Periods are inclusive ISO dates (`from`, `to`); `by` groups contract turnover and the funnel.
"""

from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date
from typing import Any, Literal

from services.registry.ledgers import labels

SIGNED = ("signed", "registered", "performed")
REGISTERED = ("registered", "performed")
WARNING_DAYS = 90
Grouping = Literal["month", "quarter", "year", "kind", "party_type", "summit"]
STAGES = ("proposed", "viewed", "accepted", "meeting", "deal", "registered")


@dataclass
class Table:
    name: str
    title: str
    columns: list[tuple[str, str]]  # (key, Chinese header)
    rows: list[dict[str, Any]]
    totals: dict[str, Any]
    extra: dict[str, Any] = field(default_factory=dict)

    def as_json(self, since: str | None, until: str | None) -> dict[str, Any]:
        return {"name": self.name, "title": self.title, "from": since, "to": until,
                "columns": [{"key": k, "header": h} for k, h in self.columns], "rows": self.rows,
                "totals": self.totals, **self.extra}


def period_of(day: str, by: str) -> str:
    """`2026-05-17` → `2026-05` (month), `2026-Q2` (quarter) or `2026` (year)."""
    if by == "month":
        return day[:7]
    if by == "quarter":
        return f"{day[:4]}-Q{(int(day[5:7]) - 1) // 3 + 1}"
    return day[:4]


def in_period(day: str | None, since: str | None, until: str | None) -> bool:
    return day is not None and (since is None or day >= since) and (until is None or day <= until)


def _money(value: float) -> float:
    return round(value + 0.0, 2)


def party_type(kinds: Iterable[str]) -> str:
    return "—".join(labels.ORG_KIND.get(k, k) for k in sorted(kinds))


def _grouper(by: Grouping) -> Callable[[dict], tuple[str, str]]:
    if by in ("month", "quarter", "year"):
        return lambda r: (period_of(r["signed_on"], by),) * 2
    if by == "kind":
        return lambda r: (r["kind"], labels.DEAL_KIND[r["kind"]])
    if by == "party_type":
        return lambda r: ("+".join(sorted(r["party_kinds"])), party_type(r["party_kinds"]))
    return lambda r: (r.get("summit_id") or "", r.get("summit_id") or labels.NO_SUMMIT)


def contract_turnover(rows: list[dict], since: str | None, until: str | None, by: Grouping = "month") -> Table:
    """技术合同交易额: signed technology contracts (and which were registered) by period, kind, party type, summit."""
    key_of = _grouper(by)
    groups: dict[str, dict[str, Any]] = {}
    for row in rows:
        if row["category"] != "technology" or row["status"] not in SIGNED or not in_period(row["signed_on"], since,
                                                                                          until):
            continue
        key, label = key_of(row)
        g = groups.setdefault(key, {"group": key, "label": label, "signed_count": 0, "signed_amount": 0.0,
                                    "registered_count": 0, "registered_amount": 0.0})
        g["signed_count"] += 1
        g["signed_amount"] += row["amount"]
        if row["status"] in REGISTERED:
            g["registered_count"] += 1
            g["registered_amount"] += row["amount"]
    out = [{**g, "signed_amount": _money(g["signed_amount"]), "registered_amount": _money(g["registered_amount"])}
           for _, g in sorted(groups.items())]
    totals = {"group": "合计", "label": "合计", **{k: sum(r[k] for r in out) for k in (
        "signed_count", "registered_count")}, **{k: _money(sum(r[k] for r in out)) for k in (
            "signed_amount", "registered_amount")}}
    columns = [("group", "分组代码"), ("label", {"month": "月份", "quarter": "季度", "year": "年度", "kind": "合同类型",
                                                "party_type": "当事方类型", "summit": "对接会"}[by]),
               ("signed_count", "签订合同数"), ("signed_amount", "签订金额（元）"),
               ("registered_count", "登记合同数"), ("registered_amount", "技术合同交易额（元）")]
    return Table("contract-turnover", "技术合同交易额台账", columns, out, totals, {"by": by})


def certificate_state(expires_on: str | None, as_of: date) -> tuple[str, int | None]:
    if expires_on is None:
        return "valid", None
    days = (date.fromisoformat(expires_on) - as_of).days
    return ("expired" if days < 0 else "expiring" if days <= WARNING_DAYS else "valid"), days


def qualified_year(q: dict) -> int:
    """The year a qualification was gained: from its certificate number, else when the platform first saw it."""
    return q.get("certified_year") or int(q["since"][:4])


def firms(rows: list[dict], since: str | None, until: str | None, as_of: date) -> Table:
    """Firms by qualification with certificate-expiry warnings; `from`/`to` select the year gained."""
    out = []
    for firm in rows:
        for q in firm.get("qualifications", []):
            year = str(qualified_year(q))
            if (since and year < since[:4]) or (until and year > until[:4]):
                continue
            state, days = certificate_state(q.get("expires_on"), as_of)
            out.append({"org_id": firm["_id"], "name": firm["name"], "region": firm.get("region"),
                        "qualification": q["code"], "qualification_label": labels.QUALIFICATION[q["code"]],
                        "certificate_no": q.get("certificate_no"), "qualified_year": int(year),
                        "expires_on": q.get("expires_on"), "days_left": days, "state": state,
                        "state_label": labels.CERTIFICATE_STATE[state]})
    out.sort(key=lambda r: (r["qualification"], r["name"], r["org_id"]))
    counts = defaultdict(int)
    for r in out:
        counts[r["state"]] += 1
    by_code = {code: sum(1 for r in out if r["qualification"] == code) for code in labels.QUALIFICATION}
    totals = {"org_id": "合计", "name": f"{len({r['org_id'] for r in out})} 家企业", "qualification_label":
              f"{len(out)} 项资质", "state_label": f"90天内到期 {counts['expiring']} / 已过期 {counts['expired']}"}
    columns = [("org_id", "机构编号"), ("name", "企业名称"), ("region", "行政区划"), ("qualification_label", "资质"),
               ("certificate_no", "证书编号"), ("qualified_year", "认定年度"), ("expires_on", "有效期至"),
               ("days_left", "剩余天数"), ("state_label", "状态")]
    extra = {"as_of": as_of.isoformat(), "by_qualification": by_code, "expiring": counts["expiring"],
             "expired": counts["expired"], "warnings": [r for r in out if r["state"] != "valid"]}
    return Table("firms", "企业资质台账", columns, out, totals, extra)


def patents(rows: list[dict], since: str | None, until: str | None) -> Table:
    """Patents from results by type: applications filed (by the number's year) and grants (by grant date)."""
    first, last = (since or "0000")[:4], (until or "9999")[:4]
    out = []
    for code, label in labels.PATENT_TYPE.items():
        of_type = [r for r in rows if r["type"] == code]
        applied = sum(1 for r in of_type if r.get("applied_year") and first <= str(r["applied_year"]) <= last)
        granted = sum(1 for r in of_type if in_period(r.get("granted_on"), since, until))
        out.append({"type": code, "label": label, "applied": applied, "granted": granted})
    totals = {"type": "合计", "label": "合计", "applied": sum(r["applied"] for r in out),
              "granted": sum(r["granted"] for r in out)}
    columns = [("type", "类型代码"), ("label", "专利类型"), ("applied", "专利申请量"), ("granted", "专利授权量")]
    return Table("patents", "专利台账", columns, out, totals)


def financing_line(row: dict) -> str:
    return row.get("product_type") or ("loan" if row["kind"] == "loan" else row["kind"])


def financing(rows: list[dict], since: str | None, until: str | None) -> Table:
    """Financing granted (signed or later) by product type; IP-pledge loans always on their own line."""
    groups: dict[str, dict[str, Any]] = {"ip_pledge_loan": {"count": 0, "amount": 0.0}}
    for row in rows:
        if row["category"] != "financing" or row["status"] not in SIGNED or not in_period(row["signed_on"], since,
                                                                                          until):
            continue
        g = groups.setdefault(financing_line(row), {"count": 0, "amount": 0.0})
        g["count"] += 1
        g["amount"] += row["amount"]
    order = list(labels.FINANCING_LINE)
    out = [{"line": line, "label": labels.FINANCING_LINE[line], "count": g["count"], "amount": _money(g["amount"])}
           for line, g in sorted(groups.items(), key=lambda kv: order.index(kv[0]))]
    totals = {"line": "合计", "label": "合计", "count": sum(r["count"] for r in out),
              "amount": _money(sum(r["amount"] for r in out))}
    columns = [("line", "类型代码"), ("label", "融资类型"), ("count", "笔数"), ("amount", "融资金额（元）")]
    return Table("financing", "科技金融台账", columns, out, totals)


def stages_reached(match: dict, deals: list[dict]) -> dict[str, bool]:
    """Each stage counts the matches that reached at least it (a deal implies the match was viewed and so on).

    viewed: a party answered the match (accept or decline); accepted: both parties accepted; meeting: a summit
    meeting between them was agreed; deal: a deal from it was signed; registered: that deal was registered.
    """
    decisions = match.get("decisions", {})
    reached = {
        "proposed": True,
        "viewed": bool(decisions),
        "accepted": bool(match.get("org_ids")) and all(
            decisions.get(o, {}).get("decision") == "accepted" for o in match["org_ids"]),
        "meeting": bool(match.get("meetings")),
        "deal": any(d["status"] in SIGNED for d in deals),
        "registered": any(d["status"] in REGISTERED for d in deals),
    }
    for i in range(len(STAGES) - 2, -1, -1):
        reached[STAGES[i]] = reached[STAGES[i]] or reached[STAGES[i + 1]]
    return reached


def funnel(matches: list[dict], deals: list[dict], since: str | None, until: str | None,
           by: Grouping = "month") -> Table:
    """The match funnel per summit and per period of proposal: proposed → viewed → accepted → meeting → deal →
    registered."""
    period_by = by if by in ("month", "quarter", "year") else "month"
    deals_of: dict[str, list[dict]] = defaultdict(list)
    for d in deals:
        if d.get("match_id"):
            deals_of[d["match_id"]].append(d)
    groups: dict[tuple[str, str], dict[str, Any]] = {}
    for m in matches:
        if not in_period(m.get("proposed_on"), since, until):
            continue
        key = (m.get("summit_id") or "", period_of(m["proposed_on"], period_by))
        g = groups.setdefault(key, {"summit": key[0] or labels.NO_SUMMIT, "period": key[1],
                                    **dict.fromkeys(STAGES, 0)})
        for stage, hit in stages_reached(m, deals_of[m["_id"]]).items():
            g[stage] += int(hit)
    out = [g for _, g in sorted(groups.items())]
    totals = {"summit": "合计", "period": "", **{s: sum(r[s] for r in out) for s in STAGES}}
    columns = [("summit", "对接会"), ("period", "期间"), ("proposed", "推荐对接"), ("viewed", "已查看"),
               ("accepted", "双方接受"), ("meeting", "会谈"), ("deal", "签约"), ("registered", "登记")]
    return Table("funnel", "对接转化漏斗", columns, out, totals, {"by": period_by})
