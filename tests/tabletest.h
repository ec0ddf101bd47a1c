/*
 * tabletest.h: checks of table operations that every engine passes, for
 * the engines' suites (check_db_table.c, check_pg.c)
 */
#ifndef CHACC_TABLETEST_H
#define CHACC_TABLETEST_H

#include <check.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>

#include "db.h"

/* a connection counting the rows of t until done */
struct swap_reader {
	struct db *d;
	atomic_int done;
	int reads, failed;
	char err[256];
};

static void *
swap_reader_run(void *arg)
{
	struct swap_reader *r = arg;

	while (!atomic_load(&r->done)) {
		char *v = NULL;

		if (db_value(r->d, &v, "SELECT COUNT(*) FROM t") < 0 && !r->failed++)
			snprintf(r->err, sizeof(r->err), "%s", db_error(r->d));
		r->reads++;
		free(v);
	}
	return NULL;
}

/*
 * swaps are atomic: 30 times, a shadow of one row (id i) takes the place of
 * table t of d while reader, another connection to it, counts t's rows. No
 * read fails (the table is never missing), and no shadow or old table stays
 */
static inline void
assert_swaps_atomic(struct db *d, struct db *reader)
{
	struct swap_reader r = { .d = reader };
	pthread_t th;

	ck_assert_int_eq(pthread_create(&th, NULL, swap_reader_run, &r), 0);
	for (int i = 0; i < 30; i++) {
		ck_assert_int_eq(db_drop_table(d, "shadow", false), 0);
		ck_assert_int_eq(db_create_like(d, "shadow", "t", false), 0);
		ck_assert_int_eq(db_execf(d, "INSERT INTO shadow (id, v) VALUES (%d, 'x')", i), 0);
		ck_assert_msg(db_swap(d, "t", "shadow", "old_t") == 0, "%s", db_error(d));
		ck_assert(!db_table_exists(d, "shadow"));
		ck_assert(!db_table_exists(d, "old_t"));
	}
	atomic_store(&r.done, 1);
	pthread_join(th, NULL);
	ck_assert_int_gt(r.reads, 0);
	ck_assert_msg(r.failed == 0, "%d reads of %d failed: %s", r.failed, r.reads, r.err);
}

#endif
