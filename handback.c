/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * handback.c: a child gives its connection back to the daemon.
 *
 * tcpmux's child does once its client has named an entry, which then
 * serves it with that entry's limits, and a forward entry's child once
 * tcp_wrappers let the client in, so that the daemon forwards it with
 * no process.  The channel is a SOCK_SEQPACKET socket pair made at
 * startup: each message is whole, and the descriptor rides with it
 * (SCM_RIGHTS).  This file knows the message, not what the daemon
 * does with it (inetd.c).
 */
#include <sys/types.h>
#include <sys/socket.h>
#include <sys/time.h>

#include <fcntl.h>
#include <string.h>
#include <sysexits.h>
#include <unistd.h>

#include "config.h"
#include "handback.h"
#include "log.h"

#define HANDBACK_SEND_SECONDS 10 /* a child waits for the daemon */

union handback_control {
	struct cmsghdr	 hdr;
	char		 buf[CMSG_SPACE(sizeof(int))];	/* one descriptor */
};

int
handback_open(int channel[2])
{
	struct timeval patience = { HANDBACK_SEND_SECONDS, 0 };

	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0,
	    channel) == -1)
		return -1;
	if (fcntl(channel[0], F_SETFL, O_NONBLOCK) == -1 ||
	    setsockopt(channel[1], SOL_SOCKET, SO_SNDTIMEO, &patience,
	    sizeof(patience)) == -1)
		return -1;
	return 0;
}

/* A message of the channel: its text and a descriptor. */
static void
handback_message(struct msghdr *msg, struct iovec *iov, char *text,
    size_t len, union handback_control *control)
{
	memset(msg, 0, sizeof(*msg));
	memset(control, 0, sizeof(*control));
	iov->iov_base = text;
	iov->iov_len = len;
	msg->msg_iov = iov;
	msg->msg_iovlen = 1;
	msg->msg_control = control->buf;
	msg->msg_controllen = sizeof(control->buf);
}

void
handback_send(int channel, const struct servtab *sep,
    enum handback_kind kind, const void *what, size_t len)
{
	char text[HANDBACK_MESSAGE_MAX];
	union handback_control control;
	struct msghdr msg;
	struct cmsghdr *cmsg;
	struct iovec iov;
	int fd = STDIN_FILENO;

	if (len >= sizeof(text))
		_exit(EX_SOFTWARE);	/* the parser bounds tcpmux names */
	text[0] = kind;
	memcpy(text + 1, what, len);
	handback_message(&msg, &iov, text, 1 + len, &control);
	cmsg = CMSG_FIRSTHDR(&msg);
	cmsg->cmsg_level = SOL_SOCKET;
	cmsg->cmsg_type = SCM_RIGHTS;
	cmsg->cmsg_len = CMSG_LEN(sizeof(fd));
	memcpy(CMSG_DATA(cmsg), &fd, sizeof(fd));
	if (sendmsg(channel, &msg, MSG_NOSIGNAL) == -1) {
		logmsg(LOG_ERR, "%s:%d: %s: handing the connection back to "
		    "inetd: %m", sep->se_file, sep->se_line, sep->se_service);
		_exit(EX_OSERR);
	}
	_exit(0);
}

ssize_t
handback_receive(int channel, char *text, size_t size, int *fd)
{
	union handback_control control;
	struct msghdr msg;
	struct cmsghdr *cmsg;
	struct iovec iov;
	ssize_t n;

	*fd = -1;
	handback_message(&msg, &iov, text, size - 1, &control);
	if ((n = recvmsg(channel, &msg, MSG_DONTWAIT |
	    MSG_CMSG_CLOEXEC)) == -1)
		return -1;
	text[n] = '\0';
	cmsg = CMSG_FIRSTHDR(&msg);
	if (cmsg == NULL || cmsg->cmsg_type != SCM_RIGHTS ||
	    cmsg->cmsg_len != CMSG_LEN(sizeof(*fd)))
		return n;
	memcpy(fd, CMSG_DATA(cmsg), sizeof(*fd));
	if (msg.msg_flags & MSG_TRUNC) {
		close(*fd);
		*fd = -1;
	}
	return n;
}
