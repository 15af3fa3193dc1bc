import pytest

from cost_pipeline.warehouse.spool import PageSpool
from cost_pipeline_tests.warehouse.staging import Stager


@pytest.fixture
def stager(tmp_path):
    with PageSpool(str(tmp_path)) as spool:
        yield Stager(spool)
