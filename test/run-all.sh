#!/usr/bin/env bash
# test/run-all.sh [jest args...] — the one command that runs every test (`npm test`, which .ci/run calls).
# Installs what is missing (apt packages, npm ci), builds, makes sure a Docker daemon answers and the local
# images exist, removes what a crashed earlier run left, then runs both jest projects (unit and e2e) in one
# process and prints `N passed, N failed[, N skipped]`. Exit status 0 only when tests ran and none failed.
# Env: MK8S_TEST_TIMEOUT (seconds jest may take, default 1500: the whole command must stay under 30 min).
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/../deploy/lib.sh"
cd "$MK8S_REPO"

ensure_apt_packages
ensure_node
ensure_npm_deps
build_typescript
report_kubectl
ensure_dockerd
ensure_images
clean_test_leftovers
clean_lab_leftovers

# Everything the harness starts goes under this run's own root, so it can all be killed at the end.
run_root=$(mktemp -d /tmp/mk8s-test-run-XXXXXX)
echo $$ >"$run_root/owner.pid"
export MK8S_TEST_ROOT=$run_root
trap 'kill_session_processes "$run_root"; rm -rf --one-file-system "$run_root"' EXIT

results_dir=$MK8S_REPO/.mk8s-test
mkdir -p "$results_dir"
results=$results_dir/jest-results.json
rm -f "$results"
limit=${MK8S_TEST_TIMEOUT:-1500}

# In band: the e2e tests start etcd, apiservers and containers, and two cores are not enough to run
# several such files side by side without timing flakes. --forceExit so a leaked handle cannot hang CI.
step "tests: npx jest --runInBand (unit + e2e projects, at most ${limit}s)"
jest_rc=0
timeout --kill-after=30 "$limit" npx jest --runInBand --forceExit --json --outputFile="$results" "$@" || jest_rc=$?

node - "$results" "$jest_rc" "$limit" <<'EOF'
const fs = require('fs');
const [file, rcText, limit] = process.argv.slice(2);
const rc = Number(rcText);
if (!fs.existsSync(file)) {
  console.log(rc === 124 ? `jest did not finish within ${limit}s and was stopped` : `jest wrote no results (exit code ${rc})`);
  console.log('0 passed, 1 failed');
  process.exit(1);
}
const r = JSON.parse(fs.readFileSync(file, 'utf8'));
// A suite that fails before any test runs (syntax error, failing beforeAll import) has no failed test
// of its own; count it as one failure so it cannot go unnoticed.
const broken = r.testResults.filter((s) => s.status === 'failed' && !s.assertionResults.some((a) => a.status === 'failed'));
const reason = (s) => (s.message || '').replace(/\x1b\[[0-9;]*m/g, '').split('\n')
  .map((l) => l.trim()).find((l) => l && !l.includes('Test suite failed to run')) || 'no message';
for (const s of broken) console.log(`suite failed to run: ${s.name}: ${reason(s)}`);
const failed = r.numFailedTests + broken.length;
const skipped = r.numPendingTests + r.numTodoTests;
if (r.numPassedTests + failed === 0) console.log('no test ran');
if (rc !== 0 && failed === 0 && r.numPassedTests > 0) console.log(`jest exited with code ${rc}`);
console.log(`${r.numPassedTests} passed, ${failed} failed` + (skipped ? `, ${skipped} skipped` : ''));
process.exit(failed > 0 || r.numPassedTests === 0 || rc !== 0 ? 1 : 0);
EOF
