/* cmd_import.c: chacc import luigi DIR: a recipe from the Luigi pipeline's task configs */
#include <stdio.h>
#include <string.h>

#include "cmd.h"
#include "luigi.h"
#include "run.h"
#include "util.h"

const char usage_import[] =
	"usage: chacc import luigi DIR [-n] [--force] [--target-driver mariadb|postgres]\n"
	"\n"
	"Converts the task configs of a ChaCC ETL (Luigi) pipeline into a recipe:\n"
	"reads DIR/config/tasks/*.json (every file, merged) and the SQL files and\n"
	"data files they name, and writes chacc.yml, sql/... and data/... into the\n"
	"working directory (-C DIR: into DIR).\n"
	"\n"
	"  extract_load  an extract; its key is the primary key of the CREATE TABLE\n"
	"                of the schema task that makes its table (its 'create'), its\n"
	"                watermark column incremental_field\n"
	"  summary       a table from its CREATE TABLE ... AS SELECT, with its indexes\n"
	"                (a script when it is more than that)\n"
	"  flattened     a script: the procedures of the procedure task that defines\n"
	"                what it calls, then 'call:' its procedure_call\n"
	"  load          a file target: data/SOURCE_FILE, copied into data/\n"
	"  schema        part of the target whose table it creates (else a script)\n"
	"Scripts write their fixed table names themselves (in_place: true). The\n"
	"pipeline's own bookkeeping (InitCreateDatabaseTask, the chacc_etl_* and\n"
	"chacc_pipeline_* tables) is not needed. A comment above each target names\n"
	"the task it came from. The connections read the pipeline's .env names.\n"
	"\n"
	"What cannot be converted is listed with its task and why, and then nothing\n"
	"is written (exit status 2); so are files that exist, unless --force. The\n"
	"files are written whole or not at all, then the recipe is checked as\n"
	"'chacc validate' does (exit status 1 when it is not valid).\n"
	"\n"
	"--target-driver postgres writes a PostgreSQL target connection (driver:\n"
	"postgres, port ${TARGET_DB_PORT:-5432}, schema ${TARGET_DB_SCHEMA:-public});\n"
	"the source stays MariaDB. The pipeline's SQL is MariaDB's, so there: an\n"
	"extract's table is made from its query's column types (no 'create:'), a\n"
	"load's column types are spelled for PostgreSQL, a summary's SELECT is kept\n"
	"as written with a warning (check it: 'chacc validate --sql'), and scripts\n"
	"(flattened and procedure tasks, summaries that are more than a SELECT,\n"
	"schema scripts) and what reads their tables are not converted: each is\n"
	"listed with why, in the plan and atop chacc.yml, to rewrite for PostgreSQL.\n"
	"\n"
	"  -n, --dry-run        print the plan of the conversion; write nothing\n"
	"  -B, --force          overwrite files that exist\n"
	"  --target-driver D    the target connection's engine: mariadb (the default)\n"
	"                       or postgres\n";

int
cmd_import(struct opts *o)
{
	struct run_request rq;
	struct luigi_import li = { .outdir = ".", .dry_run = o->dry_run, .force = o->force };

	if (o->nargs != 2 || strcmp(o->args[0], "luigi") != 0) {
		warning("usage: chacc import luigi DIR (see 'chacc import --help')");
		return EXIT_USAGE;
	}
	li.dir = o->args[1];
	li.target_driver = o->target_driver;
	if (li.target_driver && strcmp(li.target_driver, "mariadb") != 0 &&
	    strcmp(li.target_driver, "postgres") != 0) {
		warning("invalid driver '%s' for --target-driver: expected mariadb or postgres",
		        li.target_driver);
		return EXIT_USAGE;
	}
	opts_request(o, &rq);
	switch (luigi_import(&li, stdout, rq.diags)) {
	case LUIGI_OK:
		if (o->dry_run)
			printf("dry run: nothing written\n");
		return EXIT_OK;
	case LUIGI_BAD_INPUT:
		return EXIT_USAGE;
	case LUIGI_FAILED:
		break;
	}
	return EXIT_FAILED;
}
