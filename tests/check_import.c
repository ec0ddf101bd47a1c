/*
 * check_import.c: chacc import luigi DIR, on the Sakila example of the Luigi
 * task format (../shared/reference, with the Sakila sample of
 * ../shared/data/sakila loaded into the source server once), on a config
 * with every task type, on broken configs, and its --force and --dry-run
 */
#include <dirent.h>
#include <libgen.h>

#include "itest.h"
#include "sqlsplit.h"

#include <jansson.h>

static char root[PATH_MAX], sakila_json[PATH_MAX + 64], sakila_schema[PATH_MAX + 64],
	sakila_data[PATH_MAX + 64];

/* p->dir/luigi/config/tasks/NAME.json holding json */
static void
config(struct proj *p, const char *name, const char *json)
{
	char *rel = xasprintf("luigi/config/tasks/%s.json", name);

	write_file(p, rel, json);
	free(rel);
}

static bool
exists(struct proj *p, const char *rel)
{
	char *path = xasprintf("%s/%s", p->dir, rel);
	bool yes = access(path, F_OK) == 0;

	free(path);
	return yes;
}

static char *
slurp(struct proj *p, const char *rel)
{
	char *path = xasprintf("%s/%s", p->dir, rel), *s = readfile(path, NULL);

	ck_assert_msg(s != NULL, "cannot read %s", path);
	free(path);
	return s;
}

#define assert_has(hay, needle) \
	ck_assert_msg(strstr((hay), (needle)) != NULL, "'%s' not in:\n%s", (needle), (hay))

/* the Sakila sample in database sakila of the source server, loaded once */
static void
load_sakila(struct proj *p)
{
	char *v = NULL, *cmd;

	if (db_value(p->src, &v, "SELECT COUNT(*) FROM sakila.rental") > 0 && v &&
	    strcmp(v, "16044") == 0) {
		free(v);
		return;
	}
	free(v);
	/* the mariadb client reads their DELIMITER blocks and CRLF lines */
	cmd = xasprintf("'%s' sql '%s/src' < '%s' && '%s' sql '%s/src' < '%s'",
	                getenv("CHACC_TEST_MARIADB_LOCAL"), tmpdir, sakila_schema,
	                getenv("CHACC_TEST_MARIADB_LOCAL"), tmpdir, sakila_data);
	ck_assert_msg(system(cmd) == 0, "loading Sakila failed: %s", cmd);
	free(cmd);
	assert_val(p->src, "16044", "SELECT COUNT(*) FROM sakila.rental");
}

/* run the statements of sql on d */
static void
run_script(struct db *d, const char *text)
{
	struct sqlscript s;
	char *err = NULL;

	ck_assert_msg(sqlsplit(text, strlen(text), SQL_MARIADB, &s, &err) == 0, "%s", err);
	for (size_t i = 0; i < s.nstmts; i++)
		sql(d, "%s", s.stmts[i].sql);
	sqlscript_release(&s);
}

/*
 * the pipeline run by hand on the source server, as it runs it: the schema
 * tasks' SQL in database byhand, each extract's query on sakila inserted
 * there, then each summary's SQL there
 */
static void
by_hand(struct proj *p, json_t *tasks)
{
	const char *name;
	json_t *t;

	sql(p->src, "DROP DATABASE IF EXISTS byhand");
	sql(p->src, "CREATE DATABASE byhand");
	sql(p->src, "USE byhand");
	json_object_foreach(tasks, name, t)
		if (strcmp(json_string_value(json_object_get(t, "type")), "schema") == 0)
			run_script(p->src, json_string_value(json_object_get(t, "sql")));
	sql(p->src, "USE sakila");
	json_object_foreach(tasks, name, t)
		if (strcmp(json_string_value(json_object_get(t, "type")), "extract_load") == 0)
			sql(p->src, "INSERT INTO byhand.%s %s",
			    json_string_value(json_object_get(t, "target_table")),
			    json_string_value(json_object_get(t, "query")));
	sql(p->src, "USE byhand");
	json_object_foreach(tasks, name, t)
		if (strcmp(json_string_value(json_object_get(t, "type")), "summary") == 0)
			run_script(p->src, json_string_value(json_object_get(t, "sql")));
}

/* rows and a checksum of their values of table in d, over the columns the target has */
static char *
table_sum(struct proj *p, struct db *d, const char *table)
{
	char *cols = val(p->tgt, "SELECT GROUP_CONCAT(CONCAT('IFNULL(`', column_name, '`, ''~'')')"
	                 " ORDER BY ordinal_position SEPARATOR ', ') FROM information_schema.columns"
	                 " WHERE table_schema = DATABASE() AND table_name = '%s'"
	                 " AND column_name <> '_chacc_changed_at'", table);
	char *sum = val(d, "SELECT CONCAT(COUNT(*), ' rows, ', COALESCE(SUM(CRC32(CONCAT_WS('|', %s))),"
	                " 0)) FROM %s", cols, table);

	ck_assert_msg(*cols, "table '%s' has no columns in the target", table);
	free(cols);
	return sum;
}

/* a load task beside the Sakila example: a file target with typed columns */
static const char store_goals_json[] =
	"{\"tasks\": {\n"
	"  \"SchemaStoreGoalsTask\": {\"type\": \"schema\", \"dependencies\": [],\n"
	"    \"sql\": \"CREATE TABLE IF NOT EXISTS store_goals (store_id TINYINT UNSIGNED NOT NULL,"
	" goal_month DATE NOT NULL, goal DECIMAL(8,2), is_open TINYINT(1), big BIGINT UNSIGNED,"
	" note VARCHAR(40), checked_at DATETIME, PRIMARY KEY (store_id, goal_month))\"},\n"
	"  \"LoadStoreGoalsTask\": {\"type\": \"load\", \"dependencies\": [\"SchemaStoreGoalsTask\"],\n"
	"    \"source_file\": \"store_goals.json\", \"target_table\": \"store_goals\",\n"
	"    \"full_load_sql\": \"INSERT INTO store_goals (store_id, goal_month, goal, is_open, big,"
	" note, checked_at) VALUES (%s, %s, %s, %s, %s, %s, %s)\"}\n"
	"}}\n";

static const char store_goals_data[] =
	"[{\"store_id\": 1, \"goal_month\": \"2024-01-01\", \"goal\": 1200.5, \"is_open\": 1,"
	" \"big\": \"18446744073709551615\", \"note\": \"first, \\\"quoted\\\"\","
	" \"checked_at\": \"2024-01-31 10:00:00\"},\n"
	" {\"store_id\": 2, \"goal_month\": \"2024-01-01\", \"goal\": null, \"is_open\": 0,"
	" \"big\": 0, \"note\": null, \"checked_at\": null},\n"
	" {\"store_id\": 2, \"goal_month\": \"2024-02-01\", \"goal\": -3.25, \"is_open\": null,"
	" \"big\": 42, \"note\": \"caf\u00e9\", \"checked_at\": \"2024-02-29 23:59:59\"}]\n";

/*
 * the Sakila example's Luigi project in p (a target on engine), reading the
 * sakila database of the source server; with_load: and the store_goals load
 */
static void
sakila_proj(struct proj *p, const char *name, const char *engine, bool with_load)
{
	char *json = readfile(sakila_json, NULL), *env, *env2;

	ck_assert_msg(json != NULL, "cannot read %s", sakila_json);
	proj_new_on(p, name, engine);
	load_sakila(p);
	env = slurp(p, ".env");
	env2 = str_replace(env, p->srcdb, "sakila");
	write_file(p, ".env", env2);
	free(env2);
	free(env);
	config(p, "sakila", json);
	free(json);
	if (with_load) {
		config(p, "stores", store_goals_json);
		write_file(p, "luigi/data/store_goals.json", store_goals_data);
	}
}

START_TEST(test_sakila)
{
	struct proj p;
	struct result r;
	json_error_t e;
	json_t *root_, *tasks;
	const char *name;
	json_t *t;
	char *json = readfile(sakila_json, NULL), *yml;
	int tables = 0;

	sakila_proj(&p, "sakila", "mariadb", false);
	r = chacc(&p, "import", "luigi", "luigi");
	assert_ok(&r);
	assert_has(r.out, "ExtractLoadFilmsTask");
	assert_has(r.out, "is valid: 7 targets");
	result_free(&r);
	yml = slurp(&p, "chacc.yml");
	assert_has(yml, "# from Luigi task ExtractLoadFilmsTask (extract_load), with SchemaFilmsTask");
	assert_has(yml, "key: [film_id]");
	assert_has(yml, "incremental: { column: last_update }");
	assert_has(yml, "needs: [films, customers, rentals, payments]");
	assert_has(yml, "indexes: [[film_id], [customer_id]]");
	free(yml);
	r = chacc(&p, "build");
	assert_ok(&r);
	result_free(&r);

	/* every table holds what the pipeline's SQL gives run by hand on the source */
	root_ = json_loads(json, 0, &e);
	tasks = json_object_get(root_, "tasks");
	by_hand(&p, tasks);
	json_object_foreach(tasks, name, t) {
		const char *type = json_string_value(json_object_get(t, "type"));
		char *table, *want, *got;

		if (strcmp(type, "schema") == 0)
			continue;
		if (json_object_get(t, "target_table")) {
			table = xstrdup(json_string_value(json_object_get(t, "target_table")));
		} else {
			table = xstrdup(strstr(json_string_value(json_object_get(t, "sql")),
			                       "CREATE TABLE ") + strlen("CREATE TABLE "));
			table[strcspn(table, " ")] = '\0';
		}
		want = table_sum(&p, p.src, table);
		got = table_sum(&p, p.tgt, table);
		ck_assert_msg(strcmp(want, got) == 0, "%s (task %s): by hand %s, built %s", table, name,
		              want, got);
		ck_assert_msg(strncmp(got, "0 rows", 6) != 0, "%s is empty", table);
		tables++;
		free(table);
		free(want);
		free(got);
	}
	ck_assert_int_eq(tables, 7);
	sql(p.src, "USE sakila");

	/* built once, nothing to do the next time */
	r = chacc(&p, "build");
	assert_ok(&r);
	assert_has(r.out, "nothing to do");
	result_free(&r);
	json_decref(root_);
	free(json);
	proj_free(&p);
}
END_TEST

/* the columns of table in the MariaDB target of m, but chacc's, comma-separated */
static char *
columns_of(struct proj *m, const char *table)
{
	char *cols = val(m->tgt, "SELECT GROUP_CONCAT(column_name ORDER BY ordinal_position)"
	                 " FROM information_schema.columns WHERE table_schema = DATABASE()"
	                 " AND table_name = '%s' AND column_name <> '_chacc_changed_at'", table);

	ck_assert_msg(*cols, "table '%s' has no columns in the MariaDB target", table);
	return cols;
}

/* table holds the same rows in m's MariaDB target and p's PostgreSQL target */
static void
assert_same_rows(struct proj *m, struct proj *p, const char *table, const char *cols)
{
	char *want = rows_digest(m->tgt, cols, table), *got = rows_digest(p->tgt, cols, table);

	ck_assert_msg(strcmp(want, got) == 0, "%s: MariaDB build %s, PostgreSQL build %s", table,
	              want, got);
	ck_assert_msg(strncmp(got, "0:", 2) != 0, "%s is empty", table);
	free(want);
	free(got);
}

/*
 * the Sakila pipeline, with a load task, imported for a PostgreSQL target and
 * built there: its extracts and its file target hold the rows the MariaDB
 * build of the same pipeline holds
 */
START_TEST(test_sakila_postgres)
{
	static const char *const tables[] = { "films", "customers", "rentals", "payments",
	                                      "store_goals" };
	struct proj m, p;
	struct result r;
	char *yml;

	sakila_proj(&m, "sakila_my", "mariadb", true);
	sakila_proj(&p, "sakila_pg", "postgres", true);
	r = chacc(&p, "import", "luigi", "luigi", "--target-driver", "postgres");
	assert_ok(&r);
	assert_has(r.out, "is valid: 8 targets");
	assert_has(r.err, "task 'SummaryRentalFactsTask': its SELECT is MariaDB's SQL, kept as written");
	result_free(&r);
	yml = slurp(&p, "chacc.yml");
	assert_has(yml, "  - name: target\n    driver: postgres\n    host: ${TARGET_DB_HOST:-127.0.0.1}\n"
	           "    port: ${TARGET_DB_PORT:-5432}\n");
	assert_has(yml, "    database: ${TARGET_DB_NAME}\n    schema: ${TARGET_DB_SCHEMA:-public}\n");
	/* the extracts' tables come from their results: no MariaDB DDL, the key and indexes kept */
	ck_assert_msg(!strstr(yml, "create:") && !exists(&p, "sql/tables"), "%s", yml);
	assert_has(yml, "  - name: rentals\n    kind: extract\n    from: source\n"
	           "    query: sql/extract/rentals.sql\n    key: [rental_id]\n"
	           "    indexes: [[film_id], [customer_id]]\n    incremental: { column: last_update }\n");
	/* the load's column types spelled for PostgreSQL */
	assert_has(yml, "      - { name: store_id, type: smallint }\n"
	           "      - { name: goal_month, type: date }\n"
	           "      - { name: goal, type: \"numeric(8,2)\" }\n"
	           "      - { name: is_open, type: smallint }\n"
	           "      - { name: big, type: \"numeric(20,0)\" }\n"
	           "      - { name: note, type: \"varchar(40)\" }\n"
	           "      - { name: checked_at, type: \"timestamp(0)\" }\n"
	           "    key: [store_id, goal_month]\n");
	assert_has(yml, "  # its SELECT is MariaDB's SQL, kept as written: check that PostgreSQL runs it\n"
	           "  - name: rental_facts\n");
	free(yml);
	r = chacc(&m, "import", "luigi", "luigi");
	assert_ok(&r);
	result_free(&r);
	r = chacc(&m, "build");
	assert_ok(&r);
	result_free(&r);
	r = chacc(&p, "build");
	assert_ok(&r);
	result_free(&r);
	for (size_t i = 0; i < LEN(tables); i++) {
		char *cols = columns_of(&m, tables[i]);

		assert_same_rows(&m, &p, tables[i], cols);
		free(cols);
	}
	assert_val(p.tgt, "2", "SELECT count(*) FROM pg_indexes WHERE tablename = 'rentals'"
	           " AND indexdef NOT LIKE '%UNIQUE%'");
	/* its summaries ran on PostgreSQL as written, giving the same rows */
	assert_same_rows(&m, &p, "rental_facts", "rental_id, film_id, customer_id, country,"
	                 " amount + 0.00");
	assert_same_rows(&m, &p, "customer_summary", "customer_id, country, rentals, paid");
	assert_same_rows(&m, &p, "film_summary", "film_id, title, category, rentals, revenue + 0.00");
	r = chacc(&p, "build");
	assert_ok(&r);
	assert_has(r.out, "nothing to do");
	result_free(&r);
	proj_free(&m);
	proj_free(&p);
}
END_TEST

static const char bookkeeping_json[] =
	"{\"tasks\": {\n"
	"  \"InitCreateDatabaseTask\": {\"type\": \"schema\", \"dependencies\": [],\n"
	"    \"sql\": \"sql/init/000_create_database.sql\"},\n"
	"  \"TablesEtlMetadataTask\": {\"type\": \"schema\", \"dependencies\": [\"InitCreateDatabaseTask\"],\n"
	"    \"sql\": \"CREATE TABLE IF NOT EXISTS chacc_etl_metadata (id INT PRIMARY KEY)\"}\n"
	"}}\n";

/* a shop with every task type: procedure, flattened and load among them */
static const char shop_json[] =
	"{\"tasks\": {\n"
	"  \"SchemaBooksTask\": {\"type\": \"schema\", \"dependencies\": [\"InitCreateDatabaseTask\"],\n"
	"    \"sql\": \"sql/tables/books.sql\"},\n"
	"  \"ExtractLoadBooksTask\": {\"type\": \"extract_load\",\n"
	"    \"dependencies\": [\"SchemaBooksTask\", \"InitCreateDatabaseTask\"],\n"
	"    \"query\": \"SELECT id AS book_id, title, genre_id, price, updated FROM books\",\n"
	"    \"full_load_sql\": \"INSERT INTO books (id, title, genre_id, price, updated)"
	" VALUES (%s, %s, %s, %s, %s)\",\n"
	"    \"incremental_sql\": \"INSERT INTO books VALUES (%s, %s, %s, %s, %s)"
	" ON DUPLICATE KEY UPDATE title = VALUES(title)\",\n"
	"    \"target_table\": \"books\", \"incremental_field\": \"updated\"},\n"
	"  \"SchemaGenresTask\": {\"type\": \"schema\", \"dependencies\": [],\n"
	"    \"sql\": \"CREATE TABLE IF NOT EXISTS genres (genre_id INT PRIMARY KEY, name VARCHAR(30))\"},\n"
	"  \"LoadGenresTask\": {\"type\": \"load\", \"dependencies\": [\"SchemaGenresTask\"],\n"
	"    \"source_file\": \"genres.json\", \"target_table\": \"genres\",\n"
	"    \"full_load_sql\": \"INSERT INTO genres (genre_id, name) VALUES (%s, %s)\",\n"
	"    \"incremental_sql\": \"INSERT IGNORE INTO genres (genre_id, name) VALUES (%s, %s)\"},\n"
	"  \"ProcedureFlatBooksTask\": {\"type\": \"procedure\",\n"
	"    \"dependencies\": [\"ExtractLoadBooksTask\", \"LoadGenresTask\"],\n"
	"    \"sql\": \"sql/procedures/flat_books.sql\"},\n"
	"  \"FlattenedBooksTask\": {\"type\": \"flattened\", \"dependencies\": [\"ProcedureFlatBooksTask\"],\n"
	"    \"procedure_call\": \"CALL sp_flat_books()\"},\n"
	"  \"SummaryGenreTotalsTask\": {\"type\": \"summary\", \"dependencies\": [\"FlattenedBooksTask\"],\n"
	"    \"sql\": \"DROP TABLE IF EXISTS genre_totals; CREATE TABLE genre_totals AS SELECT genre,"
	" COUNT(*) AS books, SUM(price) AS value FROM flat_books GROUP BY genre\",\n"
	"    \"indexes\": [\"CREATE INDEX gt_genre ON genre_totals (genre)\"]},\n"
	"  \"SummaryPriceBandsTask\": {\"type\": \"summary\", \"dependencies\": [\"ExtractLoadBooksTask\"],\n"
	"    \"sql\": \"CREATE TABLE IF NOT EXISTS price_bands (band VARCHAR(10) PRIMARY KEY, n INT);"
	" DELETE FROM price_bands; INSERT INTO price_bands SELECT IF(price < 10, 'cheap', 'dear'),"
	" COUNT(*) FROM books GROUP BY 1\"}\n"
	"}}\n";

static const char flat_books_sql[] =
	"-- the flat table of books, with their genre's name\n"
	"DELIMITER //\n"
	"CREATE PROCEDURE sp_flat_books()\n"
	"BEGIN\n"
	"  DROP TABLE IF EXISTS flat_books;\n"
	"  CREATE TABLE flat_books AS\n"
	"    SELECT b.id, b.title, g.name AS genre, b.price\n"
	"    FROM books b LEFT JOIN genres g ON g.genre_id = b.genre_id;\n"
	"END //\n"
	"DELIMITER ;\n";

/* the shop's Luigi project in p->dir/luigi, its source rows in p->src */
static void
shop(struct proj *p)
{
	sql(p->src, "CREATE TABLE books (id INT PRIMARY KEY, title VARCHAR(50), genre_id INT,"
	    " price DECIMAL(6,2), updated DATETIME)");
	sql(p->src, "INSERT INTO books VALUES (1, 'Odes', 1, 8.50, NOW()), (2, 'Emma', 2, 12.00,"
	    " NOW()), (3, 'Ulysses', 2, 15.25, NOW())");
	config(p, "schema", bookkeeping_json);
	config(p, "shop", shop_json);
	write_file(p, "luigi/sql/init/000_create_database.sql",
	           "CREATE DATABASE IF NOT EXISTS {database_name} CHARACTER SET utf8mb4;\n");
	write_file(p, "luigi/sql/tables/books.sql",
	           "CREATE TABLE IF NOT EXISTS books (id INT NOT NULL, title VARCHAR(50),\n"
	           "  genre_id INT, price DECIMAL(6,2), updated DATETIME, PRIMARY KEY (id),\n"
	           "  KEY by_genre (genre_id), UNIQUE KEY (title))\n");
	write_file(p, "luigi/sql/procedures/flat_books.sql", flat_books_sql);
	write_file(p, "luigi/data/genres.json",
	           "[{\"genre_id\": 1, \"name\": \"poetry\"}, {\"genre_id\": 2, \"name\": \"novels\"}]\n");
}

/* the shop built: each table as the pipeline would make it */
static void
build_shop(struct proj *p)
{
	struct result r = chacc(p, "build");

	assert_ok(&r);
	result_free(&r);
	assert_val(p->tgt, "3", "SELECT COUNT(*) FROM books");
	assert_val(p->tgt, "1:poetry,2:novels",
	           "SELECT GROUP_CONCAT(genre_id, ':', name ORDER BY genre_id) FROM genres");
	assert_val(p->tgt, "1:Odes:poetry,2:Emma:novels,3:Ulysses:novels",
	           "SELECT GROUP_CONCAT(id, ':', title, ':', genre ORDER BY id) FROM flat_books");
	assert_val(p->tgt, "novels:2:27.25,poetry:1:8.50",
	           "SELECT GROUP_CONCAT(genre, ':', books, ':', value ORDER BY genre) FROM genre_totals");
	assert_val(p->tgt, "cheap:1,dear:2",
	           "SELECT GROUP_CONCAT(band, ':', n ORDER BY band) FROM price_bands");
	/* a new source row flows through the procedure and the summaries */
	sql(p->src, "INSERT INTO books VALUES (4, 'Beowulf', 1, 9.00, NOW() + INTERVAL 1 SECOND)");
	r = chacc(p, "build");
	assert_ok(&r);
	result_free(&r);
	assert_val(p->tgt, "novels:2:27.25,poetry:2:17.50",
	           "SELECT GROUP_CONCAT(genre, ':', books, ':', value ORDER BY genre) FROM genre_totals");
	assert_val(p->tgt, "cheap:2,dear:2",
	           "SELECT GROUP_CONCAT(band, ':', n ORDER BY band) FROM price_bands");
}

START_TEST(test_every_type)
{
	struct proj p;
	struct result r;
	char *yml, *proc;

	proj_new(&p, "shop");
	shop(&p);
	r = chacc(&p, "import", "luigi", "luigi");
	assert_ok(&r);
	assert_has(r.out, "InitCreateDatabaseTask");
	assert_has(r.out, "not needed");
	assert_has(r.out, "is valid: 5 targets");
	result_free(&r);
	yml = slurp(&p, "chacc.yml");
	/* the bookkeeping is listed, not converted */
	assert_has(yml, "#   InitCreateDatabaseTask (schema): not needed");
	assert_has(yml, "#   TablesEtlMetadataTask (schema): not needed");
	ck_assert_msg(!strstr(yml, "chacc_etl_metadata"), "%s", yml);
	/* extract_load: the key of the table-level PRIMARY KEY, renamed columns */
	assert_has(yml, "  - name: books\n    kind: extract\n    from: source\n"
	           "    query: sql/extract/books.sql\n    create: sql/tables/books.sql\n"
	           "    key: [id]\n    incremental: { column: updated }\n");
	/* load: a file target, its columns typed by its schema task, the file copied */
	assert_has(yml, "# from Luigi task LoadGenresTask (load), with SchemaGenresTask (schema)");
	assert_has(yml, "  - name: genres\n    kind: file\n    file: data/genres.json\n"
	           "    columns:\n      - { name: genre_id, type: INT }\n"
	           "      - { name: name, type: \"VARCHAR(30)\" }\n    key: [genre_id]\n");
	ck_assert(exists(&p, "data/genres.json"));
	/* procedure and flattened: one script writing its table in place */
	assert_has(yml, "# from Luigi task FlattenedBooksTask (flattened), with ProcedureFlatBooksTask");
	assert_has(yml, "  - name: flat_books\n    kind: script\n    needs: [books, genres]\n"
	           "    script: sql/procedures/procedureflatbookstask.sql\n"
	           "    call: \"CALL sp_flat_books()\"\n    in_place: true\n");
	proc = slurp(&p, "sql/procedures/procedureflatbookstask.sql");
	assert_has(proc, "DELIMITER //\nDROP PROCEDURE IF EXISTS `sp_flat_books`\n//\n"
	           "CREATE PROCEDURE sp_flat_books()");
	/* summary: a table with its index, or a script when it is more */
	assert_has(yml, "  - name: genre_totals\n    kind: table\n    needs: [flat_books]\n"
	           "    query: sql/summary/genre_totals.sql\n    indexes: [[genre]]\n");
	assert_has(yml, "  - name: price_bands\n    kind: script\n    needs: [books]\n"
	           "    script: sql/scripts/price_bands.sql\n    in_place: true\n");
	free(yml);
	free(proc);
	build_shop(&p);
	proj_free(&p);
}
END_TEST

/*
 * the shop for a PostgreSQL target: the extract and the load converted, the
 * scripts (MariaDB's procedures and statements) and the summary reading what
 * one writes listed as not converted, and the rest built there
 */
START_TEST(test_every_type_postgres)
{
	struct proj p;
	struct result r;
	char *yml;

	proj_new_pg(&p, "shop_pg");
	shop(&p);
	r = chacc(&p, "import", "luigi", "luigi", "--target-driver", "postgres");
	assert_ok(&r);
	assert_has(r.out, "is valid: 2 targets");
	assert_has(r.out, "FlattenedBooksTask               flattened     not converted: its SQL is"
	           " MariaDB's: rewrite it for PostgreSQL (it would be script target 'flat_books')");
	assert_has(r.out, "ProcedureFlatBooksTask           procedure     not converted: part of"
	           " 'flat_books', which is not converted");
	assert_has(r.out, "SummaryGenreTotalsTask           summary       not converted: reads what"
	           " task 'FlattenedBooksTask' makes, which is not converted");
	assert_has(r.err, "task 'SummaryPriceBandsTask': not converted: its SQL is MariaDB's");
	assert_has(r.err, "task 'ExtractLoadBooksTask': unique key (title...) of table 'books' becomes"
	           " a plain index");
	/* their files are not written */
	ck_assert_msg(!strstr(r.out, "sql/procedures") && !strstr(r.out, "sql/scripts") &&
	              !strstr(r.out, "sql/summary"), "%s", r.out);
	result_free(&r);
	ck_assert(!exists(&p, "sql/procedures") && !exists(&p, "sql/scripts"));
	yml = slurp(&p, "chacc.yml");
	assert_has(yml, "#   SummaryPriceBandsTask (summary): its SQL is MariaDB's: rewrite it for"
	           " PostgreSQL (it would be script target 'price_bands')\n");
	/* the KEY and UNIQUE of its CREATE TABLE as indexes */
	assert_has(yml, "  - name: books\n    kind: extract\n    from: source\n"
	           "    query: sql/extract/books.sql\n    key: [id]\n"
	           "    indexes: [[title], [genre_id]]\n    incremental: { column: updated }\n");
	assert_has(yml, "      - { name: genre_id, type: integer }\n"
	           "      - { name: name, type: \"varchar(30)\" }\n");
	ck_assert_msg(!strstr(yml, "flat_books") || strstr(yml, "#   FlattenedBooksTask"), "%s", yml);
	free(yml);
	r = chacc(&p, "build");
	assert_ok(&r);
	result_free(&r);
	assert_val(p.tgt, "1:Odes:8.50,2:Emma:12.00,3:Ulysses:15.25",
	           "SELECT string_agg(id || ':' || title || ':' || price, ',' ORDER BY id)"
	           " FROM books");
	assert_val(p.tgt, "1:poetry,2:novels",
	           "SELECT string_agg(genre_id || ':' || name, ',' ORDER BY genre_id) FROM genres");
	assert_val(p.tgt, "(genre_id),(id),(title)", "SELECT string_agg(x, ',' ORDER BY x) FROM"
	           " (SELECT substring(indexdef from '\\(.*\\)') AS x FROM pg_indexes"
	           " WHERE tablename = 'books') i");
	/* a driver chacc does not know is a usage error */
	r = chacc(&p, "import", "luigi", "luigi", "--target-driver", "oracle", "--force");
	ck_assert_msg(r.status == 2, "exit %d\n%s", r.status, r.err);
	assert_has(r.err, "invalid driver 'oracle' for --target-driver: expected mariadb or postgres");
	result_free(&r);
	proj_free(&p);
}
END_TEST

START_TEST(test_broken)
{
	struct proj p;
	struct result r;

	proj_new(&p, "broken");
	config(&p, "broken",
	       "{\"tasks\": {\n"
	       "  \"TransformTask\": {\"type\": \"transform\", \"sql\": \"SELECT 1\"},\n"
	       "  \"OrphanTask\": {\"type\": \"summary\", \"dependencies\": [\"NoSuchTask\"],\n"
	       "    \"sql\": \"CREATE TABLE orphan AS SELECT 1 AS one\"},\n"
	       "  \"LostFileTask\": {\"type\": \"extract_load\", \"target_table\": \"lost\",\n"
	       "    \"query\": \"sql/extract/lost.sql\",\n"
	       "    \"full_load_sql\": \"INSERT INTO lost (a) VALUES (%s)\"},\n"
	       "  \"ShortTask\": {\"type\": \"extract_load\", \"target_table\": \"short\",\n"
	       "    \"query\": \"SELECT a, b, c AS see FROM t\",\n"
	       "    \"full_load_sql\": \"INSERT INTO short (a, b) VALUES (%s, %s)\"},\n"
	       "  \"GoodTask\": {\"type\": \"summary\", \"sql\": \"CREATE TABLE good AS SELECT 1 AS one\"}\n"
	       "}}\n");
	r = chacc(&p, "import", "luigi", "luigi");
	ck_assert_msg(r.status == 2, "exit %d\n%s", r.status, r.err);
	assert_has(r.err, "task 'TransformTask': unknown type 'transform'");
	assert_has(r.err, "task 'OrphanTask': depends on 'NoSuchTask', which no task config defines");
	assert_has(r.err, "task 'LostFileTask': SQL file 'sql/extract/lost.sql' of 'query' is missing");
	assert_has(r.err, "task 'ShortTask': 'full_load_sql' has 2 placeholders but its query "
	           "selects 3 columns");
	assert_has(r.err, "4 tasks cannot be converted: nothing written");
	assert_has(r.out, "GoodTask");
	ck_assert_msg(!exists(&p, "chacc.yml") && !exists(&p, "sql"), "something was written");
	result_free(&r);
	proj_free(&p);
}
END_TEST

START_TEST(test_force_and_dry_run)
{
	struct proj p;
	struct result r;
	char *yml;

	proj_new(&p, "force");
	shop(&p);
	/* --dry-run: the plan, and nothing written */
	r = chacc(&p, "import", "luigi", "luigi", "--dry-run");
	assert_ok(&r);
	assert_has(r.out, "FlattenedBooksTask");
	assert_has(r.out, "-> script flat_books");
	assert_has(r.out, "sql/extract/books.sql");
	assert_has(r.out, "nothing written");
	ck_assert(!exists(&p, "chacc.yml") && !exists(&p, "sql") && !exists(&p, "data"));
	result_free(&r);

	r = chacc(&p, "import", "luigi", "luigi");
	ck_assert_msg(exists(&p, "chacc.yml"), "%s", r.err);
	result_free(&r);
	write_file(&p, "sql/extract/books.sql", "SELECT 'mine'\n");
	/* files that exist are refused, each named; none is touched */
	r = chacc(&p, "import", "luigi", "luigi");
	ck_assert_msg(r.status == 2, "exit %d\n%s", r.status, r.err);
	assert_has(r.err, "sql/extract/books.sql: exists (--force overwrites it)");
	assert_has(r.err, "chacc.yml: exists");
	result_free(&r);
	yml = slurp(&p, "sql/extract/books.sql");
	ck_assert_str_eq(yml, "SELECT 'mine'\n");
	free(yml);
	/* --force writes them again */
	r = chacc(&p, "import", "luigi", "luigi", "--force");
	assert_ok(&r);
	result_free(&r);
	yml = slurp(&p, "sql/extract/books.sql");
	assert_has(yml, "SELECT id AS book_id");
	free(yml);
	/* no temporary file is left beside them */
	r = chacc(&p, "import", "luigi", "luigi", "-n");
	result_free(&r);
	yml = xasprintf("! find '%s' -name '*.chacc-import.*' | grep -q .", p.dir);
	ck_assert_int_eq(system(yml), 0);
	free(yml);
	proj_free(&p);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("import");
	char dir[PATH_MAX];

	if (itest_setup("import") < 0)
		return EXIT_SUCCESS;
	snprintf(dir, sizeof(dir), "%s", bin);
	snprintf(root, sizeof(root), "%s", dirname(dir));
	snprintf(sakila_json, sizeof(sakila_json), "%s/../shared/reference/luigi-tasks-sakila.json",
	         root);
	snprintf(sakila_schema, sizeof(sakila_schema), "%s/../shared/data/sakila/sakila-mv-schema.sql",
	         root);
	snprintf(sakila_data, sizeof(sakila_data), "%s/../shared/data/sakila/sakila-mv-data.sql", root);
	add_case(s, "every_type", test_every_type);
	add_case(s, "every_type_postgres", test_every_type_postgres);
	add_case(s, "broken", test_broken);
	add_case(s, "force_and_dry_run", test_force_and_dry_run);
	/* without ../shared the Sakila test is skipped, and fails under CI */
	if (need_shared("import", "the Sakila example", sakila_json) &&
	    need_shared("import", "the Sakila example", sakila_schema)) {
		add_case(s, "sakila", test_sakila);
		add_case(s, "sakila_postgres", test_sakila_postgres);
	}
	return run_suite(s);
}
