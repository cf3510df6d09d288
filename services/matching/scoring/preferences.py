"""How an organisation's declines shape its later matches (simple, deterministic, cumulative).

* every reason: the declined pair is blocked for good, in both directions;
* ``not_relevant``: the terms the two postings shared weigh half as much for that organisation
  (floor 0.1), both in its own postings' queries and when its postings are candidates;
* ``too_early_stage``: the organisation's TRL floor rises to one above the declined result's TRL
  (or one above the need's own minimum); results below the floor are no longer proposed to it;
* ``too_expensive``: its price cap becomes the declined result's asking price — results asking as
  much or more are no longer proposed — and its budget tolerance halves (steeper price penalty);
* ``already_solved``: the need gets no further proposals until a new version is posted;
* ``other``: only the block.
"""

from dataclasses import dataclass, field

PENALTY_FACTOR = 0.5
PENALTY_FLOOR = 0.1


@dataclass
class OrgPreferences:
    term_weights: dict[str, float] = field(default_factory=dict)
    trl_floor: int | None = None
    price_cap: float | None = None
    budget_tolerance: float = 1.0

    def penalise_terms(self, terms: list[str]) -> None:
        for term in terms:
            self.term_weights[term] = max(PENALTY_FLOOR, self.term_weights.get(term, 1.0) * PENALTY_FACTOR)

    def raise_trl_floor(self, floor: int) -> None:
        self.trl_floor = min(9, max(self.trl_floor or 1, floor))

    def cap_price(self, price: float) -> None:
        self.price_cap = price if self.price_cap is None else min(self.price_cap, price)
        self.budget_tolerance *= 0.5

    def weigh(self, terms: dict[str, float]) -> dict[str, float]:
        if not self.term_weights:
            return terms
        return {term: weight * self.term_weights.get(term, 1.0) for term, weight in terms.items()}

    def allows(self, trl: int | None, price_min: float | None) -> bool:
        if self.trl_floor is not None and trl is not None and trl < self.trl_floor:
            return False
        return not (self.price_cap is not None and price_min is not None and price_min >= self.price_cap)
