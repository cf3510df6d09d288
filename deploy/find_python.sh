#!/usr/bin/env bash
# Prints the path of a Python 3.13+ interpreter: PATH first, then pyenv. Exits 1 when none is found.
set -u
ok() { "$1" -c 'import sys; sys.exit(0 if sys.version_info >= (3, 13) else 1)' >/dev/null 2>&1; }
for name in python3.14 python3.13 python3 python; do
  cand=$(command -v "$name" 2>/dev/null) || continue
  if ok "$cand"; then "$cand" -c 'import sys; print(sys.executable)'; exit 0; fi
done
root=$(pyenv root 2>/dev/null || echo "${PYENV_ROOT:-$HOME/.pyenv}")
for cand in $(ls -d "$root"/versions/3.1[3-9]*/bin/python3 2>/dev/null | sort -rV); do
  if ok "$cand"; then echo "$cand"; exit 0; fi
done
echo "no Python 3.13+ found on PATH or under pyenv ($root); install one (e.g. pyenv install 3.13)" >&2
exit 1
