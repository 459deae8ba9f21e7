"""The same settings and incident helpers as the comms tests."""

from tests.monitor.comms.conftest import fixed, incident, open_incident, settings

__all__ = ["fixed", "incident", "open_incident", "settings"]
