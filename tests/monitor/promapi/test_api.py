"""Grafana (or anyone speaking Prometheus's HTTP API) queries Candor at /prometheus."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from fastapi.testclient import TestClient

from monitor.app import create_app
from monitor.auth.models import Role
from monitor.promql.gofmt import go_e, go_f
from monitor.rules.loader import parse_rules
from monitor.rules.manager import RuleManager
from monitor.signals.rule_output import RuleOutput
from monitor.wiring import Candor, jobs
from tests.conftest import bearer
from tests.monitor.promapi.conftest import T0, put

API = "/prometheus/api/v1"


def get(client: TestClient, path: str, headers: dict[str, str], **params: Any) -> Any:
    return client.get(API + path, params=params, headers=headers)


def error(response: Any, status: int, kind: str) -> str:
    assert response.status_code == status, response.text
    body = response.json()
    assert set(body) == {"status", "errorType", "error"}
    assert (body["status"], body["errorType"]) == ("error", kind)
    return str(body["error"])


def test_an_instant_query_returns_a_vector_in_prometheus_shape(
        client: TestClient, stored: Candor, viewer: dict[str, str]) -> None:
    body = get(client, "/query", viewer, query="up", time=T0).json()

    assert body == {"status": "success", "data": {"resultType": "vector", "result": [
        {"metric": {"__name__": "up", "instance": "a:80", "job": "api"}, "value": [T0, "1"]},
        {"metric": {"__name__": "up", "instance": "b:80", "job": "web"}, "value": [T0, "0"]},
    ]}}


def test_time_may_be_rfc3339_or_unix_seconds_and_defaults_to_now(
        client: TestClient, stored: Candor, viewer: dict[str, str]) -> None:
    expr = "sum(rate(http_requests_total[5m]))"
    by_float = get(client, "/query", viewer, query=expr, time=f"{T0}.000").json()
    by_text = get(client, "/query", viewer, query=expr, time="2026-03-02T09:00:00Z").json()
    by_zone = get(client, "/query", viewer, query=expr, time="2026-03-02T10:00:00+01:00").json()
    by_default = get(client, "/query", viewer, query=expr).json()

    assert by_float == by_text == by_zone == by_default
    assert by_float["data"]["result"] == [{"metric": {}, "value": [T0, go_f(10 / 15)]}]


def test_scalars_strings_and_range_vectors_keep_their_result_types(
        client: TestClient, stored: Candor, viewer: dict[str, str]) -> None:
    scalar = get(client, "/query", viewer, query="1/0", time=T0 + 0.5).json()["data"]
    string = get(client, "/query", viewer, query='"hi"', time=T0).json()["data"]
    matrix = get(client, "/query", viewer, query='up{job="api"}[30s]', time=T0).json()["data"]

    assert scalar == {"resultType": "scalar", "result": [T0 + 0.5, "+Inf"]}
    assert string == {"resultType": "string", "result": [T0, "hi"]}
    assert matrix["resultType"] == "matrix"
    assert matrix["result"][0]["values"] == [[T0 - 15, "1"], [T0, "1"]]


def test_a_range_query_accepts_durations_or_seconds_as_step(
        client: TestClient, stored: Candor, viewer: dict[str, str]) -> None:
    params = {"query": 'up{job="api"}', "start": T0 - 120, "end": T0}
    by_duration = get(client, "/query_range", viewer, **params, step="1m").json()
    by_seconds = get(client, "/query_range", viewer, **params, step="60").json()

    assert by_duration == by_seconds == {"status": "success", "data": {
        "resultType": "matrix", "result": [{
            "metric": {"__name__": "up", "instance": "a:80", "job": "api"},
            "values": [[T0 - 120, "1"], [T0 - 60, "1"], [T0, "1"]]}]}}


def test_post_with_a_form_body_works_like_get(
        client: TestClient, stored: Candor, viewer: dict[str, str]) -> None:
    form = {"query": "count(up)", "time": str(T0)}
    posted = client.post(API + "/query", data=form, headers=viewer).json()

    assert posted == get(client, "/query", viewer, **form).json()
    assert posted["data"]["result"][0]["value"] == [T0, "2"]


def test_annotations_come_back_as_warnings(
        client: TestClient, stored: Candor, viewer: dict[str, str]) -> None:
    body = get(client, "/query", viewer, query="quantile(2, up)", time=T0).json()

    assert body["warnings"] == ["PromQL warning: quantile value should be between 0 and 1, "
                                "got 2 (1:10)"]


def test_invalid_promql_is_a_400_in_prometheus_error_format(
        client: TestClient, stored: Candor, viewer: dict[str, str]) -> None:
    response = get(client, "/query", viewer, query="sum(up", time=T0)

    assert error(response, 400, "bad_data") == (
        'invalid parameter "query": 1:7: parse error: unclosed left parenthesis')
    assert response.headers["content-type"] == "application/json"


def test_a_query_that_cannot_be_evaluated_is_a_422_execution_error(
        client: TestClient, stored: Candor, viewer: dict[str, str]) -> None:
    response = get(client, "/query", viewer, query="up + on() vector(1)", time=T0)

    assert "many-to-one matching must be explicit" in error(response, 422, "execution")


def test_bad_times_steps_and_windows_name_the_parameter(
        client: TestClient, stored: Candor, viewer: dict[str, str]) -> None:
    def range_error(**params: Any) -> str:
        query = {"query": "up", "start": T0 - 60, "end": T0, "step": "15s", **params}
        return error(get(client, "/query_range", viewer, **query), 400, "bad_data")

    assert error(get(client, "/query", viewer, query="up", time="yesterday"), 400,
                 "bad_data") == ('invalid parameter "time": Invalid time value for \'time\': '
                                 'cannot parse "yesterday" to a valid timestamp')
    assert range_error(step="fast") == (
        'invalid parameter "step": cannot parse "fast" to a valid duration')
    assert range_error(step="0") == (
        'invalid parameter "step": zero or negative query resolution step widths are not '
        "accepted. Try a positive integer")
    assert range_error(start=T0, end=T0 - 60) == (
        'invalid parameter "end": end timestamp must not be before start time')
    assert range_error(timeout="soon") == (
        'invalid parameter "timeout": cannot parse "soon" to a valid duration')
    assert range_error(query="up[5m]") == (
        'invalid expression type "range vector" for range query, must be Scalar or instant '
        "Vector")


def test_more_than_11000_points_per_series_is_refused(
        client: TestClient, stored: Candor, viewer: dict[str, str]) -> None:
    ok = get(client, "/query_range", viewer, query="vector(1)", start=0, end=11_000, step=1)
    refused = get(client, "/query_range", viewer, query="vector(1)", start=0, end=11_001,
                  step=1)

    assert ok.status_code == 200
    assert error(refused, 400, "bad_data") == (
        "exceeded maximum resolution of 11,000 points per timeseries. Try decreasing the "
        "query resolution (?step=XX)")


def test_a_query_over_its_timeout_is_a_503(
        client: TestClient, stored: Candor, viewer: dict[str, str]) -> None:
    response = get(client, "/query", viewer, query="count_over_time(vector(1)[2h:1s])",
                   time=T0, timeout="1ms")

    assert error(response, 503, "timeout") == "query timed out in expression evaluation"


def test_series_labels_and_label_values(
        client: TestClient, stored: Candor, viewer: dict[str, str]) -> None:
    series = get(client, "/series", viewer, **{"match[]": "up"}).json()
    labels = get(client, "/labels", viewer).json()
    jobs = get(client, "/label/job/values", viewer, **{"match[]": "up"}).json()
    names = get(client, "/label/__name__/values", viewer).json()
    old = get(client, "/series", viewer, **{"match[]": "up", "end": T0 - 3600}).json()

    assert series == {"status": "success", "data": [
        {"__name__": "up", "instance": "a:80", "job": "api"},
        {"__name__": "up", "instance": "b:80", "job": "web"}]}
    assert labels["data"] == ["__name__", "code", "instance", "job"]
    assert jobs["data"] == ["api", "web"]
    assert names["data"] == ["http_requests_total", "up"]
    assert old["data"] == []


def test_series_needs_a_selector_and_label_names_must_be_valid(
        client: TestClient, stored: Candor, viewer: dict[str, str]) -> None:
    assert error(get(client, "/series", viewer), 400, "bad_data") == (
        "no match[] parameter provided")
    assert error(get(client, "/series", viewer, **{"match[]": "up{"}), 400, "bad_data") == (
        'invalid parameter "match[]": 1:4: parse error: unexpected end of input inside braces')
    assert "is not a series selector" in error(
        get(client, "/series", viewer, **{"match[]": "sum(up)"}), 400, "bad_data")
    assert error(get(client, "/label/1bad/values", viewer), 400, "bad_data") == (
        'invalid label name: "1bad"')


def test_a_caller_without_a_token_gets_a_prometheus_style_401(
        client: TestClient, stored: Candor) -> None:
    response = get(client, "/query", {}, query="up")

    assert "bearer token" in error(response, 401, "unauthorized")
    assert response.headers["www-authenticate"] == "Bearer"


RULES = """
groups:
  - name: availability
    rules:
      - record: job:up:sum
        expr: sum by (job) (up)
      - alert: TargetDown
        expr: up == 0
        for: 1m
        labels: {severity: page}
        annotations: {summary: "{{ $labels.job }} is down"}
"""


def test_rules_and_alerts_show_the_embedded_engines_state(
        stored: Candor, viewer: dict[str, str]) -> None:
    groups = parse_rules(RULES, "rules/availability.yml")[0].groups
    manager = RuleManager(groups, RuleOutput(stored.signals.store))
    manager.evaluate_due(T0)
    client = TestClient(create_app(replace(stored, rules=manager)))

    rules = get(client, "/rules", viewer).json()["data"]["groups"]
    alerts = get(client, "/alerts", viewer).json()["data"]["alerts"]
    only_alerts = get(client, "/rules", viewer, type="alert").json()["data"]["groups"]

    pending = {"labels": {"alertname": "TargetDown", "instance": "b:80", "job": "web",
                          "severity": "page"},
               "annotations": {"summary": "web is down"}, "state": "pending",
               "activeAt": "2026-03-02T09:00:00Z", "value": go_e(0.0)}
    assert alerts == [pending]
    assert rules[0] | {"rules": None} == {
        "name": "availability", "file": "rules/availability.yml", "rules": None,
        "interval": 5.0, "limit": 0, "evaluationTime": 0,
        "lastEvaluation": "2026-03-02T09:00:00Z"}
    record, alert = rules[0]["rules"]
    assert record == {"name": "job:up:sum", "query": "sum by (job) (up)", "health": "ok",
                      "evaluationTime": 0, "lastEvaluation": "2026-03-02T09:00:00Z",
                      "type": "recording"}
    assert alert["state"] == "pending" and alert["alerts"] == [pending]
    assert [r["type"] for r in only_alerts[0]["rules"]] == ["alerting"]
    assert error(get(client, "/rules", viewer, type="both"), 400, "bad_data") == (
        'invalid parameter "type": not supported value "both"')

    manager.evaluate_due(T0 + 60)
    firing = get(client, "/alerts", viewer).json()["data"]["alerts"]
    assert [a["state"] for a in firing] == ["firing"]


def test_without_an_embedded_engine_there_are_no_rules_or_alerts(
        client: TestClient, viewer: dict[str, str]) -> None:
    assert get(client, "/rules", viewer).json() == {"status": "success", "data": {"groups": []}}
    assert get(client, "/alerts", viewer).json() == {"status": "success",
                                                     "data": {"alerts": []}}


def test_buildinfo_answers_for_grafana(client: TestClient, viewer: dict[str, str]) -> None:
    data = get(client, "/status/buildinfo", viewer).json()["data"]

    assert data["version"] == "3.0.0"


def test_the_scheduled_engine_with_slos_shows_up_in_rules(
        make_settings: Any, make_candor: Any, tmp_path: Any) -> None:
    settings = make_settings(
        engine={"rule_files": [str(tmp_path / "none" / "*.yml")]},
        slo=[{"name": "api-availability", "service": "api", "objective": 0.999,
              "sli": {"bad": 'http_requests_total{code="500"}',
                      "total": "http_requests_total"}}])
    candor = make_candor(settings)
    (job,) = [job for job in jobs(candor) if job.name == "rules"]
    assert candor.leader.renew()  # rules run on the replica holding the lease
    job.run()

    with TestClient(create_app(candor)) as client:
        groups = get(client, "/rules", bearer(candor.runtime, Role.VIEWER)).json()["data"]["groups"]

    assert [(g["name"], g["file"], len(g["rules"])) for g in groups] == [
        ("slo-api-availability", "candor-slo.yml", 15)]
    assert {r["health"] for r in groups[0]["rules"]} == {"ok"}


def test_a_query_over_engine_max_samples_is_a_422_execution_error(
        make_settings: Any, make_candor: Any) -> None:
    candor = make_candor(make_settings(engine={"max_samples": 30}))
    put(candor, {"__name__": "up", "job": "api"}, [(T0 - 600 + 15 * i, 1) for i in range(41)])
    viewer = bearer(candor.runtime, Role.VIEWER)
    with TestClient(create_app(candor), raise_server_exceptions=False) as client:
        small = get(client, "/query", viewer, query="count_over_time(up[5m])", time=T0)
        large = get(client, "/query", viewer, query="count_over_time(up[10m])", time=T0)

    assert small.status_code == 200
    assert error(large, 422, "execution") == (
        "query processing would load too many samples into memory in query execution")
