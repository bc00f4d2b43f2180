# Peil in a container: a multi-stage build (the Rust toolchain only in the first stage), a
# small Debian base, a non-root user, the site in a volume. Every web asset is inside the
# binary; the running container downloads nothing.
#
#   docker build -t peil .
#   docker run --rm -v peil-site:/site peil peil init /site --name "Gent in cijfers"
#   docker run -d -p 8080:8080 -v peil-site:/site peil
#   docker run --rm -p 8080:8080 peil peil demo /tmp/demo --bind 0.0.0.0:8080   # the demo city
#
# Probes: /health (alive) and /health/ready (a publication is loaded) on port 8080.

FROM rust:1.88-bookworm AS build
WORKDIR /src
COPY . .
RUN cargo build --release --locked -p peil \
    && strip target/release/peil

FROM debian:bookworm-slim
RUN apt-get update \
    && apt-get install -y --no-install-recommends ca-certificates \
    && rm -rf /var/lib/apt/lists/* \
    && useradd --system --uid 10001 --user-group --home-dir /site --shell /usr/sbin/nologin peil \
    && mkdir -p /site \
    && chown peil:peil /site
COPY --from=build /src/target/release/peil /usr/local/bin/peil
USER peil
WORKDIR /site
ENV PEIL_SITE=/site
EXPOSE 8080
VOLUME ["/site"]
STOPSIGNAL SIGTERM
CMD ["peil", "serve", "--bind", "0.0.0.0:8080"]
