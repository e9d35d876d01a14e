"""The private spool: permissions, symlinks, ownership, HMAC, locking, resume. Real files, no server."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from joblogs.errors import SpoolLockedError, SpoolSecurityError
from joblogs.private_dir import default_spool_root
from joblogs.spool import Spool, SpoolEntry, SpoolState, chunk_file_name

as_root = pytest.mark.skipif(os.geteuid() != 0, reason="needs root to act as another user")


def entry(seq: int, lines: int = 2, next_line: int = 2) -> SpoolEntry:
    return SpoolEntry(seq=seq, lines=lines, next_line=next_line, metadata={"format": "framed-v1"}, size=0, name=chunk_file_name(seq))


def test_creates_private_directories_and_files(spool_root: str) -> None:
    opened = Spool.open(spool_root, "job-1", "main")
    opened.spool.add(entry(0), b"gzip", SpoolState(next_seq=1, next_line=2))
    source_dir = Path(spool_root, "job-1", "main")
    for directory in (source_dir, source_dir.parent):
        assert stat.S_IMODE(directory.stat().st_mode) == 0o700
    for file in source_dir.iterdir():
        assert stat.S_IMODE(file.stat().st_mode) == 0o600, file
    opened.spool.release()


def test_keeps_chunks_in_seq_order_across_a_reopen_and_never_reuses_a_seq(spool_root: str) -> None:
    opened = Spool.open(spool_root, "job-1", "main")
    for seq in (0, 1, 2):
        opened.spool.add(entry(seq, next_line=(seq + 1) * 2), f"body{seq}".encode(), SpoolState(next_seq=1, next_line=0))
    opened.spool.release()
    again = Spool.open(spool_root, "job-1", "main")
    assert [e.seq for e in again.spool.entries] == [0, 1, 2]
    assert (again.state.next_seq, again.state.next_line) == (3, 6)
    assert again.spool.read_body(again.spool.entries[1]) == b"body1"
    again.spool.release()


def test_reports_and_skips_a_planted_chunk_whose_mac_does_not_verify(spool_root: str) -> None:
    opened = Spool.open(spool_root, "job-1", "main")
    opened.spool.add(entry(0), b"real", SpoolState(next_seq=1))
    opened.spool.release()
    source_dir = Path(spool_root, "job-1", "main")
    planted = source_dir / chunk_file_name(1)
    header = json.dumps({"seq": 1, "lines": 1, "nextLine": 3, "metadata": {}}).encode()
    planted.write_bytes(b"JLSPOOL1 " + b"0" * 64 + b"\n" + header + b"\n" + b"evil")
    planted.chmod(0o600)
    again = Spool.open(spool_root, "job-1", "main")
    assert [e.seq for e in again.spool.entries] == [0]
    assert len(again.rejected) == 1 and "failed authentication" in again.rejected[0]
    assert again.state.next_seq == 1  # the planted file's seq is not trusted for numbering either
    assert not planted.exists() and planted.with_name(planted.name + ".rejected").read_bytes().endswith(b"evil")
    again.spool.release()
    third = Spool.open(spool_root, "job-1", "main")
    assert third.rejected == [] and [e.seq for e in third.spool.entries] == [0]
    third.spool.release()


def test_refuses_a_chunk_tampered_with_after_it_was_queued(spool_root: str) -> None:
    opened = Spool.open(spool_root, "job-1", "main")
    queued = entry(0)
    opened.spool.add(queued, b"real body", SpoolState(next_seq=1))
    path = Path(spool_root, "job-1", "main", queued.name)
    path.write_bytes(path.read_bytes().replace(b"real body", b"fake body"))
    with pytest.raises(SpoolSecurityError, match="failed authentication"):
        opened.spool.read_body(queued)
    opened.spool.release()


def test_refuses_a_symlink_anywhere_on_the_path(tmp_path: Path) -> None:
    real = tmp_path / "real"
    real.mkdir(mode=0o700)
    (tmp_path / "link").symlink_to(real)
    with pytest.raises(SpoolSecurityError, match="symlink"):
        Spool.open(str(tmp_path / "link" / "spool"), "job-1", "main")
    root = tmp_path / "root"
    (root / "job-1").mkdir(parents=True, mode=0o700)
    root.chmod(0o700)
    (root / "job-1" / "main").symlink_to(real)
    with pytest.raises(SpoolSecurityError, match="symlink"):
        Spool.open(str(root), "job-1", "main")


def test_refuses_a_spool_directory_other_users_may_write_to(tmp_path: Path) -> None:
    shared = tmp_path / "shared"
    shared.mkdir()
    shared.chmod(0o777)
    with pytest.raises(SpoolSecurityError, match="other users may write"):
        Spool.open(str(shared), "job-1", "main")


@as_root
def test_refuses_a_directory_owned_by_another_user(tmp_path: Path) -> None:
    root = tmp_path / "root"
    (root / "job-1").mkdir(parents=True, mode=0o700)
    root.chmod(0o700)
    os.chown(root / "job-1", 65534, 65534)
    with pytest.raises(SpoolSecurityError, match="owned by uid 65534"):
        Spool.open(str(root), "job-1", "main")


def test_takes_over_the_lock_of_our_own_dead_process(spool_root: str) -> None:
    Spool.open(spool_root, "job-1", "main").spool.release()
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True, check=True)
    lock = Path(spool_root, "job-1", "main", "joblogs.lock")
    lock.write_text(json.dumps({"pid": int(dead.stdout), "host": os.uname().nodename, "uid": os.geteuid()}))
    lock.chmod(0o600)
    opened = Spool.open(spool_root, "job-1", "main")
    opened.spool.release()


def test_refuses_a_second_shipper_while_a_live_process_holds_the_lock(spool_root: str) -> None:
    opened = Spool.open(spool_root, "job-1", "main")
    with pytest.raises(SpoolLockedError, match="in use by another joblogs shipper"):
        Spool.open(spool_root, "job-1", "main")
    opened.spool.release()
    Spool.open(spool_root, "job-1", "main").spool.release()


@as_root
def test_names_the_path_when_a_process_of_another_user_holds_the_lock(spool_root: str) -> None:
    Spool.open(spool_root, "job-1", "main").spool.release()
    other = subprocess.Popen(["sleep", "30"], user=65534)
    try:
        lock = Path(spool_root, "job-1", "main", "joblogs.lock")
        lock.write_text(json.dumps({"pid": other.pid, "host": os.uname().nodename, "uid": 65534}))
        lock.chmod(0o600)
        with pytest.raises(SpoolLockedError) as refused:
            Spool.open(spool_root, "job-1", "main")
        assert str(lock) in str(refused.value) and "another user" in str(refused.value)
    finally:
        other.kill()
        other.wait()


def test_defaults_to_the_runtime_dir_else_the_cache(tmp_path: Path) -> None:
    assert default_spool_root({"XDG_RUNTIME_DIR": str(tmp_path), "HOME": "/nowhere"}) == os.path.join(os.path.realpath(tmp_path), "joblogs")
    assert default_spool_root({"HOME": str(tmp_path)}) == os.path.join(os.path.realpath(tmp_path), ".cache", "joblogs", "spool")
    cache = tmp_path / "cache"
    assert default_spool_root({"XDG_CACHE_HOME": str(cache), "HOME": "/nowhere"}) == os.path.join(
        os.path.realpath(cache), "joblogs", "spool"
    )
