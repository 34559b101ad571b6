# Reads "A<TAB>B" lines on stdin, prints <, = or > per line with Gem::Version, "!" if either is invalid.
require "rubygems"
STDIN.binmode
STDIN.read.force_encoding("UTF-8").split("\n", -1)[0...-1].each do |line|
  a, b = line.split("\t", -1)
  if Gem::Version.correct?(a) && Gem::Version.correct?(b)
    r = Gem::Version.new(a) <=> Gem::Version.new(b)
    puts(r < 0 ? "<" : r > 0 ? ">" : "=")
  else
    puts "!"
  end
end
