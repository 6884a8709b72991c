#!/bin/sh
# One role and one database per service, each owned by its role, so no service can read another
# service's tables. Runs once, when the data volume is empty. Development credentials only: every
# role gets POSTGRES_PASSWORD.
set -eu

for database in $SERVICE_DATABASES; do
  psql --set=ON_ERROR_STOP=1 --username="$POSTGRES_USER" --dbname=postgres \
    --set=name="$database" --set=password="$POSTGRES_PASSWORD" <<'SQL'
CREATE ROLE :"name" LOGIN PASSWORD :'password';
CREATE DATABASE :"name" OWNER :"name";
REVOKE ALL ON DATABASE :"name" FROM PUBLIC;
SQL
done
