#!/usr/bin/env bash
# The reaper of a local layout: ends the process groups a script started when the script dies, by
# any signal (SIGKILL too, where no handler of its own runs), and the rest of a group when its
# leader dies (workerd outlives a killed wrangler and spins). Started detached by
# scripts/process-reaper.ts, so that killing the script's own process group does not reach it.
# Its parent writes "LEADER_PID PGID" lines on stdin ("LEADER_PID PGID shared" for a group the
# parent shares, ended only with the parent); the end of stdin means the parent is gone.
set -u
declare -A groups=()
declare -A shared=()

# A process's state letter from /proc (after the command name, which may hold spaces).
state() {
  local line
  line=$(cat "/proc/$1/stat" 2>/dev/null) || return 1
  line=${line##*) }
  printf '%s' "${line%% *}"
}

alive() {
  local s
  s=$(state "$1") || return 1
  [[ $s != Z && $s != X ]]
}

end_all() {
  local g any
  for g in "${groups[@]}"; do kill -TERM -- "-$g" 2>/dev/null; done
  for _ in $(seq 30); do
    any=0
    for g in "${groups[@]}"; do pgrep -g "$g" >/dev/null && any=1; done
    [[ $any == 0 ]] && exit 0
    sleep 0.1
  done
  for g in "${groups[@]}"; do kill -KILL -- "-$g" 2>/dev/null; done
  exit 0
}

while true; do
  if read -r -t 0.5 leader group mode; then
    if [[ $leader =~ ^[0-9]+$ && $group =~ ^[0-9]+$ ]]; then
      groups[$leader]=$group
      [[ $mode == shared ]] && shared[$leader]=1
    fi
    continue
  elif (($? <= 128)); then
    end_all
  fi
  for leader in "${!groups[@]}"; do
    if ! alive "$leader"; then
      [[ -z ${shared[$leader]:-} ]] && kill -KILL -- "-${groups[$leader]}" 2>/dev/null
      unset "groups[$leader]" "shared[$leader]"
    fi
  done
done
