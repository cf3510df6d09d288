"""Deal rules, free of I/O: which action is allowed in which status, and amendments as versioned revisions."""

import re
from datetime import date, datetime
from typing import Any, Literal

from services.contracts.deals import category_of
from services.registry.errors import Conflict, Invalid

Action = Literal["draft", "amend", "confirm", "register", "perform", "terminate"]

# (status, action) -> the status after it; technology contracts are registered before they are performed.
TRANSITIONS: dict[tuple[str, str, str], str] = {
    ("technology", "draft", "confirm"): "signed",
    ("technology", "signed", "register"): "registered",
    ("technology", "registered", "perform"): "performed",
    ("financing", "draft", "confirm"): "signed",
    ("financing", "signed", "perform"): "performed",
}
TERMINABLE = ("draft", "signed", "registered")
AMENDABLE = ("draft", "signed", "registered")
AMENDABLE_FIELDS = ("kind", "amount", "signed_on")
EVENT_OF: dict[str, str] = {"draft": "deal.drafted", "amend": "deal.amended", "confirm": "deal.signed",
                            "register": "deal.registered", "perform": "deal.performed",
                            "terminate": "deal.terminated"}
# The deal kind a financing product is granted as (the ledgers count a financing deal by its product);
# leasing and insurance go with any.
KIND_OF_PRODUCT = {"ip_pledge_loan": "loan", "credit_loan": "loan", "equity": "equity", "guarantee": "guarantee"}
REGISTRATION_HINT = ("4-digit year + 6-digit administrative division code + 6-digit serial, "
                     "e.g. 2026430102000123")


def next_status(deal: dict, action: Action) -> str:
    """The status `action` leads to from the deal's status; 409 naming what is possible otherwise."""
    if action == "terminate":
        if deal["status"] in TERMINABLE:
            return "terminated"
        raise Conflict(f"a {deal['status']} deal can no longer be terminated")
    after = TRANSITIONS.get((deal["category"], deal["status"], action))
    if after is None:
        possible = [a for (c, s, a) in TRANSITIONS if c == deal["category"] and s == deal["status"]]
        if action == "register" and deal["category"] == "financing":
            raise Conflict("only technology contracts are registered (技术合同登记); a financing deal is not")
        raise Conflict(f"cannot {action} a {deal['status']} {deal['category']} deal; possible now: "
                       f"{', '.join(possible + (['terminate'] if deal['status'] in TERMINABLE else [])) or 'nothing'}")
    return after


def proposer(deal: dict) -> str:
    """The party that set a draft's current terms: its drafter, or whoever amended it last; the other confirms."""
    terms = [h["by"] for h in deal.get("history", []) if h["action"] in ("draft", "amend")]
    return terms[-1] if terms else deal["drafted_by"]


def product_problem(kind: str, product_type: str | None) -> str | None:
    fits = KIND_OF_PRODUCT.get(product_type or "")
    if fits is None or fits == kind:
        return None
    return f"a {product_type} product is granted as a {fits} deal, not as a {kind}"


def registration_number_problem(number: str, pattern: str) -> str | None:
    if not re.fullmatch(pattern, number):
        return f"{number!r} is not a technology-contract registration number (技术合同登记号): {REGISTRATION_HINT}"
    return None


def signed_on_problem(signed_on: date, today: date) -> str | None:
    return f"{signed_on} is in the future: a deal is recorded once signed" if signed_on > today else None


def revision(deal: dict, action: Action, by: str, at: datetime, changes: dict[str, list[Any]] | None = None) -> dict:
    return {"version": deal["version"], "action": action, "status": deal["status"], "by": by, "at": at,
            "changes": changes or {}}


def advance(deal: dict, action: Action, by: str, at: datetime, **fields: Any) -> dict:
    """The deal after a status change by `by`: new status, version + 1, and the revision recorded."""
    status = next_status(deal, action)
    changed = {k: [deal.get(k), v] for k, v in {"status": status, **fields}.items() if deal.get(k) != v}
    after = {**deal, **fields, "status": status, "version": deal["version"] + 1, "updated_at": at}
    return {**after, "history": [*deal.get("history", []), revision(after, action, by, at, changed)]}


def amend(deal: dict, changes: dict[str, Any], by: str, at: datetime) -> dict | None:
    """The deal with `changes` to kind/amount/signed_on applied as a new version; None when nothing changes."""
    if deal["status"] not in AMENDABLE:
        raise Conflict(f"a {deal['status']} deal can no longer be amended")
    kind = changes.get("kind") or deal["kind"]
    if category_of(kind) != deal["category"]:
        raise Invalid(f"{kind} is not a {deal['category']} deal kind: a {deal['category']} deal stays one "
                      "(terminate it and record a new deal instead)", field="kind")
    if problem := product_problem(kind, deal.get("product_type")):
        raise Invalid(problem, field="kind")
    diff = {k: [deal[k], v] for k, v in changes.items() if k in AMENDABLE_FIELDS and v is not None and deal[k] != v}
    if not diff:
        return None
    after = {**deal, **{k: v for k, (_, v) in diff.items()}, "version": deal["version"] + 1, "updated_at": at}
    return {**after, "history": [*deal.get("history", []), revision(after, "amend", by, at, diff)]}
