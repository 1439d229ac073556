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
mvn -q -B dependency:copy -Dartifact="org.questdb:questdb:$version" -DoutputDirectory="$dest"
[ -s "$jar" ] || { echo "error: $jar missing after mvn dependency:copy" >&2; exit 1; }
echo "QuestDB $version fetched to $jar"
