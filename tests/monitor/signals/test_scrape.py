"""Candor scrapes a real HTTP endpoint in Prometheus text or OpenMetrics: ``up`` and
``scrape_duration_seconds`` as Prometheus makes them, stale markers when a series goes,
and hung or garbage targets recorded as up = 0 without losing what is stored."""

from __future__ import annotations

import threading
from collections.abc import Callable

import pytest
from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

from monitor.config import Settings
from monitor.promql.storage import Matcher, MatchType, is_stale
from monitor.signals.scrape import Scraper, start_scraping
from monitor.wiring import Candor

TEXT = """# HELP candor_app_errors_total Errors.
# TYPE candor_app_errors_total counter
candor_app_errors_total{kind="timeout",job="app-job"} 3
candor_app_errors_total{kind="db"} 1
"""


def scraper(make_settings: Callable[..., Settings], make_candor: Callable, url: str,
            **target: object) -> tuple[Scraper, Candor]:
    candor = make_candor(make_settings(scrape=[{"job": "links", "url": url, "interval": "1s",
                                                "timeout": "1s", **target}]))
    return Scraper(candor.signals, candor.runtime.settings.scrape), candor


def latest(candor: Candor, name: str, **labels: str) -> dict[str, float]:
    matchers = [Matcher(MatchType.EQUAL, "__name__", name)] + [
        Matcher(MatchType.EQUAL, k, v) for k, v in labels.items()]
    return {s.labels.get("kind", s.labels["job"]): s.samples[-1][1]
            for s in candor.signals.store.select(matchers, 0, 2**62)}


def test_a_prometheus_text_target_is_stored_with_job_instance_and_up(
        httpserver: HTTPServer, make_settings, make_candor) -> None:
    httpserver.expect_request("/metrics").respond_with_data(TEXT, content_type="text/plain")
    scrape, candor = scraper(make_settings, make_candor, httpserver.url_for("/metrics"),
                              labels={"env": "prod"})
    outcome = scrape.scrape_once(0)
    assert outcome.up and outcome.samples == 2
    (timeout,) = candor.signals.store.select(
        [Matcher(MatchType.EQUAL, "kind", "timeout")], 0, 2**62)
    assert timeout.labels == {"__name__": "candor_app_errors_total", "kind": "timeout",
                              "job": "links", "exported_job": "app-job", "env": "prod",
                              "instance": f"localhost:{httpserver.port}"}
    assert latest(candor, "up") == {"links": 1.0}
    assert latest(candor, "scrape_samples_scraped") == {"links": 2.0}
    assert latest(candor, "scrape_duration_seconds")["links"] > 0


def test_honor_labels_keeps_the_targets_own_values(httpserver: HTTPServer, make_settings,
                                                   make_candor) -> None:
    httpserver.expect_request("/metrics").respond_with_data(TEXT)
    scrape, candor = scraper(make_settings, make_candor, httpserver.url_for("/metrics"),
                              honor_labels=True)
    scrape.scrape_once(0)
    assert latest(candor, "candor_app_errors_total", job="app-job") == {"timeout": 3.0}


def test_openmetrics_is_understood(httpserver: HTTPServer, make_settings, make_candor) -> None:
    httpserver.expect_request("/metrics").respond_with_data(
        "# TYPE jobs counter\njobs_total 7\n# EOF\n",
        content_type="application/openmetrics-text; version=1.0.0; charset=utf-8")
    scrape, candor = scraper(make_settings, make_candor, httpserver.url_for("/metrics"))
    assert scrape.scrape_once(0).up
    assert latest(candor, "jobs_total") == {"links": 7.0}


def test_a_series_that_disappears_gets_a_stale_marker(httpserver: HTTPServer, make_settings,
                                                      make_candor, clock) -> None:
    bodies = iter([TEXT, 'candor_app_errors_total{kind="db"} 2\n'])
    httpserver.expect_request("/metrics").respond_with_handler(
        lambda _: Response(next(bodies)))
    scrape, candor = scraper(make_settings, make_candor, httpserver.url_for("/metrics"))
    scrape.scrape_once(0)
    clock.advance(seconds=15)
    scrape.scrape_once(0)
    values = latest(candor, "candor_app_errors_total")
    assert is_stale(values["timeout"]) and values["db"] == 2.0


@pytest.mark.parametrize(("respond", "words", "reason"), [
    (lambda _: Response("this is {not metrics at all"), "not valid Prometheus text",
     "scrape_unparsable"),
    (lambda _: Response("down", status=503), "HTTP 503", "scrape_failed"),
    (lambda _: Response("".join(f"m{i} 1\n" for i in range(20))), "sample_limit",
     "sample_limit"),
    (lambda _: Response('candor_app_errors_total{kind="x"} -5\n'), "must be a finite number",
     "invalid_value"),
])
def test_a_bad_target_is_up_0_and_its_old_series_go_stale(
        httpserver: HTTPServer, make_settings, make_candor, clock, respond, words,
        reason) -> None:
    answers = iter([lambda _: Response(TEXT), respond])
    httpserver.expect_request("/metrics").respond_with_handler(
        lambda request: next(answers)(request))
    scrape, candor = scraper(make_settings, make_candor, httpserver.url_for("/metrics"),
                              sample_limit=10)
    scrape.scrape_once(0)
    clock.advance(seconds=15)
    outcome = scrape.scrape_once(0)
    assert not outcome.up and words in outcome.error
    assert latest(candor, "up") == {"links": 0.0}
    assert is_stale(latest(candor, "candor_app_errors_total")["timeout"])
    assert candor.runtime.registry.get_sample_value("candor_ingest_rejected_total",
                                             {"reason": reason}) == 1.0
    (series,) = candor.signals.store.select([Matcher(MatchType.EQUAL, "kind", "timeout")],
                                             0, 2**62)
    assert series.samples[0][1] == 3.0  # what was stored before is kept


def test_a_hung_target_times_out_as_up_0(httpserver: HTTPServer, make_settings,
                                         make_candor) -> None:
    release = threading.Event()

    def hang(_: Request) -> Response:
        release.wait(5)
        return Response(TEXT)

    httpserver.expect_request("/metrics").respond_with_handler(hang)
    scrape, candor = scraper(make_settings, make_candor, httpserver.url_for("/metrics"),
                              interval="1s", timeout="200ms")
    outcome = scrape.scrape_once(0)
    release.set()
    assert not outcome.up and "within 0.2s" in outcome.error
    assert latest(candor, "up") == {"links": 0.0}


def test_start_scraping_runs_in_the_background(httpserver: HTTPServer, make_settings,
                                               make_candor) -> None:
    scraped = threading.Event()

    def serve(_: Request) -> Response:
        scraped.set()
        return Response(TEXT)

    httpserver.expect_request("/metrics").respond_with_handler(serve)
    candor = make_candor(make_settings(scrape=[{
        "job": "links", "url": httpserver.url_for("/metrics"), "interval": "1s"}]))
    scraping = start_scraping(candor.signals, candor.runtime.settings.scrape)
    try:
        assert scraped.wait(10)
    finally:
        scraping.stop()
    assert latest(candor, "up") == {"links": 1.0}


@pytest.mark.parametrize(("target", "words"), [
    ({"url": "ftp://x/metrics", "job": "a"}, "is not an http(s) URL"),
    ({"url": "http://x/metrics"}, "scrape[0].job: Field required"),
    ({"url": "http://x/metrics", "job": "a", "interval": "5s", "timeout": "10s"},
     "timeout 10s is longer than interval 5s"),
    ({"url": "http://x/metrics", "job": "a", "interval": "often"}, "is not a duration"),
    ({"url": "http://x/metrics", "job": "a", "labels": {"bad-name": "x"}}, "scrape[0].labels"),
])
def test_bad_scrape_config_names_the_key_and_line(target: dict, words: str) -> None:
    from monitor.config import parse
    from monitor.errors import ConfigError

    lines = "\n".join(f"{k} = {_toml(v)}" for k, v in target.items())
    with pytest.raises(ConfigError) as caught:
        parse(f"[[scrape]]\n{lines}\n")
    assert words in str(caught.value) and "config.toml:" in str(caught.value)


def _toml(value: object) -> str:
    if isinstance(value, dict):
        return "{ " + ", ".join(f'"{k}" = "{v}"' for k, v in value.items()) + " }"
    return f'"{value}"'
