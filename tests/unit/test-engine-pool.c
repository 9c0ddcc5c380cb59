/* The EnginePool (engine.h): a freed Engine goes back and is handed out again; at most max_idle
 * wait; one left in a transaction, or with a statement open, is freed instead; an Engine may
 * outlive its pool; a trim frees the idle ones only; the pool's opens leave stale layer dirs alone, a plain open removes them;
 * engine_db() serves the container list on the Engine's own connection. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sqlite3.h>

#include "containers.h"
#include "engine.h"
#include "util.h"

typedef struct Fixture {
        char root[64];
        EnginePool *pool;
} Fixture;

static int setup(void **state)
{
        Fixture *f = xmalloc0(sizeof(*f));
        snprintf(f->root, sizeof(f->root), "/tmp/lade-test-pool.XXXXXX");
        assert_non_null(mkdtemp(f->root));
        EngineOptions o = { .root = f->root };
        f->pool = engine_pool_new(&o, 2);
        *state = f;
        return 0;
}

static int teardown(void **state)
{
        Fixture *f = *state;
        engine_pool_free(f->pool);
        (void) rm_rf_at(AT_FDCWD, f->root);
        free(f);
        return 0;
}

static void test_reuse_and_limit(void **state)
{
        Fixture *f = *state;
        Engine *a, *b, *c, *again;
        assert_int_equal(engine_pool_get(f->pool, &a, NULL), 0);
        assert_int_equal(engine_pool_n_idle(f->pool), 0);
        assert_null(engine_free(a));
        assert_int_equal(engine_pool_n_idle(f->pool), 1);
        assert_int_equal(engine_pool_get(f->pool, &again, NULL), 0);
        assert_ptr_equal(again, a);
        assert_int_equal(engine_pool_n_idle(f->pool), 0);
        assert_int_equal(engine_pool_get(f->pool, &b, NULL), 0);
        assert_int_equal(engine_pool_get(f->pool, &c, NULL), 0);
        assert_ptr_not_equal(b, again);
        assert_ptr_not_equal(c, b);
        engine_free(again);
        engine_free(b);
        engine_free(c);          /* the third finds the pool full: freed */
        assert_int_equal(engine_pool_n_idle(f->pool), 2);
}

static void test_dirty_not_reused(void **state)
{
        Fixture *f = *state;
        Engine *e;
        assert_int_equal(engine_pool_get(f->pool, &e, NULL), 0);
        sqlite3 *db = image_store_db(engine_images(e));
        assert_non_null(db);
        assert_int_equal(sqlite3_exec(db, "BEGIN IMMEDIATE", NULL, NULL, NULL), SQLITE_OK);
        engine_free(e);
        assert_int_equal(engine_pool_n_idle(f->pool), 0);

        /* a statement left open (a caller's bug) is not handed to the next user either */
        assert_int_equal(engine_pool_get(f->pool, &e, NULL), 0);
        db = image_store_db(engine_images(e));
        sqlite3_stmt *st;
        assert_int_equal(sqlite3_prepare_v2(db, "SELECT 1", -1, &st, NULL), SQLITE_OK);
        engine_free(e);
        assert_int_equal(engine_pool_n_idle(f->pool), 0);
        /* sqlite3_close() refused the connection with st open: it is still there, ours to end */
        assert_int_equal(sqlite3_finalize(st), SQLITE_OK);
        assert_int_equal(sqlite3_close(db), SQLITE_OK);

        /* a connection released (around a fork) is reopened on the way back */
        assert_int_equal(engine_pool_get(f->pool, &e, NULL), 0);
        image_store_release_db(engine_images(e));
        engine_free(e);
        assert_int_equal(engine_pool_n_idle(f->pool), 1);
        assert_int_equal(engine_pool_get(f->pool, &e, NULL), 0);
        assert_non_null(image_store_db(engine_images(e)));
        engine_free(e);
}

static void test_trim(void **state)
{
        Fixture *f = *state;
        Engine *a, *b;
        assert_int_equal(engine_pool_get(f->pool, &a, NULL), 0);
        assert_int_equal(engine_pool_get(f->pool, &b, NULL), 0);
        engine_free(a);
        engine_pool_trim(f->pool);      /* frees the idle one; b, in use, is not touched */
        assert_int_equal(engine_pool_n_idle(f->pool), 0);
        assert_non_null(image_store_db(engine_images(b)));
        engine_free(b);                 /* still the pool's: back into it */
        assert_int_equal(engine_pool_n_idle(f->pool), 1);
        assert_int_equal(engine_pool_get(f->pool, &a, NULL), 0);
        assert_ptr_equal(a, b);
        engine_free(a);
}

static void test_outlives_pool(void **state)
{
        Fixture *f = *state;
        Engine *e;
        assert_int_equal(engine_pool_get(f->pool, &e, NULL), 0);
        f->pool = engine_pool_free(f->pool);
        /* the pool is closed: the Engine is freed, and the pool with it (ASan sees a leak or a
         * use after free otherwise) */
        assert_null(engine_free(e));
}

static void test_stale_layers(void **state)
{
        Fixture *f = *state;
        _cleanup_free_ char *layers = xasprintf("%s/layers", f->root);
        _cleanup_free_ char *stale = xasprintf("%s/layers/tmp-killed", f->root);
        (void) mkdir(layers, 0700);
        assert_int_equal(mkdir(stale, 0700), 0);
        Engine *e;
        assert_int_equal(engine_pool_get(f->pool, &e, NULL), 0);
        engine_free(e);
        assert_int_equal(access(stale, F_OK), 0);      /* the pool's opens skip the scan */
        EngineOptions o = { .root = f->root };
        assert_int_equal(engine_open(&o, &e, NULL), 0);
        engine_free(e);
        assert_int_equal(access(stale, F_OK), -1);     /* a plain open removes it */
}

static void test_list_on_engine_db(void **state)
{
        Fixture *f = *state;
        Engine *e;
        /* a new root: engine_db() creates the containers table before the list's SELECT */
        assert_int_equal(engine_pool_get(f->pool, &e, NULL), 0);
        ContainerInfo **l = NULL;
        size_t n = 99;
        assert_int_equal(engine_container_list(e, true, &l, &n, NULL), 0);
        assert_int_equal(n, 0);
        container_info_list_free(l, n);
        assert_true(image_store_idle(engine_images(e)));
        engine_free(e);
        assert_int_equal(engine_pool_n_idle(f->pool), 1);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test_setup_teardown(test_reuse_and_limit, setup, teardown),
                cmocka_unit_test_setup_teardown(test_dirty_not_reused, setup, teardown),
                cmocka_unit_test_setup_teardown(test_trim, setup, teardown),
                cmocka_unit_test_setup_teardown(test_outlives_pool, setup, teardown),
                cmocka_unit_test_setup_teardown(test_stale_layers, setup, teardown),
                cmocka_unit_test_setup_teardown(test_list_on_engine_db, setup, teardown),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
