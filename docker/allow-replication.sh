#!/bin/sh
# Run once by the postgres image when it initialises an empty data directory: allow the
# compose network's replica (docker-compose.yml, "scale" profile) to stream WAL as the
# application's user, with its password. Ordinary connections are configured by the image.
set -eu
echo "host replication ${POSTGRES_USER} all scram-sha-256" >> "$PGDATA/pg_hba.conf"
