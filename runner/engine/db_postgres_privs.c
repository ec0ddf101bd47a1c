/*
 * db_postgres_privs.c: does the PostgreSQL role hold what builds need, and
 * creating a connection's database and schema when they are missing
 */
#include "db_postgres.h"

#include <stdlib.h>
#include <string.h>

#include "util.h"

/* what a build needs, and where: the columns of the query in check_privileges */
static const char *const needed[] = {
	"CONNECT on database", "TEMPORARY on database", "USAGE on schema", "CREATE on schema",
};

int
pdb_check_privileges(struct db *d, bool routines, char **err)
{
	char *schema = pdb_literal(db_name(d));
	struct dbres *r;
	struct buf missing;
	const char *role, *db;
	int rc;

	/* tables, indexes and routines are all created in the schema: CREATE covers them */
	(void)routines;
	r = db_queryf(d, "SELECT current_user, current_database(),"
	              " has_database_privilege(current_database(), 'CONNECT'),"
	              " has_database_privilege(current_database(), 'TEMPORARY'),"
	              " has_schema_privilege(%s, 'USAGE'), has_schema_privilege(%s, 'CREATE')",
	              schema, schema);
	free(schema);
	if (!r || !dbres_next(r)) {
		*err = xasprintf("cannot read the privileges of the target role: %s", db_error(d));
		dbres_free(r);
		return -1;
	}
	role = dbres_get(r, 0);
	db = dbres_get(r, 1);
	buf_init(&missing);
	for (size_t i = 0; i < LEN(needed); i++) {
		const char *v = dbres_get(r, i + 2);

		if (v && strcmp(v, "t") == 0)
			continue;
		buf_addf(&missing, "%s%s '%s'", missing.len ? ", " : "", needed[i],
		         strstr(needed[i], "schema") ? db_name(d) : db);
	}
	rc = missing.len ? -1 : 0;
	if (rc < 0)
		*err = xasprintf("the target role '%s' lacks %s", role, missing.s);
	dbres_free(r);
	buf_release(&missing);
	return rc;
}

/* connect to database of p in schema pg_catalog (always there); NULL with *err */
static struct db *
connect_to(const struct db_params *p, const char *database, char **err, enum db_err *why)
{
	struct db_params q = *p;

	q.database = database;
	q.schema = "pg_catalog";
	return db_connect(&q, err, why);
}

/* does the first column of sql come back? 1, 0 or -1 */
static int
exists(struct db *d, const char *sql)
{
	char *v = NULL;
	int rc = db_value(d, &v, "%s", sql);

	free(v);
	return rc;
}

static char *
role_of(struct db *d)
{
	char *who = NULL;

	if (db_value(d, &who, "SELECT current_user") <= 0 || !who) {
		free(who);
		return xstrdup("the connection's user");
	}
	return who;
}

/* create database p->database on d when missing; 0 or -1 with *err */
static int
create_db(struct db *d, const struct db_params *p, char **err)
{
	const char *name = p->name ? p->name : "?";
	char *id = pdb_ident(p->database), *lit = pdb_literal(p->database), *sql, *who;
	int rc;

	sql = xasprintf("SELECT 1 FROM pg_catalog.pg_database WHERE datname = %s", lit);
	if ((rc = exists(d, sql)) == 0) {
		rc = db_execf(d, "CREATE DATABASE %s ENCODING 'UTF8'", id);
		/* a template of another encoding: template0 takes any */
		if (rc < 0 && d->errnum == PDB_STATE("22023"))
			rc = db_execf(d, "CREATE DATABASE %s TEMPLATE template0 ENCODING 'UTF8'", id);
	}
	if (rc < 0 && d->errnum == PDB_STATE("42501")) {
		who = role_of(d);
		*err = xasprintf("connection '%s': database '%s' does not exist, and role '%s' may not"
		                 " create it: it needs the CREATEDB attribute (ALTER ROLE %s CREATEDB),"
		                 " or create it for it", name, p->database, who, who);
		free(who);
	} else if (rc < 0)
		*err = xasprintf("connection '%s': cannot create database '%s': %s", name, p->database,
		                 db_error(d));
	free(sql);
	free(id);
	free(lit);
	return rc < 0 ? -1 : 0;
}

/* create the schema of p on d (connected to p's database) when missing; 0 or -1 with *err */
static int
create_schema(struct db *d, const struct db_params *p, char **err)
{
	const char *name = p->name ? p->name : "?";
	const char *schema = p->schema && *p->schema ? p->schema : "public";
	char *id = pdb_ident(schema), *lit = pdb_literal(schema), *sql, *who, *idb;
	int rc;

	sql = xasprintf("SELECT 1 FROM pg_catalog.pg_namespace WHERE nspname = %s", lit);
	if ((rc = exists(d, sql)) == 0)
		rc = db_execf(d, "CREATE SCHEMA IF NOT EXISTS %s", id);
	if (rc < 0 && d->errnum == PDB_STATE("42501")) {
		who = role_of(d);
		idb = pdb_ident(PQdb(pdb(d)->pg));
		*err = xasprintf("connection '%s': schema '%s' does not exist in database '%s', and role"
		                 " '%s' may not create it: it needs the CREATE privilege on the database"
		                 " (GRANT CREATE ON DATABASE %s TO %s), or create it for it", name, schema,
		                 PQdb(pdb(d)->pg), who, idb, who);
		free(idb);
		free(who);
	} else if (rc < 0)
		*err = xasprintf("connection '%s': cannot create schema '%s': %s", name, schema,
		                 db_error(d));
	free(sql);
	free(id);
	free(lit);
	return rc < 0 ? -1 : 0;
}

int
pdb_create_database(const struct db_params *p, char **err)
{
	enum db_err why = DB_ERR_NONE;
	struct db *d;
	int rc;

	*err = NULL;
	if (!p->database || !*p->database) {
		if (!(d = connect_to(p, NULL, err, NULL)))
			return -1;
		rc = create_schema(d, p, err);
		db_close(d);
		return rc;
	}
	/* the database every cluster has, or the template when it was dropped */
	if (!(d = connect_to(p, "postgres", err, &why)) && why == DB_ERR_NO_DATABASE) {
		free(*err);
		*err = NULL;
		d = connect_to(p, "template1", err, NULL);
	}
	if (!d)
		return -1;
	rc = create_db(d, p, err);
	db_close(d);
	if (rc < 0)
		return -1;
	if (!(d = connect_to(p, p->database, err, NULL)))
		return -1;
	rc = create_schema(d, p, err);
	db_close(d);
	return rc;
}
