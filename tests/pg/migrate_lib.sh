# migrate_lib.sh - what the `sambang-hub migrate` tests start from (sourced
# by tests/pg/test_*migrate*.sh): the sync helpers (tests/sync/lib.sh), a
# throwaway PostgreSQL cluster (tests/pg/lib.sh) to migrate to, and a
# SQLite hub made and started on a free port ($port), both cleaned up at
# exit.
. "$(dirname "${BASH_SOURCE[0]}")/../sync/lib.sh"
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
trap 'pg_cleanup; sync_cleanup' EXIT

pg_start || fail "cannot start PostgreSQL"
expect_hub_ok init
start_hub
port=${URL##*:}
