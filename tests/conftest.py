import os
import sys
from pathlib import Path

import pytest

# a plain test run never reaches for the internet; network tests (-m network) opt back in
os.environ.setdefault("SPACEHUB_OFFLINE", "1")

sys.path.insert(0, str(Path(__file__).parent))

from hubtools import ReadyLineHub, free_port, hapi_process


@pytest.fixture(scope="session")
def sample_dir(tmp_path_factory):
    """The offline sample data, written once per test session by `spacehub data sample`."""
    from spacehub.cli import main

    dest = tmp_path_factory.mktemp("sample-data")
    assert main(["data", "sample", "--dest", str(dest)]) == 0
    return dest


@pytest.fixture(scope="session")
def hub(tmp_path_factory, sample_dir):
    """One real spacehub for the whole test session (hub, proxy, gateway, data service, culler)."""
    running = ReadyLineHub(tmp_path_factory.mktemp("hub"), sample_dir=sample_dir).start()
    yield running
    running.stop()
    left = running.survivors()
    assert not left, f"processes left after spacehub up exited: {left}\n{running.log()[-3000:]}"


@pytest.fixture(scope="session")
def hapi_service(sample_dir, tmp_path_factory):
    """The HAPI data service as a real process on a loopback port, public mode, serving the samples."""
    port = free_port()
    env = {**os.environ, "SPACEHUB_DATA_PUBLIC": "1", "SPACEHUB_SAMPLE_DATA": str(sample_dir),
           "JUPYTERHUB_SERVICE_URL": f"http://127.0.0.1:{port}", "JUPYTERHUB_SERVICE_PREFIX": "/services/data/"}
    with hapi_process([sys.executable, "-m", "spacehub.services.data"], env, port,
                      tmp_path_factory.mktemp("hapi") / "service.log") as url:
        yield url
