/* Shared by image-store.c (writes) and image-query.c (reads, removal). */
#pragma once

#include <sqlite3.h>

#include "image-store.h"

struct ImageStore {
        char *root;
        BlobStore *blobs;
        sqlite3 *db;
};
