# Clearway Distributions: `clearway serve` in a small image.
#   docker build -t clearway .
#   docker run -e DATABASE_URL=postgres://… -e CLEARWAY_ENCRYPTION_KEYS=… -p 8080:8080 clearway
# No secret is baked in: keys, tokens and database passwords come from the environment at run
# time (see docs/operations.md).

FROM rust:1-bookworm AS build
WORKDIR /src
COPY . .
# --locked: the dependency versions of Cargo.lock, nothing resolved anew.
RUN cargo build --release --locked -p clearway --bin clearway \
 && cp target/release/clearway /usr/local/bin/clearway

FROM debian:bookworm-slim
RUN apt-get update \
 && apt-get install -y --no-install-recommends ca-certificates curl \
 && rm -rf /var/lib/apt/lists/* \
 && useradd --system --uid 10001 --home-dir /var/lib/clearway --create-home clearway
COPY --from=build /usr/local/bin/clearway /usr/local/bin/clearway
USER clearway
WORKDIR /var/lib/clearway
# The data directory holds generated keys and the SQLite file when no DATABASE_URL is set;
# with PostgreSQL and keys from the environment nothing is written there.
ENV CLEARWAY_DATA_DIR=/var/lib/clearway/data \
    CLEARWAY_LISTEN=0.0.0.0:8080 \
    CLEARWAY_LOG_FORMAT=json
VOLUME ["/var/lib/clearway/data"]
EXPOSE 8080
HEALTHCHECK --interval=10s --timeout=3s --start-period=30s --retries=3 \
  CMD curl -fsS http://127.0.0.1:8080/readyz || exit 1
# SIGTERM (docker stop) drains: in-flight requests and the job in hand finish, leases are
# released, exit 0; give it more than the 10 s grace: `docker stop -t 20`.
STOPSIGNAL SIGTERM
ENTRYPOINT ["clearway"]
CMD ["serve"]
