#!/usr/bin/env bash
# Install the system packages guideprint needs: fonts (text, mono, colour emoji), the
# HarfBuzz subsetter WeasyPrint uses (~1.3x faster font subsetting), Pango, and the
# poppler/zbar tools the tests read PDFs and QR codes back with. Idempotent.
set -euo pipefail
packages=(
  fonts-noto-core fonts-noto-mono fonts-noto-color-emoji
  libharfbuzz-subset0 libpango-1.0-0 libpangoft2-1.0-0
  poppler-utils zbar-tools libzbar0
)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi
echo "guideprint: installing system packages: ${missing[*]}"
SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
