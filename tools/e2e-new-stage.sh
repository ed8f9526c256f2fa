#!/usr/bin/env bash
# The stage generator on a clean clone (CI runs this after npm test): `npm run new-stage -- <name>`
# then, with no file edited by hand, the new stage typechecks, lints, passes its test, shows in
# `nx show projects` (one task per pca input), runs as `tangent <name>` and has its manifest section.
# Usage: bash tools/e2e-new-stage.sh [source-dir]   (default: this checkout; its working tree is copied)
set -euo pipefail
cd "$(dirname "$0")/.."
src="${1:-$PWD}"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
export CI="${CI:-true}" NO_COLOR=1 FORCE_COLOR=0
export NX_CACHE_DIRECTORY="$work/nx/cache" NX_WORKSPACE_DATA_DIRECTORY="$work/nx/data"
name=feature-norms
# the working tree as it is (tracked and untracked files, not what git ignores)
mkdir "$work/clone"
(cd "$src" && git ls-files -co --exclude-standard -z | xargs -0 cp --parents -t "$work/clone" 2>/dev/null) || true
cd "$work/clone"
git init -q && git add -A && git -c user.email=ci@tangent -c user.name=ci commit -qm base
npm ci --no-audit --no-fund --prefer-offline > "$work/ci.log" 2>&1 || { tail -20 "$work/ci.log"; exit 1; }
echo "new-stage: npm run new-stage -- $name"
npm run --silent new-stage -- "$name"
echo "  files it wrote or changed:"; git status --short | sed 's/^/    /'
changed=$(git status --short | grep -v '^??' | awk '{print $2}' | sort | tr '\n' ' ')
expected="docs/contributing.md package-lock.json packages/contracts/src/nodes/index.ts "
[ "$changed" = "$expected" ] || { echo "unexpected edits: $changed (expected $expected)"; exit 1; }
[ "$(git diff packages/contracts/src/nodes/index.ts | grep -c '^+[^+]')" = 1 ] || { echo "more than one registration line"; exit 1; }
npx tsc -p tsconfig.json --noEmit
npx nx show projects > /dev/null # the module-boundaries lint rule reads the project graph
npx eslint "packages/$name" packages/contracts/src/nodes --max-warnings 0
npx prettier --check "packages/$name" packages/contracts/src/nodes docs/contributing.md > /dev/null
npx vitest run "packages/$name" tools/stage-table.test.ts > "$work/test.log" 2>&1 || { tail -30 "$work/test.log"; exit 1; }
grep -E 'Tests +[0-9]+ passed' "$work/test.log" | sed 's/^/  vitest: /'
# to a file, not into `grep -q`: under pipefail a grep that stops early makes nx die of SIGPIPE
npx nx show projects > "$work/projects.txt"
grep -q "^$name\.use-lite-d128$" "$work/projects.txt" || { echo "nx show projects has no $name.use-lite-d128"; exit 1; }
echo "  nx: $(grep -c "^$name\." "$work/projects.txt") tasks named $name.*"
help=$(node apps/cli/bin/tangent.mjs "$name" --help)
echo "  tangent: ${help%%$'\n'*}"
# the stage runs on a pca input laid down as the pca stage would publish it, for a one-input manifest
printf 'grid:\n  embedders: [toy]\n  d: [4]\n' > "$work/toy.yaml"
node --import tsx -e "
  const { readManifestFile } = await import('@tangent/contracts');
  const { publishToyEmbeddings } = await import('@tangent/contracts/testing');
  await publishToyEmbeddings(readManifestFile('$work/toy.yaml'), { stage: 'pca', key: 'toy-d4', dim: 4, unitNorm: true });"
node apps/cli/bin/tangent.mjs "$name" --manifest "$work/toy.yaml" | sed 's/^/  /'
test -s "data/$name/toy-d4/summary.json" || { echo "no data/$name/toy-d4/summary.json"; exit 1; }
echo "new-stage: ok"
