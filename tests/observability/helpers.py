"""Reading the metrics back in tests: flush this process's tally, merge the directory's files."""

from __future__ import annotations

import os

from backend.observability import readout
from backend.observability.multiproc import ENV
from backend.observability.tally import flush_process


def value(family: str, **labels: str) -> float:
    """The merged value of `family`'s samples (the `_total`/plain ones) whose labels include `labels`."""
    flush_process()
    rows = readout.samples(os.environ[ENV]).get(family, [])
    return sum(v for name, lab, v in rows
               if not name.endswith(("_bucket", "_created", "_sum", "_count")) and
               all(lab.get(k) == want for k, want in labels.items()))


def histogram_count(family: str, **labels: str) -> float:
    """The `_count` of a histogram's samples matching `labels`."""
    flush_process()
    rows = readout.samples(os.environ[ENV]).get(family, [])
    return sum(v for name, lab, v in rows if name.endswith("_count") and
               all(lab.get(k) == want for k, want in labels.items()))
