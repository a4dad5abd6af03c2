#!/bin/sh
# make demo: run the suite on the bundled sample (samples/enterprise).
# usage: tools/demo.sh BINDIR SAMPLE_FILE
set -e
BIN=$1
SAMPLE=$2
PATH="$BIN:$PATH"
export PATH
TZ=${TZ:-UTC}
export TZ
say() { printf '\n\033[1m== %s\033[0m\n$ %s\n' "$1" "$2"; }

say "The capture file's header" "flow-header < $SAMPLE"
flow-header < "$SAMPLE"

say "First flows, one line each (format 5)" "flow-cat $SAMPLE | flow-print -f 5 | head -n 12"
flow-cat "$SAMPLE" | flow-print -f 5 | head -n 12

say "Flow count, through a compressed big-endian round trip" \
    "flow-cat -z 6 -b big $SAMPLE | flow-cat | flow-print -f 6 | tail -n +2 | wc -l"
flow-cat -z 6 -b big "$SAMPLE" | flow-cat | flow-print -f 6 | tail -n +2 | wc -l

if command -v flow-filter >/dev/null 2>&1; then
    say "SYN-only TCP flows (scanners and worms probing)" \
        "flow-cat $SAMPLE | flow-filter -r 6 | flow-print -f 5 | head"
    flow-cat "$SAMPLE" | flow-filter -r 6 | flow-print -f 5 | head
fi
for cmd in flow-portrank flow-icmpdecode flow-zonecheck flow-topn; do
    command -v "$cmd" >/dev/null 2>&1 || continue
    case $cmd in
    flow-portrank) say "Scanners ranked by SYN-only flows" "flow-cat $SAMPLE | flow-portrank -t 50 -N -n 5 -p 3"
                   flow-cat "$SAMPLE" | flow-portrank -t 50 -N -n 5 -p 3 ;;
    flow-icmpdecode) say "Nachi: 92-byte ICMP echo" "flow-cat $SAMPLE | flow-icmpdecode -t 8 -s 92 | head"
                   flow-cat "$SAMPLE" | flow-icmpdecode -t 8 -s 92 | head ;;
    flow-zonecheck) say "Special zones" "flow-cat $SAMPLE | flow-zonecheck -z samples/enterprise/zones.txt"
                   flow-cat "$SAMPLE" | flow-zonecheck -z samples/enterprise/zones.txt || true ;;
    flow-topn) say "Top talkers by octets" "flow-cat $SAMPLE | flow-topn -k src -m octets -n 10"
                   flow-cat "$SAMPLE" | flow-topn -k src -m octets -n 10 ;;
    esac
done
