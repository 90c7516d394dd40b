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

# Ensembles and merges (benchmarks/readme/fusion/): members saved with --save-model, then combined. A merge
# needs its members' saved models: results/ keeps no weights, so the member sweeps rerun with --save-model
# --force when the weights are missing (on CPU they repeat their records exactly).
for members in sst2-members mrpc-lora conll2003-members; do
    "${harness[@]}" sweep --file "benchmarks/readme/fusion/$members.yaml" --save-model --output results "$@"
done
# members recorded without their weights (a fresh clone): each repeated with --save-model --force
.venv/bin/python - <<'PY' | while read -r command; do .venv/bin/$command; done
import json, pathlib
from harness.record.rerun import rerun_command
for path in sorted(pathlib.Path("results").glob("*/*.json")):
    record = json.loads(path.read_text())
    if record.get("artifact") and "fusion" not in record and not (path.parent.parent / record["artifact"]).is_dir():
        print(rerun_command(record["spec"], "--save-model", "--force", "--results", "results", "--quiet"))
PY
shared=(--model minilm --seeds 3 --settings train_limit=4000,init_seed=0 --results results)
"${harness[@]}" ensemble --task sst2 --method lora "${shared[@]}"
"${harness[@]}" ensemble --task sst2 --method full "${shared[@]}"
conll=$("${harness[@]}" sweep --file benchmarks/readme/fusion/conll2003-members.yaml --dry-run 2>/dev/null | grep -oE '^[0-9a-f]{16}')
"${harness[@]}" ensemble $conll --results results
for how in uniform greedy; do
    "${harness[@]}" merge --task sst2 --method full --how "$how" "${shared[@]}"
done
"${harness[@]}" merge --task sst2 --method lora --how uniform "${shared[@]}"
sst2_lora=$("${harness[@]}" sweep --file benchmarks/readme/fusion/sst2-members.yaml --dry-run | grep -E 'lora · sst2 · seed 0' | grep -oE '^[0-9a-f]{16}')
mrpc_lora=$("${harness[@]}" sweep --file benchmarks/readme/fusion/mrpc-lora.yaml --dry-run | grep -oE '^[0-9a-f]{16}')
for how in task-arithmetic ties; do
    "${harness[@]}" merge "$sst2_lora" "$mrpc_lora" --multi-task --how "$how" --results results
done

# Distillation (benchmarks/readme/distill/): teachers saved, then 3-layer students with and without them.
"${harness[@]}" run --model minilm --method full --task sst2 --train-limit 8000 --save-model --force --output results
"${harness[@]}" sweep --file benchmarks/readme/distill/sst2-student.yaml --save-model --output results \
    --distill-from d1da42b801cc870b --distill-unlabeled train --distill-unlabeled-limit 20000 "$@"
"${harness[@]}" sweep --file benchmarks/readme/distill/sst2-student.yaml --save-model --output results "$@"
"${harness[@]}" run --model minilm --method full --task conll2003 --epochs 2 --save-model --force --output results
"${harness[@]}" sweep --file benchmarks/readme/distill/conll2003-student.yaml --output results \
    --distill-from f4b187a598ebaa73 "$@"
"${harness[@]}" sweep --file benchmarks/readme/distill/conll2003-student.yaml --output results "$@"
# other teachers: the SST-2 full ensemble above, and a Gemma 3 270M LoRA run (another tokenizer)
"${harness[@]}" run --model minilm --method full --task sst2 --train-limit 4000 --init-seed 0 \
    --distill-from 29c1e8fc30ec8136 --output results
"${harness[@]}" run --model gemma3-270m --method lora --task sst2 --train-limit 2000 --epochs 2 --save-model --output results
"${harness[@]}" run --model minilm --method full --task sst2 --train-limit 2000 --distill-from 6cdd4ad2ea81f7da --output results

# Training remedies for robustness (benchmarks/readme/remedies/): no remedy, typo augmentation, FGM, FreeLB.
for remedies in sst2-full conll2003-full sst2-lora; do
    "${harness[@]}" sweep --file "benchmarks/readme/remedies/$remedies.yaml" --output results "$@"
done

# Adversarial attacks (benchmarks/readme/attacks/): the runs saved, then attacked (a saved model is rebuilt, so
# one attack setting can be added to runs made before it; `harness run --attack` does it in the run itself).
for attacked in sst2 sst2-remedy conll2003; do
    "${harness[@]}" sweep --file "benchmarks/readme/attacks/$attacked.yaml" --output results --save-model "$@"
done
"${harness[@]}" robustness --task sst2 --attack word,char --output results \
    --run f061cb099d17f952 --run 244fca25d6d1c3e1 --run 4d3473296cd48b8d --run dd52b34dbc1b35e2 \
    --run d17ae75cdb5be7e5 --run 4873dbaf0cde6e07 --run d4ab750ec31f2759 --run 2ef55590876daa6a --run 5177fedcc79ab952
"${harness[@]}" robustness --task conll2003 --attack ner --output results --run 3b89b2e62eca87b3
"${harness[@]}" run --model smollm2-135m --method zero-shot --task sst2 --eval-limit 300 --attack word,char \
    --attack-budget 50 --output results
"${harness[@]}" run --model gemma3-270m --method zero-shot --task fewclue-eprstmt --eval-limit 200 --attack zh_char \
    --attack-budget 50 --output results

# Prompt spreads (benchmarks/readme/views/prompt-spread-*.yaml): 3 prompts x 10 formats zero-shot, 8-shot over 5 draws.
for model_task in smollm2-135m:sst2 gemma3-270m:sst2 gemma3-270m:fewclue-eprstmt gemma3-270m:fewclue-tnews \
                  smollm2-135m:rte smollm2-135m:fewclue-eprstmt; do
    "${harness[@]}" run --model "${model_task%%:*}" --method zero-shot --task "${model_task#*:}" --eval-limit 300 \
        --prompts all --prompt-formats 10 --output results
done
for model_task in smollm2-135m:sst2 gemma3-270m:fewclue-eprstmt gemma3-270m:fewclue-tnews smollm2-135m:rte; do
    "${harness[@]}" run --model "${model_task%%:*}" --method few-shot --few-shot-k 8 --task "${model_task#*:}" \
        --eval-limit 300 --demo-draws 5 --output results
done
"${harness[@]}" run --model smollm2-135m --method zero-shot --task sst2 --eval-limit 300 --output results

.venv/bin/python benchmarks/readme_tables.py
