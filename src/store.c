/*
 * store.c - picks the store backend for a data directory.
 */
#include "store.h"

#include <stdio.h>

tg_status store_open(store **out, const char *data_dir)
{
    char path[4096];

    if (snprintf(path, sizeof path, "%s/totpgate.db", data_dir) >= (int)sizeof path)
        return TG_ERR_INVALID_ARG;
    return store_sqlite_open(out, path);
}

void store_close(store *s)
{
    if (s != NULL)
        s->ops->close(s);
}
