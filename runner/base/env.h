/* env.h: variables of recipes and SQL, from the environment and .env */
#ifndef CHACC_ENV_H
#define CHACC_ENV_H

#include <stdbool.h>

/*
 * expand ${VAR} and ${VAR:-default} in text from the environment and .env,
 * leaving runtime placeholders (${this}, ${since}, ${run_id}, ${conn.*}) as
 * written, and "$$" too. Returns malloc'ed text, or NULL with the unset name
 * in *unset (malloc'ed; unset may be NULL).
 */
char *env_expand(const char *text, char **unset);
/* load KEY=VALUE lines of dir/.env as fallbacks for getenv (once per dir) */
void env_load_dotenv(const char *dir);
/* getenv, then .env */
const char *env_get(const char *name);
/* c may stand in a variable's name: letters, digits, '_' */
bool env_namechar(int c);

#endif
