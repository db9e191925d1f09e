/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * upgrade.h: SIGUSR2, the daemon replaces itself with the binary at its
 * path, in place, losing no connection (upgrade.c).
 */
#ifndef INETD_UPGRADE_H
#define INETD_UPGRADE_H

#include <stdint.h>

struct servtab;
struct addr_table;

#define UPGRADE_SIGNAL	SIGUSR2
#define UPGRADE_CHECK_SECONDS 10 /* the new binary's -t may take this long */
/*
 * The process that finishes the connections the daemon served itself
 * (builtins, forwarding) lives at most this long after an upgrade;
 * each connection ends sooner by its own idle timeout.
 */
#define UPGRADE_KEEP_SECONDS 3600

/* What the running image gives the new one, or closes in the keeper. */
struct upgrade_state {
	struct servtab	*us_services;
	struct addr_table *us_addrtab;
	uint64_t	 us_service_ids;	/* the last one given */
	int		 us_handback[2];	/* carried over */
	int		 us_sigpipe[2];		/* the image's own */
	int		 us_pidfile_fd;		/* -1: none */
};

/* What the new image got: entries standing for the old image's ones. */
struct upgrade_inheritance {
	struct servtab	*ui_entries;	/* sockets, counts, their children */
	uint64_t	 ui_service_ids;
	int		 ui_handback[2];	/* -1: none carried */
};

/*
 * At startup, after the flags: the binary's path and the arguments for
 * its exec (config_path, when the command line names one, absolute).
 */
void		 upgrade_init(int argc, char *argv[], const char *config_path);
/* -t: when upgrade_check() runs it, the format of the state it reads. */
void		 upgrade_check_answer(void);
/*
 * SIGUSR2: checks that the binary starts (-t), then execs it with the
 * state; a process forked first finishes the connections served in the
 * daemon.  Returns only when it could not, having logged why.
 */
void		 upgrade(const struct upgrade_state *st);
/*
 * In the image an upgrade started: 1 and *ui, the children noted in
 * the table (children.h) and the addresses' counts in t; 0 when not
 * started by an upgrade.
 */
int		 upgrade_receive(struct addr_table *t,
		    struct upgrade_inheritance *ui);

#endif /* INETD_UPGRADE_H */
