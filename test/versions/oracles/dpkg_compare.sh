#!/bin/sh
# Reads "A<TAB>B" lines on stdin, prints <, = or > per line with dpkg --compare-versions, "!" when dpkg errors out.
tab=$(printf '\t')
while IFS= read -r line; do
  a=${line%%"$tab"*}
  b=${line#*"$tab"}
  if dpkg --compare-versions "$a" lt "$b" 2>/dev/null; then echo "<"
  elif [ $? -ne 1 ]; then echo "!"
  elif dpkg --compare-versions "$a" eq "$b" 2>/dev/null; then echo "="
  else echo ">"
  fi
done
