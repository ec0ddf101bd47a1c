/* sites_impl.h: an extract from a group of sites (build_sites.c, sites_read.c) */
#ifndef CHACC_SITES_IMPL_H
#define CHACC_SITES_IMPL_H

#include <pthread.h>

#include "extract_impl.h"
#include "store.h"

/* one site of the build */
struct site_read {
	const struct conn *conn;     /* the site (its name is the site's) */
	struct store_site *prev;     /* what etl_sites had of it, or NULL: new to the group */
	bool full;                   /* read in full: its rows the read lacks are removed */
	bool removed;                /* gone from the group: its rows are removed, it is not read */
	/* how its read went */
	char *error;                 /* why it failed (malloc'ed), NULL: read */
	long long rows;
	char *wm;                    /* its rows' watermark after the read, or NULL */
	bool open;
};

/* an extract from a group of sites under way */
struct sites_build {
	struct build *b;
	const struct site_group *g;
	bool full;                   /* the table is rebuilt: sites go into a shadow */
	const char *table;           /* the shadow, or the stage of an incremental build */
	struct db_names cols;        /* the columns a site's rows must have */
	struct site_read *reads;     /* the group's sites, then those gone from it */
	size_t nreads;
	/* the readers' */
	pthread_mutex_t mu;
	size_t next;                 /* the next site to read */
	char *fatal;                 /* an error that fails the build, or NULL */
};

/*
 * read every site of sb (not removed) into sb->table, up to req->jobs at
 * once; a site that fails says why in its error and leaves no row. 0, or -1
 * (bops_fail) when the build cannot go on
 */
int sites_read(struct sites_build *sb);

#endif
