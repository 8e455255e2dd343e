/* stub: not written yet */
#include "critsweep/cli.h"
#include "critsweep/common.h"
int cli_check(int argc, char **argv) { (void)argc; (void)argv; return cli_usage_error("check", "not implemented yet"); }
