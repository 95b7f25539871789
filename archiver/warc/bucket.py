"""WARCs in an S3-compatible bucket (`storage.warc_store = "s3://bucket/prefix"`): upload, verify, download.

The only module importing boto3. The endpoint, region and keys come from boto3's own
configuration (AWS_ENDPOINT_URL, AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_DEFAULT_REGION
or ~/.aws), so MinIO, Ceph RGW and AWS S3 are configured the same way.

An upload is verified before anyone deletes the local file: the bucket checks the body
against Content-MD5 as it stores it, and a HEAD afterwards must give back the same size,
the same MD5 (the ETag of a single-part upload) and our SHA-256 in the object's metadata.
A download is checked against the size and SHA-256 the database recorded.
"""

from __future__ import annotations

import base64
import hashlib
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

import boto3
from botocore.exceptions import BotoCoreError, ClientError

from archiver.errors import ArchiverError, ConfigError

CHUNK = 1 << 20


class BucketError(ArchiverError):
    """The bucket refused, lost or changed an object."""


@dataclass(frozen=True)
class Uploaded:
    key: str
    size: int
    sha256: str


def parse_store_url(url: str) -> tuple[str, str]:
    """("bucket", "prefix") of s3://bucket/prefix; ConfigError naming storage.warc_store otherwise."""
    parts = urlsplit(url)
    if parts.scheme != "s3" or not parts.netloc or parts.query or parts.fragment:
        raise ConfigError("storage.warc_store", url, "s3://BUCKET/PREFIX (an S3-compatible bucket), or empty")
    return parts.netloc, parts.path.strip("/")


def file_digests(path: Path) -> tuple[int, str, str]:
    """(size, md5 hex, sha256 hex) of the file at `path`."""
    md5, sha256, size = hashlib.md5(usedforsecurity=False), hashlib.sha256(), 0
    with open(path, "rb") as handle:
        while chunk := handle.read(CHUNK):
            md5.update(chunk)
            sha256.update(chunk)
            size += len(chunk)
    return size, md5.hexdigest(), sha256.hexdigest()


class WarcBucket:
    """One bucket and prefix; safe to share between threads (boto3 clients are)."""

    def __init__(self, store_url: str, *, client=None):
        self.bucket, self.prefix = parse_store_url(store_url)
        self._client = client or boto3.client("s3")

    def key_for(self, folder: str, name: str) -> str:
        return "/".join(part for part in (self.prefix, folder, name) if part)

    def upload(self, path: Path, key: str) -> Uploaded:
        """Put the file at `key` and verify it (size, MD5, SHA-256); BucketError when anything differs."""
        size, md5, sha256 = file_digests(path)
        try:
            with open(path, "rb") as body:
                self._client.put_object(Bucket=self.bucket, Key=key, Body=body, ContentLength=size,
                                        ContentMD5=base64.b64encode(bytes.fromhex(md5)).decode("ascii"),
                                        Metadata={"sha256": sha256})
            head = self._client.head_object(Bucket=self.bucket, Key=key)
        except (BotoCoreError, ClientError) as exc:
            raise BucketError(f"cannot upload {path.name} to s3://{self.bucket}/{key}: {exc}") from exc
        stored = (head.get("ContentLength"), head.get("ETag", "").strip('"'), head.get("Metadata", {}).get("sha256"))
        if stored != (size, md5, sha256):
            raise BucketError(f"s3://{self.bucket}/{key} does not match {path.name}: stored (size, md5, sha256) "
                              f"{stored}, local {(size, md5, sha256)}")
        return Uploaded(key, size, sha256)

    def download(self, key: str, destination: Path, *, size: int | None = None, sha256: str | None = None) -> Path:
        """Fetch `key` into `destination` (atomically), checked against `size` and `sha256` when given."""
        destination.parent.mkdir(parents=True, exist_ok=True)
        handle, partial = tempfile.mkstemp(prefix=destination.name + ".", suffix=".part", dir=destination.parent)
        try:
            digest, got = hashlib.sha256(), 0
            with os.fdopen(handle, "wb") as out:
                body = self._client.get_object(Bucket=self.bucket, Key=key)["Body"]
                for chunk in iter(lambda: body.read(CHUNK), b""):
                    out.write(chunk)
                    digest.update(chunk)
                    got += len(chunk)
            if (size is not None and got != size) or (sha256 is not None and digest.hexdigest() != sha256):
                raise BucketError(f"s3://{self.bucket}/{key}: {got} bytes, sha256 {digest.hexdigest()}; "
                                  f"the database recorded {size} bytes, sha256 {sha256}")
            os.replace(partial, destination)
        except (BotoCoreError, ClientError) as exc:
            raise BucketError(f"cannot download s3://{self.bucket}/{key}: {exc}") from exc
        finally:
            Path(partial).unlink(missing_ok=True)
        return destination
