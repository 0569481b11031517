# The Plumbline agent image (docs/deployment.md).
#   docker build -t plumbline:0.1.0 .
#   docker run --rm plumbline:0.1.0 --help
# Two stages: Debian 12 builds the `plumbline` executable in Release with the project's own
# dependency script; debian:12-slim runs it with the shared libraries it links and nothing else,
# as a non-root user. The chart runs it with a read-only root filesystem.

# ---- build ----
FROM debian:12 AS build
WORKDIR /src
# The dependency script first, so the package layer is cached across source changes.
COPY scripts/install-deps scripts/install-deps
RUN ./scripts/install-deps && rm -rf /var/lib/apt/lists/*
COPY . .
RUN cmake -S . -B /build -G Ninja -DCMAKE_BUILD_TYPE=Release -DPLUMBLINE_BUILD_TESTS=OFF \
 && cmake --build /build --target plumbline \
 && strip /build/cli/plumbline

# ---- runtime ----
FROM debian:12-slim
# The runtime halves of the -dev packages in scripts/install-deps that the executable links:
# OpenSSL (TLS to the API server, HMAC), libyaml, simdjson, xxHash, prometheus-cpp core,
# spdlog and fmt. ca-certificates for TLS to sinks; git to read the revision of a git-sync
# checkout (Git sources are read with `git archive`).
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
      ca-certificates git \
      libssl3 libyaml-0-2 libsimdjson14 libxxhash0 \
      libprometheus-cpp-core1.0 libspdlog1.10 libfmt9 \
 && rm -rf /var/lib/apt/lists/* \
 && groupadd --gid 65532 plumbline \
 && useradd --uid 65532 --gid 65532 --no-create-home --home-dir /nonexistent \
      --shell /usr/sbin/nologin plumbline
COPY --from=build /build/cli/plumbline /usr/local/bin/plumbline
USER 65532:65532
# Metrics, /healthz and /readyz (--metrics-addr).
EXPOSE 8080
ENTRYPOINT ["/usr/local/bin/plumbline", "agent"]
