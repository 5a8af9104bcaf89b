# victor-exporter as a container image:
#   docker build -t victor-exporter .
#   docker run -p 9091:9091 victor-exporter --listen 0.0.0.0:9091 --simulate
FROM rust:1.95-bookworm AS build
WORKDIR /src
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
