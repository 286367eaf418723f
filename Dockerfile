# pgbridge gateway image: docker build -t pgbridge .   (how to run it: README, "Running in a container")
# Both stages run scripts/install-image.sh, which CI runs too (tests/ops/test_image.py).

# --- build: a virtualenv with pgbridge and its dependencies --------------------------------
FROM python:3.11-slim AS build
ENV PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1
WORKDIR /src
COPY pyproject.toml README.md ./
COPY pgbridge ./pgbridge
COPY scripts/install-image.sh ./scripts/install-image.sh
RUN scripts/install-image.sh build /src /opt/pgbridge

# --- final: the virtualenv only, no compiler, no pip cache, not root -----------------------
FROM python:3.11-slim
COPY --from=build /opt/pgbridge /opt/pgbridge
COPY scripts/install-image.sh /usr/local/lib/pgbridge/install-image.sh
RUN /usr/local/lib/pgbridge/install-image.sh runtime /opt/pgbridge
ENV PATH=/opt/pgbridge/venv/bin:$PATH PYTHONUNBUFFERED=1 \
    PGBRIDGE_HEALTH_URL=http://127.0.0.1:5434/healthz
USER pgbridge
WORKDIR /var/lib/pgbridge
# /etc/pgbridge: pgbridge.toml and its keys (read-only is fine); /var/lib/pgbridge: the audit log,
# the approvals store and, for the demo, the warehouse. Relative paths in the config are
# relative to the config file's folder.
VOLUME ["/etc/pgbridge", "/var/lib/pgbridge"]
EXPOSE 5433 5434
# Liveness from the admin listener ([server] admin_http_port; set PGBRIDGE_HEALTH_URL if not 5434).
HEALTHCHECK --interval=15s --timeout=5s --start-period=60s --retries=3 \
    CMD ["/opt/pgbridge/venv/bin/python", "-c", "import os, urllib.request; urllib.request.urlopen(os.environ['PGBRIDGE_HEALTH_URL'], timeout=4)"]
# SIGTERM drains ([server] shutdown_grace_s): give `docker stop -t` more than the grace period.
STOPSIGNAL SIGTERM
ENTRYPOINT ["pgbridge"]
CMD ["serve", "--config", "/etc/pgbridge/pgbridge.toml"]
