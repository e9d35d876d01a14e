"""A real moto S3/STS server (the one ``JOBLOGS_TEST_MOTO_URL`` names, else one started here), and what reads back what landed."""

from __future__ import annotations

import gzip
import os
import socket
import subprocess
import sys
import time
import uuid
from dataclasses import dataclass
from typing import Any, Optional

from joblogs.frame import Frame, decode_frames


def free_port() -> int:
    """A free port: from ``JOBLOGS_PY_TEST_PORTS`` (``"5160-5199"``) when set, else one the system picks."""
    ports = os.environ.get("JOBLOGS_PY_TEST_PORTS")
    candidates = range(int(ports.split("-")[0]), int(ports.split("-")[1]) + 1) if ports else range(0, 1)
    for port in candidates:
        with socket.socket() as probe:
            try:
                probe.bind(("127.0.0.1", port))
            except OSError:
                continue
            return int(probe.getsockname()[1])
    raise RuntimeError(f"no free port in {ports}")


@dataclass
class MotoServer:
    url: str
    process: Optional[subprocess.Popen[bytes]]

    @classmethod
    def start(cls) -> MotoServer:
        given = os.environ.get("JOBLOGS_TEST_MOTO_URL")
        if given:
            return cls(given, None)
        port = free_port()
        moto_server = os.path.join(os.path.dirname(sys.executable), "moto_server")
        process = subprocess.Popen([moto_server, "-H", "127.0.0.1", "-p", str(port)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                    return cls(f"http://127.0.0.1:{port}", process)
            except OSError:
                time.sleep(0.1)
        process.kill()
        raise RuntimeError("moto_server did not start")

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()
            self.process.wait(10)

    def env(self, endpoint: Optional[str] = None) -> dict[str, str]:
        return {
            "AWS_ENDPOINT_URL": endpoint or self.url,
            "AWS_REGION": "us-east-1",
            "AWS_ACCESS_KEY_ID": "testing",
            "AWS_SECRET_ACCESS_KEY": "testing",
        }

    def client(self, service: str = "s3", endpoint: Optional[str] = None) -> Any:
        import boto3

        return boto3.session.Session().client(  # type: ignore[call-overload]
            service,
            endpoint_url=endpoint or self.url,
            region_name="us-east-1",
            aws_access_key_id="testing",
            aws_secret_access_key="testing",
        )


@dataclass
class StoredChunk:
    key: str
    seq: int
    metadata: dict[str, str]
    body: bytes
    frames: list[Frame]


def new_bucket(s3: Any) -> str:
    name = f"joblogs-test-{uuid.uuid4().hex[:10]}"
    s3.create_bucket(Bucket=name)
    return name


def remove_bucket(s3: Any, bucket: str) -> None:
    """Deletes every object and the bucket; a failure only leaves it behind."""
    try:
        for key in keys_under(s3, bucket, ""):
            s3.delete_object(Bucket=bucket, Key=key)
        s3.delete_bucket(Bucket=bucket)
    except Exception:
        pass


def keys_under(s3: Any, bucket: str, prefix: str) -> list[str]:
    keys: list[str] = []
    token: Optional[str] = None
    while True:
        page = s3.list_objects_v2(Bucket=bucket, Prefix=prefix, **({"ContinuationToken": token} if token else {}))
        keys += [o["Key"] for o in page.get("Contents", [])]
        token = page.get("NextContinuationToken")
        if not token:
            return sorted(keys)


def chunks_of(s3: Any, bucket: str, job_id: str, source: str = "main") -> list[StoredChunk]:
    chunks = []
    for key in keys_under(s3, bucket, f"chunks/v1/{job_id}/{source}/"):
        answer = s3.get_object(Bucket=bucket, Key=key)
        body = answer["Body"].read()
        chunks.append(
            StoredChunk(key, int(key[-17:-7]), answer.get("Metadata", {}), body, decode_frames(gzip.decompress(body).decode("utf-8")))
        )
    return chunks


def get_json(s3: Any, bucket: str, key: str) -> Any:
    import json

    return json.loads(s3.get_object(Bucket=bucket, Key=key)["Body"].read())
