"""Issue 14 point 9: key features are matched by names or patterns from the model file, so the
names tracking plans send (Segment's `report_created`, `Dashboard Viewed`) count, and each
account's breadth says which key features it uses."""

from __future__ import annotations

from datetime import datetime

import pytest
from segment.analytics import Client

from schemas import Event
from services.ingest.segment import translate
from services.scorer.model import ModelFileError, default_model
from services.scorer.model.components import Part, usage
from services.scorer.model.config import parse_model
from tests.support.events import T0, days, event
from tests.support.model import DEFAULT_TOML, fold_all

ONBOARDING = default_model().spec_for(None, "onboarding")
BASE = default_model().base


def at(n_days: float) -> int:
    return int((T0 + days(n_days)).timestamp())


def breadth(part: Part) -> tuple[float, str]:
    found = next(s for s in part.signals if s.code == "usage.breadth")
    return found.score, found.message


def segment_track(name: str, when: datetime) -> Event:
    """The usage event ingest makes of a Segment track call named `name`."""
    _, message = Client("write-key", send=False).track(
        "u1", name, {}, context={"groupId": "acct-1"}, timestamp=when
    )
    [made] = translate(
        dict(message), received_at=when, account_property="account_id", account_of_user={}.get
    ).events
    return made


@pytest.mark.parametrize(
    "feature",
    ["report_created", "report_viewed", "reports", "data_exported", "dashboard_viewed",
     "Dashboard Viewed", "integration_connected", "slack_connected", "api_call", "api_key_created",
     "api"],
)  # fmt: skip
def test_tracking_plan_names_reach_first_value_with_the_default_model(feature: str) -> None:
    state, _ = fold_all(
        [
            event("usage", "active", user_id="u1", at=T0),
            event("usage", "feature_used", user_id="u1", feature=feature, at=T0 + days(1)),
        ]
    )
    part = usage(state, ONBOARDING, at(12))
    assert part.score == 100 and part.signals[0].message == "reached first value in 1 days"


@pytest.mark.parametrize("name", ["Report Created", "Dashboard Viewed", "API Call"])
def test_a_segment_track_call_of_a_key_feature_counts(name: str) -> None:
    state, _ = fold_all(
        [event("usage", "active", user_id="u1", at=T0), segment_track(name, T0 + days(2))]
    )
    assert usage(state, ONBOARDING, at(12)).score == 100


@pytest.mark.parametrize("feature", ["settings_changed", "search", "user_invited", "reporter"])
def test_other_features_are_not_first_value(feature: str) -> None:
    state, _ = fold_all(
        [
            event("usage", "active", user_id="u1", at=T0),
            event("usage", "feature_used", user_id="u1", feature=feature, at=T0 + days(1)),
        ]
    )
    late = usage(state, ONBOARDING, at(12))
    assert late.score is not None and late.score < 50


def test_breadth_says_which_key_features_the_account_uses() -> None:
    use = [
        event("usage", "active", user_id="u1", at=T0 + days(d)) for d in range(14)
    ] + [
        event("usage", "feature_used", user_id="u1", feature=f, at=T0 + days(13))
        for f in ("dashboard_viewed", "report_created", "report_exported", "settings_changed")
    ]  # fmt: skip
    state, _ = fold_all(use)
    assert breadth(usage(state, BASE, at(13))) == (
        100.0,
        "uses 2 of 4 key features (reports, dashboards)",
    )
    state, _ = fold_all([*use[:14], use[14], use[-1]])
    assert breadth(usage(state, BASE, at(13))) == (50.0, "uses 1 of 4 key features (dashboards)")


def test_a_plain_list_still_means_exact_names() -> None:
    text = DEFAULT_TOML.replace(
        DEFAULT_TOML[
            DEFAULT_TOML.index("[base.usage.key_features]") : DEFAULT_TOML.index("[base.support]")
        ],
        "",
    ).replace("[base.usage]\n", '[base.usage]\nkey_features = ["reports", "Saved Views"]\n')
    spec = parse_model(text).spec_for(None, "onboarding")
    for feature, counts in (("reports", True), ("report_created", False), ("saved_views", True),
                            ("Saved Views", True), ("saved_views_opened", False)):  # fmt: skip
        state, _ = fold_all(
            [
                event("usage", "active", user_id="u1", at=T0),
                event("usage", "feature_used", user_id="u1", feature=feature, at=T0 + days(1)),
            ],
            model=parse_model(text),
        )
        assert (usage(state, spec, at(12)).score == 100) is counts, feature


@pytest.mark.parametrize(
    ("table", "error"),
    [
        ("reports = []", "key feature 'reports' has no patterns"),
        ('reports = [""]', "key feature 'reports': empty pattern"),
        ('reports = ["*"]', "key feature 'reports': pattern '*' matches every feature"),
        ('reports = ["report[s]"]', "key feature 'reports': pattern 'report[s]' has '['"),
        ('Reports = ["report"]\nreports = ["reports"]', "key features 'Reports' and 'reports'"),
    ],
)
def test_bad_key_feature_patterns_are_clear_errors(table: str, error: str) -> None:
    text = DEFAULT_TOML.replace(
        DEFAULT_TOML[
            DEFAULT_TOML.index("[base.usage.key_features]") : DEFAULT_TOML.index("[base.support]")
        ],
        f"[base.usage.key_features]\n{table}\n\n",
    )
    with pytest.raises(ModelFileError) as caught:
        parse_model(text)
    assert "base.usage.key_features" in str(caught.value) and error in str(caught.value)
