"""The auth sweep's modules (matrix, asking, expectations) import each other by name; its summary
line ends the test session's report, its full table is written next to pytest's temp folders."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

from matrix import SWEEP  # found through the path set just above


def pytest_terminal_summary(terminalreporter, exitstatus, config):
    if not SWEEP.cells:
        return
    terminalreporter.write_sep("-", "auth sweep")
    terminalreporter.write_line(SWEEP.summary())
    table = Path(config._tmp_path_factory.getbasetemp()) / "auth-sweep.tsv"
    table.write_text(SWEEP.tsv())
    terminalreporter.write_line(f"every cell, with its answer: {table}")
