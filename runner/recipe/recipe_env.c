/*
 * recipe_env.c: the settings a recipe takes from the environment and .env
 * beyond its ${VAR}s: DB_CONNECT_TIMEOUT, and the Luigi pipeline's settings
 * that chacc does not need, accepted and named once as ignored
 */
#include "recipe_impl.h"
#include "diag.h"
#include "env.h"
#include "util.h"

#include <math.h>
#include <string.h>

/* the Luigi pipeline's .env settings that mean nothing to chacc */
static bool
ignored(const char *name)
{
	return strcmp(name, "DB_POOL_SIZE") == 0 ||
	       (strstarts(name, "LUIGI_") && strcmp(name, "LUIGI_LOG_LEVEL") != 0);
}

/* each ignored name once, in the order of the .env files */
static void
add_ignored(void *arg, const char *name)
{
	struct buf *b = arg;
	size_t n = strlen(name);
	const char *p;

	if (!ignored(name))
		return;
	for (p = b->s; p && (p = strstr(p, name)); p += n)
		if ((p == b->s || p[-1] == ' ') && (p[n] == ',' || p[n] == '\0'))
			return;
	buf_addf(b, "%s%s", b->len ? ", " : "", name);
}

/* DB_CONNECT_TIMEOUT as whole seconds, into every connection and site; an error when it is bad */
static void
connect_timeout(struct loader *ld)
{
	const char *s = env_get("DB_CONNECT_TIMEOUT");
	double secs;

	if (!s || !*s)
		return;
	if (ldduration(s, &secs) < 0 || secs <= 0) {
		ldmsg(ld, NULL, 0, 0, "DB_CONNECT_TIMEOUT: invalid duration '%s': " LD_DURATION_RULE
		      ", more than 0", s);
		ld->nsoft++;
		return;
	}
	for (size_t i = 0; i < ld->r->nconns; i++)
		ld->r->conns[i].connect_timeout = (unsigned)ceil(secs);
	for (size_t i = 0; i < ld->r->nsites; i++)
		for (size_t j = 0; j < ld->r->sites[i].nsites; j++)
			ld->r->sites[i].sites[j].connect_timeout = (unsigned)ceil(secs);
}

void
ldenv(struct loader *ld)
{
	struct buf b;

	connect_timeout(ld);
	buf_init(&b);
	env_dotenv_names(add_ignored, &b);
	if (b.len)
		diag_note(ld->diags, "ignoring Luigi settings of .env: %s", b.s);
	buf_release(&b);
}
