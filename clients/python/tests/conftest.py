from __future__ import annotations

from typing import Any, Iterator

import pytest

from tests.support.moto import MotoServer, new_bucket, remove_bucket


@pytest.fixture(scope="session")
def moto() -> Iterator[MotoServer]:
    """A real moto server for the whole session (S3 and STS): the one ``JOBLOGS_TEST_MOTO_URL`` names, else our own."""
    server = MotoServer.start()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def s3(moto: MotoServer) -> Any:
    return moto.client("s3")


@pytest.fixture
def bucket(s3: Any) -> Iterator[str]:
    """A bucket of this test, removed afterwards: the moto server may be shared and long-lived."""
    name = new_bucket(s3)
    yield name
    remove_bucket(s3, name)


@pytest.fixture
def spool_root(tmp_path: Any) -> str:
    root = tmp_path / "spool"
    root.mkdir(mode=0o700)
    return str(root)
