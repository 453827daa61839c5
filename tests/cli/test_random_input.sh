#!/usr/bin/env bash
# Random commands, good and bad, on one store (tests/tools/random_commands.py):
# every exit code is a documented one, nothing trips a sanitizer, and a
# refused command says why and leaves the store's export as it was.
# Replay a failure with SEED=N (printed either way).
. "$(dirname "$0")/lib.sh"
SEED=${SEED:-$RANDOM}
echo "seed $SEED (replay: SEED=$SEED bash $0)"
python3 "$TESTS_DIR/tools/random_commands.py" sambang "$SAMBANG" "$WORK/random.db" \
  "${STEPS:-250}" "$SEED"
