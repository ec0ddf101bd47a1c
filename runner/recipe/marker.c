/* marker.c: what the target database says about one target */
#include "marker.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

bool
marker_intact(const struct marker *m)
{
	return strcmp(m->status, "ok") == 0 || strcmp(m->status, MARKER_CHECK_FAILED) == 0;
}

void
marker_release(struct marker *m)
{
	free(m->error);
	free(m->watermark);
	free(m->watermark_column);
	memset(m, 0, sizeof(*m));
}

void
marker_set_hash(struct marker *m, const char *stored)
{
	const char *colon = stored ? strchr(stored, ':') : NULL;

	m->hash_format = 1;
	if (colon && colon > stored && strspn(stored, "0123456789") == (size_t)(colon - stored)) {
		m->hash_format = atoi(stored);
		stored = colon + 1;
	}
	snprintf(m->hash, sizeof(m->hash), "%s", stored ? stored : "");
}

const char *
marker_log_position(const struct marker *m)
{
	if (!m->has_watermark || !m->watermark || !m->watermark_column)
		return NULL;
	return strcmp(m->watermark_column, MARKER_LOG_POSITION) == 0 ? m->watermark : NULL;
}
