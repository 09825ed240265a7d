# Two stages: npm builds the static assets; the runtime installs the app with pinned Python packages
# and runs as a non-root user. The app reads templates, static files, migrations and translations
# from beside its package, so it is installed in place (editable) from /app.
FROM node:20-bookworm-slim AS assets
WORKDIR /src
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund \
 && mkdir -p static/vendor/leaflet \
 && cp node_modules/htmx.org/dist/htmx.min.js static/vendor/htmx.min.js \
 && cp node_modules/htmx.org/dist/ext/hx-sse.min.js static/vendor/hx-sse.min.js \
 && cp node_modules/leaflet/dist/leaflet.js node_modules/leaflet/dist/leaflet.css static/vendor/leaflet/ \
 && cp -r node_modules/leaflet/dist/images static/vendor/leaflet/

FROM python:3.11-slim-bookworm
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1 \
    SAFETYMAP_ENV=production SAFETYMAP_DATA_DIR=/var/lib/safetymap
RUN apt-get update \
 && apt-get install -y --no-install-recommends postgresql-client \
 && rm -rf /var/lib/apt/lists/* \
 && useradd --system --uid 10001 --home-dir /app safetymap \
 && mkdir -p /var/lib/safetymap && chown safetymap /var/lib/safetymap
WORKDIR /app
COPY pyproject.toml constraints.txt README.md alembic.ini ./
COPY app ./app
RUN pip install -c constraints.txt -e .
COPY migrations ./migrations
COPY templates ./templates
COPY locales ./locales
COPY static ./static
COPY --from=assets /src/static/vendor ./static/vendor
USER safetymap
EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=5s CMD python -c "import sys, urllib.request; sys.exit(urllib.request.urlopen('http://127.0.0.1:8000/healthz').status != 200)"
CMD ["sh", "-c", "safetymap db upgrade && exec safetymap serve --host 0.0.0.0 --port 8000"]
