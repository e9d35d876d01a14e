"""The producers' S3 adapter (joblogs.s3_http) against a moto server that verifies SigV4 signatures
(as S3 does), and the endpoint rules it follows instead of a boto3 client's."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from typing import Any, Iterator

import pytest

from joblogs.errors import StoreError
from joblogs.s3_http import S3HttpStore, configured_endpoint, default_endpoint, virtual_host_compatible
from tests.support.moto import free_port

KEY = "chunks/v1/job-1/main/0000000000.log.gz"


class _Profile:
    """A botocore session's profile config, for :func:`configured_endpoint`."""

    def __init__(self, config: dict[str, str]):
        self._config = config

    def get_scoped_config(self) -> dict[str, str]:
        return self._config


@pytest.fixture(scope="module")
def signed_s3() -> Iterator[dict[str, str]]:
    """A moto server of its own that checks every request's signature after the first three
    (which create the producer's user, its key and its policy); yields that user's AWS environment."""
    import boto3

    port = free_port()
    moto_server = os.path.join(os.path.dirname(sys.executable), "moto_server")
    env = {**os.environ, "INITIAL_NO_AUTH_ACTION_COUNT": "3"}
    process = subprocess.Popen(
        [moto_server, "-H", "127.0.0.1", "-p", str(port)], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    url = f"http://127.0.0.1:{port}"
    try:
        iam = boto3.client("iam", endpoint_url=url, region_name="us-east-1", aws_access_key_id="a", aws_secret_access_key="b")
        for _ in range(100):
            try:
                iam.create_user(UserName="producer")
                break
            except Exception:
                time.sleep(0.1)
        key = iam.create_access_key(UserName="producer")["AccessKey"]
        policy = '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"*"}]}'
        iam.put_user_policy(UserName="producer", PolicyName="s3", PolicyDocument=policy)
        aws = {
            "AWS_ENDPOINT_URL": url,
            "AWS_REGION": "us-east-1",
            "AWS_ACCESS_KEY_ID": key["AccessKeyId"],
            "AWS_SECRET_ACCESS_KEY": key["SecretAccessKey"],
        }
        boto3.client(
            "s3",
            endpoint_url=url,
            region_name="us-east-1",
            aws_access_key_id=aws["AWS_ACCESS_KEY_ID"],
            aws_secret_access_key=aws["AWS_SECRET_ACCESS_KEY"],
        ).create_bucket(Bucket="signed")
        yield aws
    finally:
        process.terminate()
        process.wait(10)


@pytest.fixture
def aws_env(signed_s3: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    for name in [n for n in os.environ if n.startswith("AWS_")]:
        monkeypatch.delenv(name)
    for name, value in signed_s3.items():
        monkeypatch.setenv(name, value)
    return signed_s3


def test_writes_once_reads_back_and_lists_with_requests_s3_accepts_as_signed(aws_env: dict[str, str]) -> None:
    store = S3HttpStore("signed")
    metadata = {"content-sha256": "ab" * 32, "traceparent": "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01", "final": "true"}
    assert store.put_if_absent(KEY, b"\x1f\x8bbody", metadata=metadata, content_type="application/gzip") is True
    # If-None-Match: * — the second write of the key changes nothing.
    assert store.put_if_absent(KEY, b"\x1f\x8bother", metadata={}, content_type="application/gzip") is False
    assert store.head_metadata(KEY) == metadata
    assert store.get(KEY) == b"\x1f\x8bbody"
    assert store.head_metadata("chunks/v1/job-1/main/0000000001.log.gz") is None
    assert store.get("chunks/v1/job-1/main/0000000001.log.gz") is None
    store.check_bucket("chunks/v1/job-1/")


def test_a_wrong_secret_is_refused_by_the_signature_check_and_not_retried(aws_env: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "not-the-secret")
    with pytest.raises(StoreError) as refused:
        S3HttpStore("signed").get(KEY)
    assert (refused.value.status, refused.value.code, refused.value.transient) == (403, "SignatureDoesNotMatch", False)


def test_names_a_missing_bucket_and_missing_credentials_as_permanent(aws_env: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(StoreError) as missing:
        S3HttpStore("no-such-bucket-joblogs").check_bucket("chunks/v1/job-1/")
    assert (missing.value.status, missing.value.transient) == (404, False)
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"):
        monkeypatch.delenv(name)
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent")
    monkeypatch.setenv("AWS_CONFIG_FILE", "/nonexistent")
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    with pytest.raises(StoreError) as anonymous:
        S3HttpStore("signed").get(KEY)
    assert (anonymous.value.code, anonymous.value.transient) == ("NoCredentials", False)


def test_an_unreachable_endpoint_is_transient(aws_env: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_ENDPOINT_URL", f"http://127.0.0.1:{free_port()}")
    with pytest.raises(StoreError) as unreachable:
        S3HttpStore("signed", connect_timeout=1, read_timeout=1).put_if_absent(KEY, b"x", metadata={}, content_type="application/gzip")
    assert unreachable.value.transient and unreachable.value.status is None


def test_finds_the_endpoint_as_the_sdks_do() -> None:
    profile = _Profile({"endpoint_url": "https://profile.example"})
    session: Any = profile
    assert (
        configured_endpoint(session, {"AWS_ENDPOINT_URL_S3": "http://s3only:9000/", "AWS_ENDPOINT_URL": "http://all:1"})
        == "http://s3only:9000"
    )
    assert configured_endpoint(session, {"AWS_ENDPOINT_URL": "http://all:1"}) == "http://all:1"
    assert configured_endpoint(session, {}) == "https://profile.example"
    assert configured_endpoint(session, {"AWS_ENDPOINT_URL": "http://all:1", "AWS_IGNORE_CONFIGURED_ENDPOINT_URLS": "true"}) is None
    assert default_endpoint("eu-west-1") == "https://s3.eu-west-1.amazonaws.com"
    assert default_endpoint("cn-north-1") == "https://s3.cn-north-1.amazonaws.com.cn"


def test_addresses_the_bucket_by_host_name_where_it_can() -> None:
    assert virtual_host_compatible("joblogs-prod-logs", "s3.eu-west-1.amazonaws.com", "https")
    assert not virtual_host_compatible("joblogs.prod.logs", "s3.eu-west-1.amazonaws.com", "https")  # dots break the TLS host name
    assert not virtual_host_compatible("joblogs-prod-logs", "127.0.0.1", "http")
    assert not virtual_host_compatible("joblogs-prod-logs", "localhost", "http")
    store = S3HttpStore("joblogs-prod-logs")
    assert store._url("https://s3.eu-west-1.amazonaws.com", KEY) == f"https://joblogs-prod-logs.s3.eu-west-1.amazonaws.com/{KEY}"
    assert store._url("http://127.0.0.1:5160", KEY) == f"http://127.0.0.1:5160/joblogs-prod-logs/{KEY}"
    assert S3HttpStore("b-1", force_path_style=True)._url("http://minio:9000", "") == "http://minio:9000/b-1"
