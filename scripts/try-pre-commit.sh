#!/usr/bin/env bash
# Tries the published pre-commit hook as a new user would: installs
# pre-commit (PyPI) in a throwaway venv, makes a git repository with two
# files, and runs `pre-commit try-repo` on this checkout passing only one file.
# Needs network access to PyPI and crates.io; takes a few minutes (cargo build).
set -euo pipefail
repo="$(cd "$(dirname "$0")/.." && pwd)"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
python3 -m venv "$work/venv"
"$work/venv/bin/pip" install --quiet pre-commit
mkdir "$work/project" && cd "$work/project"
git init -q
cat > svc.yaml <<'YAML'
apiVersion: v1
kind: Service
metadata: {name: web}
spec:
  selector: {app: web}
  ports: [{name: http, port: 80, targetPort: 9999}]
YAML
cat > deploy.yaml <<'YAML'
apiVersion: apps/v1
kind: Deployment
metadata: {name: web}
spec:
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers: [{name: web, image: web, ports: [{name: http, containerPort: 8080}]}]
YAML
git add . && git -c user.email=t@t -c user.name=t commit -qm init
set +e
out="$("$work/venv/bin/pre-commit" try-repo "$repo" confaudit --files svc.yaml 2>&1)"
code=$?
set -e
echo "$out"
# The hook must fail (K8S001 in svc.yaml, found with deploy.yaml as context).
if [ "$code" -ne 0 ] && grep -q "K8S001" <<<"$out"; then
  echo "try-pre-commit: OK (hook failed on svc.yaml with the cross-file finding)"
else
  echo "try-pre-commit: FAILED (exit $code)"; exit 1
fi
