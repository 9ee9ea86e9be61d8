"""The real `make dev` server (oidc_tools.local.stack) in its own process, for tests that talk to it over HTTP."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
STARTUP_SECONDS = 120  # a deadline for a slow machine, not a measure of speed: ready usually comes in seconds
STOP_SECONDS = 30


def wait_until(condition, *, seconds: float, interval: float = 0.2, message: str = "condition"):
    """Poll condition() until it returns something truthy, which is returned; AssertionError after the deadline."""
    deadline = time.monotonic() + seconds
    while True:
        result = condition()
        if result:
            return result
        if time.monotonic() > deadline:
            raise AssertionError(f"{message} not met within {seconds:.0f} s")
        time.sleep(interval)


class RunningStack:
    """`python -m oidc_tools.local.stack --port 0`: the stack binds a port the system picks and names it in its ready
    line, so no other process can take the port between choosing and binding. `command` runs it another way (e.g.
    through make) and `popen` passes options to subprocess.Popen (a session of its own, a signal disposition…)."""

    def __init__(self, extra_environment: dict | None = None, *, command: list[str] | None = None,
                 arguments: tuple[str, ...] = (), **popen):
        environment = {**os.environ, "PYTHONUNBUFFERED": "1", **(extra_environment or {})}
        environment.pop("AWS_ENDPOINT_URL", None)
        self.process = subprocess.Popen(
            command or [sys.executable, "-m", "oidc_tools.local.stack", "--port", "0", *arguments],
            cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, env=environment, text=True, **popen,
        )
        self.own_group = bool(popen.get("start_new_session"))
        self.output: list[str] = []
        self.base = ""
        self._ready = threading.Event()
        self._reader = threading.Thread(target=self._read_output, daemon=True)
        self._reader.start()
        if not self._ready.wait(timeout=STARTUP_SECONDS):
            self.stop()
            raise AssertionError("local stack did not print 'ready:':\n" + "".join(self.output))
        self.port = int(self.base.rsplit(":", 1)[1])

    def _read_output(self) -> None:
        for line in self.process.stdout:
            self.output.append(line)
            if match := re.match(r"ready: (http://127\.0\.0\.1:\d+)$", line.strip()):
                self.base = match.group(1)
                self._ready.set()

    @property
    def state_file(self) -> Path:
        return ROOT / ".local-stack" / f"{self.port}.json"

    @property
    def state(self) -> dict:
        """What the stack wrote to .local-stack/<port>.json: endpoints, resource names, the functions' environments."""
        return json.loads(self.state_file.read_text())

    def request(self, method: str, path: str, body: bytes | None = None, headers: dict | None = None):
        request = urllib.request.Request(self.base + path, data=body, method=method, headers=headers or {})
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                return response.status, dict(response.headers), response.read()
        except urllib.error.HTTPError as error:
            return error.code, dict(error.headers), error.read()

    def json(self, method: str, path: str, body: bytes | None = None, headers: dict | None = None):
        status, headers, raw = self.request(method, path, body, headers)
        return status, {name.lower(): value for name, value in headers.items()}, json.loads(raw)

    def interrupt(self, timeout: float = STOP_SECONDS) -> tuple[int, str]:
        """Ctrl-C, as a developer stops `make dev`."""
        return self.stop_with(signal.SIGINT, timeout=timeout)

    def stop_with(self, first: int, *more: int, timeout: float = STOP_SECONDS, group: bool = False) -> tuple[int, str]:
        """Send a signal (to the process group with group=True, as a terminal or a process manager does); then, once
        the stack says it is stopping, the others, so they land in its cleanup. Waits for the exit; returns the exit
        status and everything the process printed."""

        def send(signum: int) -> None:
            if group:
                os.killpg(self.process.pid, signum)
            else:
                self.process.send_signal(signum)

        send(first)
        if more:
            wait_until(lambda: "stopping\n" in self.output, seconds=timeout, interval=0.05,
                       message="the stack printing 'stopping'")
        for signum in more:
            send(signum)
        self.process.wait(timeout=timeout)
        self._reader.join(timeout=timeout)
        return self.process.returncode, "".join(self.output)

    def stop(self) -> None:
        """Stop it as a process manager would (SIGTERM, so it removes its state file), and kill it if that fails."""
        if self.process.poll() is None:
            for signum in (signal.SIGTERM, signal.SIGKILL):
                if self.own_group:
                    os.killpg(self.process.pid, signum)
                else:
                    self.process.send_signal(signum)
                try:
                    self.process.wait(timeout=STOP_SECONDS)
                    return
                except subprocess.TimeoutExpired:
                    continue
