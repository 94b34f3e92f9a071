"""The official HAPI verifier's result per dataset (tests/integration/test_hapi_verifier.py) ends the
test session's report."""

import pytest

#: one line per dataset the verifier checked
VERIFIER_RESULTS = pytest.StashKey[list]()


@pytest.fixture
def verifier_results(request) -> list:
    return request.config.stash.setdefault(VERIFIER_RESULTS, [])


def pytest_terminal_summary(terminalreporter, exitstatus, config):
    lines = config.stash.get(VERIFIER_RESULTS, [])
    if lines:
        terminalreporter.write_sep("-", "official HAPI verifier, per dataset")
        for line in lines:
            terminalreporter.write_line(line)
