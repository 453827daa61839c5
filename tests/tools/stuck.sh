# stuck.sh - what a process that did not answer in time is doing, for a
# test's failure message (sourced by tests/hub/lib.sh and tests/sync/lib.sh).
#
#   describe_stuck PID   to stderr: whether PID lives, its state and kernel
#                        wait channel, and where gdb can attach (it is on
#                        every machine the suite runs on), each thread's
#                        stack: a hang on a CI machine is then readable
#                        from the log alone.
describe_stuck() {
  local pid=$1
  if [ -z "$pid" ] || ! kill -0 "$pid" 2>/dev/null; then
    echo "--- process ${pid:-?} is gone" >&2
    return 0
  fi
  echo "--- process $pid lives: state $(ps -o stat=,wchan:32= -p "$pid" 2>/dev/null)" >&2
  command -v gdb >/dev/null || return 0
  timeout 60 gdb -batch -p "$pid" -ex 'thread apply all bt 25' 2>/dev/null |
    grep -E '^(Thread |#)' | head -n 200 >&2 || true
}
