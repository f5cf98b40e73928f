#!/usr/bin/env bash
# Builds the web page into services/edge/web/dist (committed; the edge serves
# or embeds it). Installs the versions package-lock.json pins.
set -euo pipefail
cd "$(dirname "$0")"
# `npm ci` is exact; some registry mirrors omit other platforms' optional
# packages from the lock, which `npm ci` rejects, so fall back to an install
# that still follows the lock without rewriting it.
npm ci --no-fund --no-audit --loglevel=error 2>/dev/null ||
  npm install --no-save --no-fund --no-audit --loglevel=error
npm test --silent
npx vite build
