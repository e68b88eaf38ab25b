"""API key scopes and secrets, without a database."""

from __future__ import annotations

import pytest

from services.web.api_keys import Caller, ScopeError, check_scopes, hash_secret


def test_a_scope_is_granted_directly_by_its_family_wildcard_or_by_everything() -> None:
    usage_only = Caller("k", frozenset({"events:usage"}))
    assert usage_only.allows("events:usage")
    assert not usage_only.allows("events:ticket")
    assert not usage_only.allows("accounts:write")
    assert Caller("k", frozenset({"events:*"})).allows("events:payment")
    assert not Caller("k", frozenset({"events:*"})).allows("alerts:read")
    assert Caller("k", frozenset({"*"})).allows("alerts:write")


def test_unknown_or_missing_scopes_are_refused_with_the_valid_ones() -> None:
    assert check_scopes(["events:usage", "accounts:write", "events:usage"]) == [
        "accounts:write",
        "events:usage",
    ]
    with pytest.raises(ScopeError, match=r"unknown scope.*events:tickets.*valid: events:usage"):
        check_scopes(["events:tickets"])
    with pytest.raises(ScopeError, match="at least one scope"):
        check_scopes([])


def test_only_a_one_way_hash_of_a_secret_is_kept() -> None:
    digest = hash_secret("hm_secret")
    assert len(digest) == 64 and "hm_secret" not in digest
    assert digest == hash_secret("hm_secret") != hash_secret("hm_secreT")
