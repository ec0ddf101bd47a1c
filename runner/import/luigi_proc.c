/* luigi_proc.c: procedure tasks: their routines, the tables they write, their scripts */
#include "luigi_impl.h"
#include "sqlsplit.h"
#include "util.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* a DELIMITER directive at the start of a line of text */
static bool
has_directive(const char *text)
{
	for (const char *p = text; p; p = strchr(p, '\n')) {
		while (*p == '\n' || *p == ' ' || *p == '\t' || *p == '\r')
			p++;
		if (strncasecmp(p, "delimiter", 9) == 0 && isspace((unsigned char)p[9]))
			return true;
	}
	return false;
}

/*
 * the pipeline strips the DELIMITER lines and splits on '//'. A script with
 * DELIMITER directives is split as the mariadb client does (the same for
 * DELIMITER // ... DELIMITER ;); one without them on '//' alone, outside
 * quotes and comments.
 */
int
lproc_split(struct lconv *c, struct ltask *t, struct sqlscript *s)
{
	char *text, *err = NULL;
	int rc;

	memset(s, 0, sizeof(*s));
	if (!t->sql) {
		lconv_error(c, t, "has no 'sql'");
		return -1;
	}
	text = has_directive(t->sql) ? xstrdup(t->sql) : xasprintf("DELIMITER //\n%s", t->sql);
	if ((rc = sqlsplit(text, strlen(text), SQL_MARIADB, s, &err)) < 0) {
		lconv_error(c, t, "its 'sql' cannot be read: %s", err);
		free(err);
	}
	free(text);
	return rc;
}

struct ltask *
lproc_defining(struct lconv *c, const char *routine, char **table)
{
	*table = NULL;
	for (size_t i = 0; i < c->ntasks; i++) {
		struct ltask *t = &c->tasks[i];
		struct sqlscript s;
		bool found = false;

		if (t->type != LT_PROCEDURE || !t->sql || t->fate == LF_ERROR)
			continue;
		if (lproc_split(c, t, &s) < 0)
			return t;
		for (size_t j = 0; j < s.nstmts && !found; j++) {
			bool func;
			char *n = lsql_routine_name(s.stmts[j].sql, &func);

			if (n && !func && strcasecmp(n, routine) == 0) {
				found = true;
				*table = lsql_written_table(s.stmts[j].sql);
			}
			free(n);
		}
		sqlscript_release(&s);
		if (found)
			return t;
	}
	return NULL;
}

/* whether a statement before stmts[i] drops routine name */
static bool
dropped(const struct sqlscript *s, size_t i, const char *name)
{
	for (size_t j = 0; j < i; j++) {
		char *d = lsql_drop_routine(s->stmts[j].sql);
		bool yes = d && strcasecmp(d, name) == 0;

		free(d);
		if (yes)
			return true;
	}
	return false;
}

/*
 * the script: the task's statements between DELIMITER // and DELIMITER ;,
 * each routine dropped first if the script does not drop it, so that every
 * build can define it again
 */
const char *
lproc_script(struct lconv *c, struct ltask *t)
{
	struct sqlscript s;
	struct buf b;
	char *name, *path;

	if (lproc_split(c, t, &s) < 0)
		return "";
	buf_init(&b);
	buf_addf(&b, "-- the procedures of Luigi task %s (procedure)", t->name);
	if (t->sql_path)
		buf_addf(&b, ", from %s", t->sql_path);
	buf_adds(&b, "\nDELIMITER //\n");
	for (size_t i = 0; i < s.nstmts; i++) {
		bool func;

		if ((name = lsql_routine_name(s.stmts[i].sql, &func)) && !dropped(&s, i, name)) {
			char *id = lsql_ident(name);

			buf_addf(&b, "DROP %s IF EXISTS %s\n//\n", func ? "FUNCTION" : "PROCEDURE", id);
			free(id);
		}
		free(name);
		buf_addf(&b, "%s\n//\n", s.stmts[i].sql);
	}
	buf_adds(&b, "DELIMITER ;\n");
	sqlscript_release(&s);
	name = xstrdup(t->name);
	for (char *p = name; *p; p++)
		*p = isalnum((unsigned char)*p) ? (char)tolower((unsigned char)*p) : '_';
	path = xasprintf("sql/procedures/%s.sql", name);
	free(name);
	return lconv_file(c, path, buf_detach(&b), NULL);
}
