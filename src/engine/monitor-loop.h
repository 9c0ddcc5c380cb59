/* The monitor's event loop and wire protocol (see monitor-loop.c), and the json-file log writer.
 * Needs nothing but libc and jansson: the idle monitor links it statically. */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include <jansson.h>

#include "err.h"

/* Messages on the monitor's sockets (SOCK_SEQPACKET), fixed size; fds ride with ATTACH. */
typedef enum MonMsgType {
        MON_STARTED = 1,   /* value = pid */
        MON_ERROR,         /* text; value = Docker exit code (125/126/127) */
        MON_ATTACH,        /* flags; fds: stdin (if MON_F_STDIN), stdout, stderr */
        MON_RESIZE,        /* rows, cols */
        MON_EXIT,          /* value = exit status */
        MON_DETACHED,
        MON_WAIT,          /* only be told of the exit */
        MON_SIGNAL,        /* value = signal, to the container's init */
} MonMsgType;

enum {
        MON_F_STDIN = 1 << 0,
        MON_F_STDOUT = 1 << 1,
        MON_F_STDERR = 1 << 2,
        MON_F_KEYS = 1 << 8,    /* text holds the detach keys */
};

typedef struct MonMsg {
        uint32_t type;
        int32_t value;
        uint32_t flags;
        uint16_t rows, cols;
        char text[1024];   /* MON_ERROR message; MON_ATTACH detach keys */
} MonMsg;

int mon_send(int fd, const MonMsg *m, const int *fds, size_t n_fds);
/* Receives one message and up to 3 fds (-EBADF where absent); 0 on EOF with type 0. */
int mon_recv(int fd, MonMsg *m, int fds[3]);
/* Path of the monitor's attach socket, usable with bind/connect whatever the root's length:
 * "/proc/self/fd/N/attach.sock" with dirfd N open on the container dir. */
void mon_socket_path(int dirfd, char buf[static 64]);

#define MAX_CLIENTS 64

typedef struct Client {
        int sock;
        int in, out, err;        /* -EBADF when not attached */
        char keys[16];           /* detach key sequence */
        size_t n_keys, matched;
} Client;

/* json-file logs (log-writer.c) */
typedef struct LogWriter LogWriter;
int log_writer_open(const char *path, json_t *log_config, LogWriter **ret, LadeError **err);
void log_writer_write(LogWriter *w, const char *stream, const char *buf, size_t len);
LogWriter *log_writer_free(LogWriter *w);

typedef struct MonLoop {
        int listen_fd;
        Client clients[MAX_CLIENTS];
        size_t n_clients;
        int out_r, err_r, in_w;  /* with a tty: out_r is the master, in_w a dup of it */
        bool tty, open_stdin, stdin_once;
        LogWriter *log;
        pid_t pid;
        int pidfd;
        unsigned short rows, cols;
        /* an extra timer and fd in the loop (the full monitor's health checks) */
        int (*hook_fd)(void *ud);
        int (*hook_timeout)(void *ud);
        void (*hook_step)(void *ud);
        void *hook_ud;
} MonLoop;

void mon_client_add(MonLoop *m, int sock);
void mon_accept_client(MonLoop *m);
void mon_client_drop(MonLoop *m, size_t i);
/* One control message from client i; false: drop the client. */
bool mon_client_message(MonLoop *m, size_t i);
void mon_apply_size(MonLoop *m);
void mon_send_all(MonLoop *m, const MonMsg *msg);
/* Runs until the container's init (m->pidfd) exits; returns its status (128+signal if killed),
 * having drained its output. */
int mon_supervise(MonLoop *m);
