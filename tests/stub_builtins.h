/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * stub_builtins.h: the builtins table the parser's tests and fuzzers
 * give config_set_builtins() instead of the daemon's (stub_builtins.c).
 */
#ifndef INETD_STUB_BUILTINS_H
#define INETD_STUB_BUILTINS_H

#include "config.h"

extern const struct config_builtins stub_builtins;

/* The row named name for socktype, as the parser would find it. */
const struct builtin *stub_builtin(const char *name, int socktype);

#endif /* INETD_STUB_BUILTINS_H */
