# Builds the registry into a small image; see docker-compose.yml for running it with PostgreSQL.
FROM rust:1.95-bookworm AS build
RUN apt-get update && apt-get install -y --no-install-recommends libpq-dev pkg-config && rm -rf /var/lib/apt/lists/*
WORKDIR /src
# What `cargo build` reads: the manifest names a test and a bench target, the SQLite
# build options are in .cargo/config.toml, the pages' templates are found through
# askama.toml, and the guides (with the example client they quote) are compiled in.
# scripts/docker-inputs.sh, run in CI, builds from exactly these files.
COPY Cargo.toml Cargo.lock askama.toml ./
COPY .cargo ./.cargo
COPY src ./src
COPY migrations ./migrations
COPY docs ./docs
COPY examples ./examples
COPY benches ./benches
COPY tests/api ./tests/api
RUN cargo build --release --locked

FROM debian:bookworm-slim
RUN apt-get update && apt-get install -y --no-install-recommends libpq5 ca-certificates && rm -rf /var/lib/apt/lists/* \
    && useradd --system --home /var/lib/registry registry && mkdir -p /var/lib/registry && chown registry /var/lib/registry
COPY --from=build /src/target/release/pledge-registry /usr/local/bin/pledge-registry
USER registry
ENV REGISTRY_BIND=0.0.0.0:8080 REGISTRY_DATA_DIR=/var/lib/registry
EXPOSE 8080
# Healthy when /readyz answers 200 (the database answers), not merely when the port is open.
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s CMD ["pledge-registry", "ready"]
ENTRYPOINT ["pledge-registry"]
CMD ["serve"]
