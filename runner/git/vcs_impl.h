/* vcs_impl.h: internals shared by the vcs_*.c files; callers use vcs.h */
#ifndef CHACC_VCS_IMPL_H
#define CHACC_VCS_IMPL_H

#include <git2.h>
#include <stdbool.h>
#include <stdio.h>

#include "vcs.h"

#define MAIN_REF "refs/heads/main"
#define REVIEW_REFS "refs/heads/review/"
#define REJECTED_REFS "refs/chacc/rejected/"
/* the notes that say who approved or rejected a review, on its newest commit */
#define NOTES_REF "refs/notes/chacc"

struct vcs {
	git_repository *repo;
	char *top;               /* real path of the working tree's top */
	char *cwd;               /* real path of the working directory */
	char *recipe;            /* the recipe's path as given */
	char *envdir;            /* where .env is read */
	char *rdir;              /* the recipe's directory in the repository, "" at the top */
	char *author, *email;    /* vcs_set_author's, or NULL */
};

/* a tree read as a struct fsrc */
struct treesrc {
	struct vcs *v;
	git_tree *tree;          /* NULL: empty */
	char *name;              /* the revision, for messages */
	struct diags *diags;     /* where a link that cannot be followed is reported (NULL: warn) */
	struct strlist reported; /* the paths reported already */
};

/* one side of a comparison: a tree, or the working tree */
struct side {
	char *name;
	char id[41];             /* "" unless a commit */
	bool worktree;
	git_tree *tree;          /* NULL and not worktree: empty */
	struct treesrc ts;
	struct fsrc fs;
	struct recipe *r;        /* NULL when there is no recipe or it does not load */
	char *error;             /* why it does not load */
	struct strlist files;    /* the config files it reads */
};

/* *err = the message; returns -1 */
int vcs_err(char **err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* the same, followed by libgit2's last error */
int vcs_gerr(char **err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* lists of paths: add s (taken), add it unless NULL or there, test, free */
void paths_add(struct strlist *l, char *s);
void paths_add_new(struct strlist *l, char *s);
bool paths_has(const struct strlist *l, const char *s);
/* 'a', 'b' and 'c' */
char *paths_quoted(const struct strlist *l);

/* path (relative to the working directory) in the repository, or NULL outside it */
char *vcs_path(const struct vcs *v, const char *path);
/* a path of recipe r (relative to its directory) in the repository, or NULL */
char *vcs_recipe_path(const struct vcs *v, const struct recipe *r, const char *rel);
/* a file a recipe reads (read1, read2), or a recipe or SQL file under the recipe's directory */
bool vcs_is_config(const struct vcs *v, const char *path, const struct strlist *read1,
                   const struct strlist *read2);

/* the commit rev names; the branch main; a commit by its hex id */
int vcs_lookup(struct vcs *v, const char *rev, git_commit **out, char **err);
int vcs_lookup_main(struct vcs *v, git_commit **out, char **err);
int vcs_lookup_id(struct vcs *v, const char *hex, git_commit **out, char **err);
void vcs_commit_info(git_commit *c, struct vcs_commit *out);
void vcs_commit_release(struct vcs_commit *c);
/*
 * the entry at repository path in tree, following symbolic links inside the
 * tree as the working tree would: relative or absolute into the working
 * tree, chained, directories on the path. 0 with *out (NULL: the top
 * itself), 1 when nothing is there, -1 with *err naming the link when one
 * leads out of the repository or loops. *real (if real): the path reached
 */
int vcs_tree_find(struct vcs *v, git_tree *tree, const char *path, git_tree_entry **out,
                  char **real, char **err);
/* the text of the file at path in tree (NULL: empty) through links, or NULL (*err: why, or NULL) */
char *vcs_tree_text(struct vcs *v, git_tree *tree, const char *path, size_t *len, char **err);
/* a tree (not taken) read as a struct fsrc: name is the revision, for messages */
void vcs_treesrc_init(struct treesrc *ts, struct vcs *v, git_tree *tree, const char *name);
void vcs_treesrc_release(struct treesrc *ts);
/* the struct fsrc functions of a treesrc */
char *vcs_treesrc_read(void *ctx, const char *rel, size_t *len);
long vcs_treesrc_glob(void *ctx, const char *pattern, char ***paths);

/* a review from its ref; 1 when the ref is no review */
int vcs_review_read(struct vcs *v, git_reference *ref, const git_oid *main, struct vcs_review *out);
/* who commits: vcs_set_author, GIT_AUTHOR_NAME and GIT_AUTHOR_EMAIL, CHACC_AUTHOR, then git config */
int vcs_author(struct vcs *v, git_signature **sig, char **err);
/* the files of a merge that conflict */
void vcs_conflict_paths(git_index *idx, struct strlist *out);

/* a side of a comparison: a tree (taken), a commit, a revision, the working tree */
void side_tree(struct side *s, const char *name, git_tree *tree, const git_oid *commit);
int side_commit(struct vcs *v, struct side *s, const char *name, git_commit *c, char **err);
int side_rev(struct vcs *v, struct side *s, const char *rev, char **err);
void side_worktree(struct side *s);
/* load its recipe, quietly: problems go to s->error */
void side_load(struct vcs *v, struct side *s);
/* the text of a repository path on the side, or NULL */
char *side_read(struct vcs *v, const struct side *s, const char *path);
void side_release(struct side *s);

/*
 * the working tree's changes against HEAD: config files (by read), or with
 * all every tracked file; with untracked not NULL, config files git does
 * not track go there instead of out
 */
int vcs_status_files(struct vcs *v, const struct strlist *read, bool all, struct strlist *out,
                     struct strlist *untracked, char **err);
/* note on commit id that what ("approved", "rejected") was decided now, by vcs_author */
int vcs_note_decision(struct vcs *v, const git_oid *id, const char *what, char **err);
/* the working tree and index follow 'main' moving from old to new (vcs_follow.c) */
int vcs_follow_main(struct vcs *v, git_commit *old, git_commit *new, struct vcs_approval *out,
                    char **err);
/* compare side a with side b into out (loading both) */
int vcs_compare(struct vcs *v, struct side *a, struct side *b, struct vcs_diff *out, char **err);
/* append a change of target (copied) with its diff (taken, or NULL); free n changes */
void vcs_add_change(struct vcs_target_change **v, size_t *n, const char *target, enum vcs_change c,
                    char *diff);
void vcs_changes_free(struct vcs_target_change *c, size_t n);

#endif
