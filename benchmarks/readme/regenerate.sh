#!/usr/bin/env bash
# Reruns every run behind the README's tables into results/, then renders the tables from the records.
# About four hours on a 2-core CPU; extra arguments go to every sweep (for example --device cuda).
# Recorded runs are skipped: delete a run's record, or its whole task folder, to make it again.
#
#   HARNESS_DATA_DIR=../shared/data benchmarks/readme/regenerate.sh
set -euo pipefail
cd "$(dirname "$0")/../.."
harness=(.venv/bin/harness)

for sweep_file in benchmarks/readme/*.yaml; do
    "${harness[@]}" sweep --file "$sweep_file" --output results "$@"
done

# The variants table profiles the saved model of SST-2's seed-0 full fine-tune: results/ keeps no weights,
# so the run is repeated with --save-model (on CPU it repeats its record exactly) and then profiled.
full_sst2=(--models minilm --methods full --tasks sst2 --seeds 1 --train-limit 2000)  # --seeds 1: seed 0
run_id=$("${harness[@]}" sweep "${full_sst2[@]}" --output results --dry-run | grep -oE '^[0-9a-f]{16}')
"${harness[@]}" run --model minilm --method full --task sst2 --train-limit 2000 --save-model --force --output results
"${harness[@]}" profile --task sst2 --run "$run_id" --variants all --threads 2 --results results

.venv/bin/python benchmarks/readme_tables.py
