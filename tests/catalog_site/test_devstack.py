"""The dev stack fails fast with one readable line when it cannot run."""

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parents[2]


def run_stack(env_overrides: dict[str, str], tmp_path: Path) -> tuple[subprocess.CompletedProcess, float]:
    env = {**os.environ, "CATALOG_VAR_DIR": str(tmp_path / "var"), **env_overrides}
    started = time.monotonic()
    result = subprocess.run(
        [sys.executable, "-m", "catalog_site.devstack", "run"],
        cwd=BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    return result, time.monotonic() - started


def error_lines(result: subprocess.CompletedProcess) -> list[str]:
    return [line for line in result.stderr.splitlines() if line.startswith("error:")]


def test_unreachable_database_url_gives_one_line_and_nonzero_exit(tmp_path: Path) -> None:
    result, elapsed = run_stack({"DATABASE_URL": "postgres://nobody@127.0.0.1:1/catalog", "PORT": "0"}, tmp_path)

    assert result.returncode == 1
    assert elapsed < 15
    [line] = error_lines(result)
    assert "cannot reach PostgreSQL at DATABASE_URL" in line
    assert "Traceback" not in result.stderr


def test_wrong_redis_url_gives_one_line_and_nonzero_exit(tmp_path: Path) -> None:
    result, elapsed = run_stack({"REDIS_URL": "redis://127.0.0.1:1/0", "PORT": "0"}, tmp_path)

    assert result.returncode == 1
    assert elapsed < 15
    [line] = error_lines(result)
    assert "cannot reach Redis at REDIS_URL" in line


def test_busy_web_port_is_reported_before_anything_starts(tmp_path: Path) -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]

        result, elapsed = run_stack({"PORT": str(port)}, tmp_path)

    assert result.returncode == 1
    assert elapsed < 15
    [line] = error_lines(result)
    assert f"port {port} for the web server is busy" in line
    assert not (tmp_path / "var" / "pgdata").exists()
