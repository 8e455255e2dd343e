/* fuzz_config.c — libFuzzer target for the sweep-file loader.
 *
 * Each input is loaded twice: as a whole sweep file, and (its last line, if it holds an
 * '=') as a --set override on top of a fixed valid sweep, so both the file parser and
 * the override parser see arbitrary bytes.  A sweep that loads is also printed, printed
 * again from the printed text, and must keep its hash — the round trip
 * `critsweep check` relies on.  Any crash, leak, sanitizer report or broken round trip
 * is a finding. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "critsweep/config.h"
#include "critsweep/grid.h"

static const char base[] = "grid: {width: [8, 16], sigma_w2: {start: 0.5, stop: 2, num: 4}}\n"
                           "train: {enabled: false}\n";

static void exercise(const cs_sweep *s)
{
    /* Printing and re-parsing 10^5-point axes is correct but slow under ASan; the
     * round trip of big grids is covered by the unit test. */
    if (s->n_sigma_w2 + s->n_sigma_b2 + s->n_width + s->n_seed > 2000)
        return;
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    if (!f)
        return;
    config_print(s, f);
    fclose(f);
    cs_sweep again;
    cs_err err;
    if (config_load_text(buf, len, "printed.yaml", NULL, 0, &again, &err) == 0) {
        if (again.hash != s->hash) {
            fprintf(stderr, "round trip changed the hash %s -> %s\n%s", s->hash_hex,
                    again.hash_hex, buf);
            abort();
        }
        config_free(&again);
    } else if (!strstr(err.msg, "train.data")) { /* a dataset that vanished is fine */
        fprintf(stderr, "printed sweep does not load: %s\n%s", err.msg, buf);
        abort();
    }
    free(buf);
    long n = grid_task_count(s);
    if (n <= 20000) { /* keep each input fast */
        grid_index g;
        for (long t = 0; t < n; t += 1 + n / 64) {
            grid_coords(s, t, &g);
            if (grid_task(s, &g) != t)
                abort();
            (void)grid_task_cost(s, t);
        }
        (void)grid_estimate_seconds(s);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    cs_sweep s;
    cs_err err;
    if (config_load_text((const char *)data, size, "fuzz.yaml", NULL, 0, &s, &err) == 0)
        exercise(&s);
    config_free(&s);

    /* last line as an override */
    const char *text = (const char *)data;
    size_t start = size;
    while (start > 0 && text[start - 1] != '\n')
        start--;
    if (size - start > 0 && size - start < 512 && memchr(text + start, '=', size - start) &&
        !memchr(text + start, '\0', size - start)) {
        char *set = strndup(text + start, size - start);
        if (set) {
            const char *sets[] = {set};
            if (config_load_text(base, sizeof base - 1, "base.yaml", sets, 1, &s, &err) == 0)
                exercise(&s);
            config_free(&s);
            free(set);
        }
    }
    return 0;
}
