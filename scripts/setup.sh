#!/usr/bin/env bash
# Installs every build and test dependency from Debian's packages. Idempotent: packages already
# present are left alone. Needs root (or sudo) the first time only.
set -euo pipefail

PACKAGES=(
  build-essential cmake ninja-build ccache pkg-config git
  antlr4 libantlr4-runtime-dev          # parser generator (tool 4.7.2) + C++ runtime 4.9
  llvm-19-dev                           # ORC LLJIT and codegen (compiler only, never the runtime)
  libre2-dev                            # regex validation and matching
  nlohmann-json3-dev                    # JSON (config.json, schemas, --json output)
  libsentencepiece-dev                  # SentencePiece tokenizers
  doctest-dev                           # unit tests
  libcli11-dev                          # command-line parsing for sglc
  libboost-context-dev                  # stackful fibers: program instances stay direct-style code
  libedit-dev                           # line editing and history for sglc repl
  clang libclang-rt-14-dev              # libFuzzer target (SGL_FUZZ=ON) and sanitizers
)

missing=()
for p in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
  echo "setup: all ${#PACKAGES[@]} packages present"
  exit 0
fi
SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
echo "setup: installing ${missing[*]}"
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
