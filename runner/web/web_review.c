/* web_review.c: proposed config changes in the web UI: list, show (diff and impact), approve, reject */
#include <jansson.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "recipe.h"
#include "util.h"
#include "vcs.h"
#include "web.h"
#include "web_users.h"

static json_t *
commit_json(const struct vcs_commit *c)
{
	/* git keeps names and messages in whatever encoding they were written */
	return json_pack("{s:o, s:o, s:o, s:I, s:i, s:o, s:o}", "id", web_jstr(c->id), "author",
	                 web_jstr(c->author), "email", web_jstr(c->email), "time",
	                 (json_int_t)c->time, "offset", c->offset, "summary", web_jstr(c->summary),
	                 "message", web_jstr(c->message));
}

/* who approved or rejected it and when, or null */
static json_t *
decided_json(const struct vcs_review *rv)
{
	if (!rv->decider)
		return json_null();
	return json_pack("{s:o, s:o, s:I, s:i}", "name", web_jstr(rv->decider), "email",
	                 web_jstr(rv->decider_email), "time", (json_int_t)rv->decided, "offset",
	                 rv->decided_offset);
}

json_t *
web_review_json(const struct vcs_review *rv)
{
	return json_pack("{s:i, s:o, s:s, s:o, s:o}", "id", rv->id, "branch", web_jstr(rv->branch),
	                 "state", vcs_review_state_name(rv->state), "commit", commit_json(&rv->c),
	                 "decided", decided_json(rv));
}

int
web_vcs_open(struct web_req *rq, struct vcs **v, char **err)
{
	int rc = vcs_open(v, web_recipe(), ".", err);

	if (rc == 0 && rq->user)
		vcs_set_author(*v, rq->user->name, rq->user->email);
	return rc;
}

/* the recipe the server reads says review: { self_approve: true } */
static bool
self_approve(void)
{
	struct diags d;
	struct recipe *r;
	bool yes;

	diags_init(&d);
	r = recipe_load(web_recipe(), ".", NULL, &d);
	yes = r && r->self_approve;
	recipe_free(r);
	diags_release(&d);
	return yes;
}

/*
 * whether the request's user may approve rv: NULL, or why not (malloc'ed).
 * Without named users anyone may; else an approver, who did not author it
 * unless the recipe allows self-approval (four eyes)
 */
static char *
approve_refusal(struct web_req *rq, struct vcs *v, const struct vcs_review *rv)
{
	char *err = NULL;
	int own;

	if (!rq->user)
		return NULL;
	if (rq->user->role < ROLE_APPROVER)
		return xasprintf("approving needs the role approver, and %s is %s %s", rq->user->name,
		                 rq->user->role == ROLE_EDITOR ? "an" : "a",
		                 web_role_name(rq->user->role));
	own = vcs_review_authored_by(v, rv, rq->user->name, rq->user->email, &err);
	if (own < 0)
		return err;
	if (own && !self_approve())
		return xasprintf("%s proposed review %d and may not approve it too: another approver"
		                 " must (four eyes; the recipe may allow it with review:"
		                 " { self_approve: true })", rq->user->name, rv->id);
	return NULL;
}

static json_t *
strlist_json(const struct strlist *l)
{
	json_t *a = json_array();

	for (size_t i = 0; i < l->n; i++)
		json_array_append_new(a, web_jstr(l->v[i]));
	return a;
}

static json_t *
diff_json(const struct vcs_diff *d)
{
	json_t *changes = json_array(), *impact = json_array();

	for (size_t i = 0; i < d->nchanges; i++)
		json_array_append_new(changes, json_pack("{s:o, s:s, s:o}", "target",
		                      web_jstr(d->changes[i].target), "change",
		                      vcs_change_name(d->changes[i].change), "diff",
		                      web_jstr(d->changes[i].diff)));
	for (size_t i = 0; i < d->nimpact; i++)
		json_array_append_new(impact, json_pack("{s:o, s:o, s:s}", "target",
		                      web_jstr(d->impact[i].target), "reason",
		                      web_jstr(d->impact[i].reason), "mode",
		                      d->impact[i].full ? "full" : "incremental"));
	/* diffs show files as they are: any bytes */
	return json_pack("{s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o}",
	                 "old_name", web_jstr(d->old_name), "new_name", web_jstr(d->new_name),
	                 "old_id", web_jstr(d->old_id), "new_id", web_jstr(d->new_id),
	                 "changes", changes, "impact", impact, "files", strlist_json(&d->files),
	                 "old_error", web_jstr(d->old_error), "new_error", web_jstr(d->new_error),
	                 "patch", web_jstr(d->raw_diff), "conflicts", strlist_json(&d->conflicts));
}

/* the repository of the recipe; replies and returns -1 when there is none */
static int
open_repo(struct web_req *rq, struct web_reply *rp, struct vcs **v)
{
	char *err = NULL;
	int rc = web_vcs_open(rq, v, &err);

	if (rc == 0)
		return 0;
	if (rc > 0)
		web_error(rp, 409, "the recipe is not in a git repository: there are no reviews");
	else
		web_error(rp, 500, "%s", err);
	free(err);
	return -1;
}

/* 404 for an unknown review, else status */
static void
review_error(struct web_reply *rp, int status, const char *err)
{
	web_error(rp, strstr(err, "unknown review") ? 404 : status, "%s", err);
}

void
api_reviews(struct web_req *rq, struct web_reply *rp)
{
	struct vcs *v;
	struct vcs_review *all = NULL;
	size_t n = 0;
	char *err = NULL;

	if (open_repo(rq, rp, &v) < 0)
		return;
	pthread_mutex_lock(&web_files_mu);
	if (vcs_review_list(v, &all, &n, &err) < 0)
		web_error(rp, 500, "%s", err);
	else {
		json_t *arr = json_array();

		for (size_t i = n; i-- > 0;)
			json_array_append_new(arr, web_review_json(&all[i]));
		web_json(rp, 200, arr);
	}
	pthread_mutex_unlock(&web_files_mu);
	vcs_reviews_free(all, n);
	vcs_free(v);
	free(err);
}

void
api_review(struct web_req *rq, struct web_reply *rp)
{
	struct vcs *v;
	struct vcs_review rv;
	struct vcs_diff d;
	char *err = NULL;

	memset(&rv, 0, sizeof(rv));
	memset(&d, 0, sizeof(d));
	if (strchr(rq->rest, '/') && !strstarts(rq->rest, "review/")) {
		web_error(rp, 404, "no such page '%s'", rq->path);
		return;
	}
	if (open_repo(rq, rp, &v) < 0)
		return;
	pthread_mutex_lock(&web_files_mu);
	if (vcs_review_get(v, rq->rest, &rv, &err) < 0)
		review_error(rp, 500, err);
	else if (vcs_review_show(v, &rv, &d, &err) < 0)
		web_error(rp, 500, "%s", err);
	else {
		json_t *o = web_review_json(&rv);
		char *why = rv.state == REVIEW_OPEN ? approve_refusal(rq, v, &rv) :
		            xstrdup("the review is closed");

		json_object_set_new(o, "diff", diff_json(&d));
		json_object_set_new(o, "can_approve", json_boolean(!why));
		json_object_set_new(o, "cannot_approve", web_jstr(why));
		web_json(rp, 200, o);
		free(why);
	}
	pthread_mutex_unlock(&web_files_mu);
	vcs_diff_release(&d);
	vcs_review_release(&rv);
	vcs_free(v);
	free(err);
}

void
api_review_decide(struct web_req *rq, struct web_reply *rp)
{
	const char *slash = strrchr(rq->rest, '/');
	struct vcs *v;
	struct vcs_review rv;
	struct vcs_approval ap;
	char *id, *err = NULL, *why = NULL;
	bool approve;

	if (!slash || (strcmp(slash, "/approve") != 0 && strcmp(slash, "/reject") != 0)) {
		web_error(rp, 404, "no such page '%s' (POST /api/reviews/ID/approve or /reject)",
		          rq->path);
		return;
	}
	approve = strcmp(slash, "/approve") == 0;
	memset(&rv, 0, sizeof(rv));
	memset(&ap, 0, sizeof(ap));
	if (open_repo(rq, rp, &v) < 0)
		return;
	id = xstrndup(rq->rest, (size_t)(slash - rq->rest));
	pthread_mutex_lock(&web_files_mu);
	if (vcs_review_get(v, id, &rv, &err) < 0)
		review_error(rp, 500, err);
	else if (approve && rv.state == REVIEW_OPEN && (why = approve_refusal(rq, v, &rv)))
		web_error(rp, 403, "%s", why);
	else if (approve && vcs_review_approve(v, &rv, &ap, &err) < 0)
		web_error(rp, 409, "%s", err);
	else if (!approve && vcs_review_reject(v, &rv, &err) < 0)
		web_error(rp, 409, "%s", err);
	else if (approve)
		web_json(rp, 200, json_pack("{s:i, s:s, s:b, s:o, s:b, s:o}", "id", rv.id, "state",
		                            "approved", "merge", ap.merge, "commit", web_jstr(ap.id),
		                            "checked_out", ap.checked_out, "note", web_jstr(ap.note)));
	else
		web_json(rp, 200, json_pack("{s:i, s:s}", "id", rv.id, "state", "rejected"));
	pthread_mutex_unlock(&web_files_mu);
	free(ap.note);
	vcs_review_release(&rv);
	vcs_free(v);
	free(id);
	free(err);
	free(why);
}
