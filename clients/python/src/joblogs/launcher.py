"""For the platform's launcher, not for jobs: ownership is registered by the trusted launcher
(``registry/v1/<jobId>.json``), and the job gets short-lived credentials tagged with its id, so
that a bucket policy can confine a producer to its own job's keys. Producers carry no authority.
"""

from __future__ import annotations

import json
import re
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any, Mapping, Optional, Union, cast

from .contract import REGISTRY_PREFIX, encode_json, is_valid_job_id, registration_body, registration_key
from .errors import ContractError, JobRegistrationError
from .options import IDLE_FLUSH_INTERVAL_BOUNDS
from .store import S3Store, s3_client

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client
    from mypy_boto3_sts import STSClient

JOB_TAG = "joblogs-job"
"""The session tag naming the job; transitive, so it survives role chaining."""
_SESSION_NAME_CHARS = re.compile(r"[^\w+=,.@-]")


def register_job(
    job_id: str,
    *,
    owner: str,
    bucket: str,
    team: Optional[str] = None,
    labels: Optional[Mapping[str, str]] = None,
    s3_client: Optional[S3Client] = None,
    prefix: str = REGISTRY_PREFIX,
) -> dict[str, Any]:
    """Writes the job's registration once (``If-None-Match: *``) and returns it. Registering the
    same id again with the same owner and team returns the first registration; with another
    owner or team it raises :class:`JobRegistrationError` (``JOB_ALREADY_REGISTERED`` in Node).

    Example::

        register_job("job-42", owner="alice", team="vision", bucket="joblogs-logs-prod")
    """
    created_at = datetime.now(timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")
    body = registration_body(job_id=job_id, owner=owner, team=team, labels=labels, created_at=created_at)
    store = S3Store(s3_client or _default_s3(), bucket)
    key = registration_key(job_id, prefix)
    if store.put_if_absent(key, encode_json(body), metadata={}, content_type="application/json"):
        return body
    stored = store.get(key)
    existing: Any = None
    try:
        existing = json.loads(stored) if stored is not None else None
    except ValueError:
        existing = None
    if isinstance(existing, dict) and existing.get("owner") == owner and existing.get("team") == team:
        return existing
    # Never quote what is stored: a registration is not ours to show (docs/security.md).
    raise JobRegistrationError(f"Job {job_id} is registered already, for another owner or team; pick another job id")


def producer_credentials(
    job_id: str,
    *,
    role_arn: str,
    bucket: Optional[str] = None,
    region: Optional[str] = None,
    duration_seconds: int = 12 * 3600,
    idle_flush_interval_ms: Optional[Union[int, str]] = None,
    sts_client: Optional[STSClient] = None,
) -> dict[str, str]:
    """Assumes the producer role with the session tag ``joblogs-job=<jobId>`` (transitive) and
    returns the environment to hand to the job's container: ``AWS_ACCESS_KEY_ID``,
    ``AWS_SECRET_ACCESS_KEY``, ``AWS_SESSION_TOKEN``, ``AWS_CREDENTIAL_EXPIRATION``,
    ``JOBLOGS_JOB_ID`` (and ``JOBLOGS_BUCKET``, ``AWS_REGION`` when given). Sessions last 12 h by
    default (a training run's length; the role's maximum), as in ``shared/launcher/credentials.ts``.

    ``idle_flush_interval_ms`` is the stage's idle flush interval (stack output
    ``ShipperIdleFlushIntervalMs``, a string, or a number): how often the job's shippers seal a
    chunk while nobody watches it, handed over as ``JOBLOGS_IDLE_FLUSH_INTERVAL_MS``."""
    if not is_valid_job_id(job_id):
        raise ContractError(f"Invalid job id {json.dumps(job_id)}")
    cadence = {} if idle_flush_interval_ms is None else {"JOBLOGS_IDLE_FLUSH_INTERVAL_MS": str(_whole_ms(idle_flush_interval_ms))}
    sts = sts_client or _default_sts(region)
    session_name = _SESSION_NAME_CHARS.sub("-", f"joblogs-{job_id}")[:64]
    answer = sts.assume_role(
        RoleArn=role_arn,
        RoleSessionName=session_name,
        DurationSeconds=duration_seconds,
        Tags=[{"Key": JOB_TAG, "Value": job_id}],
        TransitiveTagKeys=[JOB_TAG],
    )
    credentials = answer["Credentials"]
    expiration = credentials["Expiration"]
    env = {
        "AWS_ACCESS_KEY_ID": credentials["AccessKeyId"],
        "AWS_SECRET_ACCESS_KEY": credentials["SecretAccessKey"],
        "AWS_SESSION_TOKEN": credentials["SessionToken"],
        "AWS_CREDENTIAL_EXPIRATION": expiration.isoformat() if isinstance(expiration, datetime) else str(expiration),
        "JOBLOGS_JOB_ID": job_id,
    }
    if bucket:
        env["JOBLOGS_BUCKET"] = bucket
    if region:
        env["AWS_REGION"] = region
    env.update(cadence)
    return env


def _whole_ms(value: Union[int, str]) -> int:
    """A whole number of milliseconds within the shippers' bounds (a stack output arrives as a string)."""
    low, high = IDLE_FLUSH_INTERVAL_BOUNDS
    text = value.strip() if isinstance(value, str) else None
    ms = int(text) if text is not None and text.isascii() and text.isdigit() else value
    if isinstance(ms, int) and not isinstance(ms, bool) and low <= ms <= high:
        return ms
    raise ContractError(f"Invalid idle flush interval {json.dumps(value)}: a whole number of milliseconds, {low} to {high}")


def _default_s3() -> S3Client:
    return s3_client()


def _default_sts(region: Optional[str]) -> STSClient:
    import botocore.session

    return cast("STSClient", botocore.session.get_session().create_client("sts", region_name=region))
