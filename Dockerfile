# victor-exporter as a container image:
#   docker build -t victor-exporter .
#   docker run -p 9091:9091 victor-exporter --listen 0.0.0.0:9091 --simulate
#
# Dependencies are built in a layer of their own (cargo-chef): a change to the workspace's
# sources rebuilds only the workspace's crates; only a change to a Cargo.toml or Cargo.lock
# rebuilds the dependencies.
FROM rust:1.95-bookworm AS chef
RUN cargo install cargo-chef --locked --version 0.1.78
WORKDIR /src

# The recipe: every manifest and the lock file, nothing that changes with the sources.
FROM chef AS plan
COPY . .
RUN cargo chef prepare --recipe-path recipe.json

FROM chef AS build
COPY --from=plan /src/recipe.json recipe.json
RUN cargo chef cook --release --locked -p victor-exporter --recipe-path recipe.json
COPY . .
RUN cargo build --release --locked -p victor-exporter \
    && install -m 0755 target/release/victor-exporter /victor-exporter

FROM debian:bookworm-slim
RUN apt-get update \
    && apt-get install -y --no-install-recommends ca-certificates \
    && rm -rf /var/lib/apt/lists/* \
    && useradd --system --uid 10001 --no-create-home victor
COPY --from=build /victor-exporter /usr/local/bin/victor-exporter
USER victor
EXPOSE 9091
# Listen beyond loopback inside the container; the probes are /health/{live,ready,startup}.
ENTRYPOINT ["/usr/local/bin/victor-exporter"]
CMD ["--listen", "0.0.0.0:9091"]
