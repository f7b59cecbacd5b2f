#!/usr/bin/env bash
# Installs the system packages WebGPU needs on a machine without a GPU (Debian 12):
# Mesa's lavapipe (Vulkan on the CPU) >= 24 from bookworm-backports, for Dawn (npm `webgpu`),
# and vulkaninfo (vulkan-tools, for `doctor`; bookworm's own). Nothing to do when all three are
# installed already (a rerun, or an image that has them): the package lists are not even fetched.
set -euo pipefail
if [ "$(id -u)" != 0 ]; then SUDO=sudo; else SUDO=; fi
installed() { dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q 'ok installed'; }
mesa=$(dpkg-query -W -f='${Version}' mesa-vulkan-drivers 2>/dev/null || true)
if installed mesa-vulkan-drivers && dpkg --compare-versions "$mesa" ge 24 && installed libvulkan1 &&
  installed vulkan-tools; then
  exit 0
fi
if ! grep -rqs bookworm-backports /etc/apt/sources.list /etc/apt/sources.list.d/; then
  printf 'Types: deb\nURIs: http://deb.debian.org/debian\nSuites: bookworm-backports\nComponents: main\nSigned-By: /usr/share/keyrings/debian-archive-keyring.gpg\n' \
    | $SUDO tee /etc/apt/sources.list.d/bookworm-backports.sources >/dev/null
fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
# One resolution for all three: -t prefers backports' Mesa; vulkan-tools comes from bookworm itself.
$SUDO apt-get install -y -qq --no-install-recommends -t bookworm-backports mesa-vulkan-drivers libvulkan1 vulkan-tools \
  >/dev/null
