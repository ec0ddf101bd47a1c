/*
 * storeapi_cases_live.h: the store's contract, continued (storeapi_cases.h
 * includes it): the live read and the history's filter
 */
#ifndef CHACC_STOREAPI_CASES_LIVE_H
#define CHACC_STOREAPI_CASES_LIVE_H

/* the live read: what runs and targets did since the previous read, in one read */
static const struct store_live_target *
live_target(const struct store_live_run *r, const char *name)
{
	for (size_t i = 0; i < r->ntargets; i++)
		if (strcmp(r->targets[i].target, name) == 0)
			return &r->targets[i];
	ck_abort_msg("%s: run %lld has no target %s", be->name, r->run_id, name);
	return NULL;
}

/* run id of a live read (the read may hold runs that ended just before since too) */
static const struct store_live_run *
live_run(const struct store_live *l, long long id)
{
	for (size_t i = 0; i < l->nruns; i++)
		if (l->runs[i].run_id == id)
			return &l->runs[i];
	ck_abort_msg("%s: no run %lld in the live read", be->name, id);
	return NULL;
}

START_TEST(test_live_read)
{
	struct store *st, *other;
	struct store_live l;
	struct store_live_query q = { .after = -1 };
	const struct store_live_run *r;
	const struct store_live_target *t;
	long long id, id2, ids[1];
	char *err = NULL, *note = NULL, since[TS_LEN];
	double t0 = wall_seconds();

	be = &contract_backends[_i];
	be->setup();
	st = open_store("clinic");
	other = open_store("other");
	/* no etl_ tables yet: no runs, no error */
	ck_assert_msg(store_live_read(st, &q, &l) == 0, "%s: %s", be->name, store_error(st));
	ck_assert_int_eq(l.nruns, 0);
	store_live_release(&l);
	ck_assert_msg(store_schema_upgrade(st, &err, &note) >= 0, "%s: %s", be->name, err);
	free(note);
	/* the first read: the running runs of the recipe only, with the newest id */
	id = store_run_begin(st, "incremental", NULL, "cron", NULL, false);
	ck_assert_int_eq(store_run_end(st, id, "success"), 0);
	id = store_run_begin(st, "incremental", "people", "ada", NULL, false);
	ck_assert(store_run_begin(other, "full-refresh", NULL, "bob", NULL, false) > id);
	ck_assert_int_eq(store_run_target_building(st, id, "people", "changed", "incremental",
	                                           t0, 1), 0);
	ck_assert_int_eq(store_live_read(st, &q, &l), 0);
	ck_assert_int_eq(strlen(l.now), TS_LEN - 1);
	ck_assert_int_eq(l.top, id);
	ck_assert_int_eq(l.nruns, 1);
	ck_assert_int_eq(l.runs[0].run_id, id);
	ck_assert_str_eq(l.runs[0].result, "running");
	ck_assert_str_eq(l.runs[0].started_by, "ada");
	ck_assert_str_eq(l.runs[0].selection, "people");
	ck_assert(l.runs[0].seconds < 0 && !*l.runs[0].ended_at);
	ck_assert_int_eq(l.runs[0].ntargets, 1);
	t = &l.runs[0].targets[0];
	ck_assert_str_eq(t->outcome, "building");
	ck_assert_int_eq(t->attempts, 1);
	ck_assert(t->rows == -1 && t->seconds < 0 && t->changed == -1 && !t->error);
	ck_assert(*t->started_at && !*t->ended_at);
	q.after = l.top;
	snprintf(since, sizeof(since), "%s", l.now);
	store_live_release(&l);
	/* built (changing rows), skipped; a new run; the running one named */
	ck_assert_int_eq(store_marker_finish(st, "people", id, "h", NULL, false, 4, 9, 1.5, NULL,
	                                     false), 0);
	ck_assert_int_eq(store_run_target_record(st, id, "people", "changed", "incremental", t0,
	                                         t0 + 1.5, 9, 2, "built", NULL), 0);
	ck_assert_int_eq(store_run_target_unstarted(st, id, "visits", "changed", "full", "skipped",
	                                            "need 'people' failed"), 0);
	ck_assert_int_eq(store_run_end(st, id, "success"), 0);
	id2 = store_run_begin(st, "forced", NULL, "cy", NULL, false);
	ids[0] = id;
	q.since = since;
	q.ids = ids;
	q.nids = 1;
	ck_assert_int_eq(store_live_read(st, &q, &l), 0);
	ck_assert_int_eq(l.top, id2);
	ck_assert_int_eq(l.runs[l.nruns - 1].run_id, id2);      /* by id */
	r = live_run(&l, id);
	ck_assert_str_eq(r->result, "success");
	ck_assert(r->seconds >= 0 && *r->ended_at);
	ck_assert_int_eq(r->ntargets, 2);
	ck_assert_str_eq(r->targets[1].target, "visits");       /* never started: last */
	t = live_target(r, "people");
	ck_assert_str_eq(t->outcome, "built");
	ck_assert_int_eq(t->rows, 9);
	ck_assert_int_eq(t->attempts, 2);
	ck_assert_int_eq(t->changed, 1);
	ck_assert_msg(fabs(t->seconds - 1.5) < 0.01, "%s: %f seconds", be->name, t->seconds);
	t = live_target(r, "visits");
	ck_assert_str_eq(t->outcome, "skipped");
	ck_assert_str_eq(t->error, "need 'people' failed");
	ck_assert(!*t->started_at && t->seconds < 0 && t->rows == -1 && t->changed == -1);
	ck_assert_int_eq(live_run(&l, id2)->ntargets, 0);
	store_live_release(&l);
	/* a build that changed nothing */
	ck_assert_int_eq(store_marker_finish(st, "people", id2, "h", NULL, false, 0, 9, 0.5, NULL,
	                                     false), 0);
	ck_assert_int_eq(store_run_target_record(st, id2, "people", "forced", "incremental", t0,
	                                         t0 + 0.5, 9, 1, "built", NULL), 0);
	q.after = id2;
	q.nids = 0;
	ck_assert_int_eq(store_live_read(st, &q, &l), 0);
	/* id ended since the previous read; id2 runs */
	ck_assert_int_eq(live_target(live_run(&l, id2), "people")->changed, 0);
	/* the older run's build is not the marker's any more */
	ck_assert_int_eq(live_target(live_run(&l, id), "people")->changed, -1);
	store_live_release(&l);
	/* what ended long before since, is not new and not named is left out */
	ck_assert_int_eq(store_run_end(st, id2, "success"), 0);
	q.since = "2999-01-01 00:00:00.000000";
	ck_assert_int_eq(store_live_read(st, &q, &l), 0);
	ck_assert_int_eq(l.nruns, 0);
	ck_assert_int_eq(l.top, id2);
	store_live_release(&l);
	end();
}
END_TEST

/* the history filtered by mode, result and start, a page at a time, with how many match */
START_TEST(test_runs_find)
{
	static const char *const names[4] = { "mode", "result", "from", "to" };
	static const char *const modes[] = { "incremental", "full-refresh", "incremental",
		                             "scheduled", "incremental" };
	static const char *const ends[] = { "success", "failed", "success", RUN_NOTHING_TO_DO,
		                            NULL };
	struct store *st = begin(_i, "clinic"), *other = open_store("other");
	struct store_runs_filter f = { 0 };
	char from[TS_LEN], until[TS_LEN], now[TS_LEN], day[11], *err = NULL;
	long long ids[5], total = -1;
	struct store_rows *r;

	ck_assert_int_eq(store_now(st, now), 0);
	for (size_t i = 0; i < 5; i++) {
		ids[i] = store_run_begin(st, modes[i], NULL, "tester", NULL, false);
		if (ends[i])
			ck_assert_int_eq(store_run_end(st, ids[i], ends[i]), 0);
	}
	store_run_end(other, store_run_begin(other, "incremental", NULL, "x", NULL, false),
	              "success");
	/* all of the recipe's, newest first, a page of 2 from the second */
	f.limit = 2;
	f.offset = 1;
	ck_assert_ptr_nonnull((r = store_runs_find(st, &f, &total)));
	assert_cols(r, "run_id,mode,result,started_by,started_at,ended_at,seconds,config_rev,"
	            "config_dirty,selection");
	ck_assert_int_eq(total, 5);
	ck_assert_int_eq(r->nrows, 2);
	ck_assert_int_eq(atoll(cell(r, 0, "run_id")), ids[3]);
	ck_assert_int_eq(atoll(cell(r, 1, "run_id")), ids[2]);
	store_rows_free(r);
	/* by mode and result */
	memset(&f, 0, sizeof(f));
	ck_assert_int_eq(store_runs_filter_parse(&f, names, "incremental", "success", NULL, "",
	                                         from, until, &err), 0);
	ck_assert_ptr_nonnull((r = store_runs_find(st, &f, &total)));
	ck_assert_int_eq(total, 2);
	ck_assert_int_eq(atoll(cell(r, 0, "run_id")), ids[2]);
	ck_assert_int_eq(atoll(cell(r, 1, "run_id")), ids[0]);
	store_rows_free(r);
	f.result = "running";
	ck_assert_ptr_nonnull((r = store_runs_find(st, &f, &total)));
	ck_assert_int_eq(total, 1);
	ck_assert_int_eq(atoll(cell(r, 0, "run_id")), ids[4]);
	store_rows_free(r);
	/* by the day they started: today's are all there, none tomorrow's or before */
	snprintf(day, sizeof(day), "%.10s", now);
	ck_assert_int_eq(store_runs_filter_parse(&f, names, NULL, NULL, day, day, from, until,
	                                         &err), 0);
	ck_assert_int_eq(strlen(f.until), 19);
	ck_assert_ptr_nonnull((r = store_runs_find(st, &f, &total)));
	ck_assert_int_eq(total, 5);
	store_rows_free(r);
	ck_assert_int_eq(store_runs_filter_parse(&f, names, NULL, NULL, NULL, "2000-01-01 10:00",
	                                         from, until, &err), 0);
	ck_assert_str_eq(f.until, "2000-01-01 10:00:00");
	ck_assert_ptr_nonnull((r = store_runs_find(st, &f, &total)));
	ck_assert_int_eq(total, 0);
	ck_assert_int_eq(r->nrows, 0);
	store_rows_free(r);
	f.until = NULL;
	f.from = "2999-01-01 00:00:00";
	ck_assert_ptr_nonnull((r = store_runs_find(st, &f, &total)));
	ck_assert_int_eq(total, 0);
	store_rows_free(r);
	/* what is wrong names its parameter */
	ck_assert_int_eq(store_runs_filter_parse(&f, names, "sideways", NULL, NULL, NULL, from,
	                                         until, &err), -1);
	ck_assert_msg(strstr(err, "invalid mode 'sideways'"), "%s", err);
	free(err);
	ck_assert_int_eq(store_runs_filter_parse(&f, names, NULL, "ok", NULL, NULL, from, until,
	                                         &err), -1);
	ck_assert_msg(strstr(err, "invalid result 'ok'"), "%s", err);
	free(err);
	ck_assert_int_eq(store_runs_filter_parse(&f, names, NULL, NULL, "2024-02-30", NULL, from,
	                                         until, &err), -1);
	ck_assert_msg(strstr(err, "invalid from '2024-02-30'"), "%s", err);
	free(err);
	ck_assert_int_eq(store_runs_filter_parse(&f, names, NULL, NULL, "2024-03-02", "2024-03-01",
	                                         from, until, &err), -1);
	ck_assert_msg(strstr(err, "invalid to '2024-03-01'"), "%s", err);
	free(err);
	end();
}
END_TEST

#endif
