# The atlas as one image: gunicorn serving Django, static files by whitenoise.
# Build: docker compose build   (or: docker build -t atlas .)
FROM python:3.11-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    DJANGO_SETTINGS_MODULE=config.settings.prod \
    PORT=8000

WORKDIR /app

# Dependencies first, from pyproject.toml alone, so that a code change does not
# reinstall them. The project itself is not pip-installed: it runs from /app, where
# its templates, static files and fixtures are.
COPY pyproject.toml ./
COPY bin/runtime-requirements.py bin/
RUN python bin/runtime-requirements.py > /tmp/requirements.txt \
    && pip install -r /tmp/requirements.txt \
    && rm /tmp/requirements.txt

COPY . .

# Hashed, compressed static files are part of the image. Production settings insist on
# a secret key and hosts; these throw-away values exist for this one command only and
# are not kept in the image's environment.
RUN SECRET_KEY=collectstatic-only-not-a-secret ALLOWED_HOSTS=localhost \
    python manage.py collectstatic --noinput \
    && useradd --system --uid 10001 --no-create-home atlas \
    && mkdir -p /app/media && chown atlas /app/media

# The app never writes to its own code or static files; it writes the data releases'
# files under /app/media (MEDIA_ROOT), a volume in docker-compose.yml.
USER atlas
EXPOSE 8000

HEALTHCHECK --interval=15s --timeout=5s --start-period=30s --retries=3 \
    CMD ["python", "bin/healthcheck.py"]

ENTRYPOINT ["bin/docker-entrypoint.sh"]
CMD ["serve"]
