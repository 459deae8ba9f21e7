"""A Prometheus-compatible HTTP API over Candor's embedded series store and rule engine.

Point Grafana's Prometheus data source at ``http://candor:8080/prometheus``: the routes
below live under that prefix so they never clash with Candor's own ``/api/v1/alerts``
intake.

=====================================  ==================================================
``GET|POST /prometheus/api/v1/query``        ``query``, ``time``, ``timeout``
``GET|POST /prometheus/api/v1/query_range``  ``query``, ``start``, ``end``, ``step``, ``timeout``
``GET|POST /prometheus/api/v1/series``       ``match[]`` (repeatable), ``start``, ``end``
``GET|POST /prometheus/api/v1/labels``       optional ``match[]``, ``start``, ``end``
``GET /prometheus/api/v1/label/{name}/values``  optional ``match[]``, ``start``, ``end``
``GET /prometheus/api/v1/rules``             ``type=alert|record``, ``rule_name[]``,
                                             ``rule_group[]``, ``file[]``
``GET /prometheus/api/v1/alerts``            pending and firing alerts of the embedded rules
``GET /prometheus/api/v1/status/buildinfo``  what Grafana probes to detect the flavour
=====================================  ==================================================

Parameters come from the query string or a form-encoded POST body (the body wins, as
in Prometheus). Times are RFC 3339 (``2026-03-02T09:00:00Z``) or Unix seconds
(``1772442000.5``); ``step`` and ``timeout`` are durations (``15s``, ``1m``) or seconds.

**Errors use Prometheus's format, not problem+json.** Unlike the rest of Candor's API,
these routes answer errors the way Prometheus does, because that is what its clients
parse::

    HTTP 400  {"status": "error", "errorType": "bad_data",
               "error": "invalid parameter \\"query\\": 1:5: parse error: ..."}

``bad_data`` (400) for invalid parameters and queries, ``execution`` (422) for a query
that parses but cannot be evaluated (e.g. many-to-many matching), ``timeout`` (503),
``unauthorized`` (401) / ``forbidden`` (403) for tokens (viewer role needed), ``internal``
(500). Unknown paths under the prefix still get Candor's problem+json 404.

Limits as in Prometheus: at most 11,000 points per series in a range query and a
2-minute query timeout (the ``timeout`` parameter can only lower it). The pure-Python
evaluator cannot be interrupted: a timed-out query answers 503 at once while its worker
thread finishes in the background.

Modules: :mod:`.params` (parameter parsing, ``ApiError``), :mod:`.format` (values to
Prometheus JSON), :mod:`.service` (the queries, over plain objects), :mod:`.api` (routes).
"""
