/*
 * recipe_hosts.c: the nodes of one cluster on a connection (DESIGN §10):
 *
 *   hosts: [db1:3306, db2:3306, db3:3306]
 *   hosts: ${TARGET_DB_HOSTS}           # one string: host:port,host:port,...
 *
 * Given, they win over host, port and socket (an empty string, as an unset
 * variable's default gives, is no hosts); chacc connects to the first node
 * that answers. Each entry is host, host:port, [v6addr] or [v6addr]:port;
 * the normalised copy holds them as a sequence of strings.
 */
#include "recipe_impl.h"

#include <stdlib.h>
#include <string.h>

#include "util.h"

/* entry s (number i, from value v as written) checked and added to seq */
static void
add_entry(struct loader *ld, yaml_node_t *v, int seq, const char *s, size_t i)
{
	const char *w = (const char *)v->data.scalar.value, *why;
	char *host;
	unsigned port;

	if (!*s) {
		ldbad(ld, v, "empty entry %zu in 'hosts'", i);
		return;
	}
	if ((why = hostport_parse(s, &host, &port))) {
		/* a value that came from a variable is not shown */
		if (strstr(w, "${"))
			ldbad(ld, v, "invalid entry %zu in 'hosts' ('%s'): %s", i, w, why);
		else
			ldbad(ld, v, "invalid entry '%s' in 'hosts': %s", s, why);
		return;
	}
	free(host);
	ldoutitem(ld, seq, ldoutscalar(ld, s, true));
}

int
ldwalkhosts(struct loader *ld, yaml_node_t *v)
{
	yaml_node_item_t *it;
	size_t i = 0;
	int seq;
	char *s;

	if (v->type == YAML_SCALAR_NODE) {
		char *p, *e;

		if (ldscalar(ld, v, "hosts", &s) || !*strtrim(s)) {
			free(s);
			return 0;
		}
		seq = ldoutseq(ld);
		for (p = s;; p = e + 1) {
			char *entry;

			e = p + strcspn(p, ",");
			entry = xstrndup(p, (size_t)(e - p));
			add_entry(ld, v, seq, strtrim(entry), ++i);
			free(entry);
			if (!*e)
				break;
		}
		free(s);
		return seq;
	}
	if (v->type != YAML_SEQUENCE_NODE || v->data.sequence.items.start == v->data.sequence.items.top) {
		ldbad(ld, v, "expected a list of host:port for 'hosts', got %s",
		      v->type == YAML_SEQUENCE_NODE ? "an empty list" : ldtypename(v));
		return 0;
	}
	seq = ldoutseq(ld);
	for (it = v->data.sequence.items.start; it < v->data.sequence.items.top; it++) {
		yaml_node_t *e = ldnode(ld, *it);

		i++;
		if (e->type != YAML_SCALAR_NODE) {
			ldbad(ld, e, "expected host:port in 'hosts', got %s", ldtypename(e));
			continue;
		}
		if (ldscalar(ld, e, "hosts", &s) == 0)
			add_entry(ld, e, seq, s, i);
		free(s);
	}
	return seq;
}
