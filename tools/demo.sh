#!/bin/sh
# make demo: the suite's main job on the bundled sample (samples/enterprise):
# read the capture, then run every detection method of the two articles.
# usage: tools/demo.sh BINDIR SAMPLE_FILE
set -e
BIN=$1
SAMPLE=$2
DIR=$(dirname "$SAMPLE")
ACL="$DIR/site.acl"
PATH="$BIN:$PATH"
export PATH
TZ=${TZ:-UTC}
export TZ
say() { printf '\n== %s\n$ %s\n' "$1" "$2"; }
run() { say "$1" "$2"; sh -c "$2" || [ $? -eq 2 ]; }

run "The capture file's header" "flow-header < $SAMPLE"
run "First flows, one line each" "flow-print -f 5 < $SAMPLE | head -n 8"
run "Top N data: internal sources by octets" \
    "flow-cat $SAMPLE | flow-filter -f $ACL -S ours | flow-topn -k src -m octets -n 5"
run "Top N sessions: internal sources by flows" \
    "flow-cat $SAMPLE | flow-filter -f $ACL -S ours | flow-topn -k src -m flows -n 5"
run "TCP flags: internal hosts with many SYN-only flows, and the ports they probe" \
    "flow-cat $SAMPLE | flow-filter -f $ACL -S ours | flow-portrank -t 25 -N -p 3"
run "TCP flags: outside scanners" \
    "flow-cat $SAMPLE | flow-filter -f $ACL -S notours -D ours | flow-portrank -t 40 -p 3"
run "TCP flags: internal hosts receiving RST/ACK from outside (probes of closed ports)" \
    "flow-cat $SAMPLE | flow-filter -f $ACL -S notours -D ours | flow-portrank -d -t 10 -p 3"
run "ICMP: Nachi's 92-byte echo requests, per source" \
    "flow-cat $SAMPLE | flow-icmpdecode -t 8 -s 92 -F | flow-topn -k src -n 3"
run "ICMP: internal hosts receiving unreachables (UDP worms, Slammer)" \
    "flow-cat $SAMPLE | flow-filter -f $ACL -D ours | flow-icmpdecode -u -T 15"
run "Ports: SQL Slammer (UDP 1434), per source" \
    "flow-cat $SAMPLE | flow-filter -r 17 -P 1434 | flow-topn -k src -m packets -n 3"
run "Mass mailer: inside hosts talking SMTP to many outside servers" \
    "flow-cat $SAMPLE | flow-filter -f $ACL -S ours -D notours | flow-topn -P 25 -r 6 -k src -m peers -t 100"
run "Reserved addresses: spoofed IANA-reserved sources (first flows)" \
    "flow-cat $SAMPLE | flow-filter -f iana-reserved.acl -S iana_reserved | flow-print -f 5 | head -n 6"
run "Special zones: hardened DMZ servers (exit status 2 = alerts)" \
    "flow-cat $SAMPLE | flow-zonecheck -z $DIR/zones.txt -L 135.169.0.0/16"
