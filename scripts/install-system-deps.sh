#!/usr/bin/env bash
# Installs the system packages the tests need (a real OpenSSH server, Chromium, git, fish: a node
# user's login shell that is not sh-like, and cmake + a C++ compiler to build llama.cpp), when it can.
set -euo pipefail
packages=()
[ -x /usr/sbin/sshd ] || packages+=(openssh-server)
command -v ssh-keygen >/dev/null 2>&1 || packages+=(openssh-client)
[ -x /usr/bin/chromium ] || packages+=(chromium)
command -v git >/dev/null 2>&1 || packages+=(git)
command -v fish >/dev/null 2>&1 || packages+=(fish)
command -v cmake >/dev/null 2>&1 || packages+=(cmake)
command -v c++ >/dev/null 2>&1 || command -v g++ >/dev/null 2>&1 || packages+=(g++)
[ ${#packages[@]} -eq 0 ] && exit 0

if ! command -v apt-get >/dev/null 2>&1; then
  echo "Missing system packages: ${packages[*]}. Install them with your package manager (Debian/Ubuntu names shown)." >&2
  exit 1
fi
sudo=""
if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
    sudo="sudo"
  else
    echo "Missing system packages: ${packages[*]}. Run: sudo apt-get update && sudo apt-get install -y ${packages[*]}" >&2
    exit 1
  fi
fi
echo "Installing system packages for the tests: ${packages[*]}" >&2
$sudo apt-get update -qq
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${packages[@]}" >/dev/null
