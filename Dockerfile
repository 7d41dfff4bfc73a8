# Yardstick: slim Python, non-root, the lake on a volume, a health check against /livez (a replica that starts
# while the object store is down is alive and recovers by itself: /readyz, for load balancers, says when it serves).
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    YARDSTICK_DATA_DIR=/data \
    YARDSTICK_CACHE_DIR=/cache \
    YARDSTICK_SEED_DIR=/app/data \
    YARDSTICK_HOST=0.0.0.0 \
    YARDSTICK_PORT=8000

WORKDIR /app
COPY pyproject.toml README.md ./
COPY service ./service
COPY data ./data
RUN pip install --no-cache-dir . \
    && useradd --system --uid 10001 --home-dir /app yardstick \
    && mkdir -p /data /cache && chown yardstick /data /cache

USER 10001
VOLUME ["/data", "/cache"]
EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=3s --start-period=20s \
    CMD ["python", "-c", "import urllib.request,sys; sys.exit(0 if urllib.request.urlopen('http://127.0.0.1:8000/livez', timeout=2).status == 200 else 1)"]
CMD ["yardstick", "serve"]
