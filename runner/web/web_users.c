/*
 * web_users.c: the users file of 'chacc serve --users'. As for a recipe,
 * libyaml checks it first, so that every problem gets its file:line, and
 * libcyaml then loads it.
 */
#include "web_users.h"

#include <cyaml/cyaml.h>
#include <ctype.h>
#include <errno.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <yaml.h>

#include "util.h"

static const cyaml_strval_t cy_roles[] = {
	{ "viewer", ROLE_VIEWER },
	{ "editor", ROLE_EDITOR },
	{ "approver", ROLE_APPROVER },
};

static const cyaml_schema_field_t cy_user_fields[] = {
	CYAML_FIELD_STRING_PTR("name", CYAML_FLAG_POINTER, struct web_user, name, 1, CYAML_UNLIMITED),
	CYAML_FIELD_STRING_PTR("email", CYAML_FLAG_POINTER, struct web_user, email, 1,
	                       CYAML_UNLIMITED),
	CYAML_FIELD_STRING_PTR("token_sha256", CYAML_FLAG_POINTER, struct web_user, token_sha256,
	                       64, 64),
	CYAML_FIELD_ENUM("role", CYAML_FLAG_DEFAULT, struct web_user, role, cy_roles,
	                 CYAML_ARRAY_LEN(cy_roles)),
	CYAML_FIELD_END
};

static const cyaml_schema_value_t cy_user = {
	CYAML_VALUE_MAPPING(CYAML_FLAG_DEFAULT, struct web_user, cy_user_fields),
};

static const cyaml_schema_value_t cy_users = {
	CYAML_VALUE_SEQUENCE(CYAML_FLAG_POINTER, struct web_user, &cy_user, 1, CYAML_UNLIMITED),
};

static void *
users_mem(void *ctx, void *p, size_t n)
{
	(void)ctx;
	if (!n) {
		free(p);
		return NULL;
	}
	return xrealloc(p, n);
}

static const cyaml_config_t cyaml_cfg = {
	.log_fn = NULL,
	.mem_fn = users_mem,
	.log_level = CYAML_LOG_ERROR,
	.flags = CYAML_CFG_DEFAULT,
};

static const char *const keys[] = { "name", "email", "token_sha256", "role" };

const char *
web_role_name(enum web_role r)
{
	return r == ROLE_APPROVER ? "approver" : r == ROLE_EDITOR ? "editor" : "viewer";
}

enum web_role
web_role_needed(const char *method, const char *path)
{
	if (strcmp(method, "GET") == 0 || strcmp(method, "HEAD") == 0)
		return ROLE_VIEWER;
	if (strstarts(path, "/api/reviews/"))
		return ROLE_APPROVER;
	return ROLE_EDITOR;
}

/* values seen, pointing into the document */
struct seen {
	const char **v;
	size_t n;
};

/* the checks of one file */
struct ucheck {
	const char *path;
	yaml_document_t *doc;
	struct diags *d;
	struct seen names, emails, hashes;
};

static void __attribute__((format(printf, 3, 4)))
bad(struct ucheck *c, yaml_node_t *n, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	diag_vadd(c->d, DIAG_ERROR, c->path, n ? (int)n->start_mark.line + 1 : 0,
	          n ? (int)n->start_mark.column + 1 : 0, NULL, fmt, ap);
	va_end(ap);
}

/* s was seen already; else it is now */
static bool
seen_again(struct seen *l, const char *s, bool icase)
{
	for (size_t i = 0; i < l->n; i++)
		if (icase ? strcasecmp(l->v[i], s) == 0 : strcmp(l->v[i], s) == 0)
			return true;
	l->v = xreallocarray(l->v, l->n + 1, sizeof(*l->v));
	l->v[l->n++] = s;
	return false;
}

/* a value of a user (key k, node v), checked */
static void
check_value(struct ucheck *c, const char *k, yaml_node_t *v)
{
	const char *s = v->type == YAML_SCALAR_NODE ? (const char *)v->data.scalar.value : NULL;
	size_t n = s ? strlen(s) : 0;

	if (!s || !*s) {
		bad(c, v, "expected a value for '%s'", k);
		return;
	}
	if (strcmp(k, "token_sha256") == 0) {
		size_t i;

		for (i = 0; i < n && isxdigit((unsigned char)s[i]); i++)
			;
		/* never quote it: it may be a token written by mistake */
		if (n != 64 || i != n)
			bad(c, v, "'token_sha256' is not 64 hex digits: write the SHA-256 of the token,"
			    " never the token (printf %%s TOKEN | sha256sum)");
		else if (seen_again(&c->hashes, s, true))
			bad(c, v, "two users have the same token");
	} else if (strcmp(k, "role") == 0) {
		if (strcmp(s, "viewer") && strcmp(s, "editor") && strcmp(s, "approver"))
			bad(c, v, "invalid role '%s' (expected viewer, editor or approver)", s);
	} else if (strcmp(k, "name") == 0) {
		if (seen_again(&c->names, s, false))
			bad(c, v, "two users are named '%s'", s);
	} else if (strcmp(k, "email") == 0) {
		if (seen_again(&c->emails, s, true))
			bad(c, v, "two users have the email '%s'", s);
	}
}

static void
check_user(struct ucheck *c, yaml_node_t *u)
{
	unsigned seen = 0;

	if (u->type != YAML_MAPPING_NODE) {
		bad(c, u, "expected a user (name, email, token_sha256, role)");
		return;
	}
	for (yaml_node_pair_t *p = u->data.mapping.pairs.start; p < u->data.mapping.pairs.top; p++) {
		yaml_node_t *k = yaml_document_get_node(c->doc, p->key);
		yaml_node_t *v = yaml_document_get_node(c->doc, p->value);
		const char *ks = k->type == YAML_SCALAR_NODE ? (const char *)k->data.scalar.value : "";
		size_t i;

		for (i = 0; i < LEN(keys) && strcmp(ks, keys[i]) != 0; i++)
			;
		if (i == LEN(keys)) {
			struct nearest nn;

			nearest_init(&nn, ks);
			for (i = 0; i < LEN(keys); i++)
				nearest_add(&nn, keys[i]);
			if (nearest_get(&nn))
				bad(c, k, "unknown key '%s': did you mean '%s'?", ks, nearest_get(&nn));
			else
				bad(c, k, "unknown key '%s' (expected name, email, token_sha256 or role)", ks);
			continue;
		}
		if (seen & 1u << i)
			bad(c, k, "'%s' given twice", ks);
		seen |= 1u << i;
		check_value(c, ks, v);
	}
	for (size_t i = 0; i < LEN(keys); i++)
		if (!(seen & 1u << i))
			bad(c, u, "the user has no '%s'", keys[i]);
}

/* check text with libyaml: every problem into d */
static void
check(const char *path, const char *text, size_t len, struct diags *d)
{
	yaml_parser_t p;
	yaml_document_t doc;
	struct ucheck c = { .path = path, .doc = &doc, .d = d };
	yaml_node_t *root;

	yaml_parser_initialize(&p);
	yaml_parser_set_input_string(&p, (const unsigned char *)text, len);
	if (!yaml_parser_load(&p, &doc)) {
		diag_add(d, DIAG_ERROR, path, (int)p.problem_mark.line + 1,
		         (int)p.problem_mark.column + 1, NULL, "%s", p.problem ? p.problem :
		         "invalid YAML");
		yaml_parser_delete(&p);
		return;
	}
	root = yaml_document_get_root_node(&doc);
	if (!root || root->type != YAML_SEQUENCE_NODE ||
	    root->data.sequence.items.start == root->data.sequence.items.top)
		bad(&c, root, "expected a list of users (name, email, token_sha256, role)");
	else
		for (yaml_node_item_t *it = root->data.sequence.items.start;
		     it < root->data.sequence.items.top; it++)
			check_user(&c, yaml_document_get_node(&doc, *it));
	free(c.names.v);
	free(c.emails.v);
	free(c.hashes.v);
	yaml_document_delete(&doc);
	yaml_parser_delete(&p);
}

int
web_users_load(const char *path, struct web_users *out, struct diags *d)
{
	size_t len = 0, before = d->n;
	char *text = readfile(path, &len);
	struct web_user *v = NULL;
	unsigned n = 0;
	cyaml_err_t err;

	memset(out, 0, sizeof(*out));
	if (!text) {
		diag_add(d, DIAG_ERROR, path, 0, 0, NULL, "cannot read the users file: %s",
		         strerror(errno));
		return -1;
	}
	check(path, text, len, d);
	if (d->n > before) {
		free(text);
		return -1;
	}
	err = cyaml_load_data((const uint8_t *)text, len, &cyaml_cfg, &cy_users, (void **)&v, &n);
	free(text);
	if (err != CYAML_OK) {
		diag_add(d, DIAG_ERROR, path, 0, 0, NULL, "%s", cyaml_strerror(err));
		return -1;
	}
	out->v = v;
	out->n = n;
	for (size_t i = 0; i < out->n; i++)
		for (char *p = out->v[i].token_sha256; *p; p++)
			*p = (char)tolower((unsigned char)*p);
	return 0;
}

void
web_users_release(struct web_users *u)
{
	for (size_t i = 0; i < u->n; i++) {
		free(u->v[i].name);
		free(u->v[i].email);
		free(u->v[i].token_sha256);
	}
	free(u->v);
	memset(u, 0, sizeof(*u));
}

const struct web_user *
web_users_find(const struct web_users *u, const char *token)
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;
	char hex[2 * EVP_MAX_MD_SIZE + 1];
	const struct web_user *found = NULL;

	if (!token || !*token ||
	    !EVP_Digest(token, strlen(token), md, &mdlen, EVP_sha256(), NULL) || mdlen != 32)
		return NULL;
	for (unsigned int i = 0; i < mdlen; i++)
		snprintf(hex + 2 * i, 3, "%02x", md[i]);
	/* every user compared, whichever matches */
	for (size_t i = 0; i < u->n; i++)
		if (CRYPTO_memcmp(hex, u->v[i].token_sha256, 64) == 0)
			found = &u->v[i];
	return found;
}
