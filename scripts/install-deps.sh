#!/usr/bin/env bash
# Installs recd's dependencies from Debian's packages. Idempotent: packages
# already present are left alone, so it is cheap to re-run.
#
#   install-deps.sh            everything to build recd and run every test (the default)
#   install-deps.sh build      only what compiles recd's binaries (docker/Dockerfile's build stage)
#   install-deps.sh runtime    only the shared libraries the binaries load (the image's runtime stage)
#   install-deps.sh image      podman, debootstrap and docker-compose, for scripts/test-image.sh
set -euo pipefail
profile=${1:-all}

build_packages=(
  build-essential cmake pkg-config git ca-certificates
  libgrpc++-dev protobuf-compiler-grpc libprotobuf-dev protobuf-compiler
  libabsl-dev libeigen3-dev librocksdb-dev libspdlog-dev libfmt-dev
  libhnswlib-dev libyaml-cpp-dev libcli11-dev nlohmann-json3-dev libxxhash-dev
  libssl-dev                # token hashes and PEM checks
  libhiredis-dev            # store.backend: redis (src/store/redis/ adds the cluster layer)
  libcpp-httplib-dev        # the ops listener (/metrics, /healthz, /readyz)
)
# What build/recd, recd-cli, recd-datagen and recd-ingest load (RocksDB is
# linked statically); their own dependencies come with them.
runtime_packages=(
  libgrpc++1.51 libprotobuf32 libabsl20220623 libspdlog1.10 libfmt9 libyaml-cpp0.7
  libhiredis0.14 libxxhash0 libssl3 libcpp-httplib0.11 libgomp1
  libsnappy1v5 liblz4-1 libzstd1 libbz2-1.0 zlib1g
)
image_packages=(podman debootstrap docker-compose)  # docker-compose only validates docker/compose.yaml
test_packages=(
  libgtest-dev libgmock-dev libbenchmark-dev
  openssl                   # scripts/make-test-certs.sh
  clang libclang-rt-14-dev llvm  # scripts/fuzz.sh: libFuzzer, sanitizer runtimes, llvm-symbolizer
  libomp-dev                     # clang's OpenMP, for the sanitizer build (scripts/test-sanitizers.sh)
  python3
  # benchmarks: serving.sh's cold mode (yaml); the Python peer and its test
  python3-grpcio python3-numpy python3-protobuf python3-yaml
  libopenblas0-pthread       # numpy's BLAS; Debian's default reference BLAS is 2x slower here
  haproxy                    # deploy/haproxy/recd.cfg and its test (HTTP/2 edge in front of recd)
  python3-h2                 # tests/haproxy/rapid_reset.py: the HTTP/2 rapid-reset client (brings hyperframe, hpack)
  redis-server redis-tools   # the Redis store's tests start real servers and a cluster
  prometheus                 # promtool check metrics, and a real Prometheus scraping recd in a test
  chromium chromium-driver python3-selenium  # the ops dashboard's browser test (headless)
)

case "$profile" in
  all) packages=("${build_packages[@]}" "${test_packages[@]}") ;;
  build) packages=("${build_packages[@]}") ;;
  runtime) packages=("${runtime_packages[@]}") ;;
  image) packages=("${image_packages[@]}") ;;
  *) echo "install-deps: unknown profile '$profile' (all | build | runtime | image)" >&2; exit 2 ;;
esac

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
