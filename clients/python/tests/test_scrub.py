"""Secret scrubbing: the shared vectors (test/fixtures/scrub/vectors.json), the packaged rules, and
the wiring into every producer (``run``, ``capture()``, the log handler): secrets are replaced
before a line is framed, counted in the final chunk and marker, and the terminal sees the output unchanged."""

from __future__ import annotations

import gzip
import json
import logging
import subprocess
import sys
import threading
from importlib import resources
from pathlib import Path
from typing import Any

import pytest

from joblogs.frame import decode_frames, reassemble_streams
from joblogs.framing import Framer, GzippedChunk, now_ms
from joblogs.log_handler import ShipperHandler
from joblogs.scrub import ALL_RULES, KeyBlockState, Scrubber, SecretValue, secrets_from_environment
from joblogs.store import S3Store
from tests.support.moto import MotoServer, chunks_of, get_json
from tests.support.run import joblogs_env, run_joblogs

REPO = Path(__file__).resolve().parents[3]
VECTORS = json.loads((REPO / "test" / "fixtures" / "scrub" / "vectors.json").read_text("utf-8"))
SECRETS = [SecretValue(s["name"], s["value"]) for s in VECTORS["secrets"]]
HF = "hf_AbCdEfGhIjKlMnOpQrStUvWxYz01234567"
DECLARED = "declared-value-5c1e0a9b77f3"


def frame_writes(writes: list[bytes], max_line_bytes: int, scrubber: Scrubber | None) -> tuple[list[tuple[bytes, str]], list[GzippedChunk]]:
    """The writes through the real framer (line capture → scrubbing → frames → gzip): the frames, and the chunks."""
    chunks: list[GzippedChunk] = []
    done = threading.Event()

    def on_chunk(chunk: GzippedChunk) -> None:
        chunks.append(chunk)
        if chunk.final:
            done.set()

    framer = Framer(
        max_chunk_bytes=1 << 20,
        flush_interval_ms=60_000,
        max_line_bytes=max_line_bytes,
        gzip_level=1,
        first_line=0,
        on_chunk=on_chunk,
        on_error=lambda error: pytest.fail(str(error)),
        on_progress=lambda: None,
        scrubber=scrubber,
    )
    for i, data in enumerate(writes):
        framer.write("stdout", data, now_ms() + i)
    framer.end()
    assert done.wait(10)
    frames = [f for c in chunks for f in decode_frames(gzip.decompress(c.body).decode("utf-8"))]
    return [(f.data, f.terminator) for f in frames], chunks


def logical_lines(frames: list[tuple[bytes, str]]) -> list[str]:
    """Lines sent in parts (terminator "") joined back."""
    lines, current = [], b""
    for data, terminator in frames:
        current += data
        if terminator:
            lines.append(current.decode("utf-8"))
            current = b""
    if current:
        lines.append(current.decode("utf-8"))
    return lines


def test_the_packaged_rules_are_byte_identical_to_the_shared_rules() -> None:
    packaged = resources.files("joblogs").joinpath("scrub_rules.json").read_bytes()
    assert packaged == (REPO / "shared" / "core" / "scrub" / "rules.json").read_bytes(), (
        "cp shared/core/scrub/rules.json clients/python/src/joblogs/scrub_rules.json"
    )


@pytest.mark.parametrize("case", VECTORS["cases"], ids=[c["name"] for c in VECTORS["cases"]])
def test_redacts_each_line_as_the_vectors_say(case: dict[str, Any]) -> None:
    text = case["input"].encode("utf-8")
    expected = text if case["expected"] is None else case["expected"].encode("utf-8")
    assert Scrubber(SECRETS).scrub(text, ALL_RULES, KeyBlockState()).text == expected
    # The framer searches a line only with the rules its triggers call for: the same result.
    frames, _ = frame_writes([text + b"\n"], 262_144, Scrubber(SECRETS))
    assert frames == [(expected, "\n")]


@pytest.mark.parametrize("stream", VECTORS["streams"], ids=[s["name"] for s in VECTORS["streams"]])
def test_ships_each_stream_of_writes_as_the_vectors_say(stream: dict[str, Any]) -> None:
    frames, _ = frame_writes([w.encode("utf-8") for w in stream["writes"]], stream["maxLineBytes"], Scrubber(SECRETS))
    assert logical_lines(frames) == stream["lines"]
    assert all(len(data) <= stream["maxLineBytes"] for data, _ in frames)


def test_redacts_a_secret_split_across_two_writes_and_counts_it_in_the_chunk() -> None:
    frames, chunks = frame_writes([b"epoch 1 loss=0.3\nlogin with " + HF[:9].encode(), HF[9:].encode() + b" ok\n"], 262_144, Scrubber())
    assert frames == [(b"epoch 1 loss=0.3", "\n"), (b"login with [REDACTED:huggingface-token] ok", "\n")]
    assert chunks[-1].redactions == {"huggingface-token": 1}


def test_passes_clean_output_through_byte_for_byte() -> None:
    text = "".join(f"step {i} loss=0.{i:03d} lr=3e-4 tokens/s=41,234 max_tokens=4096 s3://bucket/ckpt/{i}\n" for i in range(2000))
    writes = [text.encode()[i : i + 4096] for i in range(0, len(text), 4096)]
    frames, chunks = frame_writes(writes, 262_144, Scrubber(SECRETS))
    assert b"".join(d + t.encode() for d, t in frames) == text.encode()
    assert all(c.redactions == {} for c in chunks)


def test_reads_the_well_known_and_named_variables_and_skips_values_too_short_to_redact() -> None:
    found = secrets_from_environment(["MY_TOKEN", "SHORT"], {"HF_TOKEN": HF, "MY_TOKEN": DECLARED, "SHORT": "1234", "OTHER": DECLARED})
    assert [(s.name, s.value) for s in found.secrets] == [("HF_TOKEN", HF), ("MY_TOKEN", DECLARED)]
    assert found.skipped == (("SHORT", 4),)


PRINTS = """
import os, sys
out = sys.stdout.buffer
out.write(b"declared " + os.environ["MY_DECLARED"].encode() + b" in a config dump\\n")
out.write(b"Authorization: Bea")
out.flush()
out.write(b"rer abcdef0123456789\\n")
out.write(b"wandb " + os.environ["WANDB_API_KEY"].encode() + b"\\nstep 1 loss=0.3\\n")
out.flush()
"""


def test_the_cli_redacts_declared_and_well_known_values_and_patterns_but_not_the_terminal(
    moto: MotoServer, s3: Any, bucket: str, spool_root: str
) -> None:
    env = joblogs_env(
        moto, MY_DECLARED=DECLARED, WANDB_API_KEY="0123456789abcdef0123456789abcdef01234567", JOBLOGS_REDACT_ENV="MY_DECLARED"
    )
    args = ["run", "--job-id", "scrub-cli", "--bucket", bucket, "--spool-dir", spool_root, "--", sys.executable, "-c", PRINTS]
    result = run_joblogs(args, env)
    assert result.code == 0, result.stderr
    assert DECLARED.encode() in result.stdout and b"Bearer abcdef0123456789" in result.stdout  # the job's own terminal: unchanged
    chunks = chunks_of(s3, bucket, "scrub-cli")
    shipped = reassemble_streams([f for c in chunks for f in c.frames])["stdout"].decode()
    assert shipped == (
        "declared [REDACTED:env:MY_DECLARED] in a config dump\n"
        "Authorization: Bearer [REDACTED:bearer-token]\n"
        "wandb [REDACTED:env:WANDB_API_KEY]\nstep 1 loss=0.3\n"
    )
    assert chunks[-1].metadata["redactions"] == "3"
    marker = get_json(s3, bucket, "jobs/v1/scrub-cli/main/final.json")
    assert marker["redactions"] == 3
    assert list(marker)[list(marker).index("droppedLines") + 1] == "redactions"
    summary = result.stderr.decode().strip().splitlines()[-1]
    assert summary.endswith("3 secret(s) redacted (env:MY_DECLARED 1, bearer-token 1, env:WANDB_API_KEY 1)"), summary


def test_the_cli_with_no_redact_ships_lines_exactly_as_printed(moto: MotoServer, s3: Any, bucket: str, spool_root: str) -> None:
    env = joblogs_env(
        moto, MY_DECLARED=DECLARED, WANDB_API_KEY="0123456789abcdef0123456789abcdef01234567", JOBLOGS_REDACT_ENV="MY_DECLARED"
    )
    args = [
        "run",
        "--no-redact",
        "--job-id",
        "scrub-off",
        "--bucket",
        bucket,
        "--spool-dir",
        spool_root,
        "--",
        sys.executable,
        "-c",
        PRINTS,
    ]
    result = run_joblogs(args, env)
    assert result.code == 0, result.stderr
    chunks = chunks_of(s3, bucket, "scrub-off")
    assert reassemble_streams([f for c in chunks for f in c.frames])["stdout"] == result.stdout
    assert chunks[-1].metadata["redactions"] == "0"
    assert get_json(s3, bucket, "jobs/v1/scrub-off/main/final.json")["redactions"] == 0
    assert b"joblogs: warning: secret scrubbing is off (--no-redact)" in result.stderr
    assert b"redacted" not in result.stderr.splitlines()[-1]


def test_the_cli_warns_about_a_declared_value_too_short_and_refuses_a_bad_name(moto: MotoServer, bucket: str, spool_root: str) -> None:
    base = ["run", "--job-id", "scrub-warn", "--bucket", bucket, "--spool-dir", spool_root]
    short = run_joblogs([*base, "--redact-env", "PIN", "--", sys.executable, "-c", "print('x')"], joblogs_env(moto, PIN="1234"))
    assert short.code == 0 and b"joblogs: warning: PIN is 4 byte(s) long: not redacted" in short.stderr
    bad = run_joblogs([*base, "--redact-env", "NOT-A-NAME", "--", sys.executable, "-c", "print('x')"], joblogs_env(moto))
    assert bad.code == 2 and b'--redact-env: "NOT-A-NAME" is not a variable name' in bad.stderr


def test_capture_redacts_before_shipping_and_counts_in_the_final_chunk(
    moto: MotoServer, s3: Any, bucket: str, spool_root: str, tmp_path: Path
) -> None:
    script = tmp_path / "train.py"
    script.write_text(
        "import os, sys, joblogs\n"
        "joblogs.capture(job_id=sys.argv[1], bucket=sys.argv[2], spool_dir=sys.argv[3], flush_interval_ms=50)\n"
        "print('hub token', os.environ['HF_TOKEN'])\n"
        "print('AWS_ACCESS_KEY_ID=AKIAIOSFODNN7EXAMPLE')\n"
        "os.write(2, b'db postgres://admin:s3cr3tP4ss@db:5432/app\\n')\n"
    )
    env = joblogs_env(moto, HF_TOKEN=HF)
    result = subprocess.run(
        [sys.executable, str(script), "scrub-cap", bucket, spool_root], capture_output=True, env=env, timeout=60, check=False
    )
    assert result.returncode == 0, result.stderr
    assert HF.encode() in result.stdout
    chunks = chunks_of(s3, bucket, "scrub-cap")
    streams = reassemble_streams([f for c in chunks for f in c.frames])
    assert streams["stdout"] == b"hub token [REDACTED:env:HF_TOKEN]\nAWS_ACCESS_KEY_ID=[REDACTED:aws-access-key-id]\n"
    assert streams["stderr"] == b"db postgres://admin:[REDACTED:url-password]@db:5432/app\n"
    assert chunks[-1].metadata["redactions"] == "3"


def test_the_log_handler_redacts_secrets_in_records(s3: Any, bucket: str, spool_root: str) -> None:
    handler = ShipperHandler(
        "api", bucket, instance="scrub-log", spool_dir=spool_root, store=S3Store(s3, bucket), secrets=(("API_SECRET", DECLARED),)
    )
    logger = logging.getLogger("scrub.handler")
    logger.propagate = False
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    logger.info("calling upstream with headers %s", {"Authorization": "Bearer abcdef0123456789.xyz"})
    logger.info("configured with %s", DECLARED)
    handler.close()
    logger.removeHandler(handler)
    chunks = chunks_of(s3, bucket, "scrub-log", "api")
    messages = [json.loads(f.data)["message"] for c in chunks for f in c.frames]
    assert messages == [
        "calling upstream with headers {'Authorization': 'Bearer [REDACTED:bearer-token]'}",
        "configured with [REDACTED:env:API_SECRET]",
    ]
    assert chunks[-1].metadata["redactions"] == "2"
    assert handler.summary is not None and handler.summary.redactions == {"bearer-token": 1, "env:API_SECRET": 1}
