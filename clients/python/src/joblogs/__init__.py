"""joblogs for Python: a producer of the joblogs chunk contract (docs/chunk-contract.md).

- ``python -m joblogs run --job-id … -- python train.py``: capture a command's output;
- :func:`capture`: capture this process's own output (file descriptors 1 and 2) from inside it;
- :class:`ShipperHandler`: a ``logging.Handler`` shipping ECS JSON lines of a service;
- :mod:`joblogs.trace`: one W3C trace id across Python servers, jobs and queues;
- :mod:`joblogs.launcher`: job registration and scoped producer credentials for launchers.

Importing ``joblogs`` does no work: everything is loaded on first use.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

_EXPORTS = {
    "capture": "joblogs.inprocess",
    "Capture": "joblogs.inprocess",
    "Shipper": "joblogs.shipper",
    "ShipperOptions": "joblogs.options",
    "ShipperSummary": "joblogs.events",
    "S3Store": "joblogs.store",
    "S3HttpStore": "joblogs.s3_http",
    "s3_client": "joblogs.store",
    "ShipperHandler": "joblogs.log_handler",
    "EcsFormatter": "joblogs.log_handler",
    "JoblogsError": "joblogs.errors",
}

if TYPE_CHECKING:
    from .errors import JoblogsError
    from .events import ShipperSummary
    from .inprocess import Capture, capture
    from .log_handler import EcsFormatter, ShipperHandler
    from .options import ShipperOptions
    from .s3_http import S3HttpStore
    from .shipper import Shipper
    from .store import S3Store, s3_client

__all__ = [
    "Capture",
    "EcsFormatter",
    "JoblogsError",
    "S3HttpStore",
    "S3Store",
    "Shipper",
    "ShipperHandler",
    "ShipperOptions",
    "ShipperSummary",
    "__version__",
    "capture",
    "s3_client",
]


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'joblogs' has no attribute {name!r}")
    return getattr(importlib.import_module(module), name)
