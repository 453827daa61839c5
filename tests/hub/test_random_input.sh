#!/usr/bin/env bash
# Random sambang-hub commands, good and bad, on one store
# (tests/tools/random_commands.py): every exit code is a documented one,
# nothing trips a sanitizer, and a refused command says why and leaves the
# records, devices and users as they were. Replay with SEED=N.
. "$(dirname "$0")/lib.sh"
SEED=${SEED:-$RANDOM}
echo "seed $SEED (replay: SEED=$SEED bash $0)"
python3 "$(dirname "$0")/../tools/random_commands.py" hub "$HUB" "$WORK/random.db" \
  "${STEPS:-150}" "$SEED"
