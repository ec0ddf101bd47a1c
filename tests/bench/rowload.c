/*
 * rowload: the row-at-a-time baseline of tests/bench/run
 *
 *   rowload SRC_SOCKET_OR_PORT SRC_DB TGT_SOCKET_OR_PORT TGT_DB TABLE 'SELECT ...'
 *
 * Streams the SELECT from the source (mysql_use_result) and inserts each row
 * with its own execution of a prepared INSERT INTO TABLE (columns of the
 * result) VALUES (?, ...), autocommit on: what a naive loop in a script does
 * (for row in source: cursor.execute(insert, row)). A number is a TCP port on
 * 127.0.0.1, anything else a unix socket. User and password are chacc/chacc,
 * or BENCH_USER and BENCH_PASSWORD. Prints the number of rows it inserted.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <mysql.h>

static void
die(MYSQL *my, const char *what)
{
	fprintf(stderr, "rowload: %s: %s\n", what, my ? mysql_error(my) : "out of memory");
	exit(1);
}

static MYSQL *
connect_to(const char *where, const char *db)
{
	const char *user = getenv("BENCH_USER"), *pass = getenv("BENCH_PASSWORD");
	MYSQL *my = mysql_init(NULL);
	char *end;
	long port = strtol(where, &end, 10);
	int is_port = *where && !*end;

	if (!my)
		die(NULL, "mysql_init");
	mysql_options(my, MYSQL_SET_CHARSET_NAME, "utf8mb4");
	if (!mysql_real_connect(my, is_port ? "127.0.0.1" : "localhost", user ? user : "chacc",
	                        pass ? pass : "chacc", db, is_port ? (unsigned)port : 0,
	                        is_port ? NULL : where, 0))
		die(my, where);
	return my;
}

int
main(int argc, char **argv)
{
	MYSQL *src, *dst;
	MYSQL_RES *res;
	MYSQL_FIELD *f;
	MYSQL_STMT *st;
	MYSQL_BIND *bind;
	MYSQL_ROW row;
	unsigned long *lens;
	my_bool *nulls;
	char *sql;
	size_t len, i, n;
	long long rows = 0;

	if (argc != 7) {
		fprintf(stderr, "usage: rowload SRC SRC_DB TGT TGT_DB TABLE SELECT\n");
		return 2;
	}
	src = connect_to(argv[1], argv[2]);
	dst = connect_to(argv[3], argv[4]);
	if (mysql_autocommit(dst, 1))
		die(dst, "autocommit");
	if (mysql_query(src, argv[6]) || !(res = mysql_use_result(src)))
		die(src, "source query");
	n = mysql_num_fields(res);
	f = mysql_fetch_fields(res);

	/* INSERT INTO `table` (`a`, `b`) VALUES (?, ?) */
	len = strlen(argv[5]) + 64;
	for (i = 0; i < n; i++)
		len += strlen(f[i].name) + 8;
	if (!(sql = malloc(len)))
		die(NULL, "malloc");
	n = mysql_num_fields(res);
	len = (size_t)sprintf(sql, "INSERT INTO `%s` (", argv[5]);
	for (i = 0; i < n; i++)
		len += (size_t)sprintf(sql + len, "%s`%s`", i ? ", " : "", f[i].name);
	len += (size_t)sprintf(sql + len, ") VALUES (");
	for (i = 0; i < n; i++)
		len += (size_t)sprintf(sql + len, "%s?", i ? ", " : "");
	len += (size_t)sprintf(sql + len, ")");

	if (!(st = mysql_stmt_init(dst)) || mysql_stmt_prepare(st, sql, len))
		die(dst, "prepare");
	bind = calloc(n, sizeof(*bind));
	lens = calloc(n, sizeof(*lens));
	nulls = calloc(n, sizeof(*nulls));
	if (!bind || !lens || !nulls)
		die(NULL, "calloc");

	/* every value goes as the text the source sent: the server converts */
	while ((row = mysql_fetch_row(res))) {
		unsigned long *l = mysql_fetch_lengths(res);

		for (i = 0; i < n; i++) {
			bind[i].buffer_type = MYSQL_TYPE_STRING;
			bind[i].buffer = row[i];
			lens[i] = l[i];
			bind[i].length = &lens[i];
			nulls[i] = row[i] == NULL;
			bind[i].is_null = &nulls[i];
		}
		if (mysql_stmt_bind_param(st, bind) || mysql_stmt_execute(st))
			die(dst, "insert");
		rows++;
	}
	if (mysql_errno(src))
		die(src, "reading the source");
	mysql_free_result(res);
	mysql_stmt_close(st);
	mysql_close(src);
	mysql_close(dst);
	free(sql);
	free(bind);
	free(lens);
	free(nulls);
	printf("%lld\n", rows);
	return 0;
}
