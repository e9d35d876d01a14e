"""One error base; every error is permanent (bad input, retrying cannot help) or transient (retry)."""

from __future__ import annotations

from typing import Optional, Sequence


class JoblogsError(Exception):
    """Base of every joblogs error. ``transient`` says whether retrying may help."""

    transient = False

    def __init__(self, message: str, *, cause: Optional[BaseException] = None):
        super().__init__(message)
        if cause is not None:
            self.__cause__ = cause


class ContractError(JoblogsError, ValueError):
    """A key, id or body outside the chunk contract."""


class ShipperOptionsError(JoblogsError, ValueError):
    """The shipper options are invalid; ``problems`` lists every bad field."""

    def __init__(self, problems: Sequence[str]):
        super().__init__(f"Invalid shipper options: {'; '.join(problems)}")
        self.problems = list(problems)


class SpoolError(JoblogsError):
    """The spool directory cannot be used (created, read, written, or trusted)."""


class SpoolSecurityError(SpoolError):
    """A spool path is a symlink, owned by another user, or open to other users."""


class SpoolLockedError(SpoolError):
    """Another joblogs shipper holds the spool directory of this job and source."""

    def __init__(self, path: str, holder: Optional[str]):
        detail = f" ({holder})" if holder else ""
        super().__init__(
            f"Spool directory {path} is in use by another joblogs shipper{detail}: "
            "two shippers must not share a job, source and spool directory"
        )
        self.path = path
        self.holder = holder


class StoreError(JoblogsError):
    """An S3 request failed. ``transient`` errors are retried with backoff. ``status`` is the HTTP
    status when S3 answered; ``code`` its error code (or ``NoCredentials``/``NoRegion``)."""

    def __init__(
        self,
        message: str,
        *,
        transient: bool,
        cause: Optional[BaseException] = None,
        status: Optional[int] = None,
        code: Optional[str] = None,
    ):
        super().__init__(message, cause=cause)
        self.transient = transient
        self.status = status
        self.code = code


class ChunkConflictError(JoblogsError):
    """Another writer stored different content under one of our chunk keys (job + source + seq)."""

    def __init__(self, key: str):
        super().__init__(f"{key} already exists with different content (another writer used this job, source and seq)")
        self.key = key


class JobRegistrationError(JoblogsError):
    """A job id is registered already, with another owner or team."""


class WatchSignalError(JoblogsError, ValueError):
    """A watch signal that is not one (not JSON, no valid ``until``, too large), or a bad job id for its key."""
