/* The server inside the real-Docker suite's containers (built static by the suite with cc).
 *
 * Usage: greeter NAME PORT...
 * For every PORT it listens on [::]:PORT over TCP and UDP (dual-stack, so IPv4 too). A TCP
 * client gets one line "NAME PEER\n" and the connection is closed; a UDP datagram is
 * answered with the same line. PEER is the address the server saw (IPv4 addresses plain),
 * which tells the test which path a connection took (DNAT keeps the client's address,
 * docker-proxy shows the bridge's). SIGTERM ends it at once (it runs as a container's PID 1).
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define MAXFDS 64

static void on_term(int sig) { (void)sig; _exit(0); }

static int open_socket(int type, int port) {
	int fd = socket(AF_INET6, type, 0), off = 0, on = 1;
	struct sockaddr_in6 a;
	if (fd < 0) { perror("socket"); exit(1); }
	setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &off, sizeof off);
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof on);
	memset(&a, 0, sizeof a);
	a.sin6_family = AF_INET6;
	a.sin6_port = htons((unsigned short)port);
	if (bind(fd, (struct sockaddr *)&a, sizeof a) < 0) { perror("bind"); exit(1); }
	if (type == SOCK_STREAM && listen(fd, 64) < 0) { perror("listen"); exit(1); }
	return fd;
}

static int line_for(const char *name, const struct sockaddr_in6 *peer, char *buf, size_t n) {
	char text[INET6_ADDRSTRLEN];
	const struct in6_addr *a = &peer->sin6_addr;
	if (IN6_IS_ADDR_V4MAPPED(a))
		inet_ntop(AF_INET, &a->s6_addr[12], text, sizeof text);
	else
		inet_ntop(AF_INET6, a, text, sizeof text);
	return snprintf(buf, n, "%s %s\n", name, text);
}

int main(int argc, char **argv) {
	struct pollfd fds[MAXFDS];
	int types[MAXFDS], n = 0;
	if (argc < 3) { fprintf(stderr, "usage: greeter NAME PORT...\n"); return 2; }
	signal(SIGTERM, on_term);
	signal(SIGINT, on_term);
	signal(SIGPIPE, SIG_IGN);
	for (int i = 2; i < argc && n + 2 <= MAXFDS; i++) {
		int port = atoi(argv[i]);
		fds[n].fd = open_socket(SOCK_STREAM, port); fds[n].events = POLLIN; types[n++] = SOCK_STREAM;
		fds[n].fd = open_socket(SOCK_DGRAM, port); fds[n].events = POLLIN; types[n++] = SOCK_DGRAM;
	}
	for (;;) {
		if (poll(fds, n, -1) < 0) continue;
		for (int i = 0; i < n; i++) {
			struct sockaddr_in6 peer;
			socklen_t len = sizeof peer;
			char buf[512], line[128];
			int k;
			if (!(fds[i].revents & POLLIN)) continue;
			if (types[i] == SOCK_STREAM) {
				int c = accept(fds[i].fd, (struct sockaddr *)&peer, &len);
				if (c < 0) continue;
				k = line_for(argv[1], &peer, line, sizeof line);
				if (write(c, line, k) < 0) perror("write");
				close(c);
			} else {
				if (recvfrom(fds[i].fd, buf, sizeof buf, 0, (struct sockaddr *)&peer, &len) < 0)
					continue;
				k = line_for(argv[1], &peer, line, sizeof line);
				sendto(fds[i].fd, line, k, 0, (struct sockaddr *)&peer, len);
			}
		}
	}
}
