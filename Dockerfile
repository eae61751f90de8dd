# The Sciplo app served by gunicorn; docker-compose.yml runs it beside PostgreSQL.

# The cities map's front-end packages, exactly as package-lock.json pins them.
FROM node:20-slim AS assets
WORKDIR /assets
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --ignore-scripts --no-audit --no-fund

FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

WORKDIR /app
COPY requirements.lock .
RUN pip install --no-cache-dir --require-hashes -r requirements.lock

COPY . .
# Only the files settings.STATICFILES_DIRS exposes, at the paths it expects.
COPY --from=assets /assets/node_modules/leaflet/dist node_modules/leaflet/dist
COPY --from=assets /assets/node_modules/topojson-client/dist node_modules/topojson-client/dist
COPY --from=assets /assets/node_modules/world-atlas/countries-110m.json \
    /assets/node_modules/world-atlas/LICENSE node_modules/world-atlas/
RUN DEBUG=false SECRET_KEY=collectstatic-only-not-a-real-secret-key-000000 ALLOWED_HOSTS=build \
    python manage.py collectstatic --noinput \
    && useradd --system --home-dir /app sciplo \
    && chown -R sciplo /app/var

USER sciplo
EXPOSE 8000
CMD ["gunicorn", "sciplo.wsgi", "--bind", "0.0.0.0:8000", "--workers", "3"]
