import os
import sys
from pathlib import Path

import pytest

# a plain test run never reaches for the internet; network tests (-m network) opt back in
os.environ.setdefault("SPACEHUB_OFFLINE", "1")

sys.path.insert(0, str(Path(__file__).parent))

from hubtools import RunningHub  # noqa: E402


@pytest.fixture(scope="session")
def hub(tmp_path_factory):
    """One real spacehub for the whole test session (hub, proxy, gateway, culler)."""
    running = RunningHub(tmp_path_factory.mktemp("hub")).start()
    yield running
    running.stop()
    left = running.survivors()
    assert not left, f"processes left after spacehub up exited: {left}\n{running.log()[-3000:]}"
