#!/bin/sh
# generate.sh: regenerate the prompt audio from the prompt texts.
# Each NAME.txt becomes NAME.ulaw: 8 kHz, mono, G.711 u-law, headerless
# (what src/media/prompt.c loads and what RTP carries, RFC 3551 §4.5.14).
# Needs espeak-ng and sox (scripts/deps.sh installs both). Run it from
# anywhere; it writes next to itself. The output is committed, so a build
# never needs a speech synthesizer.
set -eu

dir=$(cd "$(dirname "$0")" && pwd)
voice=${DIALCONF_PROMPT_VOICE:-en-us}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT INT TERM

for txt in "$dir"/*.txt; do
	name=$(basename "$txt" .txt)
	# -s 150: a little slower than the default, as IVR prompts are.
	espeak-ng -v "$voice" -s 150 -w "$tmp/$name.wav" -f "$txt"
	# Resample to telephone rate, normalise to -3 dBFS so every prompt
	# has the same loudness, and add 200 ms of silence at the end. -D: no
	# dither, whose noise is random, so the same text gives the same bytes.
	sox -D "$tmp/$name.wav" -r 8000 -c 1 -t ul "$dir/$name.ulaw" \
		norm -3 pad 0 0.2
	echo "prompts: $name.ulaw"
done
