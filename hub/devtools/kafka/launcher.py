"""Run a real single-node Apache Kafka broker (KRaft, combined broker+controller) on 127.0.0.1.

No Docker: the broker's jars are resolved from Maven Central with Maven (``kafka/pom.xml``) into
``<project>/.kafka/lib`` and the broker runs as a plain ``java`` subprocess. Everything it writes
(config, data, log) lives in one *home* directory, e.g. ``<project>/.kafka/run/dev``.

Two ways to use it:

* in-process (tests): ``KafkaBroker(home).start()`` ... ``.stop()``;
* detached (developers): ``start_detached(home)`` returns while the broker keeps running, and
  ``stop_detached(home)`` / ``status(home)`` find it again through ``broker.pid`` in the home.

A cluster of several such nodes (``hub kafka start --brokers 3``) is hub/devtools/kafka/cluster.py: each node
is a ``KafkaBroker`` with its seat in the quorum (hub/devtools/kafka/quorum.py). This module is long because
it is the one place that knows how to resolve, configure, start, probe and stop a broker JVM.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import fcntl
import functools
import hashlib
import logging
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Awaitable, Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import TextIO, TypeVar

from aiokafka.admin import AIOKafkaAdminClient, NewTopic

from hub.devtools.kafka import broker_security
from hub.devtools.kafka.broker_security import BrokerTls
from hub.devtools.kafka.quorum import Membership
from hub.runtime.kafka.security import ADMIN, KafkaSecurity

__all__ = [
    "KAFKA_MAIN_CLASS",
    "STORAGE_TOOL_MAIN_CLASS",
    "BrokerStatus",
    "JarResolutionError",
    "KafkaBroker",
    "KafkaStartError",
    "default_dev_home",
    "ensure_jars",
    "find_project_root",
    "start_detached",
    "status",
    "stop_detached",
]

KAFKA_MAIN_CLASS = "kafka.Kafka"
STORAGE_TOOL_MAIN_CLASS = "kafka.tools.StorageTool"

HOST = "127.0.0.1"
LOG_TAIL_LINES = 60
# Size of a cold resolution (broker jars ~45 MB + Maven's dependency plugin), for the progress message.
APPROX_DOWNLOAD_MB = 70

# Files inside a broker home.
SERVER_PROPERTIES = "server.properties"
LOG4J2_PROPERTIES = "log4j2.properties"
BROKER_LOG = "broker.log"
PID_FILE = "broker.pid"
BOOTSTRAP_FILE = "bootstrap.txt"
DATA_DIR = "data"

# Modest heap: a dev/test broker on a 2-core machine next to the hub, not a production node.
JVM_OPTS = (
    "-Xms256m",
    "-Xmx1g",
    "-XX:+UseG1GC",
    "-XX:MaxGCPauseMillis=20",
    "-XX:+ExitOnOutOfMemoryError",
    "-Djava.awt.headless=true",
)
# The storage tool is a short one-shot JVM: the C1 compiler alone starts it noticeably faster.
TOOL_JVM_OPTS = ("-Xmx256m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1", "-Djava.awt.headless=true")

# Topic name used only in validate-only CreateTopics requests: it is never actually created.
_PROBE_TOPIC = "__hub_launcher_readiness_probe"
# CreateTopics error codes that still prove the controller answered a topic creation.
_PROBE_OK_CODES = frozenset({0, 36})  # NONE, TOPIC_ALREADY_EXISTS

_T = TypeVar("_T")

# Popen objects of brokers started with start_detached() by this process. Keeping a reference
# avoids the "subprocess is still running" warning on garbage collection and lets
# stop_detached() reap the child (no zombie) when it is called from the same process.
_DETACHED: dict[int, subprocess.Popen[bytes]] = {}


class KafkaStartError(RuntimeError):
    """The broker could not be made ready.

    The message carries the log's first ERROR/FATAL entries (the cause is usually there, while
    the last lines of a failed start are only the shutdown) and the last ~60 lines of the log.
    """

    def __init__(self, message: str, log_path: Path | None = None) -> None:
        self.log_path = log_path
        self.log_tail = _tail(log_path) if log_path is not None else ""
        self.log_errors = _error_excerpt(log_path) if log_path is not None else ""
        full = message
        if self.log_errors:
            full += f"\n--- first errors in {log_path} ---\n{self.log_errors}"
        if self.log_tail:
            full += f"\n--- last {LOG_TAIL_LINES} lines of {log_path} ---\n{self.log_tail}"
        elif log_path is not None:
            full += f"\n(log {log_path} is empty or missing)"
        super().__init__(full)


class JarResolutionError(KafkaStartError):
    """Maven could not resolve the Kafka jars (no network, bad pom, no mvn...)."""


# --------------------------------------------------------------------------------------------
# Project layout and jar resolution
# --------------------------------------------------------------------------------------------


def find_project_root(start: Path | None = None) -> Path:
    """The repository root: the nearest parent holding both pyproject.toml and kafka/pom.xml."""
    here = (start or Path(__file__)).resolve()
    for candidate in (here, *here.parents):
        if (candidate / "pyproject.toml").is_file() and (candidate / "kafka" / "pom.xml").is_file():
            return candidate
    raise FileNotFoundError(f"no project root (pyproject.toml + kafka/pom.xml) above {here}")


def default_dev_home(project_root: Path | None = None) -> Path:
    return (project_root or find_project_root()) / ".kafka" / "run" / "dev"


def _pom_digest(pom: Path) -> str:
    return hashlib.sha256(pom.read_bytes()).hexdigest()


def _jars_ready(lib: Path, digest: str) -> bool:
    stamp = lib / ".pom.sha256"
    try:
        return stamp.read_text().strip() == digest and any(lib.glob("kafka_*.jar"))
    except OSError:
        return False


@contextlib.contextmanager
def _file_lock(path: Path) -> Iterator[None]:
    """Serialise jar resolution between processes (e.g. pytest-xdist workers, CLI + tests)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def ensure_jars(project_root: Path, out: TextIO = sys.stderr) -> Path:
    """Copy Kafka's runtime jars into ``<project_root>/.kafka/lib`` and return that directory.

    A stamp holding the sha256 of kafka/pom.xml makes later calls free: Maven is not even
    started while the stamp matches. Changing the pom (e.g. the Kafka version) re-resolves.
    """
    project_root = project_root.resolve()
    pom = project_root / "kafka" / "pom.xml"
    kafka_dir = project_root / ".kafka"
    lib = kafka_dir / "lib"
    if not pom.is_file():
        raise JarResolutionError(f"{pom} not found")
    digest = _pom_digest(pom)
    if _jars_ready(lib, digest):
        return lib

    with _file_lock(kafka_dir / "lib.lock"):
        if _jars_ready(lib, digest):  # another process resolved them while we waited
            return lib
        mvn = shutil.which("mvn")
        if mvn is None:
            raise JarResolutionError("Maven ('mvn') is not on PATH; it is needed once to fetch Kafka's jars")
        # Resolve into a scratch dir and swap it in at the end, so an interrupted or failed run
        # never leaves a half-filled lib/ and jars of an older Kafka version never linger.
        tmp = kafka_dir / f"lib.tmp-{os.getpid()}"
        shutil.rmtree(tmp, ignore_errors=True)
        maven_log = kafka_dir / "maven.log"
        cmd = [
            mvn,
            "-B",  # batch mode: no colours, no interactive progress bars, one line per download
            "-Dstyle.color=never",
            "-f",
            str(pom),
            f"-Dkafka.lib.dir={tmp}",
            "dependency:copy-dependencies",
        ]
        print(
            f"resolving Kafka jars with Maven (first run downloads ~{APPROX_DOWNLOAD_MB} MB into "
            f"~/.m2; full output in {maven_log})",
            file=out,
            flush=True,
        )
        started = time.monotonic()
        try:
            downloads = _run_maven(cmd, cwd=pom.parent, log_path=maven_log, out=out)
            jars = sorted(tmp.glob("*.jar"))
            if not jars:
                raise JarResolutionError("Maven succeeded but copied no jars", maven_log)
            size_mb = sum(j.stat().st_size for j in jars) / 1e6
            (tmp / ".pom.sha256").write_text(digest + "\n")
            shutil.rmtree(lib, ignore_errors=True)
            tmp.rename(lib)
        finally:
            shutil.rmtree(tmp, ignore_errors=True)  # only left over if something failed
        print(
            f"Kafka jars ready: {len(jars)} jars, {size_mb:.0f} MB in {lib} "
            f"({downloads} files downloaded, {time.monotonic() - started:.1f}s)",
            file=out,
            flush=True,
        )
        return lib


_ANSI = re.compile(r"\x1b\[[0-9;]*m")


def _run_maven(cmd: list[str], cwd: Path, log_path: Path, out: TextIO) -> int:
    """Run Maven, keep its full output in ``log_path``, show one dot per downloaded file.

    Maven's own output is ~700 lines on a cold run: a dot per download tells a newcomer that
    something happens without burying the one line that matters if it fails ([ERROR]).
    """
    downloads = 0
    mid_line = False  # dots printed since the last newline
    with (
        log_path.open("w") as log,
        subprocess.Popen(
            cmd,
            cwd=cwd,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            errors="replace",
        ) as proc,
    ):
        assert proc.stdout is not None
        for raw in proc.stdout:
            line = _ANSI.sub("", raw)  # Maven's jansi emits colour resets even in batch mode
            log.write(line)
            if "Downloaded from " in line:
                downloads += 1
                out.write(". " + str(downloads) + "\n" if downloads % 50 == 0 else ".")
                mid_line = downloads % 50 != 0
            elif line.startswith("[ERROR]"):
                out.write(("\n" if mid_line else "") + line)
                mid_line = False
            out.flush()
        rc = proc.wait()
    if mid_line:
        out.write("\n")
    if rc != 0:
        raise JarResolutionError(f"Maven failed with exit code {rc}: {' '.join(cmd)}", log_path)
    return downloads


# --------------------------------------------------------------------------------------------
# Small process / file helpers
# --------------------------------------------------------------------------------------------


def _tail(path: Path, lines: int = LOG_TAIL_LINES) -> str:
    try:
        with path.open("rb") as handle:
            handle.seek(0, os.SEEK_END)
            size = handle.tell()
            handle.seek(max(0, size - 256 * 1024))  # enough for 60 lines, even Java stack traces
            data = handle.read()
    except OSError:
        return ""
    return "\n".join(data.decode("utf-8", "replace").splitlines()[-lines:])


_ERROR_LINE = re.compile(r"^\[[^\]]+\] (ERROR|FATAL) ")


def _error_excerpt(path: Path, blocks: int = 4, context: int = 2) -> str:
    """The first ERROR/FATAL log entries with the next lines (exception message, first frame)."""
    try:
        lines = path.read_bytes()[-4 * 1024 * 1024 :].decode("utf-8", "replace").splitlines()
    except OSError:
        return ""
    picked: list[str] = []
    found = 0
    for index, line in enumerate(lines):
        if _ERROR_LINE.match(line):
            picked.extend(lines[index : index + 1 + context])
            found += 1
            if found >= blocks:
                break
    return "\n".join(picked)


def _free_ports(count: int) -> list[int]:
    """Ports the kernel considers free; all sockets stay open until all are picked (no duplicates)."""
    with contextlib.ExitStack() as stack:
        ports = []
        for _ in range(count):
            sock = stack.enter_context(socket.socket(socket.AF_INET, socket.SOCK_STREAM))
            sock.bind((HOST, 0))
            ports.append(int(sock.getsockname()[1]))
        return ports


def _port_is_free(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        # Like the JVM's server sockets: TIME_WAIT leftovers of the previous run do not count.
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((HOST, port))
        except OSError:
            return False
        return True


async def _port_accepts(port: int) -> bool:
    try:
        _, writer = await asyncio.wait_for(asyncio.open_connection(HOST, port), 0.5)
    except (OSError, TimeoutError):
        return False
    writer.close()
    with contextlib.suppress(OSError):
        await writer.wait_closed()
    return True


def _read_properties(path: Path) -> dict[str, str]:
    props: dict[str, str] = {}
    try:
        text = path.read_text()
    except OSError:
        return props
    for raw in text.splitlines():
        line = raw.strip()
        if line and not line.startswith(("#", "!")) and "=" in line:
            key, _, value = line.partition("=")
            props[key.strip()] = value.strip()
    return props


def _listener_port(listeners: str, name: str) -> int | None:
    for item in listeners.split(","):
        prefix = f"{name}://"
        if item.strip().startswith(prefix):
            with contextlib.suppress(ValueError):
                return int(item.rsplit(":", 1)[1])
    return None


def _properties_escape(value: str) -> str:
    # Java .properties treat backslash as an escape character; home paths are written verbatim otherwise.
    return value.replace("\\", "\\\\")


def _random_cluster_id() -> str:
    # Same format as Kafka's Uuid.randomUuid().toString(): URL-safe base64 of 16 bytes, no padding,
    # never starting with '-' (it would be parsed as a command-line flag).
    while True:
        cid = base64.urlsafe_b64encode(uuid.uuid4().bytes).decode().rstrip("=")
        if not cid.startswith("-"):
            return cid


def pid_alive(pid: int) -> bool:
    """Whether a process runs (an exited child of ours, or a zombie, does not)."""
    # Reap it first if it is our own exited child, otherwise os.kill() succeeds on the zombie.
    with contextlib.suppress(ChildProcessError, OSError):
        if os.waitpid(pid, os.WNOHANG)[0] == pid:
            return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return True  # no procfs: trust kill(0)
    return stat.rsplit(")", 1)[1].split()[0] != "Z"


def _is_broker_of(pid: int, home: Path) -> bool:
    """True if ``pid`` is alive and is the Kafka JVM of this home (guards against pid reuse)."""
    if not pid_alive(pid):
        return False
    try:
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
    except OSError:
        return True  # no procfs: the pid file is all we have
    args = [a.decode("utf-8", "replace") for a in cmdline]
    return KAFKA_MAIN_CLASS in args and str(home / SERVER_PROPERTIES) in args


def _read_pid(home: Path) -> int | None:
    try:
        return int((home / PID_FILE).read_text().strip())
    except (OSError, ValueError):
        return None


def _signal_group(pid: int, sig: signal.Signals) -> None:
    # The broker leads its own process group (start_new_session), so this reaches the JVM only.
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pid, sig)


def _terminate_pid(pid: int, timeout: float) -> None:
    """SIGTERM (Kafka's controlled shutdown), then SIGKILL if it is still alive after ``timeout``."""
    proc = _DETACHED.pop(pid, None)
    _signal_group(pid, signal.SIGTERM)
    if proc is not None:
        try:
            proc.wait(timeout)
        except subprocess.TimeoutExpired:
            _signal_group(pid, signal.SIGKILL)
            proc.wait()
        return
    deadline = time.monotonic() + timeout
    while pid_alive(pid):
        if time.monotonic() >= deadline:
            _signal_group(pid, signal.SIGKILL)
            kill_deadline = time.monotonic() + 10
            while pid_alive(pid) and time.monotonic() < kill_deadline:
                time.sleep(0.05)
            return
        time.sleep(0.1)


def _run_coroutine(factory: Callable[[], Awaitable[_T]]) -> _T:
    """Run a coroutine to completion from sync code, even if called inside a running event loop."""

    async def runner() -> _T:
        return await factory()

    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(runner())
    # Called from async code (e.g. an async fixture): asyncio.run() is not allowed on this
    # thread, so use a private loop in a worker thread. This blocks the caller's loop while the
    # broker starts, which is what a synchronous start() means anyway.
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="kafka-launcher") as pool:
        return pool.submit(asyncio.run, runner()).result()


@contextlib.contextmanager
def _quiet_aiokafka() -> Iterator[None]:
    # Probing a broker that is still starting makes aiokafka log connection errors at ERROR
    # level; they are expected here and would only alarm whoever reads the console.
    logger = logging.getLogger("aiokafka")
    previous = logger.level
    logger.setLevel(logging.CRITICAL)
    try:
        yield
    finally:
        logger.setLevel(previous)


async def _probe(bootstrap: str, budget: float, security: KafkaSecurity, replicas: int = 1) -> str | None:
    """None when the broker serves requests *and* its controller can handle a topic creation.

    A validate-only CreateTopics goes broker -> controller and fails with
    INVALID_REPLICATION_FACTOR until the broker is registered and unfenced, so it proves more
    than an open port or a metadata answer, without creating anything. With `replicas` = the
    cluster's size it also proves that every node is (a node of a cluster is ready once all are).
    """
    admin = AIOKafkaAdminClient(
        bootstrap_servers=bootstrap,
        client_id="hub-kafka-launcher",
        request_timeout_ms=max(1000, int(budget * 1000)),
        **security.client_options(ADMIN),
    )
    try:
        async with asyncio.timeout(budget):
            await admin.start()
            response = await admin.create_topics(
                [NewTopic(_PROBE_TOPIC, num_partitions=1, replication_factor=replicas)], validate_only=True
            )
        for topic_error in response.topic_errors:
            code = int(topic_error[1])
            if code not in _PROBE_OK_CODES:
                return f"CreateTopics(validate_only) answered error code {code}: {topic_error[2:]}"
        return None
    except Exception as exc:  # any failure just means "not ready yet"; the caller retries
        return f"{type(exc).__name__}: {exc}"
    finally:
        with contextlib.suppress(Exception):
            await admin.close()


# --------------------------------------------------------------------------------------------
# The broker
# --------------------------------------------------------------------------------------------


class KafkaBroker:
    """One single-node KRaft broker (broker+controller in one JVM) living in ``home``."""

    def __init__(
        self,
        home: Path,
        port: int | None = None,
        controller_port: int | None = None,
        *,
        project_root: Path | None = None,
        out: TextIO | None = None,
        security: KafkaSecurity | None = None,
        tls: BrokerTls | None = None,
        membership: Membership | None = None,
    ) -> None:
        self.home = Path(home).resolve()
        # Whose passwords the broker's SCRAM users get, and the CA its clients (the readiness probe
        # among them) check a TLS listener with; `tls`: the listener's own certificate and key.
        self.security = security or KafkaSecurity.from_env()
        self.tls = tls if tls is not None else BrokerTls.from_env()
        self.project_root = project_root.resolve() if project_root else find_project_root()
        self._out = out  # progress of jar resolution; None means sys.stderr at call time
        self._proc: subprocess.Popen[bytes] | None = None
        self.startup_seconds: float | None = None
        # Reuse the ports of a previous run of this home when they are still free: the
        # developer's bootstrap address then survives restarts of `hub kafka start`.
        previous = _read_properties(self.home / SERVER_PROPERTIES).get("listeners", "")
        if port is None:
            old = _listener_port(previous, broker_security.BROKER_LISTENER) or _listener_port(previous, "PLAINTEXT")
            port = old if old is not None and _port_is_free(old) else None
        if controller_port is None:
            old = _listener_port(previous, "CONTROLLER")
            controller_port = old if old is not None and old != port and _port_is_free(old) else None
        if port is None or controller_port is None:
            fresh = iter(p for p in _free_ports(3) if p not in (port, controller_port))
            port = port if port is not None else next(fresh)
            controller_port = controller_port if controller_port is not None else next(fresh)
        self.port: int = port
        self.controller_port: int = controller_port
        # Alone, a cluster of one; in a cluster (hub/devtools/kafka/cluster.py), its seat in the quorum.
        self.membership = membership or Membership(1, ((1, HOST, controller_port),), _random_cluster_id())
        self._launched_at = 0.0

    # ---- public properties -------------------------------------------------------------

    @property
    def bootstrap_servers(self) -> str:
        return f"{HOST}:{self.port}"

    @property
    def log_path(self) -> Path:
        return self.home / BROKER_LOG

    @property
    def pid(self) -> int | None:
        return self._proc.pid if self._proc is not None else None

    @property
    def data_dir(self) -> Path:
        return self.home / DATA_DIR

    def is_running(self) -> bool:
        return self._proc is not None and self._proc.poll() is None

    # ---- lifecycle ---------------------------------------------------------------------

    def start(self, timeout: float = 90) -> None:
        """Start the JVM and block until the broker can create topics; KafkaStartError otherwise."""
        if self.is_running():
            return
        self.launch()
        self.wait_ready(self._launched_at + timeout)

    def launch(self) -> None:
        """Format the storage if needed and start the JVM, without waiting: the nodes of a cluster
        are all launched before any is waited for, since none is ready before a quorum is."""
        self._launched_at = time.monotonic()
        self.home.mkdir(parents=True, exist_ok=True)
        other = _read_pid(self.home)
        if other is not None and _is_broker_of(other, self.home):
            raise KafkaStartError(
                f"another Kafka broker (pid {other}) already runs in {self.home}; "
                "stop it first (hub kafka stop) or use another home"
            )
        lib = ensure_jars(self.project_root, out=self._out or sys.stderr)
        java = self._java()
        self._rotate_log()
        from hub.operations.kafka.authorization import hub_principals  # reads topics.yaml: only when starting

        broker_security.ensure_dev_secrets(self.security, hub_principals())
        self._write_configs()
        formatted = (self.data_dir / "meta.properties").is_file()
        if formatted and not broker_security.formatted_with_scram(self.data_dir):
            print(f"{self.home} was formatted before Kafka security (issue 12): formatting it again", file=sys.stderr)
        if not formatted or not broker_security.formatted_with_scram(self.data_dir):
            self._format_storage(java, lib)

        cmd = [
            java,
            *JVM_OPTS,
            f"-Dlog4j2.configurationFile={self.home / LOG4J2_PROPERTIES}",
            f"-Dkafka.logs.dir={self.home}",
            "-cp",
            f"{lib}/*",  # the JVM expands the wildcard itself: no shell involved
            KAFKA_MAIN_CLASS,
            str(self.home / SERVER_PROPERTIES),
        ]
        with self.log_path.open("ab") as log:  # O_APPEND: shares the file with log4j2 safely
            self._proc = subprocess.Popen(
                cmd,
                cwd=self.home,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # own process group: stop() signals the JVM only
            )
        # Written before readiness so an interrupted start can still be cleaned up by stop_detached().
        (self.home / PID_FILE).write_text(f"{self._proc.pid}\n")

    def wait_ready(self, deadline: float, *, secure: bool = True) -> None:
        """Block until the launched broker serves (and, with `secure`, has its SCRAM users and ACLs);
        stop it and raise KafkaStartError if it does not by `deadline` (time.monotonic())."""
        try:
            self._wait_ready(deadline, deadline - self._launched_at)
            if secure:
                self._secure(deadline)
        except BaseException:
            self.stop(timeout=10)
            raise
        (self.home / BOOTSTRAP_FILE).write_text(self.bootstrap_servers + "\n")
        self.startup_seconds = time.monotonic() - self._launched_at

    def stop(self, timeout: float = 30) -> None:
        """SIGTERM the broker's process group, wait for its clean shutdown, SIGKILL after ``timeout``."""
        proc = self._proc
        if proc is not None:
            if proc.poll() is None:
                _signal_group(proc.pid, signal.SIGTERM)
                try:
                    proc.wait(timeout)
                except subprocess.TimeoutExpired:
                    _signal_group(proc.pid, signal.SIGKILL)
                    proc.wait()
            _DETACHED.pop(proc.pid, None)
            if _read_pid(self.home) == proc.pid:
                (self.home / PID_FILE).unlink(missing_ok=True)
                (self.home / BOOTSTRAP_FILE).unlink(missing_ok=True)

    def detach(self) -> None:
        """Forget the process without stopping it (it stays findable through the pid file)."""
        if self._proc is not None and self._proc.poll() is None:
            _DETACHED[self._proc.pid] = self._proc
        self._proc = None

    # ---- internals -----------------------------------------------------------------------

    def _secure(self, deadline: float) -> None:
        """Every principal's SCRAM user and the ACLs of topics.yaml, before anyone is told it is ready."""
        from hub.operations.kafka.authorization import sync_security

        budget = max(5.0, deadline - time.monotonic())
        _run_coroutine(functools.partial(sync_security, self.bootstrap_servers, self.security, timeout_s=budget))

    def _java(self) -> str:
        java_home = os.environ.get("JAVA_HOME")
        candidate = Path(java_home) / "bin" / "java" if java_home else None
        if candidate is not None and candidate.is_file():
            return str(candidate)
        found = shutil.which("java")
        if found is None:
            raise KafkaStartError("'java' (17+) not found on PATH nor in $JAVA_HOME")
        return found

    def _rotate_log(self) -> None:
        # One log per run keeps the error tail relevant; the previous run stays for a post-mortem.
        if self.log_path.is_file() and self.log_path.stat().st_size > 0:
            self.log_path.replace(self.home / f"{BROKER_LOG}.1")

    def _write_configs(self) -> None:
        data = _properties_escape(str(self.data_dir))
        keystore = self.tls.write_keystore(self.home) if self.tls is not None else None
        security = broker_security.listener_properties(
            self.port, self.controller_port, self.security.password(ADMIN), keystore, self.security.ca_file
        )
        server = f"""\
# Written by hub/devtools/kafka/launcher.py on every start; edits are overwritten.
{self.membership.properties()}controller.listener.names=CONTROLLER
log.dirs={data}
{security}
# Few internal partitions: creating 50 of them delays the first consumer group by seconds.
offsets.topic.num.partitions=1
transaction.state.log.num.partitions=1
share.coordinator.state.topic.num.partitions=1

# Consumers join immediately (tests, local runs) instead of waiting 3s for more members.
group.initial.rebalance.delay.ms=0
# Topics come from topics.yaml via the admin client; a typo must not silently create a topic.
auto.create.topics.enable=false
num.partitions=3

# Sized for a 2-core dev machine.
num.network.threads=2
num.io.threads=4
background.threads=4
num.recovery.threads.per.data.dir=1
"""
        log = _properties_escape(str(self.log_path))
        log4j2 = f"""\
# Written by hub/devtools/kafka/launcher.py. Everything goes to one readable file, broker.log.
status = warn
# Kafka logs its controlled shutdown from its own JVM shutdown hook; log4j2's hook must not
# close the appender first or the end of the shutdown is lost.
shutdownHook = disable
appender.file.type = File
appender.file.name = FILE
appender.file.fileName = {log}
appender.file.append = true
appender.file.layout.type = PatternLayout
appender.file.layout.pattern = [%d] %p %m (%c)%n
rootLogger.level = INFO
rootLogger.appenderRef.file.ref = FILE
# Same quiet levels as Kafka's shipped config/log4j2.yaml.
logger.request.name = kafka.request.logger
logger.request.level = WARN
logger.requestchannel.name = kafka.network.RequestChannel$
logger.requestchannel.level = WARN
"""
        (self.home / SERVER_PROPERTIES).write_text(server)
        (self.home / SERVER_PROPERTIES).chmod(0o600)  # it holds the admin's password
        (self.home / LOG4J2_PROPERTIES).write_text(log4j2)

    def _format_storage(self, java: str, lib: Path) -> None:
        """`kafka-storage.sh format` equivalent: stamp the empty log dir with a new cluster id."""
        shutil.rmtree(self.data_dir, ignore_errors=True)  # a half-formatted dir would be refused
        cmd = [
            java,
            *TOOL_JVM_OPTS,
            f"-Dlog4j2.configurationFile={self.home / LOG4J2_PROPERTIES}",
            "-cp",
            f"{lib}/*",
            STORAGE_TOOL_MAIN_CLASS,
            "format",
            "--cluster-id",
            self.membership.cluster_id,
            "--config",
            str(self.home / SERVER_PROPERTIES),
            *broker_security.format_arguments(self.security.password(ADMIN)),
        ]
        with self.log_path.open("ab") as log:
            shown = [re.sub(r"password=[^,\]]*", "password=***", arg) for arg in cmd]  # not in the log
            log.write(f"$ {' '.join(shown)}\n".encode())
            log.flush()
            rc = subprocess.run(
                cmd, cwd=self.home, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT, check=False
            ).returncode
        if rc != 0:
            raise KafkaStartError(
                f"formatting the KRaft storage in {self.data_dir} failed (exit code {rc})",
                self.log_path,
            )
        broker_security.mark_formatted_with_scram(self.data_dir)

    def _wait_ready(self, deadline: float, timeout: float) -> None:
        with _quiet_aiokafka():
            _run_coroutine(functools.partial(self._await_ready, deadline, timeout_label=timeout))

    async def _await_ready(self, deadline: float, *, timeout_label: float) -> None:
        proc = self._proc
        assert proc is not None
        last_reason = "the broker port never accepted a connection"
        while True:
            code = proc.poll()
            if code is not None:
                raise KafkaStartError(
                    f"Kafka broker in {self.home} exited with code {code} during start-up", self.log_path
                )
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise KafkaStartError(
                    f"Kafka broker in {self.home} not ready after {timeout_label:.0f}s ({last_reason})",
                    self.log_path,
                )
            # The acceptors open only once the broker has caught up with the metadata log, so a
            # cheap TCP check gates the real Kafka request. The probe races the process: if the
            # port belongs to someone else the JVM dies and we must not wait for the probe.
            if await _port_accepts(self.port):
                budget = min(10.0, max(1.0, remaining))
                probe = asyncio.create_task(
                    _probe(self.bootstrap_servers, budget, self.security, replicas=self.membership.size)
                )
                exited = asyncio.create_task(_wait_exit(proc))
                await asyncio.wait({probe, exited}, return_when=asyncio.FIRST_COMPLETED)
                for task in (probe, exited):
                    task.cancel()
                await asyncio.gather(probe, exited, return_exceptions=True)
                if not probe.cancelled():
                    reason = probe.result()
                    if reason is None:
                        return
                    last_reason = reason
            await asyncio.sleep(0.2)


async def _wait_exit(proc: subprocess.Popen[bytes]) -> None:
    # A Popen has no awaitable exit, and proc.wait() in a thread could not be cancelled.
    while proc.poll() is None:  # noqa: ASYNC110
        await asyncio.sleep(0.1)


# --------------------------------------------------------------------------------------------
# Detached mode (`hub kafka start|stop|status`)
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class BrokerStatus:
    home: Path
    running: bool
    pid: int | None
    bootstrap_servers: str | None
    log_path: Path
    # True when start_detached() found this broker already running and did not start another.
    reused: bool = False

    def describe(self) -> str:
        state = f"running (pid {self.pid})" if self.running else "not running"
        lines = [f"Kafka broker: {state}", f"  home:      {self.home}"]
        if self.running and self.bootstrap_servers:
            lines.append(f"  bootstrap: {self.bootstrap_servers}")
        lines.append(f"  log:       {self.log_path}")
        return "\n".join(lines)


def status(home: Path) -> BrokerStatus:
    home = Path(home).resolve()
    pid = _read_pid(home)
    running = pid is not None and _is_broker_of(pid, home)
    bootstrap: str | None = None
    with contextlib.suppress(OSError):
        bootstrap = (home / BOOTSTRAP_FILE).read_text().strip() or None
    return BrokerStatus(
        home=home,
        running=running,
        pid=pid if running else None,
        bootstrap_servers=bootstrap if running else None,
        log_path=home / BROKER_LOG,
    )


def start_detached(
    home: Path,
    *,
    port: int | None = None,
    controller_port: int | None = None,
    timeout: float = 90,
    project_root: Path | None = None,
    out: TextIO | None = None,
) -> BrokerStatus:
    """Start a broker that outlives this process; reuse the one already running in ``home``."""
    current = status(home)
    if current.running:
        return BrokerStatus(
            home=current.home,
            running=True,
            pid=current.pid,
            bootstrap_servers=current.bootstrap_servers,
            log_path=current.log_path,
            reused=True,
        )
    broker = KafkaBroker(home, port, controller_port, project_root=project_root, out=out)
    broker.start(timeout)  # on failure the JVM is already stopped and KafkaStartError raised
    broker.detach()
    return status(home)


def stop_detached(home: Path, timeout: float = 30) -> bool:
    """Stop the broker recorded in ``home``; False if none was running (stale files are removed)."""
    home = Path(home).resolve()
    pid = _read_pid(home)
    was_running = pid is not None and _is_broker_of(pid, home)
    if was_running:
        assert pid is not None
        _terminate_pid(pid, timeout)
    for name in (PID_FILE, BOOTSTRAP_FILE):
        (home / name).unlink(missing_ok=True)
    return was_running
