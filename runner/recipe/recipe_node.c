/* recipe_node.c: the nodes of a recipe file's document read, and its normalised copy written */
#include "recipe_impl.h"
#include "env.h"
#include "util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <yaml.h>

/* the nearest of words to w when it is close, or NULL */
const char *
ldnearest(const char *w, const char *const *words, size_t n)
{
	struct nearest near;

	nearest_init(&near, w);
	for (size_t i = 0; i < n; i++)
		nearest_add(&near, words[i]);
	return nearest_get(&near);
}

/* the normalised copy */

int
ldoutscalar(struct loader *ld, const char *s, bool quoted)
{
	int id = yaml_document_add_scalar(&ld->out, NULL, (const yaml_char_t *)s, -1,
	    quoted ? YAML_DOUBLE_QUOTED_SCALAR_STYLE : YAML_PLAIN_SCALAR_STYLE);

	if (!id)
		fatal(1, "yaml: out of memory");
	return id;
}

int
ldoutnum(struct loader *ld, double v)
{
	char s[64];

	snprintf(s, sizeof(s), "%.17g", v);
	return ldoutscalar(ld, s, false);
}

int
ldoutmap(struct loader *ld)
{
	int id = yaml_document_add_mapping(&ld->out, NULL, YAML_BLOCK_MAPPING_STYLE);

	if (!id)
		fatal(1, "yaml: out of memory");
	return id;
}

int
ldoutseq(struct loader *ld)
{
	int id = yaml_document_add_sequence(&ld->out, NULL, YAML_BLOCK_SEQUENCE_STYLE);

	if (!id)
		fatal(1, "yaml: out of memory");
	return id;
}

void
ldoutpair(struct loader *ld, int map, const char *key, int value)
{
	if (!yaml_document_append_mapping_pair(&ld->out, map, ldoutscalar(ld, key, false), value))
		fatal(1, "yaml: out of memory");
}

void
ldoutitem(struct loader *ld, int seq, int value)
{
	if (!yaml_document_append_sequence_item(&ld->out, seq, value))
		fatal(1, "yaml: out of memory");
}

/* walking the document */

yaml_node_t *
ldnode(struct loader *ld, int id)
{
	return yaml_document_get_node(ld->in, id);
}

const char *
ldtypename(const yaml_node_t *n)
{
	switch (n->type) {
	case YAML_SEQUENCE_NODE:
		return "a sequence";
	case YAML_MAPPING_NODE:
		return "a mapping";
	default:
		return "a string";
	}
}

/* an empty value: "key:" alone, ~ or null */
bool
ldisnull(const yaml_node_t *n)
{
	const char *s;

	if (n->type != YAML_SCALAR_NODE || n->data.scalar.style != YAML_PLAIN_SCALAR_STYLE)
		return false;
	s = (const char *)n->data.scalar.value;
	return !*s || !strcmp(s, "~") || !strcmp(s, "null") || !strcmp(s, "Null") ||
	    !strcmp(s, "NULL");
}

/* the value of key in mapping n, or NULL */
yaml_node_t *
ldmapget(struct loader *ld, yaml_node_t *n, const char *key)
{
	yaml_node_pair_t *p;

	for (p = n->data.mapping.pairs.start; p < n->data.mapping.pairs.top; p++) {
		yaml_node_t *k = ldnode(ld, p->key);

		if (k->type == YAML_SCALAR_NODE && !strcmp((char *)k->data.scalar.value, key))
			return ldnode(ld, p->value);
	}
	return NULL;
}

int
ldkindof(const char *s)
{
	int i;

	for (i = KIND_EXTRACT; i <= KIND_PIVOT; i++)
		if (!strcmp(s, kind_name((enum kind)i)))
			return i;
	return -1;
}

/* why s is not a valid target name, or NULL */
const char *
ldbadname(const char *s)
{
	bool digits = true;
	const char *p;

	if (strlen(s) > 64)
		return "longer than 64 characters";
	for (p = s; *p; p++) {
		if (!env_namechar(*p) && *p != '$')
			return "use letters, digits, '_' and '$'";
		if (*p < '0' || *p > '9')
			digits = false;
	}
	if (digits)
		return "digits only";
	if (!strncasecmp(s, "etl_", 4) || !strncasecmp(s, "_chacc", 6))
		return "names starting with 'etl_' or '_chacc' are reserved";
	return NULL;
}

/*
 * the text of scalar v with variables expanded into *s: 0, or -1 when v is not
 * a scalar, or 1 when a variable is unset (*s is then the text as written)
 */
int
ldscalar(struct loader *ld, yaml_node_t *v, const char *key, char **s)
{
	const char *text;
	char *unset, *where;

	*s = NULL;
	if (v->type != YAML_SCALAR_NODE) {
		ldbad(ld, v, "expected a string for '%s', got %s", key, ldtypename(v));
		return -1;
	}
	text = (const char *)v->data.scalar.value;
	if (ldisnull(v)) {
		*s = xstrdup("");
		return 0;
	}
	if ((*s = env_expand(text, &unset))) {
		if (strcmp(*s, text))
			ldasis(ld, *s, text, (int)v->start_mark.line + 1);
		return 0;
	}
	where = env_sources();
	ldsoft(ld, v, "unset variable '%s' (not in %s)", unset, where);
	free(where);
	free(unset);
	*s = xstrdup(text);
	return 1;
}

int
ldkeyof(struct loader *ld, yaml_node_t *k, const char *const *keys, size_t n, const char *what)
{
	const char *key, *best;

	if (k->type != YAML_SCALAR_NODE) {
		ldbad(ld, k, "expected a string key in %s, got %s", what, ldtypename(k));
		return -1;
	}
	key = (const char *)k->data.scalar.value;
	for (size_t i = 0; i < n; i++)
		if (!strcmp(keys[i], key))
			return (int)i;
	if ((best = ldnearest(key, keys, n)))
		ldbad(ld, k, "unknown key '%s' in %s: did you mean '%s'?", key, what, best);
	else
		ldbad(ld, k, "unknown key '%s' in %s", key, what);
	return -1;
}
