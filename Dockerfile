# newsdigest container image (see docs/deployment.md).
#
#   docker build -t newsdigest .
#   docker run --env-file .env -v ./config:/app/config:ro -v newsdigest-data:/app/data newsdigest
#
# The configuration file is /app/config/newsdigest.toml (the ENTRYPOINT passes it with --config);
# the topic taxonomy is read from the same folder (`[topics] taxonomy_file`, default topics.toml),
# so a mounted config folder must contain topics.toml too. Secrets come from the environment
# only (--env-file .env); no .env file is ever copied into the image (.dockerignore).
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_NO_CACHE_DIR=1

# An unprivileged user with a fixed id (handy for the ownership of bind mounts).
RUN groupadd --system --gid 10001 newsdigest \
    && useradd --system --uid 10001 --gid newsdigest --home-dir /app --no-create-home \
       --shell /usr/sbin/nologin newsdigest

WORKDIR /app

# The package: pyproject.toml (its metadata names README.md as the readme) and the two
# packages it discovers (bot*, digests*). The Alembic migrations are package data of
# `digests` (digests/migrations/...), so they are installed with it.
COPY pyproject.toml README.md ./
COPY bot/ bot/
COPY digests/ digests/
RUN pip install --no-cache-dir .

# The example configuration and the topic taxonomy (not part of the package). Mount your own
# folder over /app/config to replace both.
COPY config/ config/

# SQLite lives at <[storage] data_dir>/newsdigest.sqlite3; data_dir defaults to "data", relative
# to the working directory, i.e. /app/data. The folder is created here, owned by the bot's user,
# so a fresh named volume inherits that ownership. (Unused with NEWSDIGEST_DATABASE_URL set.)
RUN mkdir -p /app/data && chown newsdigest:newsdigest /app/data
VOLUME /app/data

USER newsdigest

# The /healthz and /metrics endpoint: [ops] port defaults to 9108. [ops] listen defaults to
# 127.0.0.1, which is enough for the HEALTHCHECK below (it runs inside the container); to reach
# the endpoint from outside (docker run -p 9108:9108, Prometheus, a load balancer) set
# `[ops] listen = "0.0.0.0"` in the mounted configuration. Telegram webhook mode
# ([telegram] webhook_port, default 8443) and Slack HTTP mode ([slack] http_port, default 3000)
# likewise need their *_listen set to 0.0.0.0 and the port published.
EXPOSE 9108

# [ops] is on by default (port 9108), so the health check asks /healthz: 200 when the database
# answers and the scheduler runs, 503 otherwise (urlopen raises on 503 and on a refused
# connection, so the command fails). If you set [ops] port = 0 or another port, override this
# with `docker run --health-cmd …` or turn it off with `--no-healthcheck`. The start period
# covers migrations and the rebuild of the story index at start-up.
HEALTHCHECK --interval=30s --timeout=10s --start-period=120s --retries=3 \
    CMD ["python", "-c", "import urllib.request; urllib.request.urlopen('http://127.0.0.1:9108/healthz', timeout=8)"]

# SIGTERM (docker stop) shuts the bot down cleanly, each step within
# [delivery] shutdown_grace_seconds (default 10). docker stop sends SIGKILL after 10 s, so allow
# more: `docker stop -t 30` (Compose: `stop_grace_period: 30s`). A SIGKILL loses nothing (the
# outbox is crash-safe) but a part in flight may be sent twice.
ENTRYPOINT ["newsdigest", "--config", "/app/config/newsdigest.toml"]
CMD ["run"]
