# Reads "A<TAB>B" lines on stdin, prints <, = or > per line with R's compareVersion(), "!" when it fails.
lines <- readLines(file("stdin"), warn = FALSE)
out <- character(length(lines))
for (i in seq_along(lines)) {
  parts <- strsplit(lines[[i]], "\t", fixed = TRUE)[[1L]]
  r <- tryCatch(suppressWarnings(compareVersion(parts[[1L]], parts[[2L]])), error = function(e) NA)
  out[[i]] <- if (is.na(r)) "!" else if (r < 0) "<" else if (r > 0) ">" else "="
}
writeLines(out)
