import pytest

from dashboards import Catalog
from monitor.cli.dashboards import metric_catalog


@pytest.fixture(scope="session")
def catalog() -> Catalog:
    """The metrics Candor's wiring and the exporters library really register."""
    return metric_catalog()
