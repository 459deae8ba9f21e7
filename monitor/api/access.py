"""Who may call each route: the one table the README's route table is made from.

Every operation of the API appears in exactly one :class:`Row`, with the role it needs:

- ``public``: anyone, no token;
- ``viewer`` < ``responder`` < ``admin``: an API token with at least that role
  (``[auth] anonymous_role = "viewer"`` opens the viewer routes to calls without one);
- ``receiver``: the bearer token configured for that intake
  (``[intake.alertmanager] bearer_token = "env:NAME"``), or a responder token;
- ``ingest``: likewise with ``[signals] ingest_bearer_token``.

Handlers declare their role as a dependency (``monitor.api.deps``); this table is what the
documentation promises. ``tests/monitor/api/test_authorization.py`` holds the two equal:
it calls every route with every kind of caller and checks the status class the role
implies, checks that every route of the OpenAPI document is here, and that the README's
table is :func:`readme_table` (regenerate it with ``python -m monitor.api.access``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

__all__ = ["ROLES", "ROWS", "Role", "Row", "readme_table", "role_of"]

Role = Literal["public", "viewer", "responder", "admin", "receiver", "ingest"]
ROLES: tuple[Role, ...] = ("public", "viewer", "responder", "admin", "receiver", "ingest")


@dataclass(frozen=True)
class Row:
    """One row of the README table: the routes it names, the role they need, what they do."""

    group: str
    label: str  # the route cell as the README shows it (Markdown)
    role: Role
    what: str
    routes: tuple[tuple[str, str], ...]  # (METHOD, OpenAPI path) of every operation named


K = "/api/v1/incidents/{key}"
PM = f"{K}/postmortem"
P = "/prometheus/api/v1"

ROWS: tuple[Row, ...] = (
    # ---- incidents
    Row("incidents", "`GET /api/v1/incidents?state=&severity=&service=&since=&until=&cursor=&limit=`",
        "viewer", "newest first, cursor pagination (`next_cursor`); `since` (inclusive) and "
        "`until` (exclusive) are RFC 3339 with a zone (`2026-03-02T09:00:00Z`), anything else "
        "a 422",
        (("GET", "/api/v1/incidents"),)),
    Row("incidents", "`POST /api/v1/incidents`", "responder", "open an incident by hand",
        (("POST", "/api/v1/incidents"),)),
    Row("incidents", "`GET /api/v1/incidents/{key}` · `…/events` · `…/timeline`", "viewer",
        "incident with alerts and allowed transitions; the append-only history; the compiled "
        "timeline", (("GET", K), ("GET", f"{K}/events"), ("GET", f"{K}/timeline"))),
    Row("incidents", "`GET /api/v1/incidents/{key}/verification`", "viewer",
        "fix verification: verdicts with their evidence, measured impact with its queries",
        (("GET", f"{K}/verification"),)),
    Row("incidents", "`POST …/{key}/transitions` `{to, reason}` · `…/ack`", "responder",
        "lifecycle move (409 lists the allowed ones)",
        (("POST", f"{K}/transitions"), ("POST", f"{K}/ack"))),
    Row("incidents", "`POST …/{key}/notes` · `…/severity` · `…/commander` · `…/links` · `…/fixes`",
        "responder", "note, severity change, incident commander, linked incidents, fix/deployment",
        tuple(("POST", f"{K}/{x}") for x in ("notes", "severity", "commander", "links", "fixes"))),
    # ---- alerts
    Row("alerts", "`POST /api/v1/alertmanager`", "receiver",
        "Alertmanager webhook, payload version 4", (("POST", "/api/v1/alertmanager"),)),
    Row("alerts", "`POST /api/v1/alerts`", "receiver",
        "alerts as Prometheus sends them to Alertmanager", (("POST", "/api/v1/alerts"),)),
    Row("alerts", "`GET /api/v1/silences`", "viewer", "silences (`=`, `!=`, `=~`, `!~`)",
        (("GET", "/api/v1/silences"),)),
    Row("alerts", "`POST /api/v1/silences`, `DELETE /api/v1/silences/{id}`", "responder",
        "add a silence; expire one",
        (("POST", "/api/v1/silences"), ("DELETE", "/api/v1/silences/{silence_id}"))),
    # ---- signals
    Row("signals", "`POST /api/v1/signals`", "ingest",
        "Candor's JSON sample batches (the `exporters` library pushes these)",
        (("POST", "/api/v1/signals"),)),
    Row("signals", "`POST /v1/metrics`", "ingest",
        "OTLP/HTTP metrics, protobuf or JSON (the standard `OTLPMetricExporter`); a gzip body "
        "may inflate to `server.max_body_bytes` at most", (("POST", "/v1/metrics"),)),
    Row("signals", "`GET /api/v1/signals/series?match[]=`", "viewer", "stored series by selector",
        (("GET", "/api/v1/signals/series"),)),
    Row("signals", "`/prometheus/api/v1/query`, `query_range`, `series`, `labels`, "
        "`label/{name}/values`, `rules`, `alerts`, `status/buildinfo`", "viewer",
        "Prometheus-compatible query API: point Grafana's Prometheus data source at "
        "`http://candor:8080/prometheus` and give it a viewer token as a custom HTTP header "
        "`Authorization: Bearer cnd_…` (or set `[auth] anonymous_role = \"viewer\"`). These "
        "routes answer errors in Prometheus's format, not problem+json",
        tuple((m, f"{P}/{x}") for x in ("query", "query_range", "series", "labels")
              for m in ("GET", "POST"))
        + tuple(("GET", f"{P}/{x}") for x in ("label/{name}/values", "rules", "alerts",
                                              "status/buildinfo"))),
    # ---- public communication
    Row("public communication", "`GET …/{key}/notices`, `GET /api/v1/notices/{id}`", "viewer",
        "notices, their draft findings and versions",
        (("GET", f"{K}/notices"), ("GET", "/api/v1/notices/{notice_id}"))),
    Row("public communication", "`POST …/{key}/notices`, `PUT …/{id}/draft`, "
        "`POST …/{id}/publish`, `POST …/{id}/versions`", "responder",
        "notices: draft, lint, publish; update, **correction** or **retraction** as a new "
        "linked version; optional `affected_share` (0..1) with severity picks the channels "
        "(`[comms.impact]`)",
        (("POST", f"{K}/notices"), ("PUT", "/api/v1/notices/{notice_id}/draft"),
         ("POST", "/api/v1/notices/{notice_id}/publish"),
         ("POST", "/api/v1/notices/{notice_id}/versions"))),
    Row("public communication", "`POST /api/v1/notices/lint`", "viewer",
        "the notice linter (jargon, blame, missing parts, readability, leaked data)",
        (("POST", "/api/v1/notices/lint"),)),
    Row("public communication", "`GET …/{key}/press-release?format=md\\|pdf`, "
        "`GET …/{key}/support-reply`", "responder",
        "drafts for people to send (press release as Markdown or PDF; never sent by Candor)",
        (("GET", f"{K}/press-release"), ("GET", f"{K}/support-reply"))),
    Row("public communication", "`GET /status`, `/status/incidents/{key}`, `/status/feed.atom`, "
        "`/status.json`, `/api/v1/banner`", "public",
        "status page (pt-BR and en), feed, JSON, in-app banner; only published public content",
        (("GET", "/status"), ("GET", "/status/incidents/{key}"), ("GET", "/status/feed.atom"),
         ("GET", "/status.json"), ("GET", "/api/v1/banner"))),
    Row("public communication", "`GET /api/v1/outbox`, `POST /api/v1/outbox/{id}/redeliver`",
        "admin", "notification outbox and dead letters",
        (("GET", "/api/v1/outbox"), ("POST", "/api/v1/outbox/{message_id}/redeliver"))),
    Row("public communication", "`POST /status/subscribe` `{email, components[], lang}` (JSON or "
        "HTML form; the form is on `/status` when `[comms.subscribers] receiver` is set)",
        "public", "e-mail sign-up, double opt-in: mails a confirmation link (422 with the JSON "
        "path for a bad address; repeats never duplicate; 404 when sign-up is off)",
        (("POST", "/status/subscribe"),)),
    Row("public communication", "`GET\\|POST /status/subscribe/confirm`, "
        "`GET\\|POST /status/unsubscribe`", "public",
        "the links in the mails open a page with one button that POSTs (a mail scanner's GET "
        "changes nothing); confirm works once; unsubscribe also takes RFC 8058 one-click "
        "(`List-Unsubscribe-Post`)",
        (("GET", "/status/subscribe/confirm"), ("POST", "/status/subscribe/confirm"),
         ("GET", "/status/unsubscribe"), ("POST", "/status/unsubscribe"))),
    Row("public communication", "`GET /api/v1/subscribers`, `POST /api/v1/subscribers/webhooks`, "
        "`DELETE /api/v1/subscribers/{id}`", "admin",
        "subscribers; webhook subscribers get signed notices (secret shown once, kept sealed "
        "with `[storage] secret_key`)",
        (("GET", "/api/v1/subscribers"), ("POST", "/api/v1/subscribers/webhooks"),
         ("DELETE", "/api/v1/subscribers/{subscriber_id}"))),
    # ---- user reports
    Row("user reports",
        "`POST /api/v1/reports` `{service\\|component, description, contact, channel, lang, at}`",
        "responder", "a user report: joins the matching open incident or is kept unattached; "
        "counts in `candor_user_reports_total{service}`; the reporter hears back when it is "
        "resolved or corrected", (("POST", "/api/v1/reports"),)),
    Row("user reports",
        "`GET …/{key}/reports`, `GET /api/v1/reports?unattached=true`", "viewer",
        "user reports (contact details for admins only)",
        (("GET", f"{K}/reports"), ("GET", "/api/v1/reports"))),
    # ---- postmortems
    Row("postmortems", "`GET …/{key}/postmortem`, `GET …/versions`, `…/history`", "viewer",
        "the document, its versions and review history",
        (("GET", PM), ("GET", f"{PM}/versions"), ("GET", f"{PM}/history"))),
    Row("postmortems", "`POST/PATCH …/{key}/postmortem`, `POST …/postmortem/review`", "responder",
        "draft and edit the document; its review workflow",
        (("POST", PM), ("PATCH", PM), ("POST", f"{PM}/review"))),
    Row("postmortems", "`GET …/{key}/postmortem/render?format=md\\|html\\|pdf&lang=en\\|pt-BR`",
        "viewer", "the rendered report", (("GET", f"{PM}/render"),)),
    Row("postmortems", "`GET …/postmortem/action-items`", "viewer", "preventive action items",
        (("GET", f"{PM}/action-items"),)),
    Row("postmortems", "`POST …/postmortem/action-items`, `PATCH …/action-items/{id}`",
        "responder", "add and update action items",
        (("POST", f"{PM}/action-items"), ("PATCH", f"{PM}/action-items/{{item_id}}"))),
    Row("postmortems", "`POST …/{key}/timeline/annotations`", "responder",
        "key moments, notes, hidden noise (events stay as they are)",
        (("POST", f"{K}/timeline/annotations"),)),
    Row("postmortems", "`GET /api/v1/digest?period=week\\|month\\|quarter&format=json\\|md\\|html"
        "\\|pdf&lang=`", "viewer", "leadership digest (the old path `/api/v1/reports/digest` "
        "still answers, marked deprecated in OpenAPI)",
        (("GET", "/api/v1/digest"), ("GET", "/api/v1/reports/digest"))),
    # ---- operations
    Row("operations", "`GET/POST /api/v1/tokens`, `DELETE /api/v1/tokens/{id}`", "admin",
        "API tokens",
        (("GET", "/api/v1/tokens"), ("POST", "/api/v1/tokens"),
         ("DELETE", "/api/v1/tokens/{token_id}"))),
    Row("operations", "`GET /metrics`, `/healthz`, `/readyz`", "public",
        "Prometheus metrics, liveness, readiness (DB reachable, schema current)",
        (("GET", "/metrics"), ("GET", "/healthz"), ("GET", "/readyz"))),
)


def role_of(method: str, path: str) -> Role:
    """The documented role of one operation; ``KeyError`` if the table does not name it."""
    for row in ROWS:
        if (method.upper(), path) in row.routes:
            return row.role
    raise KeyError(f"{method.upper()} {path} is not in monitor/api/access.py ROWS; add it "
                   "with its role (and regenerate the README table)")


GROUP_NOTES = {"user reports": " (`monitor/comms/user_reports/`)"}


def readme_table() -> str:
    """The README's route table, from :data:`ROWS`."""
    lines = ["| route | role | what |", "|---|---|---|"]
    group = ""
    for row in ROWS:
        if row.group != group:
            group = row.group
            lines.append(f"| **{group}**{GROUP_NOTES.get(group, '')} | | |")
        lines.append(f"| {row.label} | {row.role} | {row.what} |")
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    print(readme_table(), end="")
