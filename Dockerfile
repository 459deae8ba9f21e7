# The Candor image compose.yaml runs (docker compose build): the package and its pinned
# dependencies; `candor` is the entrypoint, so a service's command is a candor subcommand.
FROM python:3.11-slim
WORKDIR /app
COPY pyproject.toml README.md ./
COPY monitor monitor
COPY exporters exporters
COPY postmortem postmortem
COPY dashboards dashboards
COPY rules rules
RUN pip install --no-cache-dir . && useradd --system candor && mkdir -p /var/lib/candor \
    && chown candor /var/lib/candor
USER candor
ENTRYPOINT ["candor"]
