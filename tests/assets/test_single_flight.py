"""Variants are encoded once per host, also across processes (the host-wide flock, not a thread lock)."""

from __future__ import annotations

import hashlib
import multiprocessing

from backend.assets import variants
from backend.assets.storage import LocalStorage
from tests.common import images_factory as make

PROCESSES = 4


def _first_request(args: tuple[str, str, str, multiprocessing.synchronize.Barrier]) -> bool:
    root, locks, content_hash, barrier = args
    barrier.wait()
    _data, created = variants.get_or_create(LocalStorage(root), locks, content_hash, "JPEG", 64, "WEBP", 70)
    return created


def test_concurrent_processes_encode_a_variant_once(tmp_path):
    original = make.photo(800, 600)
    content_hash = hashlib.sha256(original).hexdigest()
    store = LocalStorage(tmp_path / "assets")
    store.put(variants.original_key(content_hash, "JPEG"), original, "image/jpeg")
    context = multiprocessing.get_context("fork")
    barrier = context.Barrier(PROCESSES)
    workers = [context.Process(target=_report, args=(str(tmp_path / "assets"), str(tmp_path / "locks"),
                                                      content_hash, barrier, str(tmp_path / f"r{i}")))
               for i in range(PROCESSES)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(60)
        assert worker.exitcode == 0
    created = [(tmp_path / f"r{i}").read_text() for i in range(PROCESSES)]
    assert sorted(created) == ["False"] * (PROCESSES - 1) + ["True"]
    assert store.list_prefix(variants.variants_prefix(content_hash)) == [
        variants.variant_key(content_hash, 64, "WEBP", 70)]


def _report(root: str, locks: str, content_hash: str, barrier, out: str) -> None:
    """One process's first request; writes whether it encoded."""
    with open(out, "w") as handle:
        handle.write(str(_first_request((root, locks, content_hash, barrier))))
