"""Digest completeness: SLO budgets, action items per team, trend charts."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from types import SimpleNamespace

from monitor.config import Settings
from monitor.promql import MemoryStorage
from monitor.promsource import EmbeddedSource
from postmortem import digest

END = datetime(2026, 3, 9, 8, 0, tzinfo=UTC)


def test_slo_budgets_are_read_at_the_period_end_and_missing_ones_say_no_data():
    store = MemoryStorage()
    store.add({"__name__": "slo:error_budget_remaining:ratio", "slo": "redirects", "service": "redirector"},
              [(int((END - timedelta(minutes=1)).timestamp() * 1000), 0.615)])
    sli = {"bad": "errors_total", "total": "requests_total"}
    settings = Settings.model_validate({"slo": [
        {"name": "redirects", "service": "redirector", "objective": 0.999, "sli": sli},
        {"name": "api", "service": "api", "objective": 0.99, "sli": sli}]})
    rows = digest.slo_status(settings, EmbeddedSource(store), END)
    assert rows is not None
    assert [(r["slo"], r["remaining"]) for r in rows] == [("redirects", 0.615), ("api", None)]
    assert digest.slo_status(Settings(), EmbeddedSource(store), END) is None  # "no SLOs configured"


def test_items_count_for_their_team_by_owner_then_map_then_item_team():
    def item(owner, team="", closed=None, due=date(2026, 3, 20)):
        return SimpleNamespace(owner=owner, team=team, created_at=END - timedelta(days=3),
                               closed_at=closed, due=due)

    rows = digest.teams([item("team:sre"), item("@ana", closed=END - timedelta(days=1)),
                         item("@bruno", team="links", due=date(2026, 3, 1))], END, {"@ana": "sre"})
    assert rows == [{"team": "links", "total": 1, "closed": 0, "overdue": 1, "ratio": 0.0},
                    {"team": "sre", "total": 2, "closed": 1, "overdue": 0, "ratio": 0.5}]


def test_trends_cover_every_day_and_week_of_both_periods():
    days = digest.per_day([END - timedelta(days=1), END - timedelta(days=1, hours=2)],
                          date(2026, 2, 23), date(2026, 3, 8))
    assert len(days) == 14 and days[-1] == {"day": date(2026, 3, 8), "count": 2}
    weeks = digest.mttr_per_week([(END - timedelta(days=1), 1800.0)], date(2026, 2, 23), date(2026, 3, 8))
    assert weeks == [{"week": date(2026, 2, 23), "minutes": None}, {"week": date(2026, 3, 2), "minutes": 30.0}]
    charts = digest.trend_charts(days, weeks)
    assert charts["per_day"].startswith("<svg") and charts["mttr_per_week"].startswith("<svg")
