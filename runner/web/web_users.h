/* web_users.h: the named users of 'chacc serve --users FILE' and what their roles may do */
#ifndef CHACC_WEB_USERS_H
#define CHACC_WEB_USERS_H

#include <stddef.h>

#include "diag.h"

/*
 * The users file is a YAML list of users:
 *
 *   - name: Grace Hopper
 *     email: grace@example.org
 *     token_sha256: 5e884898da28047151d0e56f8dc6292773603d0d6aabbdd62a11ef721d1542d8
 *     role: approver
 *
 * token_sha256 is the hex SHA-256 of the user's token (never the token).
 * Names, emails and tokens are unique.
 */

/* what a user may do; each role may also do what the ones before it may */
enum web_role {
	ROLE_VIEWER,             /* read: dashboard, graph, history, files, reviews */
	ROLE_EDITOR,             /* also propose edits and uploads, start and cancel builds */
	ROLE_APPROVER,           /* also approve and reject reviews */
};

struct web_user {
	char *name;
	char *email;
	char *token_sha256;      /* 64 lowercase hex digits */
	enum web_role role;
};

struct web_users {
	struct web_user *v;
	size_t n;
};

/* read path into *out: 0, or -1 with its problems (file:line) in d */
int web_users_load(const char *path, struct web_users *out, struct diags *d);
void web_users_release(struct web_users *u);
/* the user whose token this is, or NULL; every user is compared, in constant time */
const struct web_user *web_users_find(const struct web_users *u, const char *token);
/* "viewer", "editor", "approver" */
const char *web_role_name(enum web_role r);
/* the role a request of method for path needs */
enum web_role web_role_needed(const char *method, const char *path);

#endif
