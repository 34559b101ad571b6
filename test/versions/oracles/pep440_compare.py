# Reads "A<TAB>B" lines on stdin, prints <, = or > per line with packaging.version, "!" if either is invalid.
import sys
from packaging.version import Version, InvalidVersion

for line in sys.stdin.buffer.read().decode("utf-8").split("\n")[:-1]:
    a, b = line.split("\t")
    try:
        x, y = Version(a), Version(b)
    except InvalidVersion:
        print("!")
        continue
    print("<" if x < y else ">" if x > y else "=")
