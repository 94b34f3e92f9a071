"""Files whose libraries can crash or hang on damage are read in a program of their own: a damaged
file can end that program, never the kernel or the data service that asked.

pycdfpp trusts a CDF's internal pointers: one damaged byte (a flipped bit of an attribute record's
"next" offset, say) makes it read far outside the file, and the process dies of a segmentation
fault. HDF5 (under netCDF-4, through h5py) loops forever on some damaged dimension-scale records. In
a notebook that would be the kernel, with everything its user had not saved; in the data service
every request of every user. So no spacehub process but this program hands a CDF to pycdfpp or a
netCDF-4/HDF5 file to h5py: it decodes and masks a CDF's variables (`cdf_decode`) or loads a
netCDF file (`netcdf_load`), and describes the result as plain values; the asking process
copies the arrays straight out of the program's memory (``process_vm_readv``, one memory copy;
where a sandbox forbids that call they come through the pipe instead, slower). When the program
dies, or takes longer than ``TIMEOUT_SECONDS_PER_MB`` (at least ``TIMEOUT_FLOOR``), it is ended and
the read is a `CorruptFile` that says so; the next read starts a new program.

The program is ``python -m spacehub.catalog.readers.child`` (never a fork of the asking process,
whose threads may hold locks). Programs are kept for the next read: as many as reads ran at once,
up to ``IDLE_MOST``; one idle for ``IDLE_SECONDS`` ends, giving its memory back (a workshop's forty
kernels keep no forty idle readers). Cost (benchmarks/RESULTS.md, "CDF read throughput"): the
program's start once per process, and one copy of the values read.

Protocol on the program's standard input and output: a question is a length-prefixed pickle; the
answer too, holding either an error (its kind and text) or the read's pickle (protocol 5) whose
large arrays are left out of band, given as (address, size) in the program's memory. The program
then waits for one byte: ``D`` (the asker copied them itself) or ``S`` (send them on the pipe).
"""

from __future__ import annotations

import atexit
import contextlib
import ctypes
import errno
import os
import pickle
import select
import signal
import struct
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import numpy as np

from .. import errors
from ..errors import CorruptFile, ReadError

#: seconds a read may take per MB of file (and at least ``TIMEOUT_FLOOR``) before the file is called damaged
TIMEOUT_SECONDS_PER_MB, TIMEOUT_FLOOR = 2.0, 60.0

#: programs kept between reads, and the seconds an idle one waits for a question before it ends
IDLE_MOST, IDLE_SECONDS = 4, 300.0

#: arrays smaller than this travel inside the answer's pickle
INBAND_BELOW = 1 << 16

_FRAME = struct.Struct("<Q")


class _Timeout(Exception):
    pass


# ---------------------------------------------------------------- the asking process


class _Program:
    def __init__(self) -> None:
        self.popen = subprocess.Popen([sys.executable, "-m", __name__, str(IDLE_SECONDS)], stdin=subprocess.PIPE,
                                      stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, bufsize=0)
        assert self.popen.stdin is not None and self.popen.stdout is not None
        self.to, self.fro = self.popen.stdin.fileno(), self.popen.stdout.fileno()

    def alive(self) -> bool:
        return self.popen.poll() is None

    def how_it_ended(self) -> str:
        try:
            status = self.popen.wait(5)
        except subprocess.TimeoutExpired:  # its output closed but it lives on: ended by us
            self.popen.kill()
            return "stopped answering"
        return f"crashed ({signal.Signals(-status).name})" if status < 0 else f"stopped (status {status})"

    def close(self) -> None:
        """Its input closed (it then exits), its pipes closed, its status collected."""
        for pipe in (self.popen.stdin, self.popen.stdout):
            if pipe is not None:
                with contextlib.suppress(OSError):
                    pipe.close()
        try:
            self.popen.wait(5)
        except subprocess.TimeoutExpired:
            self.kill()

    def kill(self) -> None:
        with contextlib.suppress(OSError):
            self.popen.kill()
        self.popen.wait()
        for pipe in (self.popen.stdin, self.popen.stdout):
            if pipe is not None:
                with contextlib.suppress(OSError):
                    pipe.close()


_idle: list[_Program] = []
_idle_lock = threading.Lock()
_vm_read: bool | None = None  # whether process_vm_readv works here (None: not tried yet)


def _take() -> tuple[_Program, bool]:
    """A program for one read, and whether it served an earlier one."""
    with _idle_lock:
        while _idle:
            program = _idle.pop()
            if program.alive():
                return program, True
            program.close()
    return _Program(), False


def _give(program: _Program) -> None:
    with _idle_lock:
        if len(_idle) < IDLE_MOST and program.alive():
            _idle.append(program)
            return
    program.close()


@atexit.register
def _close_all() -> None:
    with _idle_lock:
        left, _idle[:] = list(_idle), []
    for program in left:
        program.close()


def _forget() -> None:  # a forked child must not share its parent's programs (nor its threads)
    global _idle_lock, _copiers
    _idle.clear()
    _idle_lock = threading.Lock()
    _copiers = None


os.register_at_fork(after_in_child=_forget)


def read(path: Path, question: dict[str, Any]) -> Any:
    """The program's answer to ``question`` about ``path``: the read's values, or its `ReadError`.
    ``question["kind"]``: ``cdf`` (`cdf_decode.extract`), ``cdf-variable`` (`cdf_decode.one_variable`)
    or ``netcdf`` (`netcdf_load.read_here`), with their arguments."""
    timeout = max(TIMEOUT_FLOOR, path.stat().st_size / 1e6 * TIMEOUT_SECONDS_PER_MB)
    deadline = time.monotonic() + timeout
    while True:
        program, reused = _take()
        keep = False
        try:
            found = _ask(program, path, question, deadline)
            keep = True
            return found
        except ReadError:
            keep = True
            raise
        except (EOFError, BrokenPipeError, ConnectionResetError):
            how = program.how_it_ended()
            if reused and program.popen.returncode == 0:  # it had ended, idle, as the question came
                continue
            raise _crashed(path, question["kind"], how) from None
        except _Timeout:
            raise _crashed(path, question["kind"], f"did not finish in {timeout:.0f} s") from None
        finally:
            if keep:
                _give(program)
            else:  # dead, slow, or interrupted half-way through an answer
                program.kill()


def _ask(program: _Program, path: Path, question: dict[str, Any], deadline: float) -> Any:
    global _vm_read
    _write_all(program.to, _frame({**question, "path": str(path)}))
    header = pickle.loads(_read_frame(program.fro, deadline))
    if "error" in header:
        kind = getattr(errors, header["error"], None)
        if not (isinstance(kind, type) and issubclass(kind, ReadError)):
            kind = ReadError
        raise kind(path, header["why"])
    spans = header["buffers"]
    buffers = [np.empty(size, np.uint8) for _, size in spans]
    problem = _copy_out(program.popen.pid, spans, buffers) if _vm_read is not False else errno.EPERM
    if problem in (errno.EPERM, errno.ENOSYS, errno.EACCES):
        _vm_read = False
    elif problem == 0:
        _vm_read = True
    if problem:
        _write_all(program.to, b"S")
        for buffer in buffers:
            _read_into(program.fro, buffer.data, deadline)
    else:
        _write_all(program.to, b"D")
    return pickle.loads(header["payload"], buffers=buffers)


#: the library each kind of question hands the file to, as the errors name it
_LIBRARY = {"cdf": "the CDF library", "cdf-variable": "the CDF library", "netcdf": "the HDF5 library"}


def _crashed(path: Path, kind: str, how: str) -> CorruptFile:
    return CorruptFile(path, f"{_LIBRARY[kind]} {how} decoding it: the file is damaged (its internal records "
                             "point outside it or disagree); download it again")


class _IOVec(ctypes.Structure):
    _fields_ = [("base", ctypes.c_void_p), ("len", ctypes.c_size_t)]


_libc: Any = None


#: the copy out of the program goes in pieces of this many bytes, spread over ``COPY_THREADS``
COPY_PIECE, COPY_THREADS = 8 << 20, os.cpu_count() or 1
_copiers: ThreadPoolExecutor | None = None


def _copy_out(pid: int, spans: list[tuple[int, int]], buffers: list[np.ndarray]) -> int:
    """Copy the program's arrays into ``buffers``; 0, or the errno that stopped it. Large ones are
    copied by several threads at once (the call releases the GIL; page faults of the new memory
    are most of its cost)."""
    global _libc, _copiers
    if _libc is None:
        _libc = ctypes.CDLL(None, use_errno=True)
        if not hasattr(_libc, "process_vm_readv"):  # not Linux: the pipe it is
            return errno.ENOSYS
        _libc.process_vm_readv.restype = ctypes.c_ssize_t
        _libc.process_vm_readv.argtypes = [ctypes.c_int, ctypes.POINTER(_IOVec), ctypes.c_ulong,
                                           ctypes.POINTER(_IOVec), ctypes.c_ulong, ctypes.c_ulong]
    pieces = [(buffer.ctypes.data + at, address + at, min(COPY_PIECE, size - at))
              for (address, size), buffer in zip(spans, buffers, strict=True) for at in range(0, size, COPY_PIECE)]

    def copy(piece: tuple[int, int, int]) -> int:
        local_at, remote_at, size = piece
        done = 0
        while done < size:
            local, remote = _IOVec(local_at + done, size - done), _IOVec(remote_at + done, size - done)
            got = _libc.process_vm_readv(pid, ctypes.byref(local), 1, ctypes.byref(remote), 1, 0)
            if got <= 0:
                return ctypes.get_errno() or errno.EIO
            done += got
        return 0

    if len(pieces) < 2 or COPY_THREADS < 2:
        problems = [copy(p) for p in pieces]
    else:
        with _idle_lock:
            if _copiers is None:
                _copiers = ThreadPoolExecutor(COPY_THREADS, thread_name_prefix="cdf-copy")
        problems = list(_copiers.map(copy, pieces))
    return next((p for p in problems if p), 0)


# ---------------------------------------------------------------- framing, both sides


def _frame(value: Any) -> bytes:
    data = pickle.dumps(value, protocol=5)
    return _FRAME.pack(len(data)) + data


def _write_all(fd: int, data: bytes | memoryview) -> None:
    view = memoryview(data).cast("B")
    while view:
        view = view[os.write(fd, view):]


def _read_into(fd: int, view: memoryview, deadline: float | None) -> None:
    view = view.cast("B")
    while view:
        if deadline is not None:
            ready, _, _ = select.select([fd], [], [], max(0.0, deadline - time.monotonic()))
            if not ready:
                raise _Timeout
        got = os.readv(fd, [view])
        if got == 0:
            raise EOFError
        view = view[got:]


def _read_frame(fd: int, deadline: float | None) -> bytes:
    size = bytearray(_FRAME.size)
    _read_into(fd, memoryview(size), deadline)
    data = bytearray(_FRAME.unpack(size)[0])
    _read_into(fd, memoryview(data), deadline)
    return bytes(data)


# ---------------------------------------------------------------- the program


def _answer(question: dict[str, Any]) -> tuple[Any, Any]:
    path = Path(question["path"])
    if question["kind"] == "netcdf":
        from .netcdf_load import read_here

        return read_here(path, question["variables"]), None
    from . import cdf_decode

    if question["kind"] == "cdf-variable":
        values, keep = cdf_decode.one_variable(path, question["name"], question["compiled_from"],
                                               question["records"])
        return {"values": values}, keep
    return cdf_decode.extract(path, question["variables"], question["first_axis_only"], question["values"],
                              question["compiled_from"], question["threads"])


def _header(question: dict[str, Any]) -> tuple[dict[str, Any], list[memoryview], Any]:
    """The answer's header, the memory of its out-of-band arrays, and what that memory belongs to."""
    try:
        found, keep = _answer(question)
    except ReadError as e:
        return {"error": type(e).__name__, "why": e.why}, [], None
    except MemoryError:
        return {"error": "CorruptFile", "why": "declares more data than fits in memory: the file is damaged, "
                                               "or read fewer variables"}, [], None
    except Exception as e:  # what the library raises on a damaged file: a name that is not UTF-8, an offset
        # past any file, a shape that does not fit ...; whatever it is, it is about this file
        return {"error": "CorruptFile", "why": f"damaged: {type(e).__name__}: {e}"}, [], None
    views: list[memoryview] = []

    def out_of_band(buffer: pickle.PickleBuffer) -> bool:
        raw = buffer.raw()
        if raw.nbytes < INBAND_BELOW:
            return True
        views.append(raw)
        return False

    try:
        payload = pickle.dumps(found, protocol=5, buffer_callback=out_of_band)
    except Exception as e:  # a value of a type the asker could not rebuild
        return {"error": "CorruptFile", "why": f"holds a value that cannot be passed on ({type(e).__name__}: {e})"}, \
            [], None
    spans = [(int(np.frombuffer(v, np.uint8).ctypes.data), v.nbytes) for v in views]
    return {"payload": payload, "buffers": spans}, views, (found, keep)


def _serve(idle_seconds: float) -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # an interrupted kernel's process group: the asker decides
    import pycdfpp  # noqa: F401  # imported before the first question: its answer comes sooner

    from . import cdf_decode  # noqa: F401

    libc = ctypes.CDLL(None)
    while True:
        if not select.select([0], [], [], idle_seconds)[0]:
            return  # idle: its memory back to the machine (the asker starts another when needed)
        try:
            question = pickle.loads(_read_frame(0, None))
        except EOFError:
            return
        header, views, keep = _header(question)
        _write_all(1, _frame(header))
        if "buffers" in header:
            how = os.read(0, 1)
            if how == b"S":
                for view in views:
                    _write_all(1, view)
            elif not how:
                return
        del header, views, keep
        with contextlib.suppress(AttributeError):  # glibc: what was freed goes back to the machine
            libc.malloc_trim(0)


if __name__ == "__main__":
    _serve(float(sys.argv[1]) if len(sys.argv) > 1 else IDLE_SECONDS)
