# Sourced by the postgres image's entrypoint once, when it initialises an empty data directory.
# Each service gets its own role and database and cannot connect to the others' (one owner per
# schema, as the architecture demands). Passwords come from the mounted postgres-credentials Secret.
for service in product order payment; do
  psql --no-psqlrc -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname postgres \
    --set=name="$service" \
    --set=password="$(cat "/var/run/secrets/postgres/${service}-password")" <<'SQL'
CREATE ROLE :"name" LOGIN PASSWORD :'password';
CREATE DATABASE :"name" OWNER :"name";
REVOKE ALL ON DATABASE :"name" FROM PUBLIC;
SQL
done
