"""The Dockerfile builds what the chart runs: the same user, the `feed` entry point, every package.

Docker is not needed: these read the Dockerfile and .dockerignore as text.
"""

from __future__ import annotations

import json
import re
import tomllib
from pathlib import Path

from tests.helm.chart import merged_values

ROOT = Path(__file__).resolve().parents[2]
DOCKERFILE = (ROOT / "Dockerfile").read_text()
BUILD_TOOLS = ("build-essential", "gcc", "g++", "make ")


def _stages() -> list[str]:
    """The text of each build stage, FROM line included."""
    parts = re.split(r"(?m)^(?=FROM )", DOCKERFILE)
    return [part for part in parts if part.startswith("FROM ")]


def test_two_stages_with_a_slim_python_runtime():
    _, runtime = _stages()
    default_image = re.search(r"(?m)^ARG PYTHON_IMAGE=(\S+)$", DOCKERFILE).group(1)
    assert default_image == "python:3.11-slim"
    assert runtime.startswith("FROM ${PYTHON_IMAGE} AS runtime")
    assert "COPY --from=builder /opt/venv /opt/venv" in runtime


def test_build_tools_stay_in_the_builder():
    builder, runtime = _stages()
    assert any(tool in builder for tool in BUILD_TOOLS)
    assert not [tool for tool in BUILD_TOOLS if tool in runtime]


def test_image_user_is_the_charts_user():
    values = merged_values({})
    _, runtime = _stages()
    uid, gid = values["runAsUser"], values["runAsGroup"]
    assert re.search(rf"(?m)^USER {uid}:{gid}$", runtime)
    assert f"--uid {uid}" in runtime and f"--gid {gid}" in runtime


def test_entry_point_is_the_feed_command():
    entrypoint = re.search(r"(?m)^ENTRYPOINT (.+)$", DOCKERFILE).group(1)
    assert json.loads(entrypoint) == ["feed"]
    scripts = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["scripts"]
    assert scripts["feed"] == "feed.cli:main"


def test_every_package_of_the_wheel_is_in_the_build_context():
    """A package left out of COPY or .dockerignore would build an image that cannot import it."""
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())
    packages = {pattern.rstrip("*") for pattern in project["tool"]["setuptools"]["packages"]["find"]["include"]}
    ignore = (ROOT / ".dockerignore").read_text().splitlines()
    needed = {"pyproject.toml", project["project"]["readme"], *(f"{p}/" for p in packages)}
    for path in needed:
        assert f"!{path}" in ignore, path
    for package in packages:
        assert f"COPY {package} ./{package}" in DOCKERFILE, package
