/* sdfile.h — avalanche sizes S and durations D from a file (`critsweep fit`), read in a
 * stream: the rows go to a callback and only what it keeps stays in memory. */
#ifndef CRITSWEEP_SDFILE_H
#define CRITSWEEP_SDFILE_H

/* Returns 0 to go on; anything else stops the read and is returned (the callback prints
 * its own message). */
typedef int (*sdfile_row_fn)(void *ctx, double s, double d);

/* Calls row(ctx, S, D) for every row of path, in file order.  Text: whitespace- or
 * comma-separated columns, '#' comments, an optional header line naming the columns
 * (without one, column 1 is S and column 2 is D).  HDF5: one-dimensional numeric
 * datasets, read in blocks.  col_s, col_d: column names (header or datasets) or 1-based
 * numbers; NULL for "S" and "D".  S must be finite, D a whole number >= 0.  Bad input is
 * reported on stderr as "critsweep fit: FILE:LINE: field 'NAME': ..." (FILE:NAME[i] in
 * HDF5) and returns CS_EXIT_USAGE.  *rows: rows passed to row. */
int sdfile_read(const char *path, const char *col_s, const char *col_d, sdfile_row_fn row,
                void *ctx, long *rows);

#endif
