#!/bin/sh
# generate.sh: regenerate the prompt audio from the prompt texts, for every
# language of ./languages (or only the tags given: generate.sh fr-FR).
# Each DIR/NAME.txt becomes DIR/NAME.ulaw: 8 kHz, mono, G.711 u-law,
# headerless (what src/media/prompt.c loads and what RTP carries, RFC 3551
# §4.5.14). DIR/language-menu.txt is a template, not a prompt: {NAME} is
# the language's own name (./languages) and {N} a digit, and it becomes
# DIR/language-menu-1.ulaw .. language-menu-9.ulaw ("For English, press
# 2."), what the welcome offers on a number with several languages.
# Needs espeak-ng and sox (scripts/deps.sh installs both). Run it from
# anywhere; it writes next to itself. The output is committed, so a build
# never needs a speech synthesizer.
set -eu

dir=$(cd "$(dirname "$0")" && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT INT TERM

# speak VOICE TEXTFILE OUT.ulaw
speak() {
	# -s 150: a little slower than the default, as IVR prompts are.
	espeak-ng -v "$1" -s 150 -w "$tmp/p.wav" -f "$2"
	# Resample to telephone rate, normalise to -3 dBFS so every prompt
	# has the same loudness, and add 200 ms of silence at the end. -D: no
	# dither, whose noise is random, so the same text gives the same bytes.
	sox -D "$tmp/p.wav" -r 8000 -c 1 -t ul "$3" norm -3 pad 0 0.2
}

# language TAG DIR VOICE NAME: every prompt of one language.
language() {
	ldir="$dir/$2"
	for txt in "$ldir"/*.txt; do
		name=$(basename "$txt" .txt)
		[ "$name" = language-menu ] && continue
		speak "$3" "$txt" "$ldir/$name.ulaw"
		echo "prompts: $1 $name.ulaw"
	done
	for n in 1 2 3 4 5 6 7 8 9; do
		sed -e "s/{NAME}/$4/g" -e "s/{N}/$n/g" \
			"$ldir/language-menu.txt" >"$tmp/menu.txt"
		speak "$3" "$tmp/menu.txt" "$ldir/language-menu-$n.ulaw"
	done
	echo "prompts: $1 language-menu-1..9.ulaw"
}

# One line of ./languages: TAG DIR VOICE NAME (the name may have spaces).
grep -v '^[[:space:]]*\(#\|$\)' "$dir/languages" |
while read -r tag ldir voice name; do
	if [ $# -gt 0 ]; then
		case " $* " in *" $tag "*) ;; *) continue ;; esac
	fi
	language "$tag" "$ldir" "$voice" "$name"
done
