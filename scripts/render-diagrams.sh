#!/usr/bin/env bash
# Draws every shipped line into docs/: LINE.dot and LINE.mmd (the sources, checked by
# `cargo test` to match the flows) and LINE.svg (rendered with Graphviz). Run after editing a flow.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --quiet
for file in call-flows/*.toml; do
  line=$(basename "$file" .toml)
  target/debug/switchboard graph --line "$line" --format dot > "docs/$line.dot"
  target/debug/switchboard graph --line "$line" --format mermaid > "docs/$line.mmd"
  dot -Tsvg "docs/$line.dot" > "docs/$line.svg"
  echo "docs/$line.svg"
done
