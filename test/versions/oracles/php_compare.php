<?php
// Reads "A<TAB>B" lines on stdin, prints <, = or > per line with version_compare() after dropping a leading v/V.
$lines = explode("\n", stream_get_contents(STDIN));
array_pop($lines);
foreach ($lines as $line) {
    [$a, $b] = explode("\t", $line);
    $strip = fn($v) => (strlen($v) > 1 && ($v[0] === 'v' || $v[0] === 'V')) ? substr($v, 1) : $v;
    $r = version_compare($strip($a), $strip($b));
    echo $r < 0 ? "<" : ($r > 0 ? ">" : "="), "\n";
}
