/* stub: not written yet */
#include "critsweep/cli.h"
#include "critsweep/common.h"
int cli_run(int argc, char **argv) { (void)argc; (void)argv; return cli_usage_error("run", "not implemented yet"); }
int cli_status(int argc, char **argv) { (void)argc; (void)argv; return cli_usage_error("status", "not implemented yet"); }
int cli_export(int argc, char **argv) { (void)argc; (void)argv; return cli_usage_error("export", "not implemented yet"); }
