"""Chart geometry: step lines in event time, sparklines, band zones, change markers and dates."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from services.alerts.web.charts import CHART_H, EDGE_PX, ChangePoint, score_chart, sparkline, steps

NOW = datetime(2026, 11, 30, tzinfo=UTC)


def test_a_step_line_holds_each_score_until_the_next_change_in_time_order() -> None:
    a, b = NOW - timedelta(days=5), NOW - timedelta(days=2)
    start = NOW - timedelta(days=30)
    line = steps([(b, 40.0), (a, 80.0)], start, NOW, current=35.0)  # made out of time order
    assert line == [(a, 80.0), (b, 80.0), (b, 40.0), (NOW, 40.0), (NOW, 35.0)]


def test_an_account_without_changes_in_the_window_is_a_flat_line() -> None:
    start = NOW - timedelta(days=30)
    assert steps([], start, NOW, current=70.0) == [(start, 70.0), (NOW, 70.0)]
    assert steps([], start, NOW, current=None) == []
    assert sparkline([], NOW, None) == ""


def test_the_sparkline_spans_its_box_with_high_scores_on_top() -> None:
    points = sparkline([(NOW - timedelta(days=30), 100.0), (NOW, 0.0)], NOW, 0.0)
    coordinates = [tuple(map(float, p.split(","))) for p in points.split()]
    assert coordinates[0] == (0.0, 1.0) and coordinates[-1] == (120.0, 27.0)


def test_the_chart_shades_the_bands_and_marks_each_change() -> None:
    changes = [
        ChangePoint(NOW - timedelta(days=10), 80.0, "green", "first"),
        ChangePoint(NOW - timedelta(days=1), 30.0, "red", "second"),
        ChangePoint(NOW - timedelta(days=200), 50.0, "yellow", "too old"),
    ]
    chart = score_chart(changes, NOW, 30.0, green=70, yellow=40)
    assert [z.band for z in chart.zones] == ["green", "yellow", "red"]
    green, yellow, red = chart.zones
    assert green.y < yellow.y < red.y and red.y + red.height <= CHART_H
    assert yellow.height == (70 - 40) / 100 * (chart.plot_bottom - chart.plot_top)
    assert [m.label for m in chart.markers] == ["first", "second"]
    assert chart.markers[0].y < chart.markers[1].y  # 80 is drawn above 30
    assert chart.line and chart.days == 14 and [t.label for t in chart.y_ticks][-1] == "100"
    assert len(chart.x_ticks) == 8  # every second day


def test_a_young_account_is_charted_from_a_little_before_its_first_change() -> None:
    first = ChangePoint(NOW - timedelta(days=24), 80.0, "green", "first")
    chart = score_chart([first], NOW, 80.0, green=70, yellow=40)
    assert chart.days == 26 and chart.markers[0].x > chart.plot_left
    newborn = score_chart([ChangePoint(NOW, 80.0, "green", "x")], NOW, 80.0, 70, 40)
    assert newborn.days == 14


def test_a_date_on_the_right_edge_ends_there_instead_of_being_cut() -> None:
    chart = score_chart([ChangePoint(NOW - timedelta(days=10), 80.0, "green", "x")], NOW, 80.0,
                        70, 40)  # fmt: skip
    *inside, last = chart.x_ticks
    assert last.anchor == "end" and chart.plot_right - EDGE_PX < last.at <= chart.plot_right
    assert {t.anchor for t in inside} == {"middle"}
