#!/usr/bin/env bash
# The system packages guideprint needs, installed with apt when this machine has it and we may.
#
#   scripts/setup-system.sh [--python PY] [--test] [--bench]
#
# Building: the Noto fonts every output uses, Pango, fontconfig, and the HarfBuzz subsetter
# (WeasyPrint subsets fonts ~1.3x faster with it). --python PY: also PY's venv module when PY
# lacks it (Debian ships it apart, as pythonX.Y-venv). --test: poppler-utils and zbar, which
# the tests read PDFs and QR codes back with, and chromium, the browser tests/test_serve.py
# drives (Playwright cannot download its own here), and qpdf, which checks the structure of the
# PDFs the manual's parts are spliced into (`make test`). --bench: pandoc (bench/run.py).
#
# Idempotent: installed packages are not asked for again. Without root and without sudo, it
# installs nothing and prints the command to run (exit 1); without apt, what to install
# (exit 0: the build itself names a missing font or library). GUIDEPRINT_SKIP_SYSTEM=1 skips
# this step, e.g. when the fonts were installed another way. Only shell built-ins besides
# id, dpkg-query, apt-get and sudo: tests/test_package.py runs it against stand-ins of those.
set -euo pipefail

build=(fonts-noto-core fonts-noto-mono fonts-noto-color-emoji fonts-noto-cjk
       libpango-1.0-0 libpangoft2-1.0-0 libfontconfig1 libharfbuzz-subset0)
tests=(poppler-utils zbar-tools libzbar0 chromium qpdf)
bench=(pandoc)

python="" with_tests=0 with_bench=0
while [ $# -gt 0 ]; do
  case "$1" in
    --python) python="${2:-}"; shift 2 ;;
    --test) with_tests=1; shift ;;
    --bench) with_bench=1; shift ;;
    *) echo "usage: $0 [--python PY] [--test] [--bench]" >&2; exit 2 ;;
  esac
done
if [ "${GUIDEPRINT_SKIP_SYSTEM:-}" = 1 ]; then exit 0; fi

packages=("${build[@]}")
if [ $with_tests = 1 ]; then packages+=("${tests[@]}"); fi
if [ $with_bench = 1 ]; then packages+=("${bench[@]}"); fi
if [ -n "$python" ] && command -v "$python" >/dev/null \
   && ! "$python" -c 'import ensurepip, venv' >/dev/null 2>&1; then
  packages+=("python$("$python" -c 'import sys; print("%d.%d" % sys.version_info[:2])')-venv")
fi

if ! command -v apt-get >/dev/null || ! command -v dpkg-query >/dev/null; then
  {
    echo "guideprint: no apt on this machine: install these with its package manager"
    echo "  to build: Pango 1.44+ (with PangoFT2), fontconfig, HarfBuzz with its subset library;"
    echo "            the static fonts NotoSans-{Regular,Bold,Italic,BoldItalic}.ttf,"
    echo "            NotoSansMono-{Regular,Bold}.ttf, NotoColorEmoji.ttf, NotoSansCJK-{Regular,Bold}.ttc"
    echo "            and the Noto Sans script families builder/fonts.py lists (notofonts.github.io)"
    if [ $with_tests = 1 ]; then echo "  to test:  poppler (pdftoppm), zbar and Chromium"; fi
    if [ $with_bench = 1 ]; then echo "  to bench: pandoc"; fi
    echo "  e.g. macOS: brew install pango fontconfig harfbuzz poppler zbar, the fonts in ~/Library/Fonts"
    echo "  (tested on Debian; other Linux and macOS should work: README.md, Install)"
  } >&2
  exit 0
fi

missing=()
for p in "${packages[@]}"; do
  status=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)
  if [[ $status != *"install ok installed"* ]]; then missing+=("$p"); fi
done
if [ ${#missing[@]} -eq 0 ]; then exit 0; fi

install="apt-get install -y --no-install-recommends ${missing[*]}"
if [ "$(id -u)" -eq 0 ]; then
  sudo=()
elif command -v sudo >/dev/null; then
  sudo=(sudo)
else
  {
    echo "guideprint: missing system packages: ${missing[*]}"
    echo "  not root and no sudo here: ask an administrator to run, as root:"
    echo "    apt-get update && $install"
    echo "  then run make again (or GUIDEPRINT_SKIP_SYSTEM=1 make ... once they are installed)"
  } >&2
  exit 1
fi

echo "guideprint: installing system packages: ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
if ! { ${sudo[@]+"${sudo[@]}"} apt-get update -qq \
       && ${sudo[@]+"${sudo[@]}"} apt-get install -y -qq --no-install-recommends "${missing[@]}"; }; then
  {
    echo "guideprint: could not install: ${missing[*]}"
    echo "  run, as root: apt-get update && $install"
  } >&2
  exit 1
fi
