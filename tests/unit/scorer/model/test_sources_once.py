"""Issue 14 point 7: each source counted once (CSAT in sentiment only)."""

from __future__ import annotations

from services.scorer.model import default_model, evaluate
from services.scorer.model.components import sentiment, support
from tests.support.events import T0, days, event
from tests.support.model import fold_all
from tests.unit.scorer.model.test_issue14 import by_time, daily_use

MODEL = default_model()


def test_one_bad_csat_rating_counts_once() -> None:
    """CSAT is a survey answer: it counts in sentiment only, not in support as well."""
    account = by_time(
        [
            *daily_use(0, 28),
            event("payment", "invoice_paid", invoice_id="in0", at=T0),
            event("usage", "nps_response", score=10, at=T0 + days(1)),
            event("ticket", "ticket_opened", ticket_id="t1", at=T0 + days(20)),
            event("ticket", "ticket_closed", ticket_id="t1", at=T0 + days(21)),
        ]
    )
    rating = event("ticket", "csat_rating", score=1, ticket_id="t1", at=T0 + days(21.5))
    without, _ = fold_all(account)
    rated, _ = fold_all(by_time([*account, rating]))
    at = int((T0 + days(22)).timestamp())
    assert support(rated, MODEL.base, at) == support(without, MODEL.base, at)
    assert sentiment(rated, MODEL.base, at).score == 0.6 * 100 + 0.4 * 0
    now = T0 + days(22)
    evaluate(without, MODEL, now)
    evaluate(rated, MODEL, now)
    assert without.score is not None and rated.score is not None
    assert without.score - rated.score == 0.1 * 40  # sentiment's weight x its fall
