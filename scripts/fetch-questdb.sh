#!/usr/bin/env bash
# Fetches the pinned QuestDB server jar from Maven Central into vendor/questdb (git-ignored).
# QuestDB is not on npm or Debian; the jar carries its native libraries.
set -euo pipefail
cd "$(dirname "$0")/.."
version=$(node -p "require('./package.json').questdb.version")
dest=vendor/questdb
jar="$dest/questdb-$version.jar"
if [ -s "$jar" ]; then
  echo "QuestDB $version already at $jar"
  exit 0
fi
command -v mvn >/dev/null || { echo "error: Maven (mvn) is required to fetch QuestDB from Maven Central" >&2; exit 1; }
mkdir -p "$dest"
# Maven's output is shown only when it fails: even with -q -B it prints colour resets (ANSI
# codes) that end up in set-up logs and CI output.
if ! out=$(mvn -q -B -Dstyle.color=never dependency:copy -Dartifact="org.questdb:questdb:$version" -DoutputDirectory="$dest" 2>&1); then
  echo "$out" >&2
  echo "error: mvn dependency:copy of org.questdb:questdb:$version failed (output above)" >&2
  exit 1
fi
[ -s "$jar" ] || { echo "error: $jar missing after mvn dependency:copy" >&2; exit 1; }
echo "QuestDB $version fetched to $jar"
