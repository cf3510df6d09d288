"""Shared wording for human-readable, Chinese-friendly match explanations."""

from services.matching.domain import Component

MODE_NAMES: dict[str, str] = {
    "transfer": "转让",
    "licence": "许可",
    "joint_development": "合作开发",
    "commissioned_rnd": "委托开发",
    "equity": "作价入股",
}
QUALIFICATION_NAMES: dict[str, str] = {
    "high_tech_enterprise": "高新技术企业",
    "tech_little_giant": "专精特新“小巨人”",
    "tech_sme": "科技型中小企业",
    "ip_demonstration": "知识产权示范企业",
}
PRODUCT_TYPE_NAMES: dict[str, str] = {
    "ip_pledge_loan": "知识产权质押贷款",
    "credit_loan": "信用贷款",
    "equity": "股权投资",
    "guarantee": "融资担保",
    "leasing": "融资租赁",
    "insurance": "科技保险",
}


def listing(items: list[str] | tuple[str, ...], limit: int = 6) -> str:
    """``水稻, 育种`` — at most ``limit`` items, then ``等``."""
    shown = ", ".join(items[:limit])
    return shown + (" 等" if len(items) > limit else "")


def money(amount: float) -> str:
    """CNY in the units people use: 5000元, 50万元, 1.2亿元."""
    if amount >= 1e8:
        return f"{amount / 1e8:.4g}亿元"
    if amount >= 1e4:
        return f"{amount / 1e4:.4g}万元"
    return f"{amount:.0f}元"


def money_range(low: float | None, high: float | None) -> str:
    if low is not None and high is not None and low != high:
        return f"{money(low).removesuffix('万元').removesuffix('亿元').removesuffix('元')}–{money(high)}"
    value = high if high is not None else low
    return money(value) if value is not None else "未标价"


def span(low: int | None, high: int | None) -> str:
    return f"{low if low is not None else 1}–{high if high is not None else 9}"


def clipped(score: float) -> float:
    """A component score as reported: clipped to [0,1] (NaN → 0), four decimals."""
    if not score > 0.0:
        return 0.0
    return 1.0 if score >= 1.0 else round(score, 4)


def component(name: str, score: float, explanation: str) -> Component:
    """A component with its score clipped to [0,1]; the engine fills in the weight."""
    return Component(name=name, score=clipped(score), weight=0.0, explanation=explanation)


def modes(items: tuple[str, ...] | list[str]) -> str:
    return "、".join(MODE_NAMES.get(item, item) for item in items)
