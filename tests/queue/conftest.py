from __future__ import annotations

from collections.abc import Iterator

import boto3
import pytest
import redis

from support.cluster import BUCKET, MACHINE_REDIS, S3_KEYS, Cluster, moto_s3, redis_keys_cleaned


@pytest.fixture
def s3_endpoint() -> Iterator[str]:
    """moto's S3 server with the bucket made (as an operator makes it before the first worker starts)."""
    with moto_s3() as endpoint:
        s3 = boto3.client("s3", endpoint_url=endpoint, aws_access_key_id=S3_KEYS["AWS_ACCESS_KEY_ID"],
                          aws_secret_access_key=S3_KEYS["AWS_SECRET_ACCESS_KEY"],
                          region_name=S3_KEYS["AWS_DEFAULT_REGION"])
        s3.create_bucket(Bucket=BUCKET)
        s3.close()
        yield endpoint


@pytest.fixture
def cluster(postgres_url, s3_endpoint) -> Iterator[Cluster]:
    """One test's cluster: its own PostgreSQL schema, its own namespace on the machine's Redis, an S3 server."""
    made = Cluster(database=postgres_url, broker_url=MACHINE_REDIS, s3_endpoint=s3_endpoint)
    client = redis.StrictRedis.from_url(MACHINE_REDIS)
    try:
        yield made
    finally:
        redis_keys_cleaned(client, made.namespace)
        client.connection_pool.disconnect()
