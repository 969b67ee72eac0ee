#!/usr/bin/env bash
# A throwaway clickhouse-server for the benchmarks and the soak run, in the
# foreground until interrupted (it execs the server, so its pid is the
# server's): loopback only, UTC, everything under DIR (kept, so a filled
# database can be measured again later).
#
#   bench/clickhouse.sh DIR [TCP_PORT=19000] [HTTP_PORT=TCP_PORT+1] [INTERSERVER_PORT=TCP_PORT+2]
#
# e.g. go run ./bench/dashboard -store clickhouse -dsn clickhouse://127.0.0.1:TCP_PORT/bench ...
set -euo pipefail
DIR=${1:?usage: clickhouse.sh DIR [TCP_PORT] [HTTP_PORT] [INTERSERVER_PORT]}
TCP=${2:-19000}
HTTP=${3:-$((TCP + 1))} OTHER=${4:-$((TCP + 2))}
export PATH="$PATH:/usr/sbin" # Debian installs clickhouse-server there
mkdir -p "$DIR/log" "$DIR/data" "$DIR/tmp" "$DIR/files"
DIR=$(cd "$DIR" && pwd)
cat > "$DIR/config.xml" <<XML
<?xml version="1.0"?>
<yandex>
  <logger><level>warning</level><log>$DIR/log/server.log</log><errorlog>$DIR/log/err.log</errorlog></logger>
  <listen_host>127.0.0.1</listen_host>
  <http_port>$HTTP</http_port><tcp_port>$TCP</tcp_port><interserver_http_port>$OTHER</interserver_http_port>
  <path>$DIR/data/</path><tmp_path>$DIR/tmp/</tmp_path><user_files_path>$DIR/files/</user_files_path>
  <mark_cache_size>268435456</mark_cache_size>
  <users_config>$DIR/users.xml</users_config>
  <default_profile>default</default_profile><default_database>default</default_database>
  <timezone>UTC</timezone>
</yandex>
XML
cat > "$DIR/users.xml" <<'XML'
<?xml version="1.0"?>
<yandex>
  <profiles><default>
    <max_memory_usage>4000000000</max_memory_usage>
    <allow_experimental_low_cardinality_type>1</allow_experimental_low_cardinality_type>
  </default></profiles>
  <users><default>
    <password></password>
    <networks><ip>127.0.0.1</ip><ip>::1</ip></networks>
    <profile>default</profile><quota>default</quota>
  </default></users>
  <quotas><default><interval><duration>3600</duration><queries>0</queries><errors>0</errors>
    <result_rows>0</result_rows><read_rows>0</read_rows><execution_time>0</execution_time></interval></default></quotas>
</yandex>
XML
echo "clickhouse-server: native port $TCP, HTTP port $HTTP, data in $DIR" >&2
exec clickhouse-server --config-file="$DIR/config.xml"
