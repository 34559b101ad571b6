#!/usr/bin/env bash
# Installs the system tools the test suites use when they are missing, and makes sure a
# PostgreSQL server is reachable. Idempotent and quiet when everything is present.
set -euo pipefail

need=()
command -v docker-registry >/dev/null || need+=(docker-registry)
command -v htpasswd >/dev/null || need+=(apache2-utils)
command -v pigz >/dev/null || need+=(pigz)
command -v go >/dev/null || need+=(golang-go)
command -v debootstrap >/dev/null || need+=(debootstrap)
command -v umoci >/dev/null || need+=(umoci)
command -v skopeo >/dev/null || need+=(skopeo)
command -v strace >/dev/null || need+=(strace)
command -v zstd >/dev/null || need+=(zstd)
# Tests try the PATH python3 first, then Debian's (which gets the modules from apt).
has_py() { python3 -c "import $1" 2>/dev/null || /usr/bin/python3 -c "import $1" 2>/dev/null; }
has_py rpm || need+=(python3-rpm)
has_py packaging || need+=(python3-packaging)
# Version-ordering oracles and package-manager oracles used by differential tests.
command -v ruby >/dev/null || need+=(ruby)
command -v php >/dev/null || need+=(php-cli)
command -v composer >/dev/null || need+=(composer)
command -v Rscript >/dev/null || need+=(r-base-core)
command -v java >/dev/null || need+=(default-jdk-headless)
ls /usr/share/maven/lib/maven-artifact-*.jar >/dev/null 2>&1 || need+=(maven)
command -v gcc >/dev/null || need+=(gcc)
command -v objcopy >/dev/null || need+=(binutils)
command -v openssl >/dev/null || need+=(openssl)
command -v pg_ctl >/dev/null || ls /usr/lib/postgresql/*/bin/pg_ctl >/dev/null 2>&1 || need+=(postgresql)

# S3-compatible server for the object-store tests: moto_server (moto[server]) comes with the machine
# image's Python (not a Debian package; PyPI is not reachable here). Without it those tests skip,
# and fail under CI.
python3 -c 'import moto.server, flask' 2>/dev/null || command -v moto_server >/dev/null \
  || echo "ensure-test-deps: moto_server (python3 moto[server]) not found: S3 object-store tests will skip (fail under CI)" >&2

if [ ${#need[@]} -gt 0 ]; then
  echo "ensure-test-deps: installing ${need[*]}" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >/dev/null
  apt-get install -y -qq "${need[@]}" >/dev/null
fi

# PostgreSQL: the machine's server on 127.0.0.1:5432 if it runs (start it if installed but stopped),
# else a throwaway cluster the tests can use (PORTWARDEN_TEST_DATABASE_URL is written for them).
if ! pg_isready -q -h 127.0.0.1 -p 5432 2>/dev/null; then
  if ls /etc/postgresql/*/main >/dev/null 2>&1; then
    pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | head -1)" main start >/dev/null 2>&1 || true
  fi
fi
if ! pg_isready -q -h 127.0.0.1 -p 5432 2>/dev/null; then
  dir=/tmp/portwarden-test-pg
  bindir=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)
  if [ ! -f "$dir/PG_VERSION" ]; then
    mkdir -p "$dir" && chown postgres "$dir"
    su postgres -c "$bindir/initdb -D $dir --auth=trust -U postgres" >/dev/null
  fi
  su postgres -c "$bindir/pg_ctl -D $dir -o '-c listen_addresses=127.0.0.1 -p 5432 -k $dir' -w start" >/dev/null
fi
pg_isready -q -h 127.0.0.1 -p 5432
