/* luigi.h: importing the task configs of the ChaCC Luigi pipeline as a recipe */
#ifndef CHACC_LUIGI_H
#define CHACC_LUIGI_H

#include <stdbool.h>
#include <stdio.h>

struct diags;

struct luigi_import {
	const char *dir;         /* the Luigi project: DIR/config/tasks/ *.json, its SQL and data/ */
	const char *outdir;      /* where chacc.yml, sql/ and data/ are written */
	bool dry_run;            /* print the plan of the conversion, write nothing */
	bool force;              /* overwrite files that exist */
	const char *target_driver;  /* the target's engine: "mariadb" (NULL) or "postgres" */
};

enum luigi_outcome {
	LUIGI_OK,
	LUIGI_BAD_INPUT,         /* a task cannot be converted, or a file exists: nothing written */
	LUIGI_FAILED,            /* writing failed (nothing left half-written), or the recipe is invalid */
};

/*
 * read DIR/config/tasks/ *.json (every file, merged, later files winning as
 * the pipeline's loader does) and the SQL and data files they name, and write
 * chacc.yml, sql/... and data/... into outdir; then load the written recipe
 * to check it. The plan of the conversion (each task, what it became, the
 * files) goes to out; problems, each naming its task, to ds.
 */
enum luigi_outcome luigi_import(const struct luigi_import *li, FILE *out, struct diags *ds);

#endif
