#!/usr/bin/env bash
# Start or stop the local SolrCloud (`make solr`, `make solr-stop`): Solr's own test cluster
# built by Maven from Maven Central (pom.xml beside this file), run in the background, its
# addresses written to $SOLR_STATE once the archive's collection is active.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
state="${SOLR_STATE:-var/solr/cluster.json}"
dir="$(dirname "$state")"
pidfile="$dir/launcher.pid"
log="$dir/launcher.log"
configset="${SOLR_CONFIGSET:-$here/configset}"
# Seconds to wait for the nodes, ZooKeeper and the collection (seconds on an idle machine).
wait_seconds="${SOLR_START_TIMEOUT:-300}"

running() { [ -f "$pidfile" ] && kill -0 "$(cat "$pidfile")" 2>/dev/null; }

# Java 17+ and Maven from Debian's packages if the machine lacks them.
tools() {
  if ! command -v mvn >/dev/null || ! command -v java >/dev/null; then
    local sudo=""
    [ "$(id -u)" = 0 ] || sudo=sudo
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq maven openjdk-17-jdk-headless
  fi
}

build() {
  tools
  # Quiet, a cold ~/.m2 included: Maven's output is shown only if the build fails.
  local out
  if ! out="$(cd "$here" && mvn -B -q --no-transfer-progress package 2>&1)"; then
    printf '%s\n' "$out" >&2
    return 1
  fi
}

start() {
  mkdir -p "$dir"
  if running && [ -f "$state" ]; then
    echo "SolrCloud already running (pid $(cat "$pidfile")):"
    cat "$state"
    return 0
  fi
  if running; then stop; fi
  if [ ! -f "$here/target/classpath.txt" ] || [ -n "$(find "$here/pom.xml" "$here/src" -newer "$here/target/classpath.txt" -print -quit)" ]; then
    build
  fi
  rm -f "$state"
  SOLR_LOG_FILE="$(cd "$dir" && pwd)/solr.log" setsid nohup java ${SOLR_JAVA_OPTS:--Xmx1g} \
    -Djava.util.logging.config.file="$here/logging.properties" -Dsolr.log.dir="$dir" \
    -cp "$here/target/classes:$(cat "$here/target/classpath.txt")" \
    org.uyghurarchive.solr.LocalSolrCloud "$state" "$configset" >"$log" 2>&1 </dev/null &
  echo $! >"$pidfile"
  for _ in $(seq "$wait_seconds"); do
    if [ -f "$state" ]; then
      sed -n '/^SolrCloud ready/,/SEARCH_URL=/p' "$log"
      echo "State: $state; stop with 'make solr-stop'."
      return 0
    fi
    if ! running; then
      echo "SolrCloud failed to start; the end of $log:" >&2
      tail -30 "$log" >&2
      return 1
    fi
    sleep 1
  done
  echo "SolrCloud not ready after ${wait_seconds}s; see $log and $dir/solr.log" >&2
  stop
  return 1
}

stop() {
  if ! running; then
    rm -f "$pidfile" "$state"
    echo "SolrCloud is not running."
    return 0
  fi
  pid="$(cat "$pidfile")"
  kill "$pid"
  for _ in $(seq 60); do
    kill -0 "$pid" 2>/dev/null || break
    sleep 1
  done
  if kill -0 "$pid" 2>/dev/null; then
    kill -9 "$pid"
  fi
  rm -f "$pidfile" "$state"
  echo "SolrCloud stopped."
}

# Run a command with TEST_SEARCH_URL naming the cluster, started for it if not running
# (and then stopped after it).
with_cluster() {
  local started=""
  if ! { running && [ -f "$state" ]; }; then
    start
    started=1
  fi
  local status=0
  TEST_SEARCH_URL="$(sed -n 's/.*"search_url": "\([^"]*\)".*/\1/p' "$state")" "$@" || status=$?
  if [ -n "$started" ]; then stop >/dev/null; fi
  return "$status"
}

case "${1:-}" in
  start) start ;;
  stop) stop ;;
  build) build ;;
  with-cluster) shift; with_cluster "$@" ;;
  *) echo "usage: $0 start|stop|build|with-cluster COMMAND..." >&2; exit 2 ;;
esac
