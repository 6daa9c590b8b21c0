#!/usr/bin/env bash
# fleetbench host worker: the local stand-in for the SSM agent on one host. The local runner keeps one
# (or, while a host runs commands concurrently, a few) per host for the runner's life, because a fork from
# this shell costs less than a Node `spawn` per command (DESIGN.md, "Local target"). The worker only
# forks, waits and reports; timeouts, cancels and bookkeeping stay in host-worker.ts.
#
# Requests arrive on stdin as NUL-terminated fields, so no value is ever parsed or evaluated by a shell:
#   <task id> <cwd> <stdout file> <stderr file> <script> <n> then n pairs of <name> <value>
# Each task runs as `/bin/sh -c <script>` in its own process group (job control is on), with the
# environment exported from those pairs. Replies go to stdout, one line each:
#   S <task id> <pid> <epoch>       started; pid is also the task's process group id
#   D <task id> <status> <epoch>    finished; status as `wait` gives it (128+n when killed by signal n)
#
# One task at a time: the worker waits for exactly the pid it started, and nothing ever signals the
# worker itself. Reaping in a loop that also reads stdin would need a signal to wake `wait -n`, and such
# a signal can lose a child's status; bash also drops jobs killed by a signal from `wait -n`. The runner
# starts another worker when a host must run two commands at once.
# At end of input the worker exits; a task still running then is left to finish, as on a real host whose
# controller went away (the runner's close() kills tasks first).

set -m
IFS=

main() {
  local id cwd out err script count name value pid status
  local -a env
  while :; do
    env=()
    read -r -d '' id || exit 0
    read -r -d '' cwd && read -r -d '' out && read -r -d '' err && read -r -d '' script && read -r -d '' count ||
      exit 0
    [[ $count =~ ^[0-9]+$ ]] || exit 2
    while ((count-- > 0)); do
      read -r -d '' name && read -r -d '' value || exit 0
      env+=("$name" "$value")
    done
    (
      cd -- "$cwd" || exit 126
      set -- "${env[@]}"
      while (($#)); do
        export -- "$1=$2" || exit 126
        shift 2
      done
      exec /bin/sh -c "$script"
    ) </dev/null >"$out" 2>"$err" &
    pid=$!
    printf 'S %s %s %s\n' "$id" "$pid" "$EPOCHREALTIME"
    # bash's notice about a task killed by a signal ("Terminated") must not reach the engine's stderr.
    wait "$pid" 2>/dev/null
    status=$?
    printf 'D %s %s %s\n' "$id" "$status" "$EPOCHREALTIME"
  done
}

main
