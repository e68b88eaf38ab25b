"""The figures run end to end on a small simulation, for the model and both baselines."""

from __future__ import annotations

import orjson
import pytest
from churn_figures import main, run, table
from churn_plan import Config

from services.scorer.backtest.summary import HEADLINE_KEYS as KEYS
from services.scorer.model import default_model


def test_figures_on_a_small_simulation(capsys: pytest.CaptureFixture[str]) -> None:
    config = Config(accounts=60, days=120)
    result = run(config, default_model())
    for figures in (result, *result["baselines"].values()):
        for key in KEYS:
            assert figures[key] is not None, key
        for key in KEYS[:5]:
            assert 0 <= figures[key] <= 1, key
        assert figures["by_segment"].keys() == {"enterprise", "mid_market", "self_serve"}
        assert len(figures["by_pattern"]) == 5
    assert result["baselines"].keys() == {"days_since_usage", "weighted_rules"}
    assert result["auc_account_day_14d"] > 0.5
    assert "per-account AUC, 30 days" in table(result)
    orjson.dumps(result)


def test_the_command_prints_json(capsys: pytest.CaptureFixture[str]) -> None:
    main(["--accounts", "12", "--days", "100", "--json"])
    result = orjson.loads(capsys.readouterr().out)
    assert result["config"] == {"accounts": 12, "days": 100, "seed": Config.seed}
    assert set(KEYS) <= result.keys() and "baselines" in result
