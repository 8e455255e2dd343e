/* config.c — not written yet. */
#include "critsweep/common.h"
