/* phase.h — derived tables and figures; written by the phase module. */
#ifndef CRITSWEEP_PHASE_H
#define CRITSWEEP_PHASE_H
#include "critsweep/common.h"
/* Computes the derived datasets (store.h) from a results file and writes them into it
 * (serial HDF5, the file must not be open elsewhere).  0 or an error code. */
int phase_write_derived(const char *path, cs_err *err);
#endif
