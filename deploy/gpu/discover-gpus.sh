#!/usr/bin/env bash
# Spark GPU discovery script (spark.worker.resource.gpu.discoveryScript on a standalone Worker,
# spark.executor.resource.gpu.discoveryScript on YARN and Kubernetes): prints the GPUs this host has as the JSON Spark
# expects, {"name": "gpu", "addresses": ["0", "1"]}, the addresses being the CUDA device indices ND4J binds to.
# Needs nvidia-smi (NVIDIA's driver). Exits non-zero with a message when there is none, so the Worker or executor
# fails at start-up instead of scheduling GPU tasks nowhere.
set -euo pipefail
if ! command -v nvidia-smi >/dev/null 2>&1; then
  echo "discover-gpus.sh: nvidia-smi not found: no NVIDIA driver on $(hostname)" >&2
  exit 1
fi
addresses=$(nvidia-smi --query-gpu=index --format=csv,noheader | tr -d ' ' | awk 'NF { printf "%s\"%s\"", (n++ ? "," : ""), $0 }')
echo "{\"name\": \"gpu\", \"addresses\": [${addresses}]}"
