"""The S3 edge. The shipper talks to an :class:`ObjectStore` (an interface). Two adapters:
:class:`~joblogs.s3_http.S3HttpStore`, what producers use by default (signed requests, no S3
client in the job's memory), and :class:`S3Store` around a boto3/botocore S3 client you already
have (launchers, tests). Both turn every failure into a :class:`StoreError` that says whether it
is worth retrying.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Mapping, Optional, Protocol, cast

from .errors import StoreError
from .s3_http import TRANSIENT_CODES, TRANSIENT_STATUS

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client


class ObjectStore(Protocol):
    """What a producer needs from S3. Every write is conditional: objects are write-once."""

    def put_if_absent(self, key: str, body: bytes, *, metadata: Mapping[str, str], content_type: str) -> bool:
        """Creates ``key``; False (nothing written) when it exists already. Raises :class:`StoreError`."""
        ...

    def head_metadata(self, key: str) -> Optional[dict[str, str]]:
        """The user metadata of ``key``, or None when it does not exist."""
        ...

    def get(self, key: str) -> Optional[bytes]:
        """The body of ``key``, or None when it does not exist."""
        ...


def s3_client(*, force_path_style: bool = False, connect_timeout: float = 5.0, read_timeout: float = 30.0) -> S3Client:
    """A botocore S3 client from the SDK's standard configuration (``AWS_REGION``, the credential
    chain, ``AWS_ENDPOINT_URL``), for launchers. One SDK retry per attempt: callers retry with their own backoff."""
    import botocore.session
    from botocore.config import Config

    config = Config(
        connect_timeout=connect_timeout,
        read_timeout=read_timeout,
        retries={"max_attempts": 2, "mode": "standard"},
        s3={"addressing_style": "path"} if force_path_style else {},
        tcp_keepalive=True,
    )
    return cast("S3Client", botocore.session.get_session().create_client("s3", config=config))


class S3Store:
    """:class:`ObjectStore` on one bucket through a boto3 S3 client (thread-safe, shared by all threads)."""

    def __init__(self, client: S3Client, bucket: str):
        self.client = client
        self.bucket = bucket

    def put_if_absent(self, key: str, body: bytes, *, metadata: Mapping[str, str], content_type: str) -> bool:
        try:
            self.client.put_object(
                Bucket=self.bucket,
                Key=key,
                Body=body,
                Metadata=dict(metadata),
                ContentType=content_type,
                IfNoneMatch="*",
            )
        except Exception as error:
            if _status(error) == 412 or _code(error) == "PreconditionFailed":
                return False
            raise _store_error(f"PutObject {key}", error) from error
        return True

    def head_metadata(self, key: str) -> Optional[dict[str, str]]:
        try:
            answer = self.client.head_object(Bucket=self.bucket, Key=key)
        except Exception as error:
            if _status(error) == 404:
                return None
            raise _store_error(f"HeadObject {key}", error) from error
        return dict(answer.get("Metadata", {}))

    def get(self, key: str) -> Optional[bytes]:
        try:
            answer = self.client.get_object(Bucket=self.bucket, Key=key)
            return answer["Body"].read()
        except Exception as error:
            if _status(error) == 404 or _code(error) == "NoSuchKey":
                return None
            raise _store_error(f"GetObject {key}", error) from error

    def check_bucket(self, prefix: str) -> None:
        """Lists one key under ``prefix`` (a job's scoped credentials may list only their own prefixes)."""
        try:
            self.client.list_objects_v2(Bucket=self.bucket, Prefix=prefix, MaxKeys=1)
        except Exception as error:
            raise _store_error(f"ListObjectsV2 {self.bucket}/{prefix}", error) from error


def _response(error: BaseException) -> Mapping[str, Any]:
    response = getattr(error, "response", None)
    return response if isinstance(response, Mapping) else {}


def _status(error: BaseException) -> Optional[int]:
    status = _response(error).get("ResponseMetadata", {}).get("HTTPStatusCode")
    return status if isinstance(status, int) else None


def _code(error: BaseException) -> Optional[str]:
    code = _response(error).get("Error", {}).get("Code")
    return str(code) if code is not None else None


_PERMANENT_CLIENT_ERRORS = {"NoCredentialsError": "NoCredentials", "PartialCredentialsError": "NoCredentials", "NoRegionError": "NoRegion"}


def _store_error(what: str, error: BaseException) -> StoreError:
    status = _status(error)
    if status is None:
        # No HTTP answer: connection refused or reset, timeout, DNS; or no credentials/region.
        name = type(error).__name__
        code = _PERMANENT_CLIENT_ERRORS.get(name)
        return StoreError(f"{what} failed: {name}: {error}", transient=code is None, cause=error, code=code)
    code = _code(error)
    transient = status in TRANSIENT_STATUS or code in TRANSIENT_CODES
    return StoreError(f"{what} failed: HTTP {status} {code or ''}".rstrip(), transient=transient, cause=error, status=status, code=code)
