# Reads "A<TAB>B" lines on stdin, prints <, = or > per line with rpm's own EVR parser and comparison,
# "!" when rpm refuses to parse either version.
import sys
import rpm

for line in sys.stdin.buffer.read().decode("utf-8").split("\n")[:-1]:
    a, b = line.split("\t")
    try:
        x, y = rpm.ver(a), rpm.ver(b)
    except ValueError:
        print("!")
        continue
    print("<" if x < y else ">" if x > y else "=")
