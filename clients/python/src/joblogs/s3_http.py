"""The producers' S3 adapter: signed HTTP requests for the four calls a producer makes
(conditional ``PutObject``, ``HeadObject``, ``GetObject``, one-key ``ListObjectsV2``).

botocore does the parts that must be exactly AWS's: the standard credential chain (environment,
profile, SSO, web identity, container and instance roles, with refresh), the SigV4 signer and
its urllib3 HTTP session (proxies, CA bundle, keep-alive). What it is not asked for is a client:
creating a boto3 S3 client loads the S3 service model, its endpoint rules and the partitions'
endpoint table — ~15 MiB of the ~30 MiB boto3 added to every job under ``joblogs.capture()``.
Endpoints are built here instead: ``AWS_ENDPOINT_URL_S3`` / ``AWS_ENDPOINT_URL`` (or the
profile's ``endpoint_url``) when set, else ``https://<bucket>.s3.<region>.amazonaws.com``.
"""

from __future__ import annotations

import ipaddress
import os
import re
import threading
from typing import TYPE_CHECKING, Any, Mapping, Optional
from urllib.parse import quote, urlencode, urlsplit

from .errors import StoreError

if TYPE_CHECKING:
    from botocore.awsrequest import AWSResponse
    from botocore.credentials import Credentials
    from botocore.httpsession import URLLib3Session
    from botocore.session import Session

# Status codes worth another attempt: throttling, server trouble, and 409 ConditionalRequestConflict
# (two conditional writes of one key raced: https://docs.aws.amazon.com/AmazonS3/latest/userguide/conditional-writes.html).
TRANSIENT_STATUS = frozenset({408, 409, 429, 500, 502, 503, 504})
TRANSIENT_CODES = frozenset({"SlowDown", "RequestTimeout", "RequestTimeTooSkewed", "InternalError", "ServiceUnavailable", "ExpiredToken"})
_ERROR_CODE = re.compile(rb"<Code>([^<]{1,128})</Code>")
_META_PREFIX = "x-amz-meta-"


class S3HttpStore:
    """:class:`~joblogs.store.ObjectStore` on one bucket. Thread-safe; nothing happens on the
    network (not even finding credentials) before the first request.

    Example::

        store = S3HttpStore("joblogs-logs-prod")
        store.put_if_absent("chunks/v1/job-42/main/0000000000.log.gz", body, metadata={...}, content_type="application/gzip")
    """

    def __init__(
        self,
        bucket: str,
        *,
        session: Optional[Session] = None,
        force_path_style: bool = False,
        connect_timeout: float = 5.0,
        read_timeout: float = 30.0,
    ):
        self.bucket = bucket
        self._given_session = session
        self._force_path_style = force_path_style
        self._timeout = (connect_timeout, read_timeout)
        self._lock = threading.Lock()
        self._ready: Optional[tuple[Credentials, str, str, URLLib3Session]] = None

    def put_if_absent(self, key: str, body: bytes, *, metadata: Mapping[str, str], content_type: str) -> bool:
        headers = {"Content-Type": content_type, "If-None-Match": "*", **{_META_PREFIX + k: v for k, v in metadata.items()}}
        response = self._send("PUT", key, body=body, headers=headers, what=f"PutObject {key}", absent_ok=False, exists_ok=True)
        return response is not None

    def head_metadata(self, key: str) -> Optional[dict[str, str]]:
        response = self._send("HEAD", key, what=f"HeadObject {key}", absent_ok=True)
        if response is None:
            return None
        return {name[len(_META_PREFIX) :]: value for name, value in response.headers.items() if name.lower().startswith(_META_PREFIX)}

    def get(self, key: str) -> Optional[bytes]:
        response = self._send("GET", key, what=f"GetObject {key}", absent_ok=True)
        return None if response is None else bytes(response.content)

    def check_bucket(self, prefix: str) -> None:
        """Lists one key under ``prefix``: a job's scoped credentials may list only its own prefixes."""
        query = {"list-type": "2", "prefix": prefix, "max-keys": "1"}
        self._send("GET", "", query=query, what=f"ListObjectsV2 {self.bucket}/{prefix}", absent_ok=False)

    def _send(
        self,
        method: str,
        key: str,
        *,
        what: str,
        absent_ok: bool,
        exists_ok: bool = False,
        body: bytes = b"",
        headers: Optional[dict[str, str]] = None,
        query: Optional[dict[str, str]] = None,
    ) -> Optional[AWSResponse]:
        """The answer; None for a 404 (``absent_ok``) or a 412 (``exists_ok``); else :class:`StoreError`."""
        from botocore.auth import S3SigV4Auth
        from botocore.awsrequest import AWSRequest

        credentials, region, endpoint, http = self._prepare()
        url = self._url(endpoint, key) + ("?" + urlencode(query) if query else "")
        request = AWSRequest(method=method, url=url, data=body, headers=headers or {})
        try:
            S3SigV4Auth(credentials.get_frozen_credentials(), "s3", region).add_auth(request)
            response = http.send(request.prepare())
        except Exception as error:  # no HTTP answer: refused, reset, timed out, DNS, TLS
            raise StoreError(f"{what} failed: {type(error).__name__}: {error}", transient=True, cause=error) from error
        status = response.status_code
        if 200 <= status < 300:
            return response
        if (status == 404 and absent_ok) or (status == 412 and exists_ok):
            return None
        found = _ERROR_CODE.search(response.content or b"")
        code = found.group(1).decode("ascii", "replace") if found else None
        transient = status in TRANSIENT_STATUS or code in TRANSIENT_CODES
        raise StoreError(f"{what} failed: HTTP {status} {code or ''}".rstrip(), transient=transient, status=status, code=code)

    def _prepare(self) -> tuple[Credentials, str, str, URLLib3Session]:
        """Credentials, region, endpoint and HTTP session, found once (the credential chain may call the network)."""
        with self._lock:
            if self._ready is not None:
                return self._ready
            import botocore.session
            from botocore.httpsession import URLLib3Session
            from botocore.utils import get_environ_proxies

            session = self._given_session or botocore.session.get_session()
            credentials = session.get_credentials()
            if credentials is None:
                raise StoreError("no AWS credentials found", transient=False, code="NoCredentials")
            endpoint = configured_endpoint(session)
            region = session.get_config_variable("region") or ("us-east-1" if endpoint else None)
            if not region:
                raise StoreError("no AWS region: set AWS_REGION", transient=False, code="NoRegion")
            endpoint = endpoint or default_endpoint(region)
            # As botocore's own endpoints: the CA bundle of the profile or REQUESTS_CA_BUNDLE, proxies from the environment.
            verify: Any = session.get_config_variable("ca_bundle") or os.environ.get("REQUESTS_CA_BUNDLE") or True
            # (connect, read) timeouts, as botocore's EndpointCreator passes them (its stubs say int only).
            timeout: Any = self._timeout
            http = URLLib3Session(verify=verify, proxies=get_environ_proxies(endpoint), timeout=timeout, max_pool_connections=4)
            self._ready = (credentials, region, endpoint, http)
            return self._ready

    def _url(self, endpoint: str, key: str) -> str:
        path = "/" + quote(key, safe="/~")
        parts = urlsplit(endpoint)
        if self._force_path_style or not virtual_host_compatible(self.bucket, parts.hostname or "", parts.scheme):
            return f"{endpoint}/{self.bucket}{path}" if key else f"{endpoint}/{self.bucket}"
        return f"{parts.scheme}://{self.bucket}.{parts.netloc}{path}"


def configured_endpoint(session: Session, environ: Mapping[str, str] = os.environ) -> Optional[str]:
    """The S3 endpoint configured as the SDKs read it: ``AWS_ENDPOINT_URL_S3``, ``AWS_ENDPOINT_URL``,
    then the profile's ``endpoint_url`` (unless ``AWS_IGNORE_CONFIGURED_ENDPOINT_URLS``)."""
    if environ.get("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS", "").lower() == "true":
        return None
    found = environ.get("AWS_ENDPOINT_URL_S3") or environ.get("AWS_ENDPOINT_URL") or session.get_scoped_config().get("endpoint_url")
    return str(found).rstrip("/") if found else None


def default_endpoint(region: str) -> str:
    """S3's regional endpoint (https://docs.aws.amazon.com/general/latest/gr/s3.html); China regions have their own domain."""
    suffix = "amazonaws.com.cn" if region.startswith("cn-") else "amazonaws.com"
    return f"https://s3.{region}.{suffix}"


def virtual_host_compatible(bucket: str, host: str, scheme: str) -> bool:
    """Virtual-hosted style (``<bucket>.<host>``) unless the host is an address or ``localhost``, or
    the bucket's dots would break TLS host name checks (as botocore decides)."""
    try:
        ipaddress.ip_address(host)
        return False
    except ValueError:
        pass
    return host != "localhost" and not (scheme == "https" and "." in bucket)
