/* db_mariadb_privs.c: does the MariaDB user hold what builds need (from SHOW GRANTS) */
#include "db_mariadb.h"

#include <ctype.h>
#include <fnmatch.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"

static const char *needed[] = {
	"SELECT", "INSERT", "UPDATE", "DELETE", "CREATE", "DROP", "ALTER", "INDEX",
	"CREATE TEMPORARY TABLES", "CREATE ROUTINE",
};

/* does the "ON x.y" part of a grant cover database db? */
static bool
covers(const char *on, const char *db)
{
	char pattern[256], *p = pattern;
	const char *s = on;

	while (*s == ' ')
		s++;
	if (strncmp(s, "*.*", 3) == 0)
		return true;
	if (*s != '`')
		return false;
	for (s++; *s && p < pattern + sizeof(pattern) - 2; s++) {
		if (*s == '`' && s[1] == '`') {
			*p++ = '`';
			s++;
		} else if (*s == '`')
			break;
		else if (*s == '\\' && s[1]) {
			*p++ = '\\';
			*p++ = *++s;
		} else if (*s == '%')
			*p++ = '*';
		else if (*s == '_')
			*p++ = '?';
		else
			*p++ = *s;
	}
	*p = '\0';
	if (strncmp(s, "`.*", 3) != 0)
		return false;
	return fnmatch(pattern, db, 0) == 0;
}

/* add the privileges of one GRANT line to have[] */
static void
grant_line(const char *line, const char *db, bool *have)
{
	const char *on = strstr(line, " ON ");
	char *privs;

	if (strncmp(line, "GRANT ", 6) != 0 || !on || !covers(on + 4, db))
		return;
	privs = xstrndup(line + 6, (size_t)(on - line - 6));
	if (strstr(privs, "ALL PRIVILEGES")) {
		for (size_t i = 0; i < LEN(needed); i++)
			have[i] = true;
	} else {
		char *save = NULL;

		for (char *tok = strtok_r(privs, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
			tok = strtrim(tok);
			for (size_t i = 0; i < LEN(needed); i++)
				if (strcmp(tok, needed[i]) == 0)
					have[i] = true;
		}
	}
	free(privs);
}

int
mdb_check_privileges(struct db *d, bool routines, char **err)
{
	bool have[LEN(needed)] = { 0 };
	struct dbres *res = db_query(d, "SHOW GRANTS FOR CURRENT_USER()");
	struct buf missing;

	if (!res) {
		*err = xasprintf("cannot read the grants of the target user: %s", db_error(d));
		return -1;
	}
	while (dbres_next(res))
		if (dbres_get(res, 0))
			grant_line(dbres_get(res, 0), db_name(d), have);
	dbres_free(res);
	buf_init(&missing);
	for (size_t i = 0; i < LEN(needed); i++) {
		if (have[i] || (!routines && strcmp(needed[i], "CREATE ROUTINE") == 0))
			continue;
		buf_addf(&missing, "%s%s", missing.len ? ", " : "", needed[i]);
	}
	if (missing.len) {
		*err = xasprintf("the target user lacks %s on database '%s'", missing.s, db_name(d));
		buf_release(&missing);
		return -1;
	}
	return 0;
}
