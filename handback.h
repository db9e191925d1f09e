/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * handback.h: the channel on which children give connections back to
 * the daemon (handback.c).
 */
#ifndef INETD_HANDBACK_H
#define INETD_HANDBACK_H

#include <stddef.h>
#include <sys/types.h>

#include "config.h"

struct servtab;

/*
 * A message is a kind, then what names the entry: the service field of
 * the tcpmux entry the client named, or the identity (sl_id) of the
 * forward entry whose client tcp_wrappers let in, or of the entry whose
 * client they refused (to be counted, and closed), which a reload keeps.
 */
enum handback_kind {
	HANDBACK_TCPMUX = 'm', HANDBACK_FORWARD = 'f', HANDBACK_REFUSED = 'r'
};

#define HANDBACK_MESSAGE_MAX (1 + TCPMUX_NAME_MAX + sizeof("tcpmux/+"))

/*
 * The channel: channel[0], the daemon's, does not block; a child waits
 * up to HANDBACK_SEND_SECONDS on channel[1].  -1 with errno.
 */
int		 handback_open(int channel[2]);
/* In a child: the connection on 0 goes back to the daemon; exits. */
void		 handback_send(int channel, const struct servtab *sep,
		    enum handback_kind kind, const void *what, size_t len)
		    __attribute__((noreturn));
/*
 * In the daemon: the next message, without waiting, in text (size
 * bytes, HANDBACK_MESSAGE_MAX + 1 will do, NUL-terminated), and the
 * descriptor that came with it in *fd; the message's length.  -1 when
 * there is none; *fd is -1 for a message that is not one.
 */
ssize_t		 handback_receive(int channel, char *text, size_t size,
		    int *fd);

#endif /* INETD_HANDBACK_H */
