/* check_recipe_errors.c: every kind of recipe error a user can make, as text and as data */
#include "recipetest.h"

START_TEST(test_syntax_error)
{
	char *err = fails(ERR "syntax.yml");

	ck_assert_has(err, ERR "syntax.yml:7:11: syntax error: mapping values are not allowed");
	ck_assert_uint_eq(nlines(err), 1);
	free(err);
}
END_TEST

START_TEST(test_unknown_key)
{
	char *err = fails(ERR "unknown_key.yml");

	ck_assert_has(err, ERR "unknown_key.yml:7:5: unknown key 'kidn' in target: "
	              "did you mean 'kind'?\n");
	ck_assert_has(err, ERR "unknown_key.yml:6:5: missing required key 'kind' in target\n");
	free(err);
}
END_TEST

START_TEST(test_wrong_type)
{
	char *err = fails(ERR "wrong_type.yml");

	ck_assert_has(err, ERR "wrong_type.yml:3:7: expected a string for 'name', got a sequence\n");
	ck_assert_has(err, ERR "wrong_type.yml:9:12: expected a sequence for 'needs', got a string\n");
	ck_assert_has(err, ERR "wrong_type.yml:10:18: expected true, false or a mapping for "
	    "'incremental', got a sequence\n");
	free(err);
}
END_TEST

START_TEST(test_drivers)
{
	char *err = fails(ERR "drivers.yml");

	ck_assert_has(err, ERR "drivers.yml:5:13: unsupported driver 'postgresql': did you mean "
	              "'postgres'? (expected mariadb or postgres)\n");
	ck_assert_has(err, ERR "drivers.yml:7:13: unsupported driver 'oracle' (expected mariadb or "
	              "postgres)\n");
	ck_assert_has(err, ERR "drivers.yml:8: connection 'maria': 'schema' is a PostgreSQL "
	              "setting, and its driver is 'mariadb'");
	ck_assert_uint_eq(nlines(err), 3);
	free(err);
}
END_TEST

START_TEST(test_missing_key)
{
	char *err = fails(ERR "missing_key.yml");

	ck_assert_has(err, ERR "missing_key.yml:1:1: missing required key 'target' in recipe\n");
	ck_assert_has(err, ERR "missing_key.yml:5:5: missing required key 'name' in target\n");
	free(err);
}
END_TEST

START_TEST(test_bad_values)
{
	char *err = fails(ERR "bad_values.yml");

	ck_assert_has(err, ERR "bad_values.yml:5:11: invalid port '70000': expected a whole number from 1 to 65535\n");
	ck_assert_has(err, ERR "bad_values.yml:9:11: invalid kind 'view' "
	    "(expected extract, table, script or file)\n");
	ck_assert_has(err, ERR "bad_values.yml:14:14: invalid duration '5 minutes' for 'timeout'");
	ck_assert_has(err, ERR "bad_values.yml:15:11: invalid target name 'etl_metadata': names "
	    "starting with 'etl_' or '_chacc' are reserved\n");
	ck_assert_has(err, ERR "bad_values.yml:21:18: incremental on a table target takes true or false");
	ck_assert_uint_eq(nlines(err), 5);
	free(err);
}
END_TEST

START_TEST(test_unknown_need)
{
	char *err = fails(ERR "unknown_need.yml");

	ck_assert_str_eq(err, ERR "unknown_need.yml:8: target 'b' needs unknown target 'zz'\n");
	free(err);
}
END_TEST

START_TEST(test_cycle)
{
	char *err = fails(ERR "cycle.yml");

	ck_assert_has(err, ERR "cycle.yml:5: dependency cycle: a -> c -> b -> a\n");
	ck_assert_has(err, ERR "cycle.yml:17: dependency cycle: d -> d\n");
	ck_assert_uint_eq(nlines(err), 2);
	free(err);
}
END_TEST

START_TEST(test_duplicate_across_include)
{
	char *err = fails(ERR "dup/chacc.yml");

	ck_assert_str_eq(err, ERR "dup/more/extra.yml:5: target 'a' defined twice "
	    "(first at " ERR "dup/chacc.yml:6)\n");
	free(err);
}
END_TEST

START_TEST(test_missing_sql)
{
	char *err = fails(ERR "missing_sql.yml");

	ck_assert_str_eq(err, ERR "missing_sql.yml:5: target 'a': query file 'sql/nope.sql' not found\n");
	free(err);
}
END_TEST

START_TEST(test_unset_variable)
{
	char *err = fails(ERR "unset_var.yml");

	ck_assert_has(err, ERR "unset_var.yml:5:11: unset variable 'CHT_TEST_UNSET_USER' "
	    "(not in the environment)\n");
	ck_assert_has(err, ERR "unset_var.yml:8: target 'a': unset variable 'CHT_TEST_UNSET_SQL' "
	    "in query file 'sql/unset.sql' (not in the environment)\n");
	free(err);

	/* set, both load */
	setenv("CHT_TEST_UNSET_USER", "u", 1);
	setenv("CHT_TEST_UNSET_SQL", "openmrs", 1);
	{
		struct recipe *r = load(ERR "unset_var.yml", NULL, NULL, &err);

		ck_assert_msg(r != NULL, "%s", err);
		ck_assert_str_eq(r->targets[0].query_sql,
		    "SELECT * FROM openmrs.obs WHERE changed_at > ${since}\n");
		recipe_free(r);
		free(err);
	}
}
END_TEST

START_TEST(test_query_files_hold_one_statement)
{
	char *err = fails(ERR "statements.yml");

	ck_assert_has(err, ERR "statements.yml:5: target 'two': query file 'sql/two.sql' holds 2"
	    " statements; it must hold one\n");
	ck_assert_has(err, ERR "statements.yml:8: target 'open': query file 'sql/open.sql':"
	    " unterminated string");
	ck_assert_uint_eq(nlines(err), 2);
	free(err);
}
END_TEST

START_TEST(test_all_problems_at_once)
{
	char *err = fails(ERR "many.yml");

	ck_assert_has(err, ERR "many.yml:5: target 'a': unknown connection 'nowhere' in 'from'\n");
	ck_assert_has(err, ERR "many.yml:9: target 'b' needs unknown target 'ghost'\n");
	ck_assert_has(err, ERR "many.yml:13: target 'c': query file 'sql/absent.sql' not found\n");
	ck_assert_uint_eq(nlines(err), 3);
	free(err);
}
END_TEST

START_TEST(test_kind_rules)
{
	char *err = fails(ERR "kinds.yml");

	ck_assert_has(err, ERR "kinds.yml:8:18: an incremental extract needs a mapping with its "
	    "watermark 'column'");
	ck_assert_has(err, ERR "kinds.yml:5: target 'e': an extract needs 'from'");
	ck_assert_has(err, ERR "kinds.yml:5: target 'e': incremental needs 'key'");
	ck_assert_has(err, ERR "kinds.yml:9: target 't': a table target needs 'query'\n");
	ck_assert_has(err, ERR "kinds.yml:9: target 't': 'script' is only for script targets");
	ck_assert_has(err, ERR "kinds.yml:13: target 's': a script target needs 'script'\n");
	ck_assert_has(err, ERR "kinds.yml:13: target 's': 'call' uses unknown connection "
	    "'elsewhere'\n");
	free(err);
}
END_TEST

/* a diagnostic whose message starts so is in ds, at file, line, column and target */
static void
ck_diag(const struct diags *ds, const char *file, int line, int column, const char *target,
        const char *message)
{
	for (size_t i = 0; i < ds->n; i++) {
		const struct diag *d = &ds->v[i];

		if (!strstarts(d->message, message) || d->line != line || !d->target != !target ||
		    (target && strcmp(d->target, target) != 0))
			continue;
		ck_assert_int_eq(d->severity, DIAG_ERROR);
		ck_assert_str_eq(d->file, file);
		ck_assert_int_eq(d->line, line);
		ck_assert_int_eq(d->column, column);
		if (target)
			ck_assert_str_eq(d->target, target);
		else
			ck_assert_ptr_null(d->target);
		return;
	}
	ck_abort_msg("no diagnostic \"%s\" of %zu", message, ds->n);
}

static void
count_diag(void *arg, const struct diag *d)
{
	++*(int *)arg;
}

/* what a broken recipe says, as data: every problem, each at its file, line, column and target */
START_TEST(test_diagnostics_as_data)
{
	int emitted = 0;
	struct diags ds = { .emit = count_diag, .arg = &emitted };
	struct recipe *r = recipe_load(ERR "kinds.yml", NOENV, NULL, &ds);

	ck_assert_ptr_null(r);
	ck_diag(&ds, ERR "kinds.yml", 8, 18, NULL,
	        "an incremental extract needs a mapping with its watermark 'column'");
	ck_diag(&ds, ERR "kinds.yml", 5, 0, "e", "an extract needs 'from'");
	ck_diag(&ds, ERR "kinds.yml", 5, 0, "e", "incremental needs 'key'");
	ck_diag(&ds, ERR "kinds.yml", 9, 0, "t", "a table target needs 'query'");
	ck_diag(&ds, ERR "kinds.yml", 9, 0, "t", "'script' is only for script targets");
	ck_diag(&ds, ERR "kinds.yml", 9, 0, "t", "incremental needs 'key'");
	ck_diag(&ds, ERR "kinds.yml", 13, 0, "s", "a script target needs 'script'");
	ck_diag(&ds, ERR "kinds.yml", 13, 0, "s", "'call' uses unknown connection 'elsewhere'");
	ck_assert_uint_eq(ds.n, 8);
	ck_assert_uint_eq(ds.nerrors, ds.n);
	/* the caller saw each as it was found: nothing was printed */
	ck_assert_int_eq(emitted, (int)ds.n);
	diags_release(&ds);
	ck_assert_uint_eq(ds.n, 0);

	/* a syntax error at its line and column; a missing file at the file alone */
	r = recipe_load(ERR "syntax.yml", NOENV, NULL, &ds);
	ck_assert_ptr_null(r);
	ck_assert_uint_eq(ds.n, 1);
	ck_assert_str_eq(ds.v[0].file, ERR "syntax.yml");
	ck_assert_int_gt(ds.v[0].line, 0);
	ck_assert_int_gt(ds.v[0].column, 0);
	ck_assert(strstarts(ds.v[0].message, "syntax error: "));
	diags_release(&ds);
	r = recipe_load(FIX "no/such.yml", NOENV, NULL, &ds);
	ck_assert_ptr_null(r);
	ck_assert_uint_eq(ds.n, 1);
	ck_assert_str_eq(ds.v[0].file, FIX "no/such.yml");
	ck_assert_int_eq(ds.v[0].line, 0);
	ck_assert_str_eq(ds.v[0].message, "cannot read: No such file or directory");
	diags_release(&ds);
	/* a good recipe: no diagnostic */
	r = recipe_load(FIX "valid/chacc.yml", envdir, NULL, &ds);
	ck_assert_ptr_nonnull(r);
	ck_assert_uint_eq(ds.n, 0);
	recipe_free(r);
}
END_TEST

START_TEST(test_unreadable_recipe)
{
	char *err = fails(FIX "no/such.yml");

	ck_assert_has(err, FIX "no/such.yml: cannot read: No such file or directory\n");
	free(err);
}
END_TEST

/* a problem of the project's recipe at line:column ("" for none) with its message, in err */
static void
ck_line(const char *err, const char *at, const char *message)
{
	char *want = xasprintf("%s/chacc.yml%s: %s\n", proj, at, message);

	ck_assert_has(err, want);
	free(want);
}

/*
 * problems of different stages in one recipe are all reported: an unknown key
 * or a bad value does not hide a missing SQL file, an unknown need or connection
 */
START_TEST(test_every_problem_at_once)
{
	struct diags ds;
	struct recipe *r;
	char *err, *path;

	proj_new();
	puts_("ok.sql", "SELECT 1");
	puts_("chacc.yml", HEAD
	      "targets:\n"
	      "  - name: a\n"                                  /* 6 */
	      "    kind: table\n"
	      "    qurey: ok.sql\n"                            /* 8: unknown key */
	      "  - name: b\n"                                  /* 9 */
	      "    kind: view\n"                               /* 10: bad kind */
	      "    needs: [a, ghost]\n"                        /* unknown need */
	      "    query: missing.sql\n"                       /* missing file */
	      "  - name: c\n"                                  /* 13 */
	      "    kind: table\n"
	      "    query: gone.sql\n"                          /* missing file */
	      "    retries: 1000000\n"                         /* 16: absurd */
	      "  - name: d\n"                                  /* 17 */
	      "    kind: extract\n"
	      "    from: nowhere\n"                            /* unknown connection */
	      "    query: ok.sql\n"
	      "    key: [id]\n"
	      "    incremental: {column: x, lookback: 5 minutes}\n"); /* 22 */
	r = proj_load("chacc.yml", &err);
	ck_assert_ptr_null(r);
	ck_line(err, ":8:5", "unknown key 'qurey' in target: did you mean 'query'?");
	ck_line(err, ":10:11", "invalid kind 'view' (expected extract, table, script or file)");
	ck_line(err, ":16:14", "invalid count '1000000' for 'retries': expected a whole number "
	        "from 0 to 100");
	ck_line(err, ":22:40", "invalid duration '5 minutes' for 'lookback': expected " DURATION_FORMS
	        ", at most 7d");
	ck_line(err, ":9", "target 'b' needs unknown target 'ghost'");
	ck_line(err, ":9", "target 'b': query file 'missing.sql' not found");
	ck_line(err, ":13", "target 'c': query file 'gone.sql' not found");
	ck_line(err, ":17", "target 'd': unknown connection 'nowhere' in 'from'");
	/* and nothing that follows from them: not "a table target needs 'query'" for a */
	ck_assert_msg(nlines(err) == 8, "%zu problems:\n%s", nlines(err), err);
	free(err);

	/* the same as data, each at its place */
	diags_init(&ds);
	path = xasprintf("%s/chacc.yml", proj);
	r = recipe_load(path, NOENV, NULL, &ds);
	ck_assert_ptr_null(r);
	ck_assert_uint_eq(ds.n, 8);
	ck_assert_uint_eq(ds.nerrors, 8);
	ck_diag(&ds, path, 8, 5, NULL, "unknown key 'qurey' in target");
	ck_diag(&ds, path, 10, 11, NULL, "invalid kind 'view'");
	ck_diag(&ds, path, 9, 0, NULL, "target 'b' needs unknown target 'ghost'");
	ck_diag(&ds, path, 9, 0, "b", "query file 'missing.sql' not found");
	ck_diag(&ds, path, 13, 0, "c", "query file 'gone.sql' not found");
	ck_diag(&ds, path, 17, 0, "d", "unknown connection 'nowhere' in 'from'");
	diags_release(&ds);
	free(path);
	proj_rm();
}
END_TEST

/* what a problem hides is not reported as problems of its own */
START_TEST(test_no_cascading_problems)
{
	struct recipe *r;
	char *err;

	proj_new();
	puts_("ok.sql", "SELECT 1");
	/* connections misspelt: their users are not "unknown connection" */
	puts_("chacc.yml", "chacc: 1\nname: p\nconections: [{name: db}]\ntarget: db\n"
	      "targets:\n  - {name: a, kind: extract, from: db, query: ok.sql, key: [id],"
	      " call: \"CALL p('${conn.db.database}')\"}\n");
	r = proj_load("chacc.yml", &err);
	ck_assert_ptr_null(r);
	ck_line(err, ":3:1", "unknown key 'conections' in recipe: did you mean 'connections'?");
	ck_assert_msg(nlines(err) == 2, "%s", err);  /* and 'call' is only for scripts */
	ck_line(err, ":6", "target 'a': 'call' is only for script targets");
	free(err);

	/* an included file that does not parse: its targets are not "unknown" */
	puts_("chacc.yml", HEAD "include: [more.yml]\n"
	      "targets:\n  - {name: a, kind: table, needs: [b], query: ok.sql}\n"
	      "  - {name: c, kind: table, query: nope.sql}\n");
	puts_("more.yml", "targets:\n  - name: b\n    kind: table\n     query: ok.sql\n");
	r = proj_load("chacc.yml", &err);
	ck_assert_ptr_null(r);
	ck_assert_has(err, "/more.yml:4:11: syntax error: ");
	ck_line(err, ":8", "target 'c': query file 'nope.sql' not found");
	ck_assert_msg(nlines(err) == 2, "%s", err);
	free(err);

	/* a target without a name, another with a kind that is not one */
	puts_("chacc.yml", HEAD
	      "targets:\n  - {kind: table, query: ok.sql}\n"
	      "  - {name: b, kind: tabel, needs: [zz], query: ok.sql}\n"
	      "  - {name: c, kind: table, needs: [b], query: ok.sql, retry_delay: 1 sec}\n");
	r = proj_load("chacc.yml", &err);
	ck_assert_ptr_null(r);
	ck_line(err, ":6:5", "missing required key 'name' in target");
	ck_line(err, ":7:21", "invalid kind 'tabel': did you mean 'table'?");
	ck_line(err, ":8:68", "invalid duration '1 sec' for 'retry_delay': expected " DURATION_FORMS
	        ", at most 7d");
	ck_assert_msg(nlines(err) == 3, "%s", err);
	free(err);
	proj_rm();
}
END_TEST

/* every duration takes the same forms, and says so alike */
START_TEST(test_durations_one_rule)
{
	static const char *good[] = { "30", "30s", "2.5s", "250ms", "5m", "1h", "1d", "7d", "0" };
	static const char *bad[] = { "1 sec", "5 minutes", "5min", "1e3", "-5s", "8d", "soon" };
	static const char *keys[] = { "retry_delay", "timeout", "lookback" };
	struct recipe *r;
	char *err, *text, *msg;

	proj_new();
	puts_("ok.sql", "SELECT 1");
	for (size_t k = 0; k < LEN(keys); k++) {
		for (size_t i = 0; i < LEN(good) + LEN(bad); i++) {
			const char *v = i < LEN(good) ? good[i] : bad[i - LEN(good)];

			text = xasprintf(HEAD "targets:\n  - name: a\n    kind: extract\n    from: db\n"
			                 "    query: ok.sql\n    key: [id]\n"
			                 "    incremental: {column: x%s%s}\n%s%s%s",
			                 k == 2 ? ", lookback: " : "", k == 2 ? v : "",
			                 k < 2 ? "    " : "", k < 2 ? keys[k] : "", k < 2 ? ": " : "");
			if (k < 2) {
				char *t2 = xasprintf("%s%s\n", text, v);

				free(text);
				text = t2;
			}
			puts_("chacc.yml", text);
			free(text);
			r = proj_load("chacc.yml", &err);
			if (i < LEN(good)) {
				ck_assert_msg(r != NULL, "%s: %s refused: %s", keys[k], v, err);
				recipe_free(r);
			} else {
				ck_assert_msg(r == NULL, "%s: %s taken", keys[k], v);
				msg = xasprintf("invalid duration '%s' for '%s': expected " DURATION_FORMS
				                ", at most 7d\n", v, keys[k]);
				ck_assert_has(err, msg);
				ck_assert_uint_eq(nlines(err), 1);
				free(msg);
			}
			free(err);
		}
	}
	/* RETRY_DELAY in the environment, alike */
	setenv("RETRY_DELAY", "1 sec", 1);
	puts_("chacc.yml", HEAD "targets:\n  - {name: a, kind: table, query: ok.sql}\n");
	r = proj_load("chacc.yml", &err);
	ck_assert_ptr_null(r);
	ck_assert_has(err, "RETRY_DELAY: invalid duration '1 sec': expected " DURATION_FORMS
	              ", at most 7d\n");
	free(err);
	setenv("RETRY_DELAY", "30s", 1);
	setenv("MAX_RETRIES", "101", 1);
	r = proj_load("chacc.yml", &err);
	ck_assert_ptr_null(r);
	ck_assert_has(err, "MAX_RETRIES: invalid count '101': expected a whole number from 0 to 100\n");
	free(err);
	setenv("MAX_RETRIES", "100", 1);
	r = proj_load("chacc.yml", &err);
	ck_assert_msg(r != NULL, "%s", err);
	ck_assert_int_eq(r->targets[0].retries, 100);
	ck_assert_double_eq(r->targets[0].retry_delay, 30);
	recipe_free(r);
	free(err);
	unsetenv("RETRY_DELAY");
	unsetenv("MAX_RETRIES");
	proj_rm();
}
END_TEST

/* a tab in YAML's indentation: said so, at the tab */
START_TEST(test_tab_hint)
{
	struct recipe *r;
	char *err;

	proj_new();
	puts_("ok.sql", "SELECT 1");
	puts_("chacc.yml", HEAD "targets:\n\t- name: a\n");
	r = proj_load("chacc.yml", &err);
	ck_assert_ptr_null(r);
	ck_line(err, ":6:1", "syntax error: found character that cannot start any token "
	        "(while scanning for the next token at line 6); YAML indents with spaces, not tabs");
	free(err);
	puts_("chacc.yml", HEAD "targets:\n  - name: a\n  \tkind: table\n    query: ok.sql\n");
	r = proj_load("chacc.yml", &err);
	ck_assert_ptr_null(r);
	ck_assert_msg(strstr(err, "/chacc.yml:7:3: syntax error: ") &&
	              strstr(err, "; YAML indents with spaces, not tabs\n"), "%s", err);
	free(err);
	/* a tab elsewhere is no indentation */
	puts_("chacc.yml", HEAD "targets:\n  - name: a\n    kind: table\n    query:\tok.sql\n");
	r = proj_load("chacc.yml", &err);
	ck_assert_msg(r != NULL, "%s", err);
	recipe_free(r);
	free(err);
	puts_("chacc.yml", HEAD "targets:\n  - name: a\n    kind: table\n    query: ok.sql\n  ]\n");
	r = proj_load("chacc.yml", &err);
	ck_assert_ptr_null(r);
	ck_assert_msg(!strstr(err, "tabs"), "%s", err);
	free(err);
	proj_rm();
}
END_TEST

START_TEST(test_did_you_mean)
{
	char *err = NULL;
	struct recipe *r = one_target("    neeeds: [b]\n    tabel: x\n    zzz_unrelated: 1\n", &err);

	ck_assert_ptr_null(r);
	ck_assert_has(err, "r.yml:10:5: unknown key 'neeeds' in target: did you mean 'needs'?\n");
	ck_assert_has(err, "r.yml:11:5: unknown key 'tabel' in target\n");
	ck_assert_has(err, "r.yml:12:5: unknown key 'zzz_unrelated' in target\n");
	free(err);
	r = one_target("    retires: 2\n", &err);
	ck_assert_ptr_null(r);
	ck_assert_has(err, "unknown key 'retires' in target: did you mean 'retries'?\n");
	free(err);
	/* needs: the nearest target, never the target itself; none when far */
	proj_new();
	puts_("a.sql", "SELECT 1\n");
	puts_("r.yml", "chacc: 1\nname: t\nconnections:\n  - { name: db, host: h, database: d }\n"
	      "target: db\ntargets:\n  - { name: patients, kind: table, query: a.sql }\n"
	      "  - { name: visits, kind: table, query: a.sql, needs: [pateints, zzzz] }\n"
	      "  - { name: visit, kind: table, query: a.sql, needs: [visit_] }\n");
	r = proj_load("r.yml", &err);
	proj_rm();
	ck_assert_ptr_null(r);
	ck_assert_has(err, "target 'visits' needs unknown target 'pateints': did you mean 'patients'?\n");
	ck_assert_has(err, "target 'visits' needs unknown target 'zzzz'\n");
	ck_assert_has(err, "target 'visit' needs unknown target 'visit_': did you mean 'visits'?\n");
	free(err);

	/* kinds: the nearest when close, the list when not */
	proj_new();
	puts_("a.sql", "SELECT 1\n");
	puts_("r.yml", "chacc: 1\nname: t\nconnections:\n  - { name: db, host: h, database: d }\n"
	      "target: db\ntargets:\n  - { name: a, kind: tabel, query: a.sql }\n"
	      "  - { name: b, kind: extarct, from: db, query: a.sql }\n"
	      "  - { name: c, kind: view, query: a.sql }\n");
	r = proj_load("r.yml", &err);
	proj_rm();
	ck_assert_ptr_null(r);
	ck_assert_has(err, "invalid kind 'tabel': did you mean 'table'?\n");
	ck_assert_has(err, "invalid kind 'extarct': did you mean 'extract'?\n");
	ck_assert_has(err, "invalid kind 'view' (expected extract, table, script or file)\n");
	free(err);
	ck_assert_uint_eq(edit_distance("neeeds", "needs"), 1);
	ck_assert_uint_eq(edit_distance("kidn", "kind"), 1);
	ck_assert_uint_eq(edit_distance("", "abc"), 3);
}
END_TEST

/* change capture: what it needs and refuses, each at its place; a good one loads */
START_TEST(test_changes)
{
	struct recipe *r;
	char *err;

	proj_new();
	puts_("q.sql", "SELECT 1 AS id, 2 AS k2");
	puts_("keys.sql", "SELECT id FROM t WHERE c = ${row.c}");
	puts_("chacc.yml", HEAD
	      "targets:\n"
	      "  - name: a\n"                                          /* 6 */
	      "    kind: extract\n"
	      "    from: db\n"
	      "    query: q.sql\n"
	      "    key: [id]\n"
	      "    incremental: {changes: wal, tables: {t: id}}\n"     /* 11: unknown word */
	      "  - name: b\n"                                          /* 12 */
	      "    kind: extract\n"
	      "    from: db\n"
	      "    query: q.sql\n"
	      "    key: [id]\n"
	      "    incremental: {changes: binlog}\n"                   /* 17: no tables */
	      "  - name: c\n"                                          /* 18 */
	      "    kind: extract\n"
	      "    from: db\n"
	      "    query: q.sql\n"
	      "    key: [id, k2]\n"
	      "    incremental: {changes: binlog, tables: {t: id, u: [id, k2], v: nope.sql}}\n"
	      "  - name: d\n"                                          /* 24 */
	      "    kind: extract\n"
	      "    from: db\n"
	      "    query: q.sql\n"
	      "    key: [id]\n"
	      "    incremental: {deleted: gone}\n"                     /* 29: neither */
	      "  - name: e\n"                                          /* 30 */
	      "    kind: extract\n"
	      "    from: db\n"
	      "    query: q.sql\n"
	      "    key: [id]\n"
	      "    incremental: {column: x, tables: {t: id, t: id}}\n"); /* 35 */
	r = proj_load("chacc.yml", &err);
	ck_assert_ptr_null(r);
	ck_line(err, ":11:28", "unknown value 'wal' for 'changes': expected 'binlog'");
	ck_line(err, ":17:28", "'changes: binlog' needs 'tables': the source tables whose row "
	        "changes matter, and the column of each that holds the key (e.g. tables: "
	        "{obs: obs_id})");
	ck_line(err, ":18", "target 'c': incremental.tables: table 't' gives 1 column for a key of "
	        "2 columns");
	ck_line(err, ":18", "target 'c': incremental.tables file 'nope.sql' not found");
	ck_line(err, ":29:18", "missing required key 'column' in incremental (the watermark "
	        "column), or 'changes: binlog' to capture changes from the source's binary log");
	ck_line(err, ":35:46", "table 't' is listed twice in 'tables'");
	ck_line(err, ":35:38", "'tables' is only for change capture: add 'changes: binlog'");
	free(err);

	/* a good one: the tables in order, a file's SQL read with ${row.c} kept */
	puts_("chacc.yml", HEAD
	      "targets:\n"
	      "  - name: a\n"
	      "    kind: extract\n"
	      "    from: db\n"
	      "    query: q.sql\n"
	      "    key: [id]\n"
	      "    incremental: {changes: binlog, tables: {t: id, u: keys.sql}}\n");
	r = proj_load("chacc.yml", &err);
	ck_assert_msg(r != NULL, "%s", err);
	ck_assert_str_eq(r->targets[0].incr.changes, "binlog");
	ck_assert_uint_eq(r->targets[0].incr.ntables, 2);
	ck_assert_str_eq(r->targets[0].incr.tables[0].table, "t");
	ck_assert_str_eq(r->targets[0].incr.tables[0].columns[0], "id");
	ck_assert_str_eq(r->targets[0].incr.tables[1].file, "keys.sql");
	ck_assert_str_eq(r->targets[0].incr.tables[1].sql, "SELECT id FROM t WHERE c = ${row.c}");
	recipe_free(r);
	free(err);
	proj_rm();
}
END_TEST

static Suite *
recipe_suite(void)
{
	Suite *s = suite_create("recipe_errors");
	TCase *tc = tcase_create("errors");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_syntax_error);
	tcase_add_test(tc, test_unknown_key);
	tcase_add_test(tc, test_wrong_type);
	tcase_add_test(tc, test_missing_key);
	tcase_add_test(tc, test_drivers);
	tcase_add_test(tc, test_bad_values);
	tcase_add_test(tc, test_unknown_need);
	tcase_add_test(tc, test_cycle);
	tcase_add_test(tc, test_duplicate_across_include);
	tcase_add_test(tc, test_missing_sql);
	tcase_add_test(tc, test_unset_variable);
	tcase_add_test(tc, test_all_problems_at_once);
	tcase_add_test(tc, test_query_files_hold_one_statement);
	tcase_add_test(tc, test_kind_rules);
	tcase_add_test(tc, test_diagnostics_as_data);
	tcase_add_test(tc, test_unreadable_recipe);
	tcase_add_test(tc, test_every_problem_at_once);
	tcase_add_test(tc, test_no_cascading_problems);
	tcase_add_test(tc, test_durations_one_rule);
	tcase_add_test(tc, test_tab_hint);
	tcase_add_test(tc, test_did_you_mean);
	tcase_add_test(tc, test_changes);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	return run_suite(recipe_suite());
}
