"""Rule results are written back into the series store in one batch per evaluation."""

from __future__ import annotations

import pytest

from monitor.errors import Unprocessable
from monitor.promql.storage import Matcher, MatchType, WindowStorage
from monitor.signals.rule_output import RuleOutput
from monitor.signals.store import SeriesStore

ALERTS = [Matcher(MatchType.EQUAL, "__name__", "ALERTS")]


def test_rule_output_offers_the_store_s_window_summaries() -> None:
    assert isinstance(RuleOutput(SeriesStore(retention_ms=3_600_000)), WindowStorage)


def test_a_batch_of_samples_is_stored_at_once() -> None:
    out = RuleOutput(SeriesStore(retention_ms=3_600_000))
    out.append_many([({"__name__": "ALERTS", "alertname": "A"}, 1_000, 1.0),
                     ({"__name__": "ALERTS", "alertname": "B"}, 1_000, 1.0)])
    got = {r.labels: r.ts for r in out.select_rows(ALERTS, 0, 2_000)}
    assert got == {(("__name__", "ALERTS"), ("alertname", "A")): [1_000],
                   (("__name__", "ALERTS"), ("alertname", "B")): [1_000]}


def test_two_different_values_for_one_series_in_a_batch_still_conflict() -> None:
    out = RuleOutput(SeriesStore(retention_ms=3_600_000))
    labels = {"__name__": "ALERTS", "alertname": "A"}
    with pytest.raises(Unprocessable, match="samples are immutable|conflict"):
        out.append_many([(labels, 1_000, 1.0), (labels, 1_000, 2.0)])
    [row] = out.select_rows(ALERTS, 0, 2_000)
    assert row.vs == [1.0]  # the first was written, as with one append per sample
