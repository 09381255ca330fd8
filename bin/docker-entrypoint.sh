#!/bin/sh
# Container entry point. With no command (or "serve"): apply migrations, then replace
# this shell with gunicorn so that it receives the container's stop signal directly.
# Any other command runs as given, e.g.
#   docker compose run --rm web python manage.py createsuperuser
# Static files are collected when the image is built, not here.
set -eu

if [ "$#" -eq 0 ] || [ "$1" = "serve" ]; then
  python manage.py migrate --noinput
  exec gunicorn --config gunicorn.conf.py config.wsgi:application
fi
exec "$@"
