"""A source whose topics stop growing becomes stale."""

from services.scorer.sources import SourceActivity


def test_a_source_is_stale_once_its_topic_stops_growing_for_long_enough() -> None:
    sources = SourceActivity()
    sources.observe("ticket", 10, now=0)
    sources.observe("usage", 5, now=0)
    sources.observe("ticket", 10, now=50)
    sources.observe("usage", 9, now=50)
    assert sources.stale(now=90, max_age_s=60) == {"ticket"}
    sources.observe("ticket", 11, now=95)
    assert sources.stale(now=100, max_age_s=60) == frozenset()
