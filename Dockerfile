# sanctionsbot — a slim image, a non-root user, the database on a volume.
# Build: docker build -t sanctionsbot .
# Run:   docker run -d --name sanctionsbot --env-file .env -v sanctionsbot-data:/data sanctionsbot
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    DATABASE_PATH=/data/sanctionsbot.sqlite3

WORKDIR /app
COPY pyproject.toml constraints.txt README.md ./
COPY bot ./bot
COPY cogs ./cogs
RUN pip install -c constraints.txt . \
 && useradd --system --uid 10001 --home-dir /nonexistent --shell /usr/sbin/nologin sanctionsbot \
 && mkdir -p /data && chown sanctionsbot /data

USER sanctionsbot
VOLUME ["/data"]

HEALTHCHECK --interval=5m --timeout=30s --start-period=2m \
  CMD ["sanctionsbot", "health"]

# SIGTERM (docker stop) lets the bot finish in-flight work and close the database.
STOPSIGNAL SIGTERM
ENTRYPOINT ["sanctionsbot"]
CMD ["run"]
