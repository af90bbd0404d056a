"""Dagster runs and workers in their own processes, as on other hosts: started here, stopped by
process id, logs kept in files the failing test prints."""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Mapping, Sequence
from pathlib import Path

from tests.factories import REPO_ROOT, repo_env


def process_env(extra: Mapping[str, str]) -> dict[str, str]:
    """This process's environment plus ``extra``, with the repository importable."""
    return repo_env(GX_ANALYTICS_ENABLED="false", **extra)


def start(args: Sequence[str], env: Mapping[str, str], log: Path) -> subprocess.Popen:
    """Start ``python -m args...`` with its output in ``log``."""
    with open(log, "wb") as out:
        return subprocess.Popen(
            [sys.executable, "-m", *args],
            env=dict(env),
            cwd=REPO_ROOT,
            stdout=out,
            stderr=subprocess.STDOUT,
        )


def stop(process: subprocess.Popen, timeout: float = 30) -> None:
    """Stop a process we started, by its pid: SIGTERM, then SIGKILL if it lingers."""
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout)


def wait_for_line(process: subprocess.Popen, log: Path, text: str, timeout: float = 120) -> None:
    """Block until ``text`` appears in ``log``; fail with the log if the process dies first."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if text in log.read_text(errors="replace"):
            return
        if process.poll() is not None:
            break
        time.sleep(0.2)
    raise AssertionError(f"{text!r} never appeared in {log}:\n{log.read_text(errors='replace')}")


def finish(
    processes: Mapping[str, subprocess.Popen], logs: Mapping[str, Path], timeout: float = 1500
) -> None:
    """Wait for every process; fail naming each that exited non-zero, with its log."""
    failed = []
    for name, process in processes.items():
        try:
            code = process.wait(timeout)
        except subprocess.TimeoutExpired:
            stop(process)
            code = "timeout"
        if code != 0:
            failed.append(f"--- {name} (exit {code})\n{logs[name].read_text(errors='replace')}")
    assert not failed, "\n".join(failed)
