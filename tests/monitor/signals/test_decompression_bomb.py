"""A gzip bomb against a real ``candor serve``: ``server.max_body_bytes`` caps the inflated
size too, so ~500 KB that inflate to 500 MB are a 413 and the server's memory barely moves
(before the cap: 111 MB → 1.14 GB peak RSS)."""

from __future__ import annotations

import gzip
import zlib
from pathlib import Path

import httpx
import pytest

from monitor.errors import BadRequest, PayloadTooLarge
from monitor.signals.otlp import gunzip
from tests.support.processes import candor_process

pytestmark = pytest.mark.slow
MIB = 1_048_576


def bomb(inflated: int) -> bytes:
    packer = zlib.compressobj(9, zlib.DEFLATED, 16 + zlib.MAX_WBITS)
    chunk = b"\0" * MIB
    return b"".join(packer.compress(chunk) for _ in range(inflated // MIB)) + packer.flush()


def peak_rss_kb(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1])
    raise AssertionError("no VmHWM in /proc status")


def test_a_gzip_bomb_is_413_and_the_server_stays_small(tmp_path: Path) -> None:
    payload = bomb(500 * MIB)
    assert len(payload) < 600_000  # the size of the 485 KB bomb
    config = tmp_path / "config.toml"
    config.write_text(
        f'[storage]\ndata_dir = "{tmp_path / "data"}"\n'
        '[signals]\ningest_bearer_token = "env:BOMB_TOKEN"\n[engine]\nrule_files = []\n')
    log = tmp_path / "serve.log"
    with candor_process(config, log=log, env={"BOMB_TOKEN": "t0k3n-for-the-bomb"}) as server:
        before = peak_rss_kb(server.pid)
        response = httpx.post(f"{server.url}/v1/metrics", content=payload, timeout=60,
                              headers={"Authorization": "Bearer t0k3n-for-the-bomb",
                                       "Content-Encoding": "gzip",
                                       "Content-Type": "application/x-protobuf"})
        after = peak_rss_kb(server.pid)
    assert response.status_code == 413, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    assert "max_body_bytes" in response.json()["detail"]
    assert after - before < 64 * 1024, f"peak RSS grew from {before} kB to {after} kB"
    assert "Traceback" not in log.read_text()


def test_gunzip_caps_the_output_and_reads_every_member() -> None:
    assert gunzip(gzip.compress(b"a" * 1000) + gzip.compress(b"b" * 24), 1024) == \
        b"a" * 1000 + b"b" * 24
    assert gunzip(gzip.compress(b"x") + b"\0\0\0", 1024) == b"x"
    with pytest.raises(PayloadTooLarge, match="inflates to more than 1024 bytes"):
        gunzip(gzip.compress(b"a" * 1000) + gzip.compress(b"b" * 25), 1024)
    with pytest.raises(PayloadTooLarge):
        gunzip(bomb(4 * MIB), MIB)
    with pytest.raises(BadRequest, match="cut short"):
        gunzip(gzip.compress(b"a" * 1000)[:-12], 1024)
    with pytest.raises(BadRequest, match="not gzip data"):
        gunzip(b"not gzip at all", 1024)
