#!/usr/bin/env bash
# The reaper of a local layout: ends the process groups a script started when the script dies, by
# any signal (SIGKILL too, where no handler of its own runs), and the rest of a group when its
# leader dies (workerd outlives a killed wrangler and spins). Started detached by
# scripts/process-reaper.ts, so that killing the script's own process group does not reach it.
# Its parent writes on stdin "LEADER_PID PGID" for a group it started, "dir PATH" for a temporary
# folder it made (removed once the groups have ended), and "bye" when it exits in order (the reaper
# then leaves everything alone); the end of stdin without "bye" means the parent died.
set -u
declare -A groups=()
declare -A started=()
dirs=()

# Field $2 of /proc/$1/stat (counted after the command name, which may hold spaces): 1 is the state, 20 the start time.
stat_field() {
  local line fields
  line=$(cat "/proc/$1/stat" 2>/dev/null) || return 1
  read -r -a fields <<<"${line##*) }"
  printf '%s' "${fields[$(($2 - 1))]}"
}

# Alive, not a zombie, and the same process that registered (a reused pid has another start time).
alive() {
  local s
  s=$(stat_field "$1" 1) || return 1
  [[ $s != Z && $s != X && $(stat_field "$1" 20) == "${started[$1]}" ]]
}

any_left() {
  local list
  list=$(
    IFS=,
    echo "${groups[*]}"
  )
  [[ -n $list ]] && pgrep -g "$list" >/dev/null
}

# The folders go last, once nothing that writes in them runs.
remove_dirs_and_exit() {
  ((${#dirs[@]} > 0)) && rm -rf -- "${dirs[@]}"
  exit 0
}

end_all() {
  local g
  for g in "${groups[@]}"; do kill -TERM -- "-$g" 2>/dev/null; done
  # Three seconds of grace, then KILL: well within the five a crash may take.
  for _ in $(seq 30); do
    any_left || remove_dirs_and_exit
    sleep 0.1
  done
  for g in "${groups[@]}"; do kill -KILL -- "-$g" 2>/dev/null; done
  for _ in $(seq 10); do
    any_left || break
    sleep 0.1
  done
  remove_dirs_and_exit
}

while true; do
  if read -r -t 0.5 leader group; then
    [[ $leader == bye ]] && exit 0
    # Only a folder of the local scripts' own making (an absolute path named bn-sweep-…).
    if [[ $leader == dir ]]; then
      [[ $group == /* && ${group##*/} == bn-sweep-* ]] && dirs+=("$group")
      continue
    fi
    if [[ $leader =~ ^[0-9]+$ && $group =~ ^[0-9]+$ ]]; then
      groups[$leader]=$group
      started[$leader]=$(stat_field "$leader" 20)
    fi
    continue
  elif (($? <= 128)); then
    end_all
  fi
  for leader in "${!groups[@]}"; do
    if ! alive "$leader"; then
      kill -KILL -- "-${groups[$leader]}" 2>/dev/null
      unset "groups[$leader]" "started[$leader]"
    fi
  done
done
