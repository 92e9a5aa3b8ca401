"""Jars of a pinned Java artifact and its dependencies, resolved once with Maven into a cache folder.

The engines the project runs for real (Apache Kafka, Apache Cassandra) are
published on Maven Central. The first start resolves an engine's pinned
coordinates with `mvn dependency:copy-dependencies` into
`<cache>/<name>/lib`, then writes a `resolved` stamp naming the coordinates;
later starts find the stamp and use the jars offline. The stamp is written
last, so an interrupted resolution is redone, never half used.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Sequence
from pathlib import Path
from xml.sax.saxutils import escape

from feed.errors import FeedError

DEFAULT_CACHE = Path(os.environ.get("FEED_ENGINES_CACHE", "var/engines"))
RESOLVE_TIMEOUT_S = 600  # a cold resolution downloads tens of megabytes
STAMP = "resolved"


def resolve_jars(name: str, coordinates: Sequence[str], cache: Path = DEFAULT_CACHE) -> list[Path]:
    """The jars of `group:artifact:version` coordinates and their runtime dependencies, resolved at most once."""
    folder = cache.resolve() / name
    lib = folder / "lib"
    wanted = "\n".join(coordinates) + "\n"
    stamp = folder / STAMP
    if not (stamp.exists() and stamp.read_text() == wanted):
        _resolve(folder, lib, coordinates)
        stamp.write_text(wanted)
    return sorted(lib.glob("*.jar"))


def _resolve(folder: Path, lib: Path, coordinates: Sequence[str]) -> None:
    mvn = shutil.which("mvn")
    if mvn is None:
        raise FeedError("Maven (mvn) is not installed; run `make deps` (apt-get install maven)")
    shutil.rmtree(lib, ignore_errors=True)
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "pom.xml").write_text(_pom(folder.name, coordinates))
    args = [mvn, "-q", "-B", "dependency:copy-dependencies", f"-DoutputDirectory={lib}", "-DincludeScope=runtime"]
    done = subprocess.run(args, cwd=folder, capture_output=True, text=True, timeout=RESOLVE_TIMEOUT_S, check=False)
    if done.returncode != 0:
        detail = (done.stdout + done.stderr).strip().splitlines()[-20:]
        raise FeedError(f"Maven could not resolve {', '.join(coordinates)}:\n" + "\n".join(detail))


def _pom(name: str, coordinates: Sequence[str]) -> str:
    """A project whose only content is the dependencies to copy."""
    deps = []
    for coordinate in coordinates:
        group, artifact, version = (escape(part) for part in coordinate.split(":"))
        deps.append(
            f"<dependency><groupId>{group}</groupId><artifactId>{artifact}</artifactId>"
            f"<version>{version}</version></dependency>"
        )
    return (
        '<project xmlns="http://maven.apache.org/POM/4.0.0"><modelVersion>4.0.0</modelVersion>'
        f"<groupId>local.feed.engines</groupId><artifactId>{escape(name)}</artifactId><version>1</version>"
        f"<packaging>pom</packaging><dependencies>{''.join(deps)}</dependencies></project>\n"
    )
