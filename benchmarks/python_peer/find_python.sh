#!/usr/bin/env bash
# Prints a Python 3 interpreter that can run the peer (grpc, numpy, yaml
# importable): $PYTHON if set, else python3, else Debian's /usr/bin/python3
# (a pyenv or venv python3 earlier in PATH lacks the Debian packages that
# scripts/install-deps.sh installs). Exits 1, saying what is missing, if none can.
for p in ${PYTHON:-} python3 /usr/bin/python3; do
  if command -v "$p" >/dev/null 2>&1 && "$p" -c "import grpc, numpy, yaml, google.protobuf" 2>/dev/null; then
    command -v "$p"
    exit 0
  fi
done
echo "no python3 with grpc, numpy, yaml and protobuf (Debian: python3-grpcio python3-numpy python3-yaml python3-protobuf; scripts/install-deps.sh installs them)" >&2
exit 1
