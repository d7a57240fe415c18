#!/usr/bin/env bash
#
# Build and install the pgvector extension for the Debian PostgreSQL 15
# cluster on a Debian 12 (bookworm) host.
#
# Bookworm only ships an old pgvector, so we take Debian's `pgvector` source
# package from trixie and compile it against postgresql-server-dev-15. Only a
# deb-src entry is added for trixie; no trixie binary packages are ever
# installed, so the rest of the system stays on bookworm.
#
# Usage (as root):  scripts/install-pgvector-pg15.sh
#
# Environment overrides: PGHOST (127.0.0.1), PGPORT (5432), PGUSER (postgres),
# PGDATABASE (postgres) for the post-install check.
#
# Safe to re-run: exits immediately if the extension is already installed.

set -euo pipefail

PG_MAJOR=15
PG_CONFIG="/usr/lib/postgresql/${PG_MAJOR}/bin/pg_config"
EXT_DIR="/usr/share/postgresql/${PG_MAJOR}/extension"
SRC_LIST=/etc/apt/sources.list.d/trixie-src.sources
FALLBACK_MIRROR=http://deb.debian.org/debian

PGHOST="${PGHOST:-127.0.0.1}"
PGPORT="${PGPORT:-5432}"
PGUSER="${PGUSER:-postgres}"
PGDATABASE="${PGDATABASE:-postgres}"

export DEBIAN_FRONTEND=noninteractive

log() { printf '==> %s\n' "$*"; }
die() { printf 'error: %s\n' "$*" >&2; exit 1; }

if [[ -f "${EXT_DIR}/vector.control" ]]; then
    echo "pgvector already installed for PostgreSQL ${PG_MAJOR}"
    exit 0
fi

[[ ${EUID} -eq 0 ]] || die "must be run as root (try: sudo $0)"

# Find the Debian mirror the host already uses for bookworm, so the trixie
# deb-src entry points at the same place (handles both deb822 *.sources files
# and one-line *.list / sources.list entries).
detect_mirror() {
    local f uri=""
    for f in /etc/apt/sources.list.d/*.sources; do
        [[ -f "$f" ]] || continue
        uri=$(awk 'BEGIN { RS = ""; FS = "\n" }
            {
                u = ""; s = ""; enabled = 1
                for (i = 1; i <= NF; i++) {
                    if ($i ~ /^URIs:/)    { sub(/^URIs:[ \t]*/, "", $i);    u = $i }
                    if ($i ~ /^Suites:/)  { sub(/^Suites:[ \t]*/, "", $i);  s = $i }
                    if ($i ~ /^Enabled:[ \t]*no/) enabled = 0
                }
                if (enabled && u != "" && (" " s " ") ~ / bookworm /) {
                    split(u, a, /[ \t]+/); print a[1]; exit
                }
            }' "$f")
        [[ -n "$uri" ]] && break
    done
    if [[ -z "$uri" ]]; then
        uri=$(cat /etc/apt/sources.list /etc/apt/sources.list.d/*.list 2>/dev/null \
            | sed -e 's/#.*//' -e 's/\[[^]]*\]//' \
            | awk '$1 == "deb" && $3 == "bookworm" { print $2; exit }' || true)
    fi
    printf '%s\n' "${uri:-$FALLBACK_MIRROR}"
}

MIRROR=$(detect_mirror)
MIRROR="${MIRROR%/}"
log "using Debian mirror ${MIRROR}"

log "installing build dependencies"
apt-get install -y -qq --no-install-recommends \
    "postgresql-server-dev-${PG_MAJOR}" build-essential dpkg-dev >/dev/null

[[ -x "$PG_CONFIG" ]] || die "${PG_CONFIG} not found after installing postgresql-server-dev-${PG_MAJOR}"

# Source-only trixie entry. Types is deb-src, so apt never sees trixie
# binaries and an upgrade cannot pull them in.
src_entry="Types: deb-src
URIs: ${MIRROR}
Suites: trixie
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg"

if [[ ! -f "$SRC_LIST" ]] || [[ "$(cat "$SRC_LIST")" != "$src_entry" ]]; then
    log "adding trixie deb-src entry (${SRC_LIST})"
    printf '%s\n' "$src_entry" > "$SRC_LIST"
fi

log "updating apt indexes"
apt-get update -qq

workdir=$(mktemp -d /tmp/pgvector-build.XXXXXX)
trap 'rm -rf "$workdir"' EXIT
# Let apt's unprivileged _apt user write here, otherwise apt-get source
# warns about downloading unsandboxed as root.
if id _apt >/dev/null 2>&1; then
    chown _apt:root "$workdir"
fi

log "fetching pgvector source from trixie"
(cd "$workdir" && apt-get source -qq pgvector/trixie >"$workdir/source.log" 2>&1) \
    || { cat "$workdir/source.log" >&2; die "apt-get source pgvector/trixie failed"; }

srcdir=$(find "$workdir" -mindepth 1 -maxdepth 1 -type d -name 'pgvector-*' | head -n1)
[[ -n "$srcdir" ]] || die "unpacked pgvector source directory not found in ${workdir}"
log "building $(basename "$srcdir")"

# OPTFLAGS="" drops pgvector's default -march=native so the binary does not
# depend on the CPU of the build host.
make_args=(USE_PGXS=1 "PG_CONFIG=${PG_CONFIG}" OPTFLAGS=)
if ! make -C "$srcdir" -j"$(nproc)" "${make_args[@]}" >"$workdir/build.log" 2>&1; then
    tail -n 40 "$workdir/build.log" >&2
    die "pgvector build failed"
fi
if ! make -C "$srcdir" "${make_args[@]}" install >>"$workdir/build.log" 2>&1; then
    tail -n 40 "$workdir/build.log" >&2
    die "pgvector install failed"
fi

[[ -f "${EXT_DIR}/vector.control" ]] || die "vector.control missing after make install"

# pg_trgm is part of the server package on Debian; postgresql-contrib is a
# metapackage that pulls it in if it is somehow missing.
if [[ ! -f "${EXT_DIR}/pg_trgm.control" ]]; then
    log "pg_trgm missing, installing postgresql-contrib"
    apt-get install -y -qq --no-install-recommends postgresql-contrib >/dev/null
    [[ -f "${EXT_DIR}/pg_trgm.control" ]] \
        || die "pg_trgm still not available; check the postgresql-${PG_MAJOR} package"
fi

# Smoke test against the running cluster. Everything runs in one transaction
# that is rolled back, so no extension is left behind in the database.
log "verifying extensions on ${PGHOST}:${PGPORT}"
pg_isready -q -h "$PGHOST" -p "$PGPORT" \
    || die "PostgreSQL is not accepting connections on ${PGHOST}:${PGPORT}"

version=$(psql -X -q -At -v ON_ERROR_STOP=1 \
    -h "$PGHOST" -p "$PGPORT" -U "$PGUSER" -d "$PGDATABASE" <<'SQL'
BEGIN;
CREATE EXTENSION IF NOT EXISTS vector;
CREATE EXTENSION IF NOT EXISTS pg_trgm;
DO $$
BEGIN
    IF NOT ('[1,2,3]'::vector <-> '[1,2,4]'::vector) = 1 THEN
        RAISE EXCEPTION 'vector distance returned an unexpected result';
    END IF;
    IF NOT similarity('pgvector', 'pgvectr') > 0 THEN
        RAISE EXCEPTION 'pg_trgm similarity returned an unexpected result';
    END IF;
END
$$;
SELECT extversion FROM pg_extension WHERE extname = 'vector';
ROLLBACK;
SQL
) || die "extension check failed"

[[ -n "$version" ]] || die "could not read installed pgvector version"
echo "pgvector ${version} installed for PostgreSQL ${PG_MAJOR} (pg_trgm available)"
