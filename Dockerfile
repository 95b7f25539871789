# archiver as a long-running daemon: captures, checks and reports on the [schedule].
#   docker build -t archiver .
#   docker run -d -v "$PWD/config:/config:ro" -v archives:/archives archiver
# Config is read from /config/archiver.toml; WARCs, reports, logs and the SQLite database
# go to /archives. See README.md, "## Deployment".
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

WORKDIR /src
COPY pyproject.toml README.md ./
COPY archiver ./archiver
# The same install step as the README's, with PostgreSQL, replay (pywb) and queue mode (Dramatiq, boto3). DL3013 (pin versions)
# is about packages from an index: this is the project itself, whose dependencies are bounded in
# pyproject.toml.
# hadolint ignore=DL3013
RUN pip install ".[postgres,replay,queue]"

# A fixed, unprivileged user owning only the data volume.
RUN groupadd --system --gid 10001 archiver \
    && useradd --system --uid 10001 --gid archiver --home-dir /archives --no-create-home archiver \
    && mkdir -p /config /archives \
    && chown archiver:archiver /archives
COPY config/ /config/

ENV ARCHIVER_CONFIG=/config/archiver.toml \
    ARCHIVER_STORAGE_DATA_DIR=/archives
WORKDIR /archives
VOLUME ["/config", "/archives"]
USER 10001:10001

# Healthy while a daemon holds the data dir's lock; status also proves the database answers.
HEALTHCHECK --interval=1m --timeout=30s --start-period=30s --retries=3 \
    CMD ["archiver", "--quiet", "status", "--require-daemon"]

# SIGTERM: no new work, running fetches get [schedule] stop_timeout (30 s by default), every
# WARC is closed. Give `docker stop` longer than that: docker stop --time 45 (compose: stop_grace_period).
STOPSIGNAL SIGTERM
CMD ["archiver", "daemon"]
