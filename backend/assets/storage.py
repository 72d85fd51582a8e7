"""Where asset bytes live: a local directory (the embedded default) or an S3-compatible bucket.

`ASSETS_STORAGE=local` (default) writes under `ASSETS_DIR` (instance/assets), `ASSETS_STORAGE=s3`
uses boto3 against `ASSETS_S3_BUCKET` (with `ASSETS_S3_ENDPOINT_URL` for MinIO, R2, moto...). Keys
are content-addressed (`originals/ab/<sha256>.jpg`, `variants/<sha256>/<w>w-q<q>.webp`), so a key's
bytes never change and writing one twice is harmless. Local writes go to a temporary file renamed
into place, so a reader never sees half a file.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path
from typing import Any, Protocol

from flask import Flask, current_app

from backend.errors import ServiceUnavailable


class StorageUnavailable(ServiceUnavailable):
    """The asset store failed (S3 unreachable or refusing, local disk full): a 503, retry later."""

    code = "storage_unavailable"


class Storage(Protocol):
    """The four operations assets need."""

    name: str

    def put(self, key: str, data: bytes, content_type: str) -> None:
        """Store `data` under `key` (overwriting is harmless: keys are content-addressed)."""

    def get(self, key: str) -> bytes | None:
        """The bytes under `key`, or None."""

    def delete(self, key: str) -> None:
        """Remove `key` (absent is fine)."""

    def delete_prefix(self, prefix: str) -> int:
        """Remove every key under `prefix`; how many went."""

    def list_prefix(self, prefix: str) -> list[str]:
        """The keys under `prefix`."""


class LocalStorage:
    """A directory tree; keys are relative paths (never absolute, never with '..')."""

    name = "local"

    def __init__(self, root: str | Path):
        """Store under `root` (created on first write)."""
        self.root = Path(root)

    def _path(self, key: str) -> Path:
        if key.startswith("/") or ".." in key.split("/"):
            raise ValueError(f"bad storage key {key!r}")
        return self.root / key

    def put(self, key: str, data: bytes, content_type: str) -> None:
        """Write through a temporary file in the same directory, then rename (atomic on POSIX)."""
        path = self._path(key)
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-")
        except OSError as exc:
            raise StorageUnavailable(f"asset storage is not writable: {exc.strerror}") from exc
        try:
            with os.fdopen(fd, "wb") as out:
                out.write(data)
            os.replace(tmp, path)
        except OSError as exc:
            Path(tmp).unlink(missing_ok=True)
            raise StorageUnavailable(f"asset storage is not writable: {exc.strerror}") from exc

    def get(self, key: str) -> bytes | None:
        """The file's bytes, or None when it does not exist."""
        try:
            return self._path(key).read_bytes()
        except FileNotFoundError:
            return None

    def delete(self, key: str) -> None:
        """Remove the file if present."""
        self._path(key).unlink(missing_ok=True)

    def list_prefix(self, prefix: str) -> list[str]:
        """The keys in a directory of keys."""
        path = self._path(prefix.rstrip("/"))
        if not path.is_dir():
            return []
        return sorted(str(p.relative_to(self.root)) for p in path.rglob("*") if p.is_file() and
                      not p.name.startswith(".tmp-"))

    def delete_prefix(self, prefix: str) -> int:
        """Remove a directory of keys (e.g. one image's variants)."""
        path = self._path(prefix.rstrip("/"))
        if not path.is_dir():
            return 0
        count = sum(1 for p in path.rglob("*") if p.is_file())
        shutil.rmtree(path, ignore_errors=True)
        return count


class S3Storage:
    """An S3-compatible bucket through boto3 (path-style addressing: MinIO, moto, R2 accept it)."""

    name = "s3"

    def __init__(self, bucket: str, *, endpoint_url: str | None = None, region: str | None = None,
                 access_key: str | None = None, secret_key: str | None = None, prefix: str = "",
                 connect_timeout: float = 3.0, read_timeout: float = 10.0):
        """A client with explicit timeouts and bounded retries (boto3's defaults wait up to a minute)."""
        import boto3
        from botocore.config import Config

        self.bucket = bucket
        self.prefix = prefix.strip("/") + "/" if prefix.strip("/") else ""
        config = Config(connect_timeout=connect_timeout, read_timeout=read_timeout,
                        retries={"max_attempts": 3, "mode": "standard"}, s3={"addressing_style": "path"})
        self.client = boto3.client("s3", endpoint_url=endpoint_url, region_name=region or "us-east-1",
                                   aws_access_key_id=access_key, aws_secret_access_key=secret_key, config=config)

    def _call(self, operation: str, **kwargs: Any) -> Any:
        """One S3 call; transport failures and error answers become StorageUnavailable (503)."""
        from botocore.exceptions import BotoCoreError, ClientError

        try:
            return getattr(self.client, operation)(**kwargs)
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") in ("NoSuchKey", "404"):
                raise KeyError(kwargs.get("Key")) from None
            raise StorageUnavailable(f"asset storage refused {operation}: "
                                     f"{exc.response.get('Error', {}).get('Code', 'error')}") from exc
        except BotoCoreError as exc:
            raise StorageUnavailable(f"asset storage is unreachable ({type(exc).__name__})") from exc

    def put(self, key: str, data: bytes, content_type: str) -> None:
        """PUT the object with its content type and an immutable cache header (keys never change)."""
        self._call("put_object", Bucket=self.bucket, Key=self.prefix + key, Body=data, ContentType=content_type,
                               CacheControl="public, max-age=31536000, immutable")

    def get(self, key: str) -> bytes | None:
        """GET the object; a missing key is None."""
        try:
            return self._call("get_object", Bucket=self.bucket, Key=self.prefix + key)["Body"].read()
        except KeyError:
            return None

    def delete(self, key: str) -> None:
        """DELETE the object (S3 answers 204 for a missing key too)."""
        self._call("delete_object", Bucket=self.bucket, Key=self.prefix + key)

    def list_prefix(self, prefix: str) -> list[str]:
        """The keys under `prefix` (without our own ASSETS_S3_PREFIX)."""
        keys, token = [], None
        while True:
            extra = {"ContinuationToken": token} if token else {}
            page = self._call("list_objects_v2", Bucket=self.bucket, Prefix=self.prefix + prefix, **extra)
            keys += [item["Key"][len(self.prefix):] for item in page.get("Contents", [])]
            token = page.get("NextContinuationToken")
            if not token:
                return keys

    def delete_prefix(self, prefix: str) -> int:
        """List the prefix and delete in batches of up to 1,000 keys (S3's limit per call)."""
        keys = self.list_prefix(prefix)
        for start in range(0, len(keys), 1000):
            batch = [{"Key": self.prefix + key} for key in keys[start:start + 1000]]
            self._call("delete_objects", Bucket=self.bucket, Delete={"Objects": batch, "Quiet": True})
        return len(keys)


def build_storage(config: Any) -> Storage:
    """The storage ASSETS_STORAGE names (RuntimeError for an unknown kind or an s3 store without a bucket)."""
    kind = str(config.get("ASSETS_STORAGE") or "local").lower()
    if kind == "local":
        return LocalStorage(config["ASSETS_DIR"])
    if kind == "s3":
        bucket = config.get("ASSETS_S3_BUCKET")
        if not bucket:
            raise RuntimeError("ASSETS_STORAGE=s3 needs ASSETS_S3_BUCKET")
        return S3Storage(bucket, endpoint_url=config.get("ASSETS_S3_ENDPOINT_URL") or None,
                         region=config.get("ASSETS_S3_REGION") or None,
                         access_key=config.get("ASSETS_S3_ACCESS_KEY_ID") or None,
                         secret_key=config.get("ASSETS_S3_SECRET_ACCESS_KEY") or None,
                         prefix=config.get("ASSETS_S3_PREFIX") or "")
    raise RuntimeError(f"ASSETS_STORAGE must be local or s3, got {kind!r}")


def storage(app: Flask | None = None) -> Storage:
    """The app's storage, built once per app (boto3 clients are thread-safe and pool connections)."""
    app = app or current_app._get_current_object()  # type: ignore[attr-defined]
    store = app.extensions.get("assets.storage")
    if store is None:
        store = app.extensions["assets.storage"] = build_storage(app.config)
    return store
