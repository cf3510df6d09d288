"""docker-compose.yml cannot run here (no Docker engine), so its wiring is checked structurally."""

import json
from pathlib import Path

import yaml

from services.matching.settings import Settings as MatchingSettings
from services.notify.settings import Settings as NotifySettings
from services.registry.settings import Settings as RegistrySettings

REPO = Path(__file__).resolve().parents[2]
COMPOSE = yaml.safe_load((REPO / "docker-compose.yml").read_text())
SERVICES = COMPOSE["services"]


def env_of(name: str) -> dict[str, str]:
    return {k: str(v) for k, v in SERVICES[name]["environment"].items()}


def test_the_infrastructure_is_kafka_in_kraft_mode_and_mongo_as_a_replica_set() -> None:
    kafka, mongo = SERVICES["kafka"], SERVICES["mongo"]
    assert kafka["image"].startswith("apache/kafka")
    assert "controller" in kafka["environment"]["KAFKA_PROCESS_ROLES"]
    assert "PLAINTEXT://kafka:9092" in kafka["environment"]["KAFKA_ADVERTISED_LISTENERS"]
    assert "--replSet" in mongo["command"]
    assert "rs.initiate" in " ".join(mongo["healthcheck"]["test"])


def test_every_service_is_built_from_deploy_and_points_at_the_compose_names_and_ports() -> None:
    for name, port, settings_cls in (("registry", 8000, RegistrySettings), ("matching", 8001, MatchingSettings),
                                     ("notify", 8002, NotifySettings)):
        service = SERVICES[name]
        assert service["build"]["dockerfile"] == "deploy/Dockerfile"
        assert (REPO / service["build"]["dockerfile"]).exists()
        assert f"services.{name}.app:create_app" in service["command"] and str(port) in service["command"]
        assert service["healthcheck"]["test"] and f"{port}/readyz" in " ".join(service["healthcheck"]["test"])
        env = env_of(name)
        settings = settings_cls(**{k.removeprefix("DUIJIE_").lower(): v for k, v in env.items()
                                   if k.startswith("DUIJIE_") and not v.startswith("${")})
        assert settings.kafka_bootstrap == "kafka:9092"
        if hasattr(settings, "mongo_url"):
            assert settings.mongo_url.startswith("mongodb://mongo:27017/") and "replicaSet=rs0" in settings.mongo_url
        if hasattr(settings, "registry_url"):
            assert settings.registry_url == "http://registry:8000"
        assert {"kafka"} <= set(service["depends_on"])


def test_production_allow_lists_no_webhook_host() -> None:
    assert env_of("notify")["DUIJIE_WEBHOOK_ALLOW_HOSTS"] == ""


def test_kubernetes_manifests_parse_and_probe_every_service() -> None:
    docs = list(yaml.safe_load_all((REPO / "deploy/k8s/duijie.yaml").read_text()))
    deployments = {d["metadata"]["name"]: d for d in docs if d["kind"] == "Deployment"}
    assert set(deployments) == {"registry", "matching", "notify"}
    for d in deployments.values():
        container = d["spec"]["template"]["spec"]["containers"][0]
        assert container["readinessProbe"]["httpGet"]["path"] == "/readyz"


def kubernetes_deployments() -> dict[str, dict]:
    docs = yaml.safe_load_all((REPO / "deploy/k8s/duijie.yaml").read_text())
    return {d["metadata"]["name"]: d for d in docs if d["kind"] == "Deployment"}


def test_matching_runs_as_one_member_of_its_consumer_group() -> None:
    """Matching's index is in memory and fed by its group's share of the partitions: two replicas (or the old and
    the new pod of a rolling update) would each index only some of the postings and miss the others' matches
    (with two replicas on the embedded stack, the demo district's 8 postings were indexed 3 and 5, and its needs
    got 4 matches instead of 6)."""
    matching = kubernetes_deployments()["matching"]["spec"]
    assert matching["replicas"] == 1
    assert matching["strategy"]["type"] == "Recreate"


def test_the_brokers_log_is_kept_on_its_volume() -> None:
    """apache/kafka writes its log to /tmp/kraft-combined-logs unless KAFKA_LOG_DIRS says otherwise: a volume
    mounted anywhere else keeps nothing, and recreating the container (an image update, `down` and `up`) loses
    the events no consumer had taken yet and every group's offsets."""
    kafka = SERVICES["kafka"]
    mounts = {volume.split(":")[1] for volume in kafka["volumes"] if volume.split(":")[0] in COMPOSE["volumes"]}
    assert kafka["environment"].get("KAFKA_LOG_DIRS") in mounts


def commands() -> dict[str, list[str]]:
    """Each way the services are started: compose's and Kubernetes' commands, and the image's own."""
    found = {f"compose {name}": SERVICES[name]["command"] for name in ("registry", "matching", "notify")}
    for name, deployment in kubernetes_deployments().items():
        found[f"k8s {name}"] = deployment["spec"]["template"]["spec"]["containers"][0]["command"]
    cmd = next(line for line in (REPO / "deploy/Dockerfile").read_text().splitlines() if line.startswith("CMD"))
    found["Dockerfile"] = json.loads(cmd.removeprefix("CMD"))
    return found


def test_every_service_stops_within_its_grace_period_with_streams_open() -> None:
    """uvicorn waits for open requests without limit unless told otherwise: with one SSE client on notify, a
    SIGTERM left it "Waiting for connections to close" until the container was killed (after 10 s in compose,
    30 s in Kubernetes), so its shutdown never ran and the deliveries under way were sent again elsewhere."""
    for where, command in commands().items():
        assert "--timeout-graceful-shutdown" in command, where
        drain = float(command[command.index("--timeout-graceful-shutdown") + 1])
        grace = NotifySettings().shutdown_grace_seconds
        if where.startswith("compose"):
            period = SERVICES[where.split()[1]]["stop_grace_period"]
            assert float(period.removesuffix("s")) >= 2 * (drain + grace), where


def test_kubernetes_keys_come_from_the_operators_secret_not_the_manifest() -> None:
    """The manifest held a Secret with DUIJIE_ADMIN_KEY `change-me`: applied as shipped, anyone who read the
    repository was the registry's admin. The keys come from a Secret the operator makes; the pods wait for it."""
    docs = list(yaml.safe_load_all((REPO / "deploy/k8s/duijie.yaml").read_text()))
    assert not [d for d in docs if d["kind"] == "Secret"]
    config = next(d for d in docs if d["kind"] == "ConfigMap")["data"]
    assert not {"DUIJIE_ADMIN_KEY", "DUIJIE_INTERNAL_KEY"} & set(config)
    for deployment in kubernetes_deployments().values():
        sources = deployment["spec"]["template"]["spec"]["containers"][0]["envFrom"]
        assert {"secretRef": {"name": "duijie-secrets"}} in sources


def test_every_container_comes_back_after_a_crash_or_a_reboot() -> None:
    """Compose restarts nothing unless told: a service that exited (matching gives up after 60 s without the
    registry's catalogue, a process killed for memory) or a host that rebooted left that part of the platform down,
    where Kubernetes restarts the pod."""
    for name, service in SERVICES.items():
        assert service.get("restart") in ("always", "unless-stopped"), name


def test_kubernetes_waits_for_start_up_before_checking_liveness() -> None:
    """uvicorn listens only once the app's start-up is done, and matching's start-up rebuilds its index from the
    registry's whole catalogue (about 1 ms a posting, 4.4 s for 5,000): with liveness checked from the start (3
    failures 10 s apart), a catalogue of some 30,000 postings had the pod killed mid-rebuild, again at every restart."""
    for name, deployment in kubernetes_deployments().items():
        container = deployment["spec"]["template"]["spec"]["containers"][0]
        startup = container["startupProbe"]
        assert startup["httpGet"] == container["livenessProbe"]["httpGet"], name
        assert startup["periodSeconds"] * startup["failureThreshold"] >= 300, name


def test_kubernetes_makes_the_topics_before_the_services_start() -> None:
    """Nothing made the topics on Kubernetes, where brokers often do not create them on first use: the services
    then failed to publish and consume. Each pod first runs `python -m deploy.topics`, which keeps existing topics."""
    docs = list(yaml.safe_load_all((REPO / "deploy/k8s/duijie.yaml").read_text()))
    config = next(d for d in docs if d["kind"] == "ConfigMap")["data"]
    assert int(config["DUIJIE_TOPIC_PARTITIONS"]) >= 1 and int(config["DUIJIE_TOPIC_REPLICATION_FACTOR"]) >= 1
    for name, deployment in kubernetes_deployments().items():
        [init] = deployment["spec"]["template"]["spec"]["initContainers"]
        assert init["command"] == ["python", "-m", "deploy.topics"], name
        assert init["image"] == deployment["spec"]["template"]["spec"]["containers"][0]["image"], name
        assert {"configMapRef": {"name": "duijie-config"}} in init["envFrom"], name
