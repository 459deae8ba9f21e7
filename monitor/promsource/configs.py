"""Config files for running Candor alongside a real Prometheus and Alertmanager.

In ``[engine] mode = "prometheus"`` the external Prometheus scrapes the apps and evaluates
the rules that ``candor rules export`` wrote; it sends alerts to Alertmanager, whose
webhook receiver is Candor's ``/api/v1/alertmanager`` (with a responder token)::

    Path("prometheus.yml").write_text(prometheus_yml(
        targets=["links-api:8000"], rule_files=["rules/*.yml"],
        alertmanagers=["alertmanager:9093"]))
    Path("alertmanager.yml").write_text(alertmanager_yml(
        candor_url="http://candor:8080", token=os.environ["CANDOR_AM_TOKEN"]))

Pure: text in, text out, deterministic. The defaults are Prometheus's and Alertmanager's
own, except the 1s evaluation that Candor's short demo windows need.
"""

from __future__ import annotations

from collections.abc import Sequence

import yaml

__all__ = ["alertmanager_yml", "prometheus_yml"]


def prometheus_yml(*, targets: Sequence[str], rule_files: Sequence[str],
                   alertmanagers: Sequence[str] = (), scrape_interval: str = "1s",
                   evaluation_interval: str = "1s", job: str = "app") -> str:
    """``prometheus.yml``: scrape ``targets`` (``host:port``), evaluate ``rule_files``,
    notify ``alertmanagers`` (``host:port``)."""
    config: dict[str, object] = {
        "global": {"scrape_interval": scrape_interval, "evaluation_interval": evaluation_interval,
                   "scrape_timeout": scrape_interval},
        "rule_files": list(rule_files),
        "scrape_configs": [{"job_name": job, "static_configs": [{"targets": list(targets)}]}],
    }
    if alertmanagers:
        config["alerting"] = {"alertmanagers": [{"static_configs": [
            {"targets": list(alertmanagers)}]}]}
    return yaml.safe_dump(config, sort_keys=False)


def alertmanager_yml(*, candor_url: str, token: str, group_wait: str = "30s",
                     group_interval: str = "5m", repeat_interval: str = "4h",
                     group_by: Sequence[str] = ("alertname", "service")) -> str:
    """``alertmanager.yml`` with one route to Candor's webhook (resolved alerts included)."""
    config = {
        "route": {"receiver": "candor", "group_by": list(group_by), "group_wait": group_wait,
                  "group_interval": group_interval, "repeat_interval": repeat_interval},
        "receivers": [{"name": "candor", "webhook_configs": [{
            "url": f"{candor_url.rstrip('/')}/api/v1/alertmanager",
            "send_resolved": True,
            "http_config": {"authorization": {"credentials": token}},
        }]}],
    }
    return yaml.safe_dump(config, sort_keys=False)
