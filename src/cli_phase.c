/* stub: not written yet */
#include "critsweep/cli.h"
#include "critsweep/common.h"
int cli_phase(int argc, char **argv) { (void)argc; (void)argv; return cli_usage_error("phase", "not implemented yet"); }
int cli_fss(int argc, char **argv) { (void)argc; (void)argv; return cli_usage_error("fss", "not implemented yet"); }
