"""The shipper library and launcher helpers on a real moto S3: write-once keys, 412 handling, registration, credentials."""

from __future__ import annotations

import gzip
import hashlib
from typing import Any, Mapping

import pytest

from joblogs.config import parse_cli
from joblogs.errors import ContractError, JobRegistrationError, StoreError
from joblogs.events import Conflict, ShipperEvent, Uploaded
from joblogs.launcher import producer_credentials, register_job
from joblogs.options import ShipperOptions
from joblogs.shipper import Shipper
from joblogs.store import S3Store
from tests.support.moto import MotoServer, chunks_of, get_json, keys_under


def open_shipper(s3: Any, bucket: str, spool_root: str, job_id: str, events: list[ShipperEvent], **options: Any) -> Shipper:
    return Shipper.open(ShipperOptions(job_id=job_id, bucket=bucket, spool_dir=spool_root, **options), S3Store(s3, bucket), events.append)


class AnswerLostOnce(S3Store):
    """The real S3 adapter, except that the first chunk PUT's answer is lost after S3 stored the object."""

    lost = False

    def put_if_absent(self, key: str, body: bytes, *, metadata: Mapping[str, str], content_type: str) -> bool:
        created = super().put_if_absent(key, body, metadata=metadata, content_type=content_type)
        if key.startswith("chunks/") and not self.lost:
            self.lost = True
            raise StoreError("connection reset after the request was sent", transient=True)
        return created


def test_uploads_with_content_sha256_and_treats_a_412_of_our_own_content_as_done(s3: Any, bucket: str, spool_root: str) -> None:
    events: list[ShipperEvent] = []
    options = ShipperOptions(job_id="lib-1", bucket=bucket, spool_dir=spool_root, retry_base_ms=10)
    shipper = Shipper.open(options, AnswerLostOnce(s3, bucket), events.append)
    shipper.write("stdout", b"one\ntwo\n")
    summary = shipper.close(exit_code=0)
    uploaded = chunks_of(s3, bucket, "lib-1")
    assert len(uploaded) == 1 and uploaded[0].metadata["content-sha256"] == hashlib.sha256(uploaded[0].body).hexdigest()
    assert [(e.seq, e.attempts, e.already_there) for e in events if isinstance(e, Uploaded)] == [(0, 2, True)]
    assert (summary.uploaded, summary.retries, summary.conflicts, summary.pending) == (1, 1, 0, 0)
    assert get_json(s3, bucket, "jobs/v1/lib-1/main/final.json")["lineCount"] == 2


def test_keeps_a_chunk_whose_key_holds_another_writers_content_and_stops_that_source(s3: Any, bucket: str, spool_root: str) -> None:
    foreign = gzip.compress(b'{"t":"2026-01-01T00:00:00.000Z","s":"stdout","n":0,"m":"not ours"}\n')
    s3.put_object(
        Bucket=bucket,
        Key="chunks/v1/lib-2/main/0000000000.log.gz",
        Body=foreign,
        Metadata={"content-sha256": hashlib.sha256(foreign).hexdigest()},
    )
    events: list[ShipperEvent] = []
    shipper = open_shipper(s3, bucket, spool_root, "lib-2", events, close_timeout_ms=3000, flush_interval_ms=50)
    shipper.write("stdout", b"ours\n")
    summary = shipper.close(exit_code=0)
    assert [e.key for e in events if isinstance(e, Conflict)] == ["chunks/v1/lib-2/main/0000000000.log.gz"]
    assert summary.conflicts == 1 and summary.pending >= 1 and summary.uploaded == 0
    assert s3.get_object(Bucket=bucket, Key="chunks/v1/lib-2/main/0000000000.log.gz")["Body"].read() == foreign
    assert "summary" and "1 conflicts" in summary.line()
    assert keys_under(s3, bucket, "jobs/v1/lib-2/main/final") == []


def test_writes_running_once_and_reports_a_final_marker_that_differs(s3: Any, bucket: str, spool_root: str) -> None:
    events: list[ShipperEvent] = []
    open_shipper(s3, bucket, spool_root, "lib-3", events).close(exit_code=0)
    first_running = get_json(s3, bucket, "jobs/v1/lib-3/main/running.json")
    second = open_shipper(s3, bucket, spool_root, "lib-3", events)
    second.write("stdout", b"a re-run\n")
    summary = second.close(exit_code=1)
    assert get_json(s3, bucket, "jobs/v1/lib-3/main/running.json") == first_running
    assert get_json(s3, bucket, "jobs/v1/lib-3/main/final.json")["exitCode"] == 0
    assert summary.conflicts == 1
    assert any(isinstance(e, Conflict) and e.key.endswith("final.json") for e in events)


def test_ships_service_metadata_and_no_authority_fields(s3: Any, bucket: str, spool_root: str) -> None:
    shipper = open_shipper(
        s3, bucket, spool_root, "api-host1", [], source="api", dataset="mlplatform.service", service="api", container_id="c0ffee"
    )
    shipper.write("stdout", b'{"message":"hi"}\n')
    shipper.close()
    metadata = chunks_of(s3, bucket, "api-host1", "api")[0].metadata
    assert (metadata["dataset"], metadata["service"], metadata["container-id"]) == ("mlplatform.service", "api", "c0ffee")
    assert "owner" not in metadata and "team" not in metadata and "exit-code" not in metadata


def test_registers_a_job_once_and_refuses_another_owner(s3: Any, bucket: str) -> None:
    first = register_job("reg-1", owner="alice", team="vision", bucket=bucket, s3_client=s3)
    assert get_json(s3, bucket, "registry/v1/reg-1.json") == first
    assert register_job("reg-1", owner="alice", team="vision", bucket=bucket, s3_client=s3) == first
    with pytest.raises(JobRegistrationError, match="registered already"):
        register_job("reg-1", owner="mallory", team="vision", bucket=bucket, s3_client=s3)
    with pytest.raises(JobRegistrationError, match="registered already"):
        register_job("reg-1", owner="alice", bucket=bucket, s3_client=s3)
    solo = register_job("reg-2", owner="bob", bucket=bucket, s3_client=s3)
    assert "team" not in solo and get_json(s3, bucket, "registry/v1/reg-2.json") == solo


def test_hands_out_credentials_tagged_with_the_job(moto: MotoServer) -> None:
    env = producer_credentials(
        "job-42",
        role_arn="arn:aws:iam::123456789012:role/joblogs-producer",
        bucket="joblogs-logs-ci",
        region="us-east-1",
        sts_client=moto.client("sts"),
    )
    assert env["JOBLOGS_JOB_ID"] == "job-42" and env["JOBLOGS_BUCKET"] == "joblogs-logs-ci"
    assert all(env[name] for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_CREDENTIAL_EXPIRATION"))
    assert "JOBLOGS_IDLE_FLUSH_INTERVAL_MS" not in env


def test_hands_the_job_the_stages_idle_flush_interval_which_its_shipper_then_uses(moto: MotoServer) -> None:
    role = "arn:aws:iam::123456789012:role/joblogs-producer"
    # As the launcher reads it from the stack output ShipperIdleFlushIntervalMs: a string.
    env = producer_credentials(
        "job-43", role_arn=role, bucket="joblogs-logs-ci", idle_flush_interval_ms="45000", sts_client=moto.client("sts")
    )
    assert env["JOBLOGS_IDLE_FLUSH_INTERVAL_MS"] == "45000"
    assert parse_cli(["run", "--", "true"], env).shipper.idle_flush_interval_ms == 45_000 != ShipperOptions.idle_flush_interval_ms
    assert (
        producer_credentials("job-44", role_arn=role, idle_flush_interval_ms=0, sts_client=moto.client("sts"))[
            "JOBLOGS_IDLE_FLUSH_INTERVAL_MS"
        ]
        == "0"
    )


@pytest.mark.parametrize("value", [-1, "", "30 s", "-5", "1e4", True, 3_600_001, "86400000"])
def test_refuses_an_idle_flush_interval_that_is_not_whole_milliseconds(moto: MotoServer, value: Any) -> None:
    with pytest.raises(ContractError, match="idle flush interval"):
        producer_credentials(
            "job-45",
            role_arn="arn:aws:iam::123456789012:role/joblogs-producer",
            idle_flush_interval_ms=value,
            sts_client=moto.client("sts"),
        )
