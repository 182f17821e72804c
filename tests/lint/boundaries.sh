#!/usr/bin/env bash
# Only core/priv may open privileged handles (SOCK_RAW, pcap_create/pcap_open_live,
# capabilities); only core/fw may start programs (exec*, fork, posix_spawn, system, popen);
# no engine file (outside core/lua, core/runbook, core/main.c) includes lua.h; nothing
# below main.c calls exit().
set -u
src=${1:?usage: boundaries.sh SOURCE_DIR}
cd "$src" || exit 2
fail=0 pass=0
check() { # NAME PATTERN ALLOWED_PATH_REGEX
  local hits
  hits=$(grep -rnE --include='*.c' --include='*.h' "$2" core | grep -vE "^($3)" || true)
  if [ -n "$hits" ]; then
    echo "not ok - $1"; echo "$hits" | sed 's/^/#   /'; fail=$((fail + 1))
  else
    echo "ok - $1"; pass=$((pass + 1))
  fi
}
check "raw sockets, live captures and capabilities only in core/priv" \
  '\bSOCK_RAW\b|\bpcap_create\b|\bpcap_open_live\b|\bcap_(set|get|init|free)_' 'core/priv/'
check "programs are started only in core/fw" \
  '\b(execve|execv|execvp|execl|execlp|fork|vfork|posix_spawnp?|system|popen)[[:space:]]*\(' 'core/fw/'
check "engine files do not include lua.h" \
  '#include[[:space:]]*[<"](lua|lauxlib|lualib)\.h[>"]' 'core/lua/|core/runbook/|core/main\.c'
check "no exit() below main.c" \
  '(^|[^_[:alnum:]])(exit|_exit|abort)[[:space:]]*\(' 'core/main\.c'
echo "$pass passed, $fail failed"
[ $fail -eq 0 ]
