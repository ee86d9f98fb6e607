#!/usr/bin/env python3
"""The deployment recipes keep the console apart from the calls and give room for connections.

Kubernetes: the pods behind the webhooks' Service serve the webhooks only; the console is a
Deployment of its own, selected by its own Service, probed on its own port. systemd, Compose:
an open-file limit well above the 1,024 default. Exits 1 naming each problem."""
import configparser
import sys

import yaml

problems = []


def env_of(container):
    return {e["name"]: e.get("value") for e in container.get("env", [])}


docs = [d for d in yaml.safe_load_all(open("deploy/kubernetes/switchboard.yaml")) if d]
deployments = {d["metadata"]["name"]: d for d in docs if d["kind"] == "Deployment"}
services = {d["metadata"]["name"]: d for d in docs if d["kind"] == "Service"}


def pod_labels(name):
    return deployments[name]["spec"]["template"]["metadata"]["labels"]


def selects(service, deployment):
    selector = services[service]["spec"]["selector"]
    labels = pod_labels(deployment)
    return all(labels.get(k) == v for k, v in selector.items())


for name, role in [("switchboard", "webhooks"), ("switchboard-console", "console")]:
    if name not in deployments:
        problems.append(f"Kubernetes: no Deployment {name}")
        continue
    (container,) = deployments[name]["spec"]["template"]["spec"]["containers"]
    env = env_of(container)
    if env.get("SWITCHBOARD_ROLE") != role:
        problems.append(f"Kubernetes: {name} does not serve --role {role}")
    if role == "webhooks" and "SWITCHBOARD_ADMIN_LISTEN" in env:
        problems.append(f"Kubernetes: {name} answers calls and serves a console too")
    if role == "console":
        if not env.get("SWITCHBOARD_ADMIN_LISTEN"):
            problems.append(f"Kubernetes: {name} has no SWITCHBOARD_ADMIN_LISTEN")
        for probe in ["readinessProbe", "livenessProbe"]:
            if container.get(probe, {}).get("httpGet", {}).get("port") != "console":
                problems.append(f"Kubernetes: {name}'s {probe} does not ask the console")
if deployments.keys() >= {"switchboard", "switchboard-console"}:
    if not selects("switchboard", "switchboard") or selects("switchboard", "switchboard-console"):
        problems.append("Kubernetes: Service switchboard must reach the webhook pods alone")
    if not selects("switchboard-console", "switchboard-console") or selects(
        "switchboard-console", "switchboard"
    ):
        problems.append("Kubernetes: Service switchboard-console must reach the console pods alone")

unit = configparser.ConfigParser(strict=False, interpolation=None)
unit.optionxform = str
unit.read("deploy/systemd/switchboard.service")
nofile = unit.get("Service", "LimitNOFILE", fallback="")
if not nofile.isdigit() or int(nofile) < 65536:
    problems.append(f"systemd: LimitNOFILE is {nofile or 'unset'}, not 65536 or more")

compose = yaml.safe_load(open("deploy/compose/compose.yaml"))
limits = compose["services"]["switchboard"].get("ulimits", {}).get("nofile", {})
if not isinstance(limits, dict) or int(limits.get("soft", 0)) < 65536:
    problems.append("Compose: the switchboard service's nofile ulimit is not 65536 or more")

for problem in problems:
    print(problem)
if problems:
    sys.exit(1)
print("recipes: the console apart from the calls, and room for connections")
