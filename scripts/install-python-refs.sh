#!/usr/bin/env bash
# The benchmarks' Python references (pandas, numpy, bottleneck, scikit-learn) come from Debian's
# packages and run through /usr/bin/python3. Installs what is missing; needs root (or sudo).
# Benchmarks never install anything themselves: they refuse, naming this script.
set -euo pipefail
PY=/usr/bin/python3
missing=()
for pair in pandas:python3-pandas numpy:python3-numpy bottleneck:python3-bottleneck sklearn:python3-sklearn; do
  mod=${pair%%:*}
  pkg=${pair#*:}
  "$PY" -c "import $mod" 2>/dev/null || missing+=("$pkg")
done
if [ ${#missing[@]} -eq 0 ]; then
  echo "Python references present: $("$PY" -c 'import pandas, numpy, bottleneck, sklearn; print("pandas", pandas.__version__, "numpy", numpy.__version__, "bottleneck", bottleneck.__version__, "scikit-learn", sklearn.__version__)')"
  exit 0
fi
SUDO=""
if [ "$(id -u)" != "0" ]; then
  command -v sudo >/dev/null || { echo "missing ${missing[*]} and not root: apt-get install ${missing[*]}" >&2; exit 1; }
  SUDO="sudo"
fi
echo "installing ${missing[*]} from Debian's packages"
$SUDO apt-get update -q >/dev/null
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q "${missing[@]}" >/dev/null
"$PY" -c 'import pandas, numpy, bottleneck, sklearn; print("Python references:", "pandas", pandas.__version__, "numpy", numpy.__version__, "bottleneck", bottleneck.__version__, "scikit-learn", sklearn.__version__)'
