#!/usr/bin/env bash
# Installs every build and test dependency of recd from Debian's packages.
# Idempotent: packages already present are left alone, so it is cheap to re-run.
set -euo pipefail

packages=(
  build-essential cmake pkg-config git ca-certificates
  libgrpc++-dev protobuf-compiler-grpc libprotobuf-dev protobuf-compiler
  libabsl-dev libeigen3-dev librocksdb-dev libspdlog-dev libfmt-dev
  libgtest-dev libgmock-dev libbenchmark-dev
  libhnswlib-dev libyaml-cpp-dev libcli11-dev nlohmann-json3-dev libxxhash-dev
  libssl-dev openssl        # token hashes and PEM checks; scripts/make-test-certs.sh
  clang libclang-rt-14-dev llvm  # scripts/fuzz.sh: libFuzzer, sanitizer runtimes, llvm-symbolizer
  python3
  # benchmarks: serving.sh's cold mode (yaml); the Python peer and its test
  python3-grpcio python3-numpy python3-protobuf python3-yaml
  libopenblas0-pthread       # numpy's BLAS; Debian's default reference BLAS is 2x slower here
  haproxy                    # deploy/haproxy/recd.cfg and its test (HTTP/2 edge in front of recd)
  libhiredis-dev             # store.backend: redis (src/store/redis/ adds the cluster layer)
  redis-server redis-tools   # the Redis store's tests start real servers and a cluster
  libcpp-httplib-dev         # the ops listener (/metrics, /healthz, /readyz)
  prometheus                 # promtool check metrics, and a real Prometheus scraping recd in a test
  chromium chromium-driver python3-selenium  # the ops dashboard's browser test (headless)
)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done

if [ ${#missing[@]} -eq 0 ]; then
  echo "install-deps: all ${#packages[@]} packages present"
  exit 0
fi

SUDO=""
[ "$(id -u)" -ne 0 ] && SUDO="sudo"
echo "install-deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
