#!/usr/bin/env bash
# The pipeline end to end, as a user runs it (CI runs this after npm test):
#  1. `npm start -- -c quick` on a fresh clone with a shared cache directory: every stage runs and
#     writes the ntk metrics.json of every d of the quick grid (timed).
#  2. A second clone pointed at the same cache: the quick pipeline replays from the cache without
#     running a stage, and its Arrow files are byte-identical to the first clone's.
#  3. One width added to the quick grid: only the new width's runs and submissions and the two
#     gathering instances (analysis, submissions) run; everything else is a cache hit.
set -euo pipefail
cd "$(dirname "$0")/.."
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
export TANGENT_SHARED_CACHE="$work/cache"
export CI="${CI:-true}"
# Each clone gets its own Nx cache and task database, so that only the shared cache can carry
# results from one to the other (Nx otherwise shares a per-user cache between clones).
isolate() { export NX_CACHE_DIRECTORY="$work/nx-$1/cache" NX_WORKSPACE_DATA_DIRECTORY="$work/nx-$1/data"; }

export NO_COLOR=1 FORCE_COLOR=0
plain() { sed 's/\x1b\[[0-9;]*[A-Za-z]//g' "$1"; }
summary() { plain "$1" | grep -Eo 'Successfully ran target run for [0-9]+ projects|Nx read the output from the cache instead of running the command for [0-9]+ out of [0-9]+ tasks' || true; }

echo "e2e 1/3: npm start -- -c quick (fresh)"
start=$(date +%s)
isolate first
npm start --silent -- -c quick > "$work/first.log" 2>&1 || { tail -50 "$work/first.log"; exit 1; }
echo "  wall time $(( $(date +%s) - start )) s; $(summary "$work/first.log" | tr '\n' ' ')"
# the quick profile's ntk folders, from the contract (a profile's own instances live in <folder>@quick)
for dir in $(node --import tsx -e "
  const c = await import('@tangent/contracts');
  for (const i of c.pipelineInstances(c.loadManifest(undefined, 'quick'))) if (i.stage === 'ntk') console.log(i.dir);"); do
  test -s "data/$dir/metrics.json" || { echo "missing data/$dir/metrics.json"; exit 1; }
  echo "  data/$dir/metrics.json: eval accuracy $(node -p "require('./data/$dir/metrics.json').eval.accuracy.toFixed(4)")"
done

echo "e2e 2/3: a second clone sharing the cache replays everything"
git clone --quiet "$PWD" "$work/clone"
(cd "$work/clone" && npm ci --no-audit --no-fund --prefer-offline > "$work/clone-ci.log" 2>&1) || { tail -20 "$work/clone-ci.log"; exit 1; }
isolate second
(cd "$work/clone" && npm start --silent -- -c quick > "$work/second.log" 2>&1) || { tail -50 "$work/second.log"; exit 1; }
replay="$(summary "$work/second.log" | grep 'read the output')"
echo "  $replay"
total=$(npx nx show projects -p tag:profile:quick 2>/dev/null | wc -l | tr -d ' ')
[[ "$replay" == *"for $total out of $total tasks"* ]] || { echo "the second clone ran stages: $replay"; exit 1; }
remote=$(plain "$work/second.log" | grep -c 'remote cache' || true)
[[ "$remote" == "$total" ]] || { echo "only $remote of $total tasks came from the shared cache"; exit 1; }
echo "  all $remote from the shared cache directory"
n=0
while IFS= read -r f; do
  cmp -s "$f" "$work/clone/$f" || { echo "differs between the clones: $f"; exit 1; }
  n=$((n + 1))
done < <(find data -name '*.arrow' | sort)
echo "  $n Arrow files byte-identical"

echo "e2e 3/3: adding one width reruns only what depends on it"
node -e "
  const fs = require('fs'); const y = require('yaml'); const p = '$work/clone/configs/pipeline.yaml';
  const doc = y.parseDocument(fs.readFileSync(p, 'utf8')); const w = doc.getIn(['profiles', 'quick', 'grid', 'widths']);
  w.items.push(doc.createNode(64)); fs.writeFileSync(p, doc.toString());"
(cd "$work/clone" && npm start --silent -- -c quick > "$work/third.log" 2>&1) || { tail -50 "$work/third.log"; exit 1; }
ran="$(plain "$work/third.log" | grep -E '^> nx run ' | grep -v 'cache' | sed 's/^> nx run //; s/:run.*//' | sort | tr '\n' ' ')"
echo "  ran: $ran"
for p in $ran; do
  case "$p" in mlp.*w64-*|mlp-submit.*submit-w64|analysis*|submissions*) ;; *) echo "unexpected rerun: $p"; exit 1 ;; esac
done
echo "e2e: ok"
