/*
 * fuzz_env.c: libFuzzer target for the variable expander (${VAR}, ${VAR:-default}).
 * Text without "${" comes back as it is; an unset variable is named.
 */
#include "env.h"
#include "util.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	setenv("A", "va", 1);
	setenv("EMPTY", "", 1);
	setenv("NESTED", "${A} ${conn.x.database} $$", 1);
	setenv("SOURCE_DB_NAME", "openmrs", 1);
	unsetenv("UNSET");
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = xstrndup((const char *)data, size), *out, *unset = NULL;

	out = env_expand(text, &unset);
	if (out) {
		if (unset)
			abort();
		if (!strstr(text, "${") && strcmp(out, text))
			abort();
	} else if (!unset || !*unset || !strstr(text, unset)) {
		abort();
	}
	free(out);
	free(unset);
	free(text);
	return 0;
}
