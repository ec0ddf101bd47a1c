/* vcs.h: configs in git: builds from a revision, per-target history, reviews (DESIGN §7) */
#ifndef CHACC_VCS_H
#define CHACC_VCS_H

#include <stdbool.h>
#include <stddef.h>

#include "recipe.h"

struct vcs;

/*
 * Paths given to these functions are relative to the working directory, as
 * on the command line; paths they return are relative to the repository's
 * top. Config files are the files a recipe reads, and files ending in .yml,
 * .yaml, .json or .sql under the recipe's directory or the repository's recipes/
 * and sql/. Every function returns
 * 0, or -1 with a malloc'ed message in *err; none prints. The structs they
 * fill are zeroed first, so their release functions are safe after a failure.
 */

/* open the git repository holding the recipe; 1 (and *out NULL) when there is none */
int vcs_open(struct vcs **out, const char *recipe_path, const char *envdir, char **err);
void vcs_free(struct vcs *v);
/* full commit id of rev into id; the message says 'unknown revision' for a bad name */
int vcs_resolve(struct vcs *v, const char *rev, char id[41], char **err);

/* where a command reads its recipe from, and the revision its runs record */
struct vcs_src {
	struct fsrc fs;          /* reads the commit through its symbolic links: pass to
	                            recipe_load when commit; one that loops or leaves the
	                            repository reads as missing and is reported by warning() */
	bool commit;             /* read from a commit, not the working tree */
	char id[41];             /* commit recorded in runs and markers, "" when none */
	bool dirty;              /* the working tree's config files differ from it */
	char *rev;               /* the revision name read, or NULL for the working tree */
	char *note;              /* to say once: revisions are not recorded, or NULL */
	struct vcs *vcs;         /* NULL outside a git repository */
	void *priv;              /* the commit's tree, read through fs */
};

/*
 * the source of a command: rev, or with scheduled the recipe's scheduled_rev
 * (default main), or the working tree (rev NULL). Outside a git repository
 * the working tree with a note; rev there is an error. NULL with *err.
 */
struct vcs_src *vcs_src_open(const char *recipe_path, const char *envdir, const char *rev,
                             bool scheduled, char **err);
/* after loading r from the working tree: set dirty when its config files changed */
void vcs_src_check(struct vcs_src *s, const struct recipe *r);
/* where problems reading the commit are reported (NULL: warn) */
void vcs_src_diags(struct vcs_src *s, struct diags *d);
void vcs_src_free(struct vcs_src *s);

/* changed config files of the working tree against HEAD (modified, new, deleted) */
int vcs_changed_files(struct vcs *v, struct strlist *out, char **err);

/* how a target's definition differs between two revisions */
/* VCS_COMMENTS: only comments or white space of its SQL changed (no rebuild) */
enum vcs_change { VCS_ADDED, VCS_REMOVED, VCS_CHANGED, VCS_COMMENTS };
const char *vcs_change_name(enum vcs_change c);

struct vcs_target_change {
	char *target;
	enum vcs_change change;
	char *diff;              /* unified diff of its recipe entry and files, or NULL */
};

/* a target the change would rebuild: the planner's reason and mode */
struct vcs_impact {
	char *target;
	const char *reason;      /* "missing" (added), "definition changed", "needs changed" */
	bool full;
};

struct vcs_diff {
	char *old_name, *new_name;       /* "HEAD", "working tree", "main", ... */
	char old_id[41], new_id[41];     /* "" for the working tree or a merge preview */
	struct vcs_target_change *changes;
	size_t nchanges;
	struct vcs_impact *impact;       /* in build order */
	size_t nimpact;
	struct strlist files;            /* changed config files: "M path", "A path", "D path" */
	char *old_error, *new_error;     /* problems of a recipe that does not load, or NULL */
	char *raw_diff;                  /* then: the unified diff of the changed files */
	struct strlist conflicts;        /* files a merge preview cannot merge */
};

/* compare rev1 (NULL: HEAD) with rev2 (NULL: the working tree) */
int vcs_diff(struct vcs *v, const char *rev1, const char *rev2, struct vcs_diff *out, char **err);
void vcs_diff_release(struct vcs_diff *d);

struct vcs_commit {
	char id[41];
	char *author, *email;
	long long time;          /* seconds since the epoch */
	int offset;              /* minutes east of UTC */
	char *summary;           /* first line of the message */
	char *message;
};

struct vcs_log_entry {
	struct vcs_commit c;
	struct vcs_target_change *targets;   /* definitions it changed (no diff) */
	size_t ntargets;
	bool broken;             /* the recipe does not load at this commit */
};

/*
 * the commits from rev (NULL: HEAD) that changed target's definition, or
 * with target NULL any config file, newest first; at most limit (0: all)
 */
int vcs_log(struct vcs *v, const char *rev, const char *target, long limit,
            struct vcs_log_entry **out, size_t *n, char **err);
void vcs_log_free(struct vcs_log_entry *e, size_t n);

enum vcs_review_state { REVIEW_OPEN, REVIEW_APPROVED, REVIEW_REJECTED };
const char *vcs_review_state_name(enum vcs_review_state s);

/* a proposed change: the branch review/<id>-<slug> off main */
struct vcs_review {
	int id;
	char *branch;            /* review/3-fix-people (kept under refs/chacc/rejected/ when rejected) */
	struct vcs_commit c;     /* its newest commit */
	enum vcs_review_state state;
	char *decider;           /* who approved or rejected it (a note in refs/notes/chacc), or NULL */
	char *decider_email;
	long long decided;       /* when, seconds since the epoch (0: not known) */
	int decided_offset;      /* minutes east of UTC */
};

void vcs_review_release(struct vcs_review *rv);
void vcs_reviews_free(struct vcs_review *rv, size_t n);

/*
 * the author of the commits, notes and merges this handle makes from now
 * on, instead of the environment's (the web's signed-in user); NULL: the
 * environment again
 */
void vcs_set_author(struct vcs *v, const char *name, const char *email);

/* a proposal of files of the working tree */
struct vcs_proposal {
	const char *message;
	char **files;            /* the files to commit; none: every config file git tracks */
	size_t nfiles;           /*   that differs from HEAD (untracked ones only when named) */
	bool force;              /* also when the recipe does not load at the proposed commit */
	struct strlist committed;   /* filled: the files it commits, "M path", "A path", "D path" */
	struct strlist untracked;   /* filled: changed config files left out, not tracked by git */
};

void vcs_proposal_release(struct vcs_proposal *p);

/* vcs_review_propose: the recipe does not load at the proposed commit (*err: why) */
#define VCS_RECIPE_BROKEN (-2)

/*
 * commit p's files of the working tree, as changed since HEAD, onto a new
 * review branch off main; the checked-out branch, index and working tree
 * stay as they are. Refuses, returning VCS_RECIPE_BROKEN, a proposal whose
 * recipe does not load from the proposed commit's tree, unless p->force.
 * Author: vcs_set_author, else GIT_AUTHOR_NAME and GIT_AUTHOR_EMAIL,
 * CHACC_AUTHOR ("Name <email>"), or git config.
 * The review's number is taken under a lock: two proposals never share one.
 */
int vcs_review_propose(struct vcs *v, struct vcs_proposal *p, struct vcs_review *out, char **err);
/*
 * the same for one edit held in memory: text (len bytes) as the new content
 * of path, committed as HEAD's tree with that file changed, onto main. No
 * file is written, so the working tree never holds the edit. A path reached
 * through a symbolic link changes the file the link leads to in HEAD (the
 * link stays a link; refused when the working tree's link leads elsewhere);
 * the file keeps its mode; a new file is a plain one (new directories
 * too). text NULL: the file (a link itself) is deleted; it must be in HEAD.
 */
int vcs_review_propose_text(struct vcs *v, const char *message, const char *path,
                            const char *text, size_t len, struct vcs_review *out, char **err);
/* every review, by id */
int vcs_review_list(struct vcs *v, struct vcs_review **out, size_t *n, char **err);
/* find review id ("3", "review/3-x"); the message says 'unknown review' */
int vcs_review_get(struct vcs *v, const char *id, struct vcs_review *out, char **err);
/* its diff against main (open: what approving would merge) and impact */
int vcs_review_show(struct vcs *v, const struct vcs_review *rv, struct vcs_diff *out, char **err);

/* 1 when name or email (either may be NULL) authored a commit of review rv not in main, 0 when not, -1 with *err */
int vcs_review_authored_by(struct vcs *v, const struct vcs_review *rv, const char *name,
                           const char *email, char **err);

struct vcs_approval {
	bool merge;              /* a merge commit, not a fast-forward */
	char id[41];             /* main's new commit */
	bool checked_out;        /* the working tree was updated too */
	char *note;              /* why it was not and what to run instead (malloc'ed), or NULL */
};

/*
 * merge an open review into main: fast-forward when possible, else a merge
 * commit; conflicts are refused naming the files. When main is checked out
 * the index and working tree follow, keeping edits of other files (a file
 * that already holds the approved text counts as up to date); when they
 * cannot, out->note says why and gives the git commands that bring them.
 * Who approved is noted on the review's commit (refs/notes/chacc).
 */
int vcs_review_approve(struct vcs *v, const struct vcs_review *rv, struct vcs_approval *out,
                       char **err);
/* reject an open review: its branch moves to refs/chacc/rejected/; who rejected is noted */
int vcs_review_reject(struct vcs *v, const struct vcs_review *rv, char **err);

#endif
