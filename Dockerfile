# The Sciplo app served by gunicorn; docker-compose.yml runs it beside PostgreSQL.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

WORKDIR /app
COPY requirements.lock .
RUN pip install --no-cache-dir --require-hashes -r requirements.lock

COPY . .
RUN DEBUG=false SECRET_KEY=collectstatic-only-not-a-real-secret-key-000000 ALLOWED_HOSTS=build \
    python manage.py collectstatic --noinput \
    && useradd --system --home-dir /app sciplo \
    && chown -R sciplo /app/var

USER sciplo
EXPOSE 8000
CMD ["gunicorn", "sciplo.wsgi", "--bind", "0.0.0.0:8000", "--workers", "3", "--access-logfile", "-"]
