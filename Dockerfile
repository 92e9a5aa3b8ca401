# syntax=docker/dockerfile:1
# The image every process of the chart runs: `feed serve write|read`, `feed worker`,
# `feed schema apply`. Two stages: the builder makes a wheel of the project and installs
# it with its dependencies into a virtualenv; the runtime stage copies only that
# virtualenv onto a slim Python, so no compiler or build tooling ships.
#
#   docker build -t registry.example.com/feed:0.1.0 .

ARG PYTHON_IMAGE=python:3.11-slim

FROM ${PYTHON_IMAGE} AS builder
ENV PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1
# A compiler only for dependencies without a wheel for this platform (cassandra-driver,
# hiredis on some architectures); it stays in this stage.
RUN apt-get update \
    && apt-get install -y --no-install-recommends build-essential \
    && rm -rf /var/lib/apt/lists/*
WORKDIR /src
# Only what the wheel is made of: pyproject, the README it names, the three packages.
COPY pyproject.toml README.md ./
COPY feed ./feed
COPY services ./services
COPY workers ./workers
# pip byte-compiles what it installs: the runtime filesystem is read-only, so Python
# could not write its caches later.
RUN pip wheel --no-deps --wheel-dir /wheels . \
    && python -m venv /opt/venv \
    && /opt/venv/bin/pip install /wheels/*.whl

FROM ${PYTHON_IMAGE} AS runtime
# The same uid and gid as the chart's runAsUser and runAsGroup (helm/feed/values.yaml;
# tests/helm checks they agree).
RUN groupadd --system --gid 10001 feed \
    && useradd --system --uid 10001 --gid feed --no-create-home \
        --home-dir /nonexistent --shell /usr/sbin/nologin feed
COPY --from=builder /opt/venv /opt/venv
ENV PATH=/opt/venv/bin:$PATH \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1
# Nothing is written here; /tmp is the only writable path (an emptyDir in the chart).
WORKDIR /tmp
# Numeric, so Kubernetes can check runAsNonRoot without reading /etc/passwd.
USER 10001:10001
# gRPC write, gRPC read, Prometheus metrics (the chart's defaults).
EXPOSE 50051 50052 9090
ENTRYPOINT ["feed"]
CMD ["--help"]
