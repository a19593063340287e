"""The monitoring of docker-compose.yml, checked without Docker: the files parse, they agree with each
other (every hub process serves its ops endpoints where Prometheus and the console look for them,
Grafana reads the Prometheus that is provisioned and the dashboards that are mounted), and every
query on the dashboard names metrics and labels the hub really exports (hub/operations/health/metrics.py).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any
from urllib.parse import urlsplit

import pytest
import typer
import yaml
from prometheus_client import Counter, Gauge, Histogram
from prometheus_client.metrics import MetricWrapperBase
from typer.core import TyperGroup

from hub.contract.topics import PROJECT_ROOT
from hub.entrypoints.cli import app as hub_cli
from hub.operations.health.metrics import CIRCUIT_STATES, ProcessMetrics
from hub.operations.kafka.authorization import hub_principals
from hub.runtime.kafka.security import ADMIN, password_variable

COMPOSE = PROJECT_ROOT / "docker-compose.yml"
DASHBOARDS = PROJECT_ROOT / "deploy" / "grafana" / "dashboards"
DASHBOARD = DASHBOARDS / "ata-hub.json"

# Each hub process: its command, and the name Prometheus (job), the console and the dashboard give it.
JOBS = {
    "core": "core",
    "tobb-adapter": "adapter-tobb",
    "bilge-adapter": "adapter-bilge",
    "ykts-adapter": "adapter-ykts",
    "getapp": "getapp",
    "office": "office",
}
PROMETHEUS_LABELS = frozenset({"job", "instance"})  # added to every series at scrape
PROMETHEUS_METRICS = {"up": PROMETHEUS_LABELS}  # written by Prometheus itself for every target
FASTSTREAM_PREFIX = (
    "faststream_"  # FastStream's Prometheus middleware, in the same registry (hub/runtime/kafka/brokers.py)
)


# --- the files -----------------------------------------------------------------------------------------


def load_yaml(path: Path) -> dict[str, Any]:
    loaded = yaml.safe_load(path.read_text(encoding="utf-8"))
    assert isinstance(loaded, dict), path
    return loaded


@pytest.fixture(scope="module")
def services() -> dict[str, dict[str, Any]]:
    found: dict[str, dict[str, Any]] = load_yaml(COMPOSE)["services"]
    return found


def host_path(source: str) -> Path:
    return (COMPOSE.parent / source).resolve()


def mounts(service: dict[str, Any]) -> dict[str, str]:
    """Container path -> host source of a service's bind mounts (short syntax, `./src:/dst[:ro]`)."""
    out = {}
    for volume in service.get("volumes", []):
        source, target, *_ = str(volume).split(":")
        out[target] = source
    return out


def mounted_file(service: dict[str, Any], container_path: str) -> Path:
    """Where on the host a file the container reads comes from, through its bind mounts."""
    wanted = PurePosixPath(container_path)
    for target, source in mounts(service).items():
        if wanted == PurePosixPath(target) or PurePosixPath(target) in wanted.parents:
            return host_path(source) / wanted.relative_to(target)
    raise AssertionError(f"{container_path} is not mounted into the container")


def option(command: list[str], name: str) -> list[str]:
    return [command[i + 1] for i, word in enumerate(command[:-1]) if word == name]


def kafka_nodes(services: dict[str, dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """The Kafka services of docker-compose.yml: the nodes of its cluster."""
    return {name: s for name, s in services.items() if str(s.get("image", "")).startswith("apache/kafka:")}


def kafka_bootstrap(services: dict[str, dict[str, Any]]) -> str:
    """Every node's clients' listener, as the hub's processes must be given them."""
    return ",".join(f"{node['environment']['HUB_KAFKA_HOST']}:9092" for node in kafka_nodes(services).values())


def hub_processes(services: dict[str, dict[str, Any]]) -> dict[str, tuple[str, int]]:
    """Prometheus job -> (compose service, ops port) of every hub process in docker-compose.yml."""
    out = {}
    for name, service in services.items():
        command = [str(word) for word in service.get("command", [])]
        if "build" in service and command and command[0] in JOBS:
            [port] = option(command, "--ops-port")
            out[JOBS[command[0]]] = (name, int(port))
    return out


@pytest.fixture(scope="module")
def prometheus(services: dict[str, dict[str, Any]]) -> dict[str, Any]:
    service = services["prometheus"]
    return load_yaml(mounted_file(service, "/etc/prometheus/prometheus.yml"))


def scrape_targets(prometheus: dict[str, Any]) -> dict[str, list[str]]:
    return {
        job["job_name"]: [t for static in job.get("static_configs", []) for t in static["targets"]]
        for job in prometheus["scrape_configs"]
    }


@pytest.fixture(scope="module")
def datasource(services: dict[str, dict[str, Any]]) -> dict[str, Any]:
    provisioning = mounted_file(services["grafana"], "/etc/grafana/provisioning/datasources")
    [only] = [d for path in sorted(provisioning.glob("*.yml")) for d in load_yaml(path)["datasources"]]
    assert isinstance(only, dict)
    return only


@pytest.fixture(scope="module")
def dashboard() -> dict[str, Any]:
    loaded = json.loads(DASHBOARD.read_text(encoding="utf-8"))
    assert isinstance(loaded, dict)
    return loaded


# --- what the hub exports --------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def exported() -> dict[str, dict[str, frozenset[str]]]:
    """Metric family -> the series names it exports -> their labels, from a process's registry, every
    metric given a value (a labelled metric exports nothing before it is)."""
    metrics = ProcessMetrics("x")
    metrics.track_outbox()  # the core's
    for metric in vars(metrics).values():
        if not isinstance(metric, MetricWrapperBase):
            continue
        names = metric._labelnames
        child = metric.labels(**dict.fromkeys(names, "x")) if names else metric
        if isinstance(metric, Counter):
            child.inc()  # type: ignore[attr-defined]
        elif isinstance(metric, Gauge):
            child.set(1)  # type: ignore[attr-defined]
        elif isinstance(metric, Histogram):
            child.observe(0.1)  # type: ignore[attr-defined]
    families: dict[str, dict[str, frozenset[str]]] = {}
    for family in metrics.registry.collect():
        series = families.setdefault(family.name, {})
        for sample in family.samples:
            series[sample.name] = series.get(sample.name, frozenset()) | frozenset(sample.labels)
    assert "hub_messages_consumed_total" in families["hub_messages_consumed"]  # counters as *_total
    assert "hub_message_handling_seconds_bucket" in families["hub_message_handling_seconds"]
    return families


def series_labels(exported: dict[str, dict[str, frozenset[str]]]) -> dict[str, frozenset[str]]:
    """Series name -> labels, as Prometheus stores them."""
    out = {name: labels | PROMETHEUS_LABELS for series in exported.values() for name, labels in series.items()}
    return out | PROMETHEUS_METRICS


# --- PromQL, as far as the dashboard uses it ----------------------------------------------------------------

_KEYWORDS = frozenset(
    {"by", "without", "on", "ignoring", "group_left", "group_right", "bool", "and", "or", "unless", "offset"}
)
_MATCHER = re.compile(r'([A-Za-z_]\w*)\s*(=~|!~|!=|=)\s*"((?:[^"\\]|\\.)*)"')
_GROUPING = re.compile(r"\b(by|without|on|ignoring|group_left|group_right)\s*\(([^)]*)\)")
_NAME = re.compile(r"[A-Za-z_:][A-Za-z0-9_:]*")


@dataclass(frozen=True)
class Query:
    expr: str
    metrics: frozenset[str]
    matchers: tuple[tuple[str, str, str], ...]  # (label, operator, value)
    grouping: frozenset[str]  # labels of by (...), on (...), ...

    @classmethod
    def parse(cls, expr: str) -> Query:
        matchers = tuple(m for block in re.findall(r"\{([^}]*)\}", expr) for m in _MATCHER.findall(block))
        rest = re.sub(r'"(?:[^"\\]|\\.)*"', " ", expr)
        rest = re.sub(r"\{[^}]*\}|\[[^\]]*\]", " ", rest)  # label matchers, ranges ([$__rate_interval])
        grouping = frozenset(
            label.strip() for _, labels in _GROUPING.findall(rest) for label in labels.split(",") if label.strip()
        )
        rest = _GROUPING.sub(" ", rest)
        metrics = set()
        for found in _NAME.finditer(rest):
            name, after = found.group(), rest[found.end() :].lstrip()
            if name in _KEYWORDS or after.startswith("(") or rest[found.start() - 1 : found.start()].isdigit():
                continue  # an operator, a function (rate, histogram_quantile, time), or part of a number
            metrics.add(name)
        return cls(expr, frozenset(metrics), matchers, grouping)


def test_query_reading_finds_metrics_labels_and_functions() -> None:
    query = Query.parse(
        'histogram_quantile(0.95, sum by (le, system) (rate(hub_external_call_seconds_bucket{job=~"a|b"}'
        "[$__rate_interval]))) + on (system) time() - 2 * up"
    )
    assert query.metrics == {"hub_external_call_seconds_bucket", "up"}
    assert query.grouping == {"le", "system"}
    assert query.matchers == (("job", "=~", "a|b"),)


@dataclass(frozen=True)
class Target:
    panel: str
    query: Query
    legend: str
    datasource: dict[str, Any]


def panels(dashboard: dict[str, Any]) -> Iterator[dict[str, Any]]:
    for panel in dashboard["panels"]:
        yield panel
        yield from panel.get("panels", [])  # those of a collapsed row


def targets(dashboard: dict[str, Any]) -> list[Target]:
    found = [
        Target(panel["title"], Query.parse(t["expr"]), t.get("legendFormat", ""), t.get("datasource", {}))
        for panel in panels(dashboard)
        for t in panel.get("targets", [])
    ]
    assert len(found) >= 10
    return found


# --- docker-compose.yml and Prometheus ----------------------------------------------------------------------


def test_every_hub_process_serves_its_ops_endpoints_where_prometheus_scrapes(
    services: dict[str, dict[str, Any]], prometheus: dict[str, Any]
) -> None:
    processes = hub_processes(services)
    assert set(processes) == set(
        JOBS.values()
    )  # the core, the three adapters, GET-APP and the offices' page, each once
    for service, _port in processes.values():
        environment = services[service]["environment"]
        assert environment["HUB_OPS_HOST"] == "0.0.0.0", f"{service}: reachable from the other containers"
        assert environment["HUB_KAFKA_BOOTSTRAP"] == kafka_bootstrap(services), service
    expected = {job: [f"{service}:{port}"] for job, (service, port) in processes.items()}
    assert scrape_targets(prometheus) == expected  # no process unscraped, no job scraping nothing
    for job in prometheus["scrape_configs"]:
        assert job.get("metrics_path", "/metrics") == "/metrics"
        assert job.get("scheme", "http") == "http"
    ports = [port for _, port in processes.values()]
    assert len(set(ports)) == len(ports)


def test_prometheus_scrapes_every_5_seconds_within_the_interval(prometheus: dict[str, Any]) -> None:
    seconds = {"s": 1, "m": 60}

    def parse(duration: str) -> int:
        number, unit = re.fullmatch(r"(\d+)([sm])", duration).groups()  # type: ignore[union-attr]
        return int(number) * seconds[unit]

    defaults = prometheus["global"]
    for job in prometheus["scrape_configs"]:
        interval = parse(job.get("scrape_interval", defaults["scrape_interval"]))
        timeout = parse(job.get("scrape_timeout", defaults.get("scrape_timeout", "10s")))
        assert interval == 5, job["job_name"]
        assert timeout <= interval, f"{job['job_name']}: Prometheus refuses a timeout above the interval"


def test_the_console_watches_the_processes_prometheus_scrapes(
    services: dict[str, dict[str, Any]], prometheus: dict[str, Any]
) -> None:
    console = services["console"]
    command = [str(word) for word in console["command"]]
    assert command[0] == "console"
    watched = dict(target.split("=", 1) for target in option(command, "--target"))
    scraped = {job: f"http://{target}" for job, [target] in scrape_targets(prometheus).items()}
    assert watched == scraped
    [port] = option(command, "--port")
    assert f"{port}:{port}" in console["ports"]
    assert console["environment"]["HUB_KAFKA_BOOTSTRAP"] == kafka_bootstrap(services)
    core = services["core"]  # the console reads the core's store: the same URL on the same volume
    assert console["environment"]["HUB_DATABASE_URL"] == core["environment"]["HUB_DATABASE_URL"]
    store = next(v for v in core["volumes"] if v.endswith(":/hub/.data"))  # the core's .data, its store in it
    assert store in console["volumes"]


def accepts(command: list[str]) -> None:
    """Parse a compose command as `hub` would (options and their values), without running it."""
    cli = typer.main.get_command(hub_cli)
    assert isinstance(cli, TyperGroup)
    with typer.Context(cli) as context:
        sub = cli.get_command(context, command[0])
        assert sub is not None, f"`hub {command[0]}` does not exist"
        sub.make_context(command[0], command[1:], parent=context)  # raises on an unknown or bad option


def test_every_process_command_in_compose_is_one_the_hub_accepts(services: dict[str, dict[str, Any]]) -> None:
    built = {name: [str(w) for w in s["command"]] for name, s in services.items() if "build" in s}
    assert {c[0] for c in built.values()} >= {*JOBS, "topics", "console"}
    for command in built.values():
        if command[0] != "console":
            accepts(command)


def test_compose_gives_every_principal_a_password_and_each_process_its_own(services: dict[str, dict[str, Any]]) -> None:
    """Kafka security with Docker: kafka-security sets every principal of topics.yaml; each process
    connects as itself, with its password from the environment and none generated."""
    setter = services["kafka-security"]["environment"]
    assert {password_variable(p) for p in [ADMIN, *hub_principals()]} <= set(setter)
    own = {
        "core": ["hub-core"], "tobb-adapter": ["adapter-tobb"], "ykts-adapter": ["adapter-ykts"],
        "bilge-adapter": ["adapter-bilge", "bilge-intake"], "console": ["operators"],
    }  # fmt: skip
    for name, principals in own.items():
        env = services[name]["environment"]
        assert {password_variable(p) for p in principals} <= set(env), name
        assert env["HUB_KAFKA_SECRETS_DIR"] != ".data/kafka-secrets", name  # no development password
    for node in kafka_nodes(services).values():
        assert node["environment"]["HUB_KAFKA_PASSWORD_ADMIN"].startswith("${HUB_KAFKA_PASSWORD_ADMIN:?")


def test_compose_runs_a_kafka_cluster_of_three_nodes_in_one_quorum(services: dict[str, dict[str, Any]]) -> None:
    """Three combined broker+controller nodes, as `hub kafka start --brokers 3` runs them: each in the
    quorum at its own name, all formatted with one cluster id, of the Kafka version the launcher resolves;
    the ACLs set only once every node is up."""
    nodes = kafka_nodes(services)
    assert len(nodes) == 3
    envs = [node["environment"] for node in nodes.values()]
    assert sorted(int(env["HUB_KAFKA_NODE_ID"]) for env in envs) == [1, 2, 3]
    voters = {f"{env['HUB_KAFKA_NODE_ID']}@{env['HUB_KAFKA_HOST']}:9093" for env in envs}
    for name, env in zip(nodes, envs, strict=True):
        assert env["HUB_KAFKA_HOST"] == name  # the name the other containers reach it by
        assert set(env["HUB_KAFKA_VOTERS"].split(",")) == voters, name
        assert env["HUB_KAFKA_CLUSTER_ID"] == envs[0]["HUB_KAFKA_CLUSTER_ID"], name
        assert mounted_file(nodes[name], "/hub-kafka/start.sh") == PROJECT_ROOT / "deploy" / "kafka" / "start.sh"
    pom = (PROJECT_ROOT / "kafka" / "pom.xml").read_text(encoding="utf-8")
    [version] = re.findall(r"<kafka.version>([^<]+)</kafka.version>", pom)
    assert {str(node["image"]) for node in nodes.values()} == {f"apache/kafka:{version}"}
    waits = services["kafka-security"]["depends_on"]
    assert all(waits.get(name) == {"condition": "service_healthy"} for name in nodes), waits


def test_the_console_command_in_compose_is_one_the_hub_accepts(services: dict[str, dict[str, Any]]) -> None:
    accepts([str(word) for word in services["console"]["command"]])  # --port, and --target NAME=URL repeated


def test_prometheus_and_grafana_images_are_pinned(services: dict[str, dict[str, Any]]) -> None:
    for name in ("prometheus", "grafana"):
        image = str(services[name]["image"])
        tag = image.rpartition(":")[2]
        assert re.fullmatch(r"v?\d+\.\d+\.\d+", tag), f"{name}: {image} is not a pinned version"


# --- Grafana ------------------------------------------------------------------------------------------------


def test_grafana_reads_the_provisioned_prometheus_and_the_mounted_dashboards(
    services: dict[str, dict[str, Any]], datasource: dict[str, Any], dashboard: dict[str, Any]
) -> None:
    grafana = services["grafana"]
    assert datasource["type"] == "prometheus"
    url = urlsplit(datasource["url"])
    assert url.hostname == "prometheus" and url.port == 9090
    assert "9090:9090" in services["prometheus"]["ports"]

    providers = mounted_file(grafana, "/etc/grafana/provisioning/dashboards")
    [provider] = [p for path in sorted(providers.glob("*.yml")) for p in load_yaml(path)["providers"]]
    assert mounted_file(grafana, provider["options"]["path"]) == DASHBOARDS
    assert DASHBOARD.parent == DASHBOARDS

    home = grafana["environment"]["GF_DASHBOARDS_DEFAULT_HOME_DASHBOARD_PATH"]
    assert mounted_file(grafana, home) == DASHBOARD
    assert str(grafana["environment"]["GF_AUTH_ANONYMOUS_ENABLED"]).lower() == "true"
    assert grafana["environment"]["GF_AUTH_ANONYMOUS_ORG_ROLE"] == "Viewer"  # look, never change

    uid = datasource["uid"]
    for panel in panels(dashboard):
        if panel["type"] == "row":
            continue
        assert panel["datasource"] == {"type": "prometheus", "uid": uid}, panel["title"]
    for target in targets(dashboard):
        assert target.datasource == {"type": "prometheus", "uid": uid}, target.panel


# --- the dashboard's queries ----------------------------------------------------------------------------------


def test_every_query_names_only_metrics_the_hub_exports(
    dashboard: dict[str, Any], exported: dict[str, dict[str, frozenset[str]]]
) -> None:
    known = series_labels(exported)
    for target in targets(dashboard):
        assert target.query.metrics, f"{target.panel}: {target.query.expr} names no metric"
        for metric in target.query.metrics:
            if metric.startswith(FASTSTREAM_PREFIX):
                continue
            assert metric in known, f"{target.panel}: {metric} is not exported (known: {sorted(known)})"


def test_every_label_a_query_or_legend_uses_is_on_its_metrics(
    dashboard: dict[str, Any], exported: dict[str, dict[str, frozenset[str]]]
) -> None:
    known = series_labels(exported)
    for target in targets(dashboard):
        query = target.query
        if any(m.startswith(FASTSTREAM_PREFIX) for m in query.metrics):
            continue
        labels = frozenset().union(*(known[m] for m in query.metrics))
        used = query.grouping | {label for label, _, _ in query.matchers}
        assert used <= labels, f"{target.panel}: {sorted(used - labels)} not on {sorted(query.metrics)}"
        for label, _, value in query.matchers:
            if label == "state":  # the circuit breaker's states, as ProcessMetrics.set_circuit writes them
                assert value in CIRCUIT_STATES, f"{target.panel}: no circuit state {value!r}"
        shown = set(re.findall(r"\{\{\s*(\w+)\s*\}\}", target.legend))
        kept = query.grouping or labels  # an aggregation keeps only the labels it groups by
        assert shown <= kept, f"{target.panel}: legend {target.legend!r} names labels the query drops"


def test_job_selectors_name_the_jobs_prometheus_scrapes(dashboard: dict[str, Any], prometheus: dict[str, Any]) -> None:
    jobs = set(scrape_targets(prometheus))
    selected = set()
    for target in targets(dashboard):
        for label, operator, value in target.query.matchers:
            if label == "job":
                assert operator in ("=", "=~"), target.panel
                names = set(value.split("|")) if operator == "=~" else {value}
                assert names <= jobs, f"{target.panel}: {sorted(names - jobs)} is scraped by no job"
                selected |= names
    assert selected == jobs  # "Processes up" shows every process


def test_every_metric_the_hub_exports_is_on_the_dashboard(
    dashboard: dict[str, Any], exported: dict[str, dict[str, frozenset[str]]]
) -> None:
    used = frozenset().union(*(t.query.metrics for t in targets(dashboard)))
    missing = [family for family, series in exported.items() if not set(series) & used]
    assert missing == [], "metrics of hub/operations/health/metrics.py no panel shows"
    assert "up" in used  # whether each process answers at all
    assert any("histogram_quantile" in t.query.expr and "hub_message_handling_seconds_bucket" in t.query.metrics
               for t in targets(dashboard))  # fmt: skip
    assert any("histogram_quantile" in t.query.expr and "hub_external_call_seconds_bucket" in t.query.metrics
               for t in targets(dashboard))  # fmt: skip


def test_panels_do_not_overlap(dashboard: dict[str, Any]) -> None:
    taken: dict[tuple[int, int], str] = {}
    for panel in dashboard["panels"]:
        pos = panel["gridPos"]
        assert pos["x"] + pos["w"] <= 24, panel["title"]
        for x in range(pos["x"], pos["x"] + pos["w"]):
            for y in range(pos["y"], pos["y"] + pos["h"]):
                assert (x, y) not in taken, f"{panel['title']} overlaps {taken[(x, y)]}"
                taken[(x, y)] = panel["title"]
    ids = [panel["id"] for panel in panels(dashboard)]
    assert len(set(ids)) == len(ids)
