/* stub: not written yet */
#include "critsweep/cli.h"
#include "critsweep/common.h"
int cli_point(int argc, char **argv) { (void)argc; (void)argv; return cli_usage_error("point", "not implemented yet"); }
int cli_fit(int argc, char **argv) { (void)argc; (void)argv; return cli_usage_error("fit", "not implemented yet"); }
int cli_meanfield(int argc, char **argv) { (void)argc; (void)argv; return cli_usage_error("meanfield", "not implemented yet"); }
