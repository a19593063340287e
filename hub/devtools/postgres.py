"""A throw-away PostgreSQL server on 127.0.0.1, for benchmarks and tests (no Docker, no system service).

    with PostgresServer(project_root / ".data" / "pg" / f"bench-{os.getpid()}") as pg:
        url = pg.create_database("hub")  # postgresql+asyncpg://postgres@127.0.0.1:<port>/hub
        ...
    # stopped, and its directory removed

It runs Debian's binaries (package `postgresql`, `/usr/lib/postgresql/<version>/bin`; `$HUB_PG_BIN`
names another directory): `initdb` into ``<home>/data``, then `postgres` on a free port, listening on
127.0.0.1 only, with no Unix socket, trusting local TCP connections as the superuser `postgres`
(a developer's server, never a deployed one). Everything it writes stays in ``home``; its log is
``<home>/postgres.log``. PostgreSQL refuses to run as root, so when we are root both run as the
`postgres` OS user, which then owns ``home``.

A server that cannot start raises `PostgresStartError` carrying the end of its log. Servers left
behind by a process that was killed are found again by `sweep_stale_homes`.
"""

from __future__ import annotations

import contextlib
import os
import pwd
import re
import shutil
import signal
import subprocess
import time
from collections.abc import Mapping
from pathlib import Path
from types import TracebackType
from typing import BinaryIO

from hub.devtools.kafka.launcher import pid_alive
from hub.devtools.ports import free_port
from hub.devtools.settings import DevelopmentSettings

__all__ = ["PostgresServer", "PostgresStartError", "find_bin_dir", "sweep_stale_homes"]

HOST = "127.0.0.1"
SUPERUSER = "postgres"
OS_USER = "postgres"  # who runs the server when we are root
LOG_NAME = "postgres.log"
LOG_TAIL_LINES = 40
_NAME = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")  # database names we create: no quoting needed


class PostgresStartError(RuntimeError):
    """The server could not be set up or made ready; the message ends with its log."""

    def __init__(self, message: str, log_path: Path | None = None) -> None:
        self.log_path = log_path
        tail = _tail(log_path) if log_path is not None else ""
        if tail:
            message += f"\n--- last {LOG_TAIL_LINES} lines of {log_path} ---\n{tail}"
        elif log_path is not None:
            message += f"\n({log_path} is empty or missing)"
        super().__init__(message)


def find_bin_dir() -> Path:
    """`$HUB_PG_BIN`, else the newest `/usr/lib/postgresql/<version>/bin`, else `initdb` on PATH."""
    override = DevelopmentSettings.from_env().pg_bin
    if override:
        return Path(override)
    versions = sorted(
        (p for p in Path("/usr/lib/postgresql").glob("*/bin") if (p / "initdb").is_file()),
        key=lambda p: int(p.parent.name) if p.parent.name.isdigit() else 0,
    )
    if versions:
        return versions[-1]
    found = shutil.which("initdb")
    if found:
        return Path(found).parent
    raise PostgresStartError(
        "PostgreSQL is not installed: no /usr/lib/postgresql/<version>/bin/initdb "
        "(apt-get install postgresql, or `make bench`, which installs it)"
    )


class PostgresServer:
    """One PostgreSQL server living in ``home``; `start`/`stop`, or use it as a context manager."""

    def __init__(
        self,
        home: Path,
        *,
        port: int | None = None,
        bin_dir: Path | None = None,
        settings: Mapping[str, str] | None = None,
        keep: bool = False,
    ) -> None:
        """`settings`: extra server settings (`-c name=value`); `keep`: leave ``home`` after `stop`."""
        self.home = Path(home).resolve()
        self._port_given = port is not None
        self.port = port or free_port()
        self.bin_dir = bin_dir
        self.settings = dict(settings or {})
        self.keep = keep
        self._proc: subprocess.Popen[bytes] | None = None
        self._as_user = OS_USER if os.geteuid() == 0 else None

    @property
    def data_dir(self) -> Path:
        return self.home / "data"

    @property
    def log_path(self) -> Path:
        return self.home / LOG_NAME

    def url(self, database: str = "postgres") -> str:
        """The SQLAlchemy URL of one database of this server (asyncpg driver)."""
        return f"postgresql+asyncpg://{SUPERUSER}@{HOST}:{self.port}/{database}"

    def is_running(self) -> bool:
        return self._proc is not None and self._proc.poll() is None

    # ---- lifecycle ---------------------------------------------------------------------

    def start(self, timeout: float = 60) -> PostgresServer:
        """initdb (first time only), start the server and wait until it accepts connections."""
        if self.is_running():
            return self
        bin_dir = self.bin_dir or find_bin_dir()
        self.bin_dir = bin_dir
        self.home.mkdir(parents=True, exist_ok=True)
        if self._as_user is not None:
            owner = pwd.getpwnam(self._as_user)
            os.chown(self.home, owner.pw_uid, owner.pw_gid)
        if not (self.data_dir / "PG_VERSION").is_file():
            self._initdb(bin_dir)
        for attempt in range(1, 4):
            try:
                self._run(bin_dir, timeout)
                return self
            except PostgresStartError as err:
                # A free port picked by us may be taken before the server binds it: pick another.
                if self._port_given or "could not bind" not in str(err) or attempt == 3:
                    raise
                self.port = free_port()
        raise AssertionError("unreachable")

    def _run(self, bin_dir: Path, timeout: float) -> None:
        options = {"listen_addresses": HOST, "port": str(self.port), "unix_socket_directories": ""}
        options.update(self.settings)
        cmd = [str(bin_dir / "postgres"), "-D", str(self.data_dir)]
        for name, value in options.items():
            cmd += ["-c", f"{name}={value}"]
        with self.log_path.open("ab") as log:
            # Own session: Ctrl-C on the terminal reaches only us, and we stop the server in order.
            self._proc = self._spawn(cmd, log, new_session=True)
        try:
            self._wait_ready(bin_dir, time.monotonic() + timeout, timeout)
        except BaseException:
            self._halt(timeout=10)  # ``home`` stays for a post-mortem; sweep_stale_homes removes it later
            raise

    def stop(self, timeout: float = 30) -> None:
        """Fast shutdown (SIGINT: sessions are ended), SIGKILL after ``timeout``; remove ``home`` unless kept."""
        self._halt(timeout)
        if not self.keep:
            shutil.rmtree(self.home, ignore_errors=True)

    def _halt(self, timeout: float) -> None:
        proc, self._proc = self._proc, None
        if proc is not None and proc.poll() is None:
            proc.send_signal(signal.SIGINT)
            try:
                proc.wait(timeout)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()

    def __enter__(self) -> PostgresServer:
        return self.start()

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None) -> None:
        self.stop()

    # ---- databases ---------------------------------------------------------------------

    def create_database(self, name: str) -> str:
        """Create an empty database and return its URL."""
        self._client("createdb", name)
        return self.url(name)

    def drop_database(self, name: str) -> None:
        """Drop a database, ending the sessions still connected to it."""
        self._client("dropdb", "--if-exists", "--force", name)

    def _client(self, tool: str, *args: str) -> None:
        if not _NAME.match(args[-1]):
            raise ValueError(f"database name {args[-1]!r}: lower-case letters, digits and _ only")
        assert self.bin_dir is not None, "start the server first"
        cmd = [str(self.bin_dir / tool), "-h", HOST, "-p", str(self.port), "-U", SUPERUSER, *args]
        done = subprocess.run(cmd, stdin=subprocess.DEVNULL, capture_output=True, text=True, check=False)
        if done.returncode != 0:
            raise RuntimeError(f"{' '.join(cmd)} failed ({done.returncode}): {done.stderr.strip()}")

    # ---- internals ---------------------------------------------------------------------

    def _spawn(self, cmd: list[str], log: BinaryIO, *, new_session: bool = False) -> subprocess.Popen[bytes]:
        """Start ``cmd`` as the server's OS user, its output appended to ``log``."""
        user = self._as_user
        return subprocess.Popen(
            cmd,
            cwd=self.home,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=new_session,
            user=user,
            group=user,
            extra_groups=[] if user else None,  # drop root's supplementary groups too
            env=_env_of(user) if user else None,
        )

    def _initdb(self, bin_dir: Path) -> None:
        shutil.rmtree(self.data_dir, ignore_errors=True)  # a half-initialised directory would be refused
        cmd = [
            str(bin_dir / "initdb"),
            "-D", str(self.data_dir),
            "-U", SUPERUSER,
            "--auth=trust",
            "-E", "UTF8",
            "--locale=C",
            "--no-sync",  # the cluster is thrown away; the server itself still syncs as usual
        ]  # fmt: skip
        with self.log_path.open("ab") as log:
            log.write(f"$ {' '.join(cmd)}\n".encode())
            log.flush()
            rc = self._spawn(cmd, log).wait()
        if rc != 0:
            raise PostgresStartError(f"initdb in {self.data_dir} failed (exit code {rc})", self.log_path)

    def _wait_ready(self, bin_dir: Path, deadline: float, timeout: float) -> None:
        proc = self._proc
        assert proc is not None
        probe = [str(bin_dir / "pg_isready"), "-q", "-h", HOST, "-p", str(self.port), "-U", SUPERUSER]
        while True:
            code = proc.poll()
            if code is not None:
                raise PostgresStartError(
                    f"PostgreSQL in {self.home} exited with code {code} during start-up", self.log_path
                )
            if subprocess.run(probe, stdin=subprocess.DEVNULL, capture_output=True, check=False).returncode == 0:
                return
            if time.monotonic() > deadline:
                raise PostgresStartError(
                    f"PostgreSQL in {self.home} not accepting connections on {HOST}:{self.port} after {timeout:.0f}s",
                    self.log_path,
                )
            time.sleep(0.1)


def sweep_stale_homes(parent: Path, prefix: str) -> None:
    """Stop and remove the servers in ``parent/<prefix>-<pid>`` whose owning process ``pid`` is gone."""
    pattern = re.compile(rf"^{re.escape(prefix)}-(\d+)(?:-.*)?$")
    if not parent.is_dir():
        return
    for home in parent.iterdir():
        match = pattern.match(home.name)
        if match is None or not home.is_dir() or pid_alive(int(match.group(1))):
            continue
        with contextlib.suppress(OSError, ValueError, IndexError):
            pid = int((home / "data" / "postmaster.pid").read_text().splitlines()[0])
            if _is_postmaster(pid):
                os.kill(pid, signal.SIGQUIT)  # immediate shutdown: nothing in it is worth keeping
                for _ in range(50):
                    if not pid_alive(pid):
                        break
                    time.sleep(0.1)
        shutil.rmtree(home, ignore_errors=True)


def _is_postmaster(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/comm").read_text().strip() in {"postgres", "postmaster"}
    except OSError:
        return False


def _env_of(user: str) -> dict[str, str]:
    entry = pwd.getpwnam(user)
    keep = {k: v for k, v in os.environ.items() if k in {"PATH", "LANG", "LC_ALL", "TZ"}}
    return {**keep, "HOME": entry.pw_dir, "USER": user, "LOGNAME": user}


def _tail(path: Path, lines: int = LOG_TAIL_LINES) -> str:
    try:
        data = path.read_bytes()[-64 * 1024 :]
    except OSError:
        return ""
    return "\n".join(data.decode("utf-8", "replace").splitlines()[-lines:])
