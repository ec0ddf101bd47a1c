/* session.c: recipe, graph, connections and markers for one command */
#include "session.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "db.h"
#include "diag.h"
#include "graph.h"
#include "log.h"
#include "marker.h"
#include "recipe.h"
#include "select.h"
#include "store.h"
#include "util.h"
#include "vcs.h"

/*
 * the planner's probe: an extract asks its source; an incremental table or
 * script whose needs changed asks the target how large a share of them did
 * (build_share). That share only picks full over incremental: when it cannot
 * be counted, the build stays incremental, and the plan does not fail.
 */
static int
probe_source(void *arg, struct node *n)
{
	struct session *s = arg;
	char *err = NULL, *note = NULL;
	int rc;

	if (n->t->kind == KIND_EXTRACT)
		rc = build_probe(&s->conns, n->t, &s->markers[n->id], &note, &err);
	else if ((rc = build_share(&s->conns, n, s->markers, &note, &err)) < 0) {
		log_event(LOG_DEBUG, "share", n->t->name, 0, "%s: built incrementally", err);
		free(err);
		err = NULL;
		rc = PROBE_YES;
	}
	free(s->notes[n->id]);
	s->notes[n->id] = note;
	if (rc < 0) {
		free(s->probe_error);
		s->probe_error = err;
	}
	return rc;
}

const char *
outcome_name(enum outcome o)
{
	switch (o) {
	case OUTCOME_OK: return "ok";
	case OUTCOME_FAILED: return "failed";
	case OUTCOME_BAD_REQUEST: return "bad request";
	case OUTCOME_UNREACHABLE: return "unreachable";
	case OUTCOME_LOCKED: return "locked";
	case OUTCOME_INTERRUPTED: return "interrupted";
	}
	return "?";
}

static enum outcome
load(struct session *s, const char *recipe_path, const char *dir, const struct fsrc *src)
{
	size_t i;

	env_load_dotenv(dir);
	s->r = recipe_load(recipe_path, dir, src, s->diags);
	if (!s->r)
		return OUTCOME_BAD_REQUEST;
	log_read_level();
	s->g = graph_new(s->r);
	s->markers = xcalloc(s->g->nnodes, sizeof(*s->markers));
	s->hashes = xcalloc(s->g->nnodes, sizeof(*s->hashes));
	s->pending = xcalloc(s->g->nnodes, sizeof(*s->pending));
	s->pending_full = xcalloc(s->g->nnodes, sizeof(*s->pending_full));
	s->probed = xcalloc(s->g->nnodes, sizeof(*s->probed));
	s->notes = xcalloc(s->g->nnodes, sizeof(*s->notes));
	for (i = 0; i < s->g->nnodes; i++) {
		target_hash(s->r, s->g->nodes[i].t, s->hashes[i]);
		s->probed[i] = -2;
	}
	s->ps = (struct plan_state){
		.g = s->g, .markers = s->markers, .hashes = s->hashes, .opts = &s->opts,
		.probe = probe_source, .probe_arg = s, .pending = s->pending,
		.pending_full = s->pending_full, .probed = s->probed, .notes = s->notes,
	};
	return OUTCOME_OK;
}

/*
 * whether a scheduled run is the first of the state directory under dir to
 * meet the note that revisions are not recorded: cron says it once, not
 * every night (state/vcs-noted remembers it)
 */
static bool
first_note(const char *dir)
{
	char *state = xasprintf("%s/state", dir), *path = xasprintf("%s/vcs-noted", state);
	bool first = true;
	int fd = -1;

	if (mkdir(state, 0755) == 0 || errno == EEXIST) {
		fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
		first = fd >= 0 || errno != EEXIST;
	}
	if (fd >= 0)
		close(fd);
	free(state);
	free(path);
	return first;
}

enum outcome
session_load_rev(struct session *s, const char *recipe_path, const char *dir, const char *rev,
                 bool scheduled, struct diags *diags)
{
	char *err = NULL;
	struct vcs_src *v = vcs_src_open(recipe_path, dir, rev, scheduled, &err);
	enum outcome rc;

	memset(s, 0, sizeof(*s));
	s->diags = diags;
	if (!v) {
		diag_error(diags, "%s", err);
		free(err);
		return OUTCOME_BAD_REQUEST;
	}
	if (v->note && (!scheduled || first_note(dir)))
		diag_warn(diags, "%s", v->note);
	vcs_src_diags(v, diags);
	rc = load(s, recipe_path, dir, v->commit ? &v->fs : NULL);
	vcs_src_diags(v, NULL);
	s->vcs = v;
	if (rc == OUTCOME_OK)
		vcs_src_check(v, s->r);
	s->config_rev = *v->id ? v->id : NULL;
	s->config_dirty = v->dirty;
	return rc;
}

enum outcome
session_connect(struct session *s)
{
	char *err = NULL;
	size_t i;

	if (conns_open(&s->conns, s->r, &err) < 0) {
		diag_error(s->diags, "target database: %s", err);
		free(err);
		return OUTCOME_UNREACHABLE;
	}
	/* read the etl_ tables as they are: only a command that writes upgrades them */
	if (store_schema_version(s->conns.store, &err) < 0) {
		diag_error(s->diags, "%s", err);
		free(err);
		return OUTCOME_FAILED;
	}
	for (i = 0; i < s->g->nnodes; i++)
		if (store_marker_load(s->conns.store, s->g->nodes[i].t->name, &s->markers[i]) < 0) {
			diag_error(s->diags, "cannot read the marker of '%s': %s", s->g->nodes[i].t->name,
			           store_error(s->conns.store));
			return OUTCOME_UNREACHABLE;
		}
	return OUTCOME_OK;
}

enum outcome
session_upgrade(struct session *s)
{
	char *err = NULL, *note = NULL;
	int rc = store_schema_upgrade(s->conns.store, &err, &note);

	if (rc < 0) {
		diag_error(s->diags, "%s", err);
		free(err);
		return OUTCOME_FAILED;
	}
	if (note)
		diag_warn(s->diags, "%s", note);
	free(note);
	/* markers read from older tables are read again from the new ones */
	for (size_t i = 0; rc > 0 && i < s->g->nnodes; i++)
		if (store_marker_load(s->conns.store, s->g->nodes[i].t->name, &s->markers[i]) < 0) {
			diag_error(s->diags, "cannot read the marker of '%s': %s", s->g->nodes[i].t->name,
			           store_error(s->conns.store));
			return OUTCOME_UNREACHABLE;
		}
	return OUTCOME_OK;
}

int
session_window(struct session *s, const struct node *n, char out[20])
{
	const struct target *t = n->t;
	const struct marker *m = &s->markers[n->id];
	char *err = NULL, *now = NULL, *until = NULL;
	struct db *src;
	int rc = -1;

	*out = '\0';
	if (t->kind != KIND_EXTRACT || !t->incr.enabled || !m->window_open || !m->watermark)
		return -1;
	if (!(src = conns_get(&s->conns, t->from, &err, NULL))) {
		free(err);
		return -1;
	}
	/* both "YYYY-MM-DD HH:MM:SS.ffffff": compared as text, shown to the second */
	if (db_now(src, &now) == 0 && db_ts_minus(src, m->watermark, -t->incr.lookback, &until) == 0 &&
	    strlen(now) >= 19 && strlen(until) >= 19) {
		bool today = strncmp(until, now, 10) == 0;

		rc = strcmp(until, now) > 0;
		snprintf(out, 20, "%.*s", today ? 8 : 19, today ? until + 11 : until);
	}
	free(now);
	free(until);
	return rc;
}

void
session_release(struct session *s)
{
	size_t i;

	if (s->conns.r)
		conns_close(&s->conns);
	if (s->g)
		for (i = 0; i < s->g->nnodes; i++)
			marker_release(&s->markers[i]);
	free(s->markers);
	free(s->hashes);
	free(s->pending);
	free(s->pending_full);
	free(s->probed);
	for (i = 0; s->notes && s->g && i < s->g->nnodes; i++)
		free(s->notes[i]);
	free(s->notes);
	free(s->probe_error);
	free(s->selected);
	free(s->forced);
	graph_free(s->g);
	recipe_free(s->r);
	vcs_src_free(s->vcs);
	memset(s, 0, sizeof(*s));
}

long
session_select(struct session *s, char **sels, size_t nsel, char **excls, size_t nexcl,
               struct node ***sel)
{
	return select_targets(s->g, sels, nsel, excls, nexcl, s->diags, sel);
}

enum outcome
session_adopt(struct session *s, char **names, size_t n, bool dry_run)
{
	enum outcome rc = OUTCOME_OK;

	/* every name is checked before anything is written */
	for (size_t i = 0; i < n; i++) {
		struct node *nd = graph_find(s->g, names[i]);

		if (!nd) {
			struct nearest near;
			const char *best;

			nearest_init(&near, names[i]);
			for (size_t j = 0; j < s->g->nnodes; j++)
				nearest_add(&near, s->g->nodes[j].t->name);
			best = nearest_get(&near);
			diag_error(s->diags, "cannot adopt '%s': no such target in recipe '%s'%s%s%s",
			           names[i], s->r->path, best ? ": did you mean '" : "", best ? best : "",
			           best ? "'?" : "");
			rc = OUTCOME_BAD_REQUEST;
		} else if (!s->markers[nd->id].table_exists) {
			diag_error(s->diags, "cannot adopt '%s': database '%s' has no table '%s'", names[i],
			           db_name(s->conns.tgt), names[i]);
			rc = OUTCOME_BAD_REQUEST;
		}
	}
	for (size_t i = 0; i < n && rc == OUTCOME_OK; i++) {
		struct node *nd = graph_find(s->g, names[i]);
		struct marker *m = &s->markers[nd->id];
		long long rows;

		if (m->present) {
			diag_warn(s->diags, "'%s' is built by chacc already: nothing to adopt", names[i]);
			continue;
		}
		rows = db_count_rows(s->conns.tgt, names[i]);
		if (dry_run) {
			m->present = true;
			snprintf(m->status, sizeof(m->status), "ok");
			snprintf(m->hash, sizeof(m->hash), "%s", MARKER_ADOPTED);
			m->rows = rows;
			continue;
		}
		if (rows < 0 || store_marker_adopt(s->conns.store, names[i], rows) < 0 ||
		    store_marker_load(s->conns.store, names[i], m) < 0) {
			diag_error(s->diags, "cannot adopt '%s': %s", names[i], db_error(s->conns.tgt));
			return OUTCOME_UNREACHABLE;
		}
		log_event(LOG_INFO, "adopt", names[i], 0, "adopted table '%s' (%lld rows): its first"
		          " build replaces them in full", names[i], rows);
	}
	return rc;
}
