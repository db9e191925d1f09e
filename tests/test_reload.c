/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * test_reload.c: unit tests of the reload hand-over (reload.c).
 *
 * The entries are made here, with an address and a descriptor number
 * that is never a real socket: the hand-over only compares addresses
 * and moves numbers and counters.  Output as unit.h says.
 */
#include <sys/types.h>
#include <sys/socket.h>
#include <sys/un.h>

#include <netinet/in.h>
#include <arpa/inet.h>

#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "options.h"
#include "ratelimit.h"
#include "reload.h"
#include "unit.h"

#define MANY		10000	/* entries of a large reload */

static size_t nmade;
static struct servtab made_store[2 * MANY + 16];

/* An entry for addr:port over socktype (family AF_INET unless v6). */
static struct servtab *
entry(const char *addr, int port, int socktype, int fd)
{
	struct servtab *sep;

	if (nmade == nitems(made_store))
		abort();
	sep = &made_store[nmade++];
	memset(sep, 0, sizeof(*sep));
	sep->se_socktype = socktype;
	sep->se_fd = fd;
	if (strchr(addr, ':') != NULL) {
		sep->se_family = AF_INET6;
		sep->se_ctrladdr.sin6.sin6_family = AF_INET6;
		sep->se_ctrladdr.sin6.sin6_port = htons(port);
		if (inet_pton(AF_INET6, addr,
		    &sep->se_ctrladdr.sin6.sin6_addr) != 1)
			abort();
		sep->se_ctrladdr_size = sizeof(sep->se_ctrladdr.sin6);
	} else {
		sep->se_family = AF_INET;
		sep->se_ctrladdr.sin.sin_family = AF_INET;
		sep->se_ctrladdr.sin.sin_port = htons(port);
		if (inet_pton(AF_INET, addr,
		    &sep->se_ctrladdr.sin.sin_addr) != 1)
			abort();
		sep->se_ctrladdr_size = sizeof(sep->se_ctrladdr.sin);
	}
	return sep;
}

/* A UNIX socket entry. */
static struct servtab *
unix_entry(const char *path, int fd)
{
	struct servtab *sep = entry("0.0.0.0", 0, SOCK_STREAM, fd);

	memset(&sep->se_ctrladdr, 0, sizeof(sep->se_ctrladdr));
	sep->se_family = AF_UNIX;
	sep->se_ctrladdr.sun.sun_family = AF_UNIX;
	strlcpy(sep->se_ctrladdr.sun.sun_path, path,
	    sizeof(sep->se_ctrladdr.sun.sun_path));
	sep->se_ctrladdr_size = offsetof(struct sockaddr_un, sun_path) +
	    strlen(path) + 1;
	return sep;
}

/* The entries as a list, in the order given; NULL-terminated. */
static struct servtab *
list(struct servtab *first, ...)
{
	struct servtab *sep, *next;
	va_list ap;

	va_start(ap, first);
	for (sep = first; sep != NULL; sep = next) {
		next = va_arg(ap, struct servtab *);
		sep->se_next = next;
	}
	va_end(ap);
	return first;
}

static void
cleanup(void)
{
	nmade = 0;
}

/* An unchanged entry keeps its socket, children, counters and state. */
static int
test_keeps_socket(void)
{
	struct servtab *a = entry("127.0.0.1", 2000, SOCK_STREAM, 10);
	struct servtab *b = entry("127.0.0.1", 2000, SOCK_DGRAM, 11);
	struct servtab *a2 = entry("127.0.0.1", 2000, SOCK_STREAM, -1);
	struct servtab *b2 = entry("127.0.0.1", 2000, SOCK_DGRAM, -1);
	struct handover_table ht;

	a->se_children = 3;
	a->se_stats.st_accepted = 42;
	a->se_limits.sl_id = 7;
	b->se_paused = 1;
	CHECK(handover_init(&ht, list(a, b, NULL)) == 0);
	(void)list(b2, a2, NULL);
	CHECK(handover_take(&ht, b2) == b);
	CHECK(handover_take(&ht, a2) == a);
	CHECK(a2->se_fd == 10 && a->se_fd == -1);
	CHECK(b2->se_fd == 11 && b->se_fd == -1);
	CHECK(a2->se_children == 3);
	CHECK(a2->se_stats.st_accepted == 42);
	CHECK(a2->se_limits.sl_id == 7);
	CHECK(b2->se_paused == 1 && a2->se_paused == 0);
	CHECK(handover_successor(&ht, a) == a2);
	CHECK(handover_successor(&ht, b) == b2);
	handover_free(&ht);
	return 1;
}

/* Another port, address, type or v6only: another socket. */
static int
test_changed_socket(void)
{
	struct servtab *old = entry("127.0.0.1", 2000, SOCK_STREAM, 10);
	struct servtab *port = entry("127.0.0.1", 2001, SOCK_STREAM, -1);
	struct servtab *addr = entry("127.0.0.2", 2000, SOCK_STREAM, -1);
	struct servtab *type = entry("127.0.0.1", 2000, SOCK_DGRAM, -1);
	struct servtab *v6 = entry("::1", 2000, SOCK_STREAM, -1);
	struct servtab *v6old = entry("::1", 2000, SOCK_STREAM, 12);
	struct handover_table ht;

	v6old->se_v6only = 1;
	CHECK(handover_init(&ht, list(old, v6old, NULL)) == 0);
	CHECK(handover_take(&ht, port) == NULL);
	CHECK(handover_take(&ht, addr) == NULL);
	CHECK(handover_take(&ht, type) == NULL);
	CHECK(handover_take(&ht, v6) == NULL);
	CHECK(port->se_fd == -1 && old->se_fd == 10 && v6old->se_fd == 12);
	CHECK(handover_successor(&ht, old) == NULL);
	CHECK(handover_successor(&ht, v6old) == NULL);
	handover_free(&ht);
	return 1;
}

/*
 * bind_device and freebind are set before bind: a change of either is
 * another socket; the same ones, given or not, keep it.
 */
static int
test_binding_options(void)
{
	static struct svc_options lo, lo2, eth, fb, none;
	struct servtab *old = entry("127.0.0.1", 2000, SOCK_STREAM, 10);
	struct servtab *plain = entry("127.0.0.1", 2001, SOCK_STREAM, 11);
	struct servtab *dev = entry("127.0.0.1", 2000, SOCK_STREAM, -1);
	struct servtab *free = entry("127.0.0.1", 2000, SOCK_STREAM, -1);
	struct servtab *same = entry("127.0.0.1", 2000, SOCK_STREAM, -1);
	struct servtab *plain2 = entry("127.0.0.1", 2001, SOCK_STREAM, -1);
	struct handover_table ht;

	strlcpy(lo.so_bind_device, "lo", sizeof(lo.so_bind_device));
	strlcpy(lo2.so_bind_device, "lo", sizeof(lo2.so_bind_device));
	strlcpy(eth.so_bind_device, "eth0", sizeof(eth.so_bind_device));
	fb = lo;
	fb.so_freebind = 1;
	old->se_opts = &lo;
	dev->se_opts = &eth;
	free->se_opts = &fb;
	same->se_opts = &lo2;
	plain2->se_opts = &none;	/* options, none of them binding */
	CHECK(handover_init(&ht, list(old, plain, NULL)) == 0);
	CHECK(handover_take(&ht, dev) == NULL);
	CHECK(handover_take(&ht, free) == NULL);
	CHECK(handover_take(&ht, same) == old && same->se_fd == 10);
	CHECK(handover_take(&ht, plain2) == plain && plain2->se_fd == 11);
	handover_free(&ht);
	return 1;
}

/* A UNIX socket is the same by its path. */
static int
test_unix_path(void)
{
	struct servtab *old = unix_entry("/run/a.sock", 10);
	struct servtab *other = unix_entry("/run/b.sock", -1);
	struct servtab *same = unix_entry("/run/a.sock", -1);
	struct handover_table ht;

	CHECK(handover_init(&ht, list(old, NULL)) == 0);
	CHECK(handover_take(&ht, other) == NULL);
	CHECK(handover_take(&ht, same) == old);
	CHECK(same->se_fd == 10);
	handover_free(&ht);
	return 1;
}

/*
 * A duplicate line: the first new entry takes the running entry whose
 * socket is open, the second the other one, a third nothing.
 */
static int
test_duplicates(void)
{
	struct servtab *closed = entry("127.0.0.1", 2000, SOCK_STREAM, -1);
	struct servtab *open = entry("127.0.0.1", 2000, SOCK_STREAM, 10);
	struct servtab *n1 = entry("127.0.0.1", 2000, SOCK_STREAM, -1);
	struct servtab *n2 = entry("127.0.0.1", 2000, SOCK_STREAM, -1);
	struct servtab *n3 = entry("127.0.0.1", 2000, SOCK_STREAM, -1);
	struct handover_table ht;

	CHECK(handover_init(&ht, list(closed, open, NULL)) == 0);
	CHECK(handover_take(&ht, n1) == open);
	CHECK(n1->se_fd == 10);
	CHECK(handover_take(&ht, n2) == closed);
	CHECK(n2->se_fd == -1);
	CHECK(handover_take(&ht, n3) == NULL);
	CHECK(handover_successor(&ht, open) == n1);
	CHECK(handover_successor(&ht, closed) == n2);
	handover_free(&ht);
	return 1;
}

/* A looping entry is opened again by the reload; throttling is kept. */
static int
test_looping_ends(void)
{
	struct servtab *old = entry("127.0.0.1", 2000, SOCK_STREAM, -1);
	struct servtab *sep = entry("127.0.0.1", 2000, SOCK_STREAM, -1);
	struct handover_table ht;

	svc_looping_start(old, 5000);
	old->se_limits.sl_throttled_until = 4000;
	CHECK(svc_looping(old));
	CHECK(handover_init(&ht, list(old, NULL)) == 0);
	CHECK(handover_take(&ht, sep) == old);
	CHECK(!svc_looping(sep));
	CHECK(sep->se_limits.sl_throttled_until == 4000);
	handover_free(&ht);
	return 1;
}

/* No running entry: nothing to take; the table is still valid. */
static int
test_empty(void)
{
	struct servtab *sep = entry("127.0.0.1", 2000, SOCK_STREAM, -1);
	struct handover_table ht;

	CHECK(handover_init(&ht, NULL) == 0);
	CHECK(handover_take(&ht, sep) == NULL);
	CHECK(handover_successor(&ht, sep) == NULL);
	handover_free(&ht);
	CHECK(ht.ht_slot == NULL);
	return 1;
}

/*
 * Many entries, in another order: each finds its own, through the
 * collisions of a table that is only twice their number.
 */
static int
test_many(void)
{
	static struct servtab *old[MANY], *fresh[MANY];
	struct handover_table ht;
	char addr[32];
	int i;

	for (i = 0; i < MANY; i++) {
		snprintf(addr, sizeof(addr), "10.0.%d.%d", i / 250, i % 250);
		old[i] = entry(addr, 1000 + i % 7, SOCK_STREAM, 100 + i);
		old[i]->se_next = i > 0 ? old[i - 1] : NULL;
	}
	for (i = 0; i < MANY; i++) {
		snprintf(addr, sizeof(addr), "10.0.%d.%d", i / 250, i % 250);
		fresh[i] = entry(addr, 1000 + i % 7, SOCK_STREAM, -1);
	}
	CHECK(handover_init(&ht, old[MANY - 1]) == 0);
	CHECK(ht.ht_mask + 1 >= 2 * MANY);
	for (i = MANY - 1; i >= 0; i--)
		CHECK(handover_take(&ht, fresh[i]) == old[i]);
	for (i = 0; i < MANY; i++) {
		CHECK(fresh[i]->se_fd == 100 + i);
		CHECK(handover_successor(&ht, old[i]) == fresh[i]);
	}
	handover_free(&ht);
	return 1;
}

int
main(void)
{
	static const struct unit_test tests[] = {
		{ "keeps_socket", test_keeps_socket },
		{ "changed_socket", test_changed_socket },
		{ "binding_options", test_binding_options },
		{ "unix_path", test_unix_path },
		{ "duplicates", test_duplicates },
		{ "looping_ends", test_looping_ends },
		{ "empty", test_empty },
		{ "many", test_many },
	};

	setvbuf(stdout, NULL, _IOLBF, 0);
	unit_run(tests, nitems(tests), cleanup);
	return unit_summary();
}
