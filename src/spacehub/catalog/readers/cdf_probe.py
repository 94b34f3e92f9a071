"""A CDF file is decoded first where a crash cannot hurt: in a child process.

pycdfpp trusts a file's internal pointers: one damaged byte (a flipped bit of an attribute record's
"next" offset, say) makes it read far outside the file, and the process dies of a segmentation
fault. In a notebook that is the kernel, with everything its user had not saved; in the data service
that is every request of every user. So before a process decodes a variable of a CDF for the first
time, a child process decodes it (and its time axis): if the child dies, the read is a
`CorruptFile` that says so, and nothing else is lost. What was decoded safely is remembered by the
file's identity (device, inode, size, modification time) and the variable's name, so each is proven
once per process; archive files do not change.

The child is a small program of its own (``python -m spacehub.catalog.readers.cdf_probe``, never a
fork of this process, whose threads may hold locks), kept for the next proof and asked over its
standard input and output; a crash replaces it. Cost: the first read of a variable decodes it
twice, the program's start (about 0.3 s) once per process; later reads cost a set lookup
(benchmarks/RESULTS.md, "CDF read throughput").
"""

from __future__ import annotations

import atexit
import contextlib
import json
import select
import signal
import subprocess
import sys
import threading
from pathlib import Path

from ..errors import CorruptFile

#: seconds a proof may take per MB of file (and at least ``PROOF_FLOOR``) before the file is called damaged
PROOF_SECONDS_PER_MB, PROOF_FLOOR = 2.0, 60.0

_proven: set[tuple[int, int, int, int, str]] = set()
_lock = threading.Lock()  # one question to the program at a time
_program: subprocess.Popen | None = None


def _identity(path: Path) -> tuple[int, int, int, int]:
    st = path.stat()
    return st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns


def decode(path: str, names: list[str]) -> None:
    """What the child does: open the file and decode ``names`` and their time axes (all variables
    when ``names`` is empty)."""
    import numpy as np
    import pycdfpp

    cdf = pycdfpp.load(path)
    if cdf is None:
        return
    todo = names or [n for n, _ in cdf.items()]
    for name in todo:
        if name not in cdf:
            continue
        np.asarray(cdf[name].values)
        depend = cdf[name].attributes["DEPEND_0"] if "DEPEND_0" in cdf[name].attributes else None
        if depend is not None and str(depend.value) in cdf:
            np.asarray(cdf[str(depend.value)].values)


def prove(path: str | Path, names: list[str]) -> None:
    """Raise `CorruptFile` if decoding ``names`` of ``path`` (all variables when empty) crashes or
    hangs a process; return at once for what this process has proven before."""
    path = Path(path)
    key = _identity(path)
    wanted = sorted(set(names)) or ["*"]
    if all((*key, name) in _proven for name in wanted) or (*key, "*") in _proven:
        return
    timeout = max(PROOF_FLOOR, key[2] / 1e6 * PROOF_SECONDS_PER_MB)
    with _lock:
        _ask(path, names, timeout)
    _proven.update((*key, name) for name in wanted)


def _crashed(path: Path, how: str) -> CorruptFile:
    return CorruptFile(path, f"the CDF library {how} decoding it: the file is damaged (its internal records "
                             "point outside it or disagree); download it again")


def _ask(path: Path, names: list[str], timeout: float) -> None:
    global _program
    if _program is None or _program.poll() is not None:
        if _program is None:
            atexit.register(_close)
        else:
            _close()
        _program = subprocess.Popen([sys.executable, "-m", __name__], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                    stderr=subprocess.DEVNULL, text=True, bufsize=1)
    program = _program
    assert program.stdin is not None and program.stdout is not None
    try:
        program.stdin.write(json.dumps({"path": str(path), "names": list(names)}) + "\n")
        program.stdin.flush()
        ready, _, _ = select.select([program.stdout], [], [], timeout)
        line = program.stdout.readline() if ready else None
    except BrokenPipeError:
        line = ""
    if line is None:
        program.kill()
        program.wait()
        raise _crashed(path, f"did not finish in {timeout:.0f} s")
    if not line:  # it died: a crash decoding this file
        status = program.wait()
        how = f"crashed ({signal.Signals(-status).name})" if status < 0 else f"stopped (status {status})"
        raise _crashed(path, how)
    error = json.loads(line).get("error")
    if error:  # the library's own error, as the read in this process would say it
        raise CorruptFile(path, f"not a readable CDF file ({error})")


def _close() -> None:
    """The program's end: its input closed (it then exits), its pipes closed, its status collected."""
    program = _program
    if program is None:
        return
    for pipe in (program.stdin, program.stdout):
        if pipe is not None:
            with contextlib.suppress(OSError):
                pipe.close()
    with contextlib.suppress(subprocess.TimeoutExpired):
        program.wait(5)


def _serve() -> None:
    """The program: one JSON question a line on stdin, one answer a line on stdout."""
    import numpy  # noqa: F401  # imported before the first question: its answer comes sooner
    import pycdfpp  # noqa: F401

    for line in sys.stdin:
        question = json.loads(line)
        try:
            decode(question["path"], question["names"])
            answer = {}
        except Exception as e:  # a Python error of the library, reported; a crash ends this program
            answer = {"error": f"{type(e).__name__}: {e}"}
        sys.stdout.write(json.dumps(answer) + "\n")
        sys.stdout.flush()


if __name__ == "__main__":
    _serve()
