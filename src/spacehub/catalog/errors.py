"""Why a read failed, as types: callers decide by ``except NoData``, never by an error's text.

Every one is a `ReadError` and so a ``ValueError``: code that caught those keeps working.
"""

from __future__ import annotations

from pathlib import Path


class ReadError(ValueError):
    """Data that cannot be read: names where (file, URL or dataset id) and what is wrong."""

    def __init__(self, path: str | Path, why: str):
        self.path, self.why = str(path), why
        super().__init__(f"{self.path}: {why}")


class NoData(ReadError):
    """Nothing to read in the range: no local files, none in the archive, or remote reads are off."""


class OutsideCoverage(ReadError):
    """The range lies outside the dataset's coverage."""


class BadRange(ReadError):
    """Start or stop is not a time, is missing, or stop is not after start."""


class CorruptFile(ReadError):
    """A file that is not what its format says, or is truncated or damaged."""


class RemoteUnavailable(ReadError):
    """A server could not be reached or kept failing (connection, timeout, HTTP 5xx) after retries."""


class UnknownDataset(KeyError):
    """A dataset id the catalog does not have; the message names close ids or how to list them all."""


class UnknownVariable(ReadError, KeyError):
    """A variable the dataset or file does not have (a KeyError too, as it always was for datasets)."""

    def __str__(self) -> str:  # KeyError would quote the message
        return ValueError.__str__(self)


__all__ = ["BadRange", "CorruptFile", "NoData", "OutsideCoverage", "ReadError", "RemoteUnavailable",
           "UnknownDataset", "UnknownVariable"]
