"""Start and stop the two servers the Python suites compare: ours (the built jupyter-rtc.dll) and Debian's Jupyter
Server 1.23. Both bind 127.0.0.1 on a free port, run with throwaway config and runtime directories, are waited for
with GET /api/status, and are stopped by PID. Standard library only: this runs with Debian's /usr/bin/python3."""

import json
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import urllib.error
import urllib.request

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))


# Ports below the kernel's ephemeral range (32768 and up by default): a port taken with port 0 and released can be
# handed to any outgoing connection before the server started on it binds it. Different at each call, per process.
_LOWEST_PORT = 20000
_next_port = _LOWEST_PORT + os.getpid() % 4000


def _ephemeral_start():
    try:
        with open("/proc/sys/net/ipv4/ip_local_port_range") as f:
            low = int(f.read().split()[0])
        if low > _LOWEST_PORT + 1000:
            return low
    except (OSError, ValueError):
        pass
    return 32768


def free_port():
    global _next_port
    end = _ephemeral_start()
    for _ in range(end - _LOWEST_PORT):
        port = _LOWEST_PORT + (_next_port - _LOWEST_PORT) % (end - _LOWEST_PORT)
        _next_port += 1
        with socket.socket() as s:
            try:
                s.bind(("127.0.0.1", port))
                return port
            except OSError:
                continue
    raise RuntimeError(f"no free port between {_LOWEST_PORT} and {end}")


def build_dir():
    d = os.environ.get("JUPYTER_RTC_BUILD")
    if d and os.path.exists(os.path.join(d, "jupyter-rtc.dll")):
        return d
    for cfg in ("Release", "Debug"):
        d = os.path.join(REPO, "src", "JupyterRtc.Server", "bin", cfg, "net10.0")
        if os.path.exists(os.path.join(d, "jupyter-rtc.dll")):
            return d
    raise RuntimeError("jupyter-rtc.dll not built: run `dotnet build -c Release` or set JUPYTER_RTC_BUILD")


class Server:
    """One running server. `kind` is "ours" or "jupyter"; `root` is the directory it serves."""

    def __init__(self, kind, root, token="difftoken", extra_args=()):
        self.kind, self.root, self.token = kind, root, token
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}/"
        self.scratch = tempfile.mkdtemp(prefix=f"jrtc-{kind}-")
        env = dict(os.environ)
        env.update(JUPYTER_NO_CONFIG="1", JUPYTER_RUNTIME_DIR=os.path.join(self.scratch, "runtime"),
                   JUPYTER_CONFIG_DIR=os.path.join(self.scratch, "config"),
                   JUPYTER_DATA_DIR=os.path.join(self.scratch, "data"), PYDEVD_DISABLE_FILE_VALIDATION="1")
        env.pop("JUPYTER_TOKEN", None)
        common = [f"--ServerApp.port={self.port}", "--ServerApp.port_retries=0", "--ServerApp.ip=127.0.0.1",
                  f"--ServerApp.root_dir={root}"]
        if kind == "ours":
            cmd = ["dotnet", os.path.join(build_dir(), "jupyter-rtc.dll"), *common,
                   f"--IdentityProvider.token={token}", "--no-browser", *extra_args]
        else:
            cmd = ["/usr/bin/python3", "-m", "jupyter_server", *common, f"--ServerApp.token={token}",
                   "--ServerApp.open_browser=False", "--allow-root", *extra_args]
        self.log_path = os.path.join(self.scratch, "server.log")
        self._log = open(self.log_path, "wb")
        self.started = time.monotonic()
        self.proc = subprocess.Popen(cmd, stdout=self._log, stderr=subprocess.STDOUT, env=env,
                                     start_new_session=True)
        self.ready_seconds = self._wait_ready()

    def _wait_ready(self, timeout=30):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"{self.kind} server exited early:\n{self.log()}")
            try:
                with urllib.request.urlopen(self.base + "api/status?token=" + self.token, timeout=2) as r:
                    if r.status == 200:
                        return time.monotonic() - self.started
            except (urllib.error.URLError, ConnectionError, OSError):
                pass
            time.sleep(0.02)
        self.stop()
        raise RuntimeError(f"{self.kind} server not ready within {timeout}s:\n{self.log()}")

    def log(self):
        try:
            with open(self.log_path, "rb") as f:
                return f.read().decode("utf-8", "replace")[-4000:]
        except OSError:
            return ""

    def request(self, method, path, body=None, headers=None, raw=False):
        """Returns (status, headers, body): body parsed as JSON when it is JSON, else bytes."""
        data = None
        if body is not None:
            data = body if isinstance(body, (bytes, bytearray)) else json.dumps(body).encode()
        req = urllib.request.Request(self.base + path, data=data, method=method)
        req.add_header("Authorization", "token " + self.token)
        for k, v in (headers or {}).items():
            req.add_header(k, v)
        try:
            with urllib.request.urlopen(req, timeout=60) as r:
                status, hdrs, payload = r.status, dict(r.headers), r.read()
        except urllib.error.HTTPError as e:
            status, hdrs, payload = e.code, dict(e.headers), e.read()
        if raw:
            return status, hdrs, payload
        try:
            return status, hdrs, json.loads(payload) if payload else None
        except ValueError:
            return status, hdrs, payload

    def stop(self):
        if self.proc.poll() is None:
            try:
                os.killpg(self.proc.pid, signal.SIGTERM)
                self.proc.wait(timeout=10)
            except (subprocess.TimeoutExpired, ProcessLookupError):
                try:
                    os.killpg(self.proc.pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
                self.proc.wait()
        self._log.close()
        shutil.rmtree(self.scratch, ignore_errors=True)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.stop()
