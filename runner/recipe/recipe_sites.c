/*
 * recipe_sites.c: sites:, groups of source connections an extract reads with
 * from: GROUP. A group lists its sites inline (list:) and in a file next to
 * the recipe (file:, CSV with a header row naming the fields, else YAML or
 * JSON: a list of mappings), with defaults every site takes for the fields
 * it leaves unset. Each site becomes a struct conn named as the site.
 * Problems are reported where they are written: the recipe's file:line:column
 * or the sites file's.
 */
#include "recipe_impl.h"
#include "datafile.h"
#include "db.h"
#include "env.h"
#include "util.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* a site's fields; then the group's own */
enum { S_NAME, S_HOST, S_PORT, S_SOCKET, S_USER, S_PASSWORD, S_DATABASE, S_SCHEMA, S_N };
enum { G_DRIVER = S_N, G_FILE, G_LIST, G_N };
static const char *const keys[G_N] = {
	"name", "host", "port", "socket", "user", "password", "database", "schema",
	"driver", "file", "list",
};

/* one site as listed */
struct lsite {
	char *f[S_N];            /* values, variables expanded; NULL when unset */
	char *shown;             /* its name as written */
	const char *file;        /* where it is listed, as messages show it */
	int line, col;
};

/* a group as its entry and its sites file give it */
struct lgroup {
	char *f[G_LIST];         /* its name, defaults, driver, file; NULL when unset */
	char *shown;             /* its name as written */
	yaml_node_t *filenode;   /* file: in the recipe */
	char *listfile;          /* the sites file as messages show it, or NULL */
	struct lsite *v;
	size_t n;
	bool lost;               /* its sites file could not be read */
};

static void
freefields(char **f, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (f[i] && i == S_PASSWORD)
			explicit_bzero(f[i], strlen(f[i]));
		free(f[i]);
		f[i] = NULL;
	}
}

/* whether s is made of the characters of a site's name */
static bool
sitechars(const char *s)
{
	for (const char *p = s; *p; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		      (*p >= '0' && *p <= '9') || *p == '_' || *p == '.' || *p == '-'))
			return false;
	return true;
}

/*
 * why value s (written w) of field k is refused, into msg, or false: an
 * empty site name, a bad name, a bad port
 */
static bool
refused(int k, const char *s, const char *w, struct buf *msg)
{
	if (k == S_NAME && !*s)
		buf_adds(msg, "empty site name");
	else if (k == S_NAME && strlen(s) > DB_SITE_NAME_MAX)
		buf_addf(msg, "invalid site name '%s': longer than %d characters", w, DB_SITE_NAME_MAX);
	else if (k == S_NAME && !sitechars(s))
		buf_addf(msg, "invalid site name '%s': use letters, digits, '_', '.' and '-'", w);
	else if (k == S_PORT && ldport(s) < 0)
		buf_addf(msg, "invalid port '%s': " LD_PORT_RULE, w);
	else
		return false;
	return true;
}

/* value v of key k (of a site when site) into *out: NULL when unset or refused (reported) */
static void
value(struct loader *ld, yaml_node_t *v, int k, bool site, char **out)
{
	const char *w;
	struct buf msg;
	char *s;
	int rc;

	if ((rc = ldscalar(ld, v, keys[k], &s)) < 0)
		return;
	w = (const char *)v->data.scalar.value;
	buf_init(&msg);
	if (rc == 0 && site && refused(k, s, w, &msg)) {
		ldbad(ld, v, "%s", msg.s);
		/* a bad name still names a site: the group is not empty */
		if (k == S_NAME && *s) {
			*out = s;
			s = NULL;
		}
	} else if (rc == 0 && !*s && k == S_NAME) {
		ldbad(ld, v, "empty value for 'name'");
	} else if (rc == 0 && !site && k == S_PORT && refused(k, s, w, &msg)) {
		ldbad(ld, v, "%s", msg.s);
	} else if ((rc == 0 && *s && (k != G_DRIVER || lddriver(ld, v, s))) ||
	           (rc == 1 && k == S_NAME)) {
		/* a name with a variable unset (reported) stays as written */
		*out = s;
		s = NULL;
	}
	buf_release(&msg);
	free(s);
}

static void
addsite(struct lgroup *g, struct lsite *s)
{
	g->v = xreallocarray(g->v, g->n + 1, sizeof(*g->v));
	g->v[g->n++] = *s;
}

/* one site of a list: mapping e of the document being read */
static void
walksite(struct loader *ld, yaml_node_t *e, struct lgroup *g)
{
	struct lsite s = { .file = ld->file };
	yaml_node_pair_t *p;
	unsigned got = 0;
	int k;

	if (e->type != YAML_MAPPING_NODE) {
		ldbad(ld, e, "expected a mapping for a site, got %s", ldtypename(e));
		return;
	}
	s.line = (int)e->start_mark.line + 1;
	s.col = (int)e->start_mark.column + 1;
	for (p = e->data.mapping.pairs.start; p < e->data.mapping.pairs.top; p++) {
		yaml_node_t *kn = ldnode(ld, p->key), *v = ldnode(ld, p->value);

		if ((k = ldkeyof(ld, kn, keys, S_N, "site")) < 0)
			continue;
		if (got & 1u << k) {
			ldbad(ld, kn, "duplicate key '%s' in site", keys[k]);
			continue;
		}
		got |= 1u << k;
		value(ld, v, k, true, &s.f[k]);
		if (k == S_NAME && s.f[k])
			s.shown = xstrdup((const char *)v->data.scalar.value);
	}
	if (!(got & 1u << S_NAME))
		ldbad(ld, e, "missing required key 'name' in site");
	if (s.f[S_NAME])
		addsite(g, &s);
	else
		freefields(s.f, S_N);
}

/* a sequence of sites, v (of list: or a sites file's document) */
static void
walklist(struct loader *ld, yaml_node_t *v, struct lgroup *g, const char *what)
{
	if (v->type != YAML_SEQUENCE_NODE) {
		ldbad(ld, v, "expected a sequence of sites for %s, got %s", what, ldtypename(v));
		return;
	}
	for (yaml_node_item_t *it = v->data.sequence.items.start; it < v->data.sequence.items.top;
	     it++)
		walksite(ld, ldnode(ld, *it), g);
}

/* the header of a CSV sites file: per column, its field; false when one is not a field */
static bool
csvhead(struct loader *ld, const struct drow *head, int *fieldof)
{
	unsigned got = 0;
	bool ok = true;
	const char *best;
	int k;

	for (size_t i = 0; i < head->n; i++) {
		const struct dcell *c = &head->v[i];
		const char *name = c->text ? c->text : "";

		for (k = 0; k < S_N && strcmp(keys[k], name); k++)
			;
		if (k == S_N) {
			if ((best = ldnearest(name, keys, S_N)))
				ldmsg(ld, ld->file, c->line, c->col, "unknown column '%s' in sites file: "
				      "did you mean '%s'?", name, best);
			else
				ldmsg(ld, ld->file, c->line, c->col, "unknown column '%s' in sites file "
				      "(expected name, host, port, socket, user, password, database, "
				      "schema)", name);
			ok = false;
		} else if (got & 1u << k) {
			ldmsg(ld, ld->file, c->line, c->col, "column '%s' twice in sites file", name);
			ok = false;
		}
		got |= k < S_N ? 1u << k : 0;
		fieldof[i] = k;
	}
	if (ok && !(got & 1u << S_NAME)) {
		ldmsg(ld, ld->file, head->line, head->col, "no column 'name' in sites file: "
		      "every site has a name");
		ok = false;
	}
	if (!ok)
		ld->nsoft++;
	return ok;
}

/* cell c of field k of a CSV row, variables expanded, into *out (NULL when unset or refused) */
static void
csvcell(struct loader *ld, const struct dcell *c, int k, char **out)
{
	char *s, *unset, *where;
	struct buf msg;

	if (!c->text || !*c->text) {
		if (k == S_NAME) {
			ldmsg(ld, ld->file, c->line, c->col, "empty site name");
			ld->nsoft++;
		}
		return;
	}
	if (!(s = env_expand(c->text, &unset))) {
		where = env_sources();
		ldmsg(ld, ld->file, c->line, c->col, "unset variable '%s' (not in %s)", unset, where);
		ld->nsoft++;
		free(where);
		free(unset);
		return;
	}
	if (strcmp(s, c->text))
		ldasis(ld, s, c->text, c->line);
	buf_init(&msg);
	if (refused(k, s, c->text, &msg)) {
		ldmsg(ld, ld->file, c->line, c->col, "%s", msg.s);
		ld->nsoft++;
	}
	/* a bad name still names a site: the group is not empty */
	if (!msg.len || k == S_NAME)
		*out = s;
	else
		free(s);
	buf_release(&msg);
}

/* a CSV sites file: one site a row; false when its sites are not known (reported) */
static bool
readcsv(struct loader *ld, const char *text, size_t len, struct lgroup *g)
{
	struct dfile df;
	struct dferr err;
	int *fieldof;
	bool ok;

	if (dfile_csv(text, len, &df, &err) < 0) {
		ldmsg(ld, ld->file, err.line, err.col, "%s", err.msg);
		ld->nsoft++;
		return false;
	}
	fieldof = xcalloc(df.head.n + 1, sizeof(*fieldof));
	ok = csvhead(ld, &df.head, fieldof);
	for (size_t r = 0; ok && r < df.nrows; r++) {
		const struct drow *row = &df.rows[r];
		struct lsite s = { .file = ld->file, .line = row->line, .col = row->col };

		if (row->n != df.head.n) {
			ldmsg(ld, ld->file, row->line, row->col, "%zu value%s in a row of %zu columns",
			      row->n, row->n == 1 ? "" : "s", df.head.n);
			ld->nsoft++;
			continue;
		}
		for (size_t i = 0; i < row->n; i++) {
			csvcell(ld, &row->v[i], fieldof[i], &s.f[fieldof[i]]);
			if (fieldof[i] == S_NAME && s.f[S_NAME])
				s.shown = xstrdup(row->v[i].text);
		}
		if (s.f[S_NAME])
			addsite(g, &s);
		else
			freefields(s.f, S_N);
	}
	free(fieldof);
	dfile_release(&df);
	return ok;
}

/* g's sites file, read through the recipe's source; CSV or YAML (JSON) by its name */
static void
readsites(struct loader *ld, struct lgroup *g)
{
	const char *why, *file = ld->file, *rel = g->f[G_FILE];
	int line = (int)g->filenode->start_mark.line + 1;
	yaml_document_t doc, *in = ld->in;
	size_t len = SIZE_MAX, n = strlen(rel);
	yaml_node_t *root;
	char *body;

	if ((why = ldforbidden(ld, rel)) || !(body = ldread(ld, rel, &len))) {
		ldbad(ld, g->filenode, "sites file '%s' %s", ldshown(ld, rel, ld->file, line),
		      why ? why : "not found");
		g->lost = true;
		return;
	}
	if (len == SIZE_MAX)
		len = strlen(body);
	g->listfile = ldpathjoin(ld->r->dir, rel);
	ld->file = g->listfile;
	if (n >= 4 && !strcasecmp(rel + n - 4, ".csv")) {
		g->lost = !readcsv(ld, body, len, g);
	} else if (ldparsedoc(ld, body, len, &doc)) {
		ld->in = &doc;
		if ((root = yaml_document_get_root_node(&doc)))
			walklist(ld, root, g, "a sites file");
		ld->in = in;
		yaml_document_delete(&doc);
	} else {
		g->lost = true;
	}
	ld->file = file;
	free(body);
}

/* every site of g listed once; the second listing of one is the error */
static void
twice(struct loader *ld, const struct lgroup *g)
{
	for (size_t i = 1; i < g->n; i++) {
		const struct lsite *s = &g->v[i];

		for (size_t j = 0; j < i; j++) {
			const struct lsite *t = &g->v[j];

			if (strcmp(s->f[S_NAME], t->f[S_NAME]))
				continue;
			ldmsg(ld, s->file, s->line, s->col, "site '%s' is listed twice in group '%s': "
			      "%s:%d and %s:%d", s->shown, g->shown ? g->shown : "?", t->file, t->line,
			      s->file, s->line);
			ld->nsoft++;
			break;
		}
	}
}

/* group g as a struct site_group of the recipe; its fields are moved there */
static void
addgroup(struct loader *ld, struct lgroup *g, int line)
{
	struct recipe *r = ld->r;
	struct site_group *sg;
	const char *list = g->listfile ? g->listfile : ld->file;

	r->sites = xreallocarray(r->sites, r->nsites + 1, sizeof(*r->sites));
	sg = &r->sites[r->nsites++];
	memset(sg, 0, sizeof(*sg));
	sg->name = g->f[S_NAME];
	sg->driver = g->f[G_DRIVER] ? g->f[G_DRIVER] : xstrdup("mariadb");
	g->f[S_NAME] = g->f[G_DRIVER] = NULL;
	sg->list = xstrdup(list);
	sg->file = xstrdup(ld->file);
	sg->line = line;
	sg->sites = xcalloc(g->n + 1, sizeof(*sg->sites));
	sg->lines = xcalloc(g->n + 1, sizeof(*sg->lines));
	for (size_t i = 0; i < g->n; i++, sg->nsites++) {
		struct lsite *s = &g->v[i];
		struct conn *c = &sg->sites[i];
		char *f[S_N];

		/* a site's own value beats the group's */
		for (int k = 0; k < S_N; k++)
			f[k] = s->f[k] ? s->f[k] : g->f[k] ? xstrdup(g->f[k]) : NULL;
		c->name = f[S_NAME];
		c->driver = xstrdup(sg->driver);
		c->host = f[S_HOST];
		c->port = f[S_PORT] ? (unsigned)ldport(f[S_PORT]) : 0;
		free(f[S_PORT]);
		c->socket = f[S_SOCKET];
		c->user = f[S_USER];
		c->password = f[S_PASSWORD];
		c->database = f[S_DATABASE];
		c->schema = f[S_SCHEMA];
		sg->lines[i] = !strcmp(s->file, list) ? s->line : 0;
		memset(s->f, 0, sizeof(s->f));
	}
}

/* one group: mapping e of sites: */
static void
walkgroup(struct loader *ld, yaml_node_t *e)
{
	struct lgroup g = { .filenode = NULL };
	yaml_node_t *list = NULL;
	yaml_node_pair_t *p;
	unsigned got = 0;
	int k;

	if (e->type != YAML_MAPPING_NODE) {
		ldbad(ld, e, "expected a mapping for a sites group, got %s", ldtypename(e));
		ld->lostconns = true;
		return;
	}
	for (p = e->data.mapping.pairs.start; p < e->data.mapping.pairs.top; p++) {
		yaml_node_t *kn = ldnode(ld, p->key), *v = ldnode(ld, p->value);

		if ((k = ldkeyof(ld, kn, keys, G_N, "sites group")) < 0)
			continue;
		if (got & 1u << k) {
			ldbad(ld, kn, "duplicate key '%s' in sites group", keys[k]);
			continue;
		}
		got |= 1u << k;
		if (k == G_LIST) {
			list = ldisnull(v) ? NULL : v;
			continue;
		}
		value(ld, v, k, false, &g.f[k]);
		if (k == S_NAME && g.f[k])
			g.shown = xstrdup((const char *)v->data.scalar.value);
		if (k == G_FILE)
			g.filenode = v;
	}
	if (!(got & 1u << S_NAME))
		ldbad(ld, e, "missing required key 'name' in sites group");
	if (g.f[G_FILE])
		readsites(ld, &g);
	if (list)
		walklist(ld, list, &g, "'list'");
	if (g.f[S_NAME] && !g.n && !g.lost && !(list && list->type != YAML_SEQUENCE_NODE))
		ldbad(ld, e, "sites group '%s' lists no site: give it 'list' or 'file'", g.shown);
	twice(ld, &g);
	if (g.f[S_NAME])
		addgroup(ld, &g, (int)e->start_mark.line + 1);
	else
		ld->lostconns = true;
	freefields(g.f, G_LIST);
	for (size_t i = 0; i < g.n; i++) {
		freefields(g.v[i].f, S_N);
		free(g.v[i].shown);
	}
	free(g.v);
	free(g.shown);
	free(g.listfile);
}

void
ldwalksites(struct loader *ld, yaml_node_t *v)
{
	if (v->type != YAML_SEQUENCE_NODE) {
		ldbad(ld, v, "expected a sequence of sites groups for 'sites', got %s", ldtypename(v));
		ld->lostconns = true;
		return;
	}
	for (yaml_node_item_t *it = v->data.sequence.items.start; it < v->data.sequence.items.top;
	     it++)
		walkgroup(ld, ldnode(ld, *it));
}

/* the checks of the whole recipe */

void
ldchecksites(struct loader *ld)
{
	const struct recipe *r = ld->r;
	const struct conn *c;

	for (size_t i = 0; i < r->nsites; i++) {
		const struct site_group *g = &r->sites[i];
		const char *shown = ldshown(ld, g->name, g->file, g->line);

		if ((c = recipe_conn(r, g->name)))
			lderr(ld, g->file, g->line, "sites group '%s' has the name of a connection "
			      "(defined at %s:%d): 'from' could not tell them apart", shown,
			      ld->connwhere[c - r->conns].file, ld->connwhere[c - r->conns].line);
		for (size_t j = 0; j < i; j++) {
			if (!strcmp(r->sites[j].name, g->name)) {
				lderr(ld, g->file, g->line, "sites group '%s' defined twice (first at %s:%d)",
				      shown, r->sites[j].file, r->sites[j].line);
				break;
			}
		}
		for (size_t j = 0; strcmp(g->driver, "postgres") && j < g->nsites; j++) {
			if (g->sites[j].schema) {
				lderr(ld, g->lines[j] ? g->list : g->file, g->lines[j] ? g->lines[j] : g->line,
				      "site '%s' of group '%s': 'schema' is a PostgreSQL setting, and the "
				      "group's driver is '%s'", g->sites[j].name, shown, g->driver);
				break;
			}
		}
	}
}

/* whether list l holds name (SQL names: any case) */
static bool
holds(const struct strlist *l, const char *name)
{
	for (size_t i = 0; i < l->n; i++)
		if (!strcasecmp(l->v[i], name))
			return true;
	return false;
}

void
ldchecksitetarget(struct loader *ld, struct target *t, const struct entry *en,
                  const struct site_group *g)
{
	const char *shown = ldshown(ld, t->from, t->file, t->line);
	struct strlist cols;

	if (!t->key.n && !en->unknown && !(en->keys & 1u << T_KEY)) {
		ldterr(ld, t, "an extract from sites group '%s' needs 'key': rows from sites are keyed "
		       "by (" SITE_COLUMN ", key)", shown);
	} else if (t->key.n && !holds(&t->key, SITE_COLUMN)) {
		/* the site leads the key; one the user placed stays where it is */
		t->key.v = xreallocarray(t->key.v, t->key.n + 1, sizeof(*t->key.v));
		memmove(t->key.v + 1, t->key.v, t->key.n * sizeof(*t->key.v));
		t->key.v[0] = xstrdup(SITE_COLUMN);
		t->key.n++;
	}
	if (t->create_sql && ldcolumns(t, &cols)) {
		if (!holds(&cols, SITE_COLUMN))
			ldterr(ld, t, "its create file '%s' declares no column '" SITE_COLUMN "': rows from "
			       "sites group '%s' carry their site's name in it",
			       ldshown(ld, t->create, t->file, t->line), shown);
		strlist_release(&cols);
	}
}

void
site_group_release(struct site_group *g)
{
	for (size_t i = 0; i < g->nsites; i++)
		ldconnrelease(&g->sites[i]);
	free(g->sites);
	free(g->lines);
	free(g->name);
	free(g->driver);
	free(g->list);
	free(g->file);
}
